"""A new date promised with an apology (Mẫu 04, "Hẹn lại") is a working day: a Saturday, a
Sunday, a public holiday or a day off of the centre is refused with the date, why, and the next
working day; a make-up Saturday of the centre is a working day (domain/lifecycle.py,
domain/calendar.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from domain import lifecycle as lc
from domain.calendar import WorkingCalendar
from domain.status import Status
from models import CalendarDay, Dossier, Procedure, db
from tests.factories import create_agency, create_user

D, T = dt.date, dt.datetime
UNIT = "000.00.20.H37"
# The centre's own calendar: Tuesday 22/12/2026 off, Saturday 26/12/2026 worked.
OVERRIDES = {D(2026, 12, 22): False, D(2026, 12, 26): True}


def test_why_a_day_is_not_a_working_day():
    calendar = WorkingCalendar(OVERRIDES)
    assert calendar.day_off_kind(D(2026, 12, 19)) == "saturday"
    assert calendar.day_off_kind(D(2026, 12, 20)) == "sunday"
    assert calendar.day_off_kind(D(2027, 1, 1)) == "holiday"
    assert calendar.day_off_kind(D(2026, 9, 2)) == "holiday"
    assert calendar.day_off_kind(D(2026, 12, 22)) == "centre"
    assert calendar.day_off_kind(D(2026, 12, 21)) is None
    assert calendar.day_off_kind(D(2026, 12, 26)) is None  # the make-up Saturday


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (D(2026, 12, 20), "20/12/2026 is a day off (Sunday); the next working day after it is 21/12/2026."),
        (D(2026, 12, 19), "19/12/2026 is a day off (Saturday); the next working day after it is 21/12/2026."),
        (D(2027, 1, 1), "01/01/2027 is a day off (public holiday); the next working day after it is 04/01/2027."),
        (D(2026, 12, 22), "22/12/2026 is a day off of the centre; the next working day after it is 23/12/2026."),
    ],
)  # fmt: skip
def test_a_day_off_is_refused_with_the_next_working_day(day, message):
    dossier = Dossier(status=Status.PROCESSING, due_date=D(2026, 12, 17))
    with pytest.raises(lc.LifecycleError) as refused:
        lc.check_transition(
            dossier, "reschedule", "Chờ thẩm định", WorkingCalendar(OVERRIDES), new_due_date=day
        )
    assert str(refused.value) == message
    assert refused.value.params["date"] == f"{day:%d/%m/%Y}"


def test_working_days_are_accepted_make_up_saturday_included():
    dossier = Dossier(status=Status.PROCESSING, due_date=D(2026, 12, 17))
    for day in (D(2026, 12, 21), D(2026, 12, 26), D(2027, 1, 4)):
        lc.check_transition(
            dossier, "reschedule", "Chờ", WorkingCalendar(OVERRIDES), new_due_date=day
        )


def test_the_transition_reads_the_centres_calendar_and_changes_nothing_when_refused(db_session):
    agency = create_agency()
    clerk = create_user("clerk", "staff", [agency])
    procedure = Procedure(code="1.000001", name="Cấp phép", agency=agency, processing_days=3)
    db_session.add_all(
        [procedure, *(CalendarDay(date=d, is_working_day=w) for d, w in OVERRIDES.items())]
    )
    dossier = Dossier(procedure=procedure, applicant_name="Nguyễn Văn A", channel="direct")
    lc.accept_dossier(db.session, dossier, clerk, T(2026, 12, 14, 9, 0), UNIT)
    lc.transition(db.session, dossier, "transfer", clerk, T(2026, 12, 14, 10, 0))
    db_session.commit()
    assert dossier.due_date == D(2026, 12, 17)
    for day in (D(2026, 12, 20), D(2026, 12, 22)):
        with pytest.raises(lc.LifecycleError, match="day off"):
            lc.transition(
                db.session,
                dossier,
                "reschedule",
                clerk,
                T(2026, 12, 16, 9, 0),
                "Chờ",
                new_due_date=day,
            )
        assert dossier.rescheduled_due_date is None and dossier.status == Status.PROCESSING
    lc.transition(
        db.session,
        dossier,
        "reschedule",
        clerk,
        T(2026, 12, 16, 9, 0),
        "Chờ",
        new_due_date=D(2026, 12, 26),
    )
    db_session.commit()
    assert dossier.rescheduled_due_date == D(2026, 12, 26)
