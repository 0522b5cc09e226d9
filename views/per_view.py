"""What a list screen keeps for itself (its built statements, its written pages): per view, up to
a number of entries, the least recently used dropped first; a view's entries go with the view."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict


class PerView(weakref.WeakKeyDictionary):
    """view -> OrderedDict(key -> value), at most `limit` values per view."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self._lock = threading.Lock()

    def lookup(self, view, key):
        """The value kept for `key` (now the most recently used), or None."""
        with self._lock:
            kept = self.get(view)
            found = None if kept is None else kept.get(key)
            if found is not None:
                kept.move_to_end(key)
        return found

    def keep(self, view, key, value) -> None:
        with self._lock:
            kept = self.get(view)
            if kept is None:
                kept = self[view] = OrderedDict()
            kept[key] = value
            while len(kept) > self.limit:
                kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            super().clear()
