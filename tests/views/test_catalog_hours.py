"""The procedure form's time limit (issue 13 point 4), posted as the browser does: working hours
instead of working days (exactly one of the two, said in Vietnamese), a cut-off time typed HH:MM
and shown back the same, and the public catalog showing both."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import Procedure, db
from tests.browser_forms import open_form
from tests.factories import create_agency, create_user, login

ONE_OF_TWO = "Ghi thời hạn giải quyết theo ngày làm việc hoặc theo giờ làm việc (một trong hai)."


def _world(app):
    with app.app_context():
        agency = create_agency()
        create_user("admin1", "admin")
        db.session.commit()
        return agency.id


def _new_form(client, agency, **values):
    form = open_form(client, "/procedure/new/")
    for name, value in {"code": "1.000201", "name": "Chứng thực chữ ký", "agency": agency}.items():
        form.set(name, value)
    for name, value in values.items():
        form.set(name, value)
    return form


def _stored(app, code="1.000201"):
    with app.app_context():
        return db.session.scalar(select(Procedure).where(Procedure.code == code))


def test_a_procedure_in_working_hours_with_a_cutoff(app, client):
    agency = _world(app)
    assert login(client, "admin1").status_code == 302
    form = _new_form(client, agency, processing_hours="4", cutoff_time="15:00")
    assert (form.get("processing_days") or "") == ""  # nothing pre-filled: days or hours
    response = form.submit(client)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    proc = _stored(app)
    assert (proc.processing_days, proc.processing_hours, proc.cutoff_time) == (
        None,
        4,
        dt.time(15, 0),
    )
    edit = open_form(client, f"/procedure/edit/?id={proc.id}")
    assert (edit.get("cutoff_time"), edit.get("processing_hours")) == ("15:00", "4")
    details = client.get(f"/procedure/details/?id={proc.id}").get_data(as_text=True)
    assert "Giờ chốt tiếp nhận" in details and "15:00" in details
    # The public catalog says it the way the applicant reads it.
    page = client.get(f"/thu-tuc/{proc.code}").get_data(as_text=True)
    assert "4 giờ làm việc" in page and "sau 15:00" in page


def test_both_limits_or_neither_are_refused_in_vietnamese(app, client):
    agency = _world(app)
    assert login(client, "admin1").status_code == 302
    for values in ({"processing_days": "2", "processing_hours": "4"}, {}):
        response = _new_form(client, agency, **values).submit(client)
        assert response.status_code == 200
        assert ONE_OF_TWO in response.get_data(as_text=True)
        assert _stored(app) is None


def test_a_mistyped_cutoff_says_how_to_type_it(app, client):
    agency = _world(app)
    assert login(client, "admin1").status_code == 302
    for typed in ("3h chiều", "25:00"):
        response = _new_form(client, agency, processing_days="0", cutoff_time=typed).submit(client)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Nhập giờ theo dạng HH:MM, ví dụ 15:00." in page
        assert typed in page  # what was typed is shown back
        assert _stored(app) is None
