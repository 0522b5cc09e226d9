"""Official calendar notices the `holidays` package misses, shipped with the demo data as
reviewed CalendarDay overrides (issue 13 point 6; sources in docs/legal.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from domain.calendar_checklist import mark_reviewed
from models import CalendarDay, User

# (date, is_working_day, note): Thông báo 9441/TB-BNV (16/10/2025), point 2: "Hoán đổi từ ngày
# làm việc thứ Hai ngày 31/8/2026 Dương lịch sang ngày nghỉ hằng tuần thứ Bảy ngày 22/8/2026".
OVERRIDES = {
    2026: [
        (dt.date(2026, 8, 22), True, "Làm bù cho thứ Hai 31/08/2026 (Thông báo 9441/TB-BNV)"),
        (dt.date(2026, 8, 31), False, "Nghỉ hoán đổi dịp Quốc khánh (Thông báo 9441/TB-BNV)"),
    ],
}
REVIEW_NOTES = {2026: "Thông báo 9441/TB-BNV ngày 16/10/2025 của Bộ Nội vụ"}
REVIEWED_AT = dt.datetime(2025, 10, 20, 9, 0)


def add_calendar_overrides(session) -> None:
    """Add the overrides and mark their years reviewed (by the first administrator)."""
    admin_id = session.scalar(select(User.id).where(User.role == "admin").order_by(User.id))
    for year, days in OVERRIDES.items():
        for day, working, note in days:
            session.add(CalendarDay(date=day, is_working_day=working, note=note))
        mark_reviewed(session, year, admin_id, REVIEWED_AT, REVIEW_NOTES.get(year))
    session.flush()
