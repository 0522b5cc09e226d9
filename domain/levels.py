"""Administrative levels of a procedure after the 2025 reform (issue 13 point 5).

The two-tier local government (Nghị quyết 203/2025/QH15 amending the Constitution; Luật Tổ chức
chính quyền địa phương 2025, in force 01/07/2025 — see docs/legal.md) has provinces and communes;
the district level is gone. "district" stays a stored value so that old procedures and their
dossiers read as they were, but no new procedure may take it, on the form or by import. Nothing
checks an applicant's address: a center receives any dossier of the province (Nghị định
118/2025, "không phụ thuộc vào địa giới hành chính").
"""

from __future__ import annotations

from sqlalchemy import inspect

ABOLISHED = frozenset({"district"})
# English msgid, translated in translations/*/messages.po; the import carries its own Vietnamese.
ABOLISHED_MESSAGE = (
    "The district level no longer exists since 01/07/2025: a new procedure is "
    "of the province or the commune."
)
ABOLISHED_MESSAGE_VI = (
    "cấp huyện không còn từ ngày 01/07/2025: thủ tục mới chỉ chọn cấp tỉnh "
    "(province) hoặc cấp xã (commune)"
)


def may_choose(level: str | None, current: str | None) -> bool:
    """May a procedure whose level is `current` (None: a new one) be given `level`?"""
    return level not in ABOLISHED or level == current


def previous_level(procedure) -> str | None:
    """The level a loaded procedure had before this change (its current one if unchanged)."""
    history = inspect(procedure).attrs.level.history
    if history.deleted:
        return history.deleted[0]
    return procedure.level
