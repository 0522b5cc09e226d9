"""domain/clock.py: the one local clock (Asia/Ho_Chi_Minh, UTC+7), and stopping it in tests."""

from __future__ import annotations

import datetime as dt

from domain import clock
from models import CalendarYearReview, db
from tests.factories import login

UTC = dt.UTC


def test_frozen_local_time_is_now_and_today():
    with clock.frozen(dt.datetime(2019, 1, 31, 16, 59, 58, 123456)):
        assert clock.now() == dt.datetime(2019, 1, 31, 16, 59, 58)  # to the second
        assert clock.today() == dt.date(2019, 1, 31)
        assert clock.utcnow() == dt.datetime(2019, 1, 31, 9, 59, 58, 123456)


def test_today_is_the_local_date_not_the_servers_utc_date():
    # 20:30 UTC on New Year's Eve is 03:30 on 1 January in Hà Nội: the business date is 2020.
    with clock.frozen(dt.datetime(2019, 12, 31, 20, 30, tzinfo=UTC)):
        assert clock.today() == dt.date(2020, 1, 1)
        assert clock.now() == dt.datetime(2020, 1, 1, 3, 30)
        assert clock.utcnow() == dt.datetime(2019, 12, 31, 20, 30)
    # 16:59 UTC is still the same day locally (23:59); 17:00 UTC is the next.
    with clock.frozen(dt.datetime(2019, 3, 14, 16, 59, tzinfo=UTC)):
        assert clock.today() == dt.date(2019, 3, 14)
    with clock.frozen(dt.datetime(2019, 3, 14, 17, 0, tzinfo=UTC)):
        assert clock.today() == dt.date(2019, 3, 15)


def test_a_date_freezes_at_nine_and_blocks_nest_and_restore():
    with clock.frozen(dt.date(2019, 2, 1)):
        assert clock.now() == dt.datetime(2019, 2, 1, 9, 0)
        with clock.frozen(dt.datetime(2020, 5, 4, 8, 0)):
            assert clock.today() == dt.date(2020, 5, 4)
        assert clock.today() == dt.date(2019, 2, 1)
    # Running again: the real local time.
    real = dt.datetime.now(clock.LOCAL_TZ).replace(tzinfo=None)
    assert abs(clock.now() - real) < dt.timedelta(seconds=5)


def test_a_frozen_clock_reaches_the_screens(app, users):
    """The register page proposes the current month: the frozen one, not the real one."""
    client = app.test_client()
    login(client, users["staff"])
    with clock.frozen(dt.datetime(2019, 3, 14, 10, 0)):
        html = client.get("/dossier/register/").get_data(as_text=True)
    assert "01/03/2019" in html and "14/03/2019" in html


def test_the_calendar_checklist_runs_on_the_frozen_clock(app, users):
    """The yearly checklist shows this year and next, and stamps a review with the local time."""

    client = app.test_client()
    login(client, users["admin"])
    with clock.frozen(dt.datetime(2019, 12, 31, 17, 30, tzinfo=UTC)):  # 00:30 on 01/01/2020
        html = client.get("/calendar-checklist/").get_data(as_text=True)
        response = client.post("/calendar-checklist/", data={"year": "2021", "note": "TB 1"})
    assert response.status_code == 302
    assert "2020" in html and "2021" in html
    with app.app_context():
        review = db.session.get(CalendarYearReview, 2021)
        assert review is not None and review.reviewed_at == dt.datetime(2020, 1, 1, 0, 30)
