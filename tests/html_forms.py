"""Read a form from a page the way a browser would send it (no submit buttons, only checked boxes,
the selected option), so tests post exactly what the screen offers."""
from __future__ import annotations

from html.parser import HTMLParser


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: dict | None = None
        self._textarea: str | None = None

    @property
    def _current(self) -> dict:
        return self.forms[-1]["fields"]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method", "get"),
                               "id": a.get("id"), "fields": []})
        if not self.forms:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._current.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            self._option = a
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a and not self._select_chosen:
                self._current.append((self._select, a.get("value", "")))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self._current.append((name, ""))

    def handle_data(self, data):
        if self._textarea:
            name, value = self._current[-1]
            self._current[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self._current.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                name, value = self._current[-1]
                # A browser drops the newline that starts a textarea's content.
                for newline in ("\r\n", "\n"):
                    if value.startswith(newline):
                        value = value[len(newline):]
                        break
                self._current[-1] = (name, value)
            self._textarea = None


def forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_with(html: str, field: str) -> dict:
    """The first form holding a field of that name: {"action", "method", "id", "fields"} where
    fields is a list of (name, value) pairs in page order."""
    for form in forms(html):
        if any(name == field for name, _ in form["fields"]):
            return form
    raise AssertionError(f"no form with a field {field!r} on the page")


def as_data(fields) -> dict:
    """(name, value) pairs to the dict-of-lists a test client posts."""
    data: dict = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data
