"""Security review findings: each test failed before its fix."""

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest

from app import _secret_key, csrf
from models import Agency, CourierRun, Dossier, EvaluationForm, Feedback, Payment, Procedure, db
from tests.factories import PASSWORD, create_agency, create_user
from tests.factories import csrf_token as _token

CRAFTED = "_method=POST&_external=1&_scheme=https&_anchor=x"


def _href(html, element_id):
    match = re.search(rf'id="{element_id}" href="([^"]*)"', html)
    assert match, f"no #{element_id} link"
    return match.group(1).replace("&amp;", "&")


@pytest.mark.parametrize("path", ["/agency/", "/dossier/", "/audit_log/"])
def test_list_pages_ignore_url_for_options_in_the_query_string(client, login_as, path):
    # `?_method=POST` reached url_for through the page links: every list page answered 500.
    login_as("admin")
    response = client.get(f"{path}?search=abc&{CRAFTED}")
    assert response.status_code == 200
    href = _href(response.text, "export-xlsx")
    assert href.startswith(f"{path}export.xlsx?")  # a relative link, no anchor, same host
    assert "search=abc" in href and "_" not in href.split("?", 1)[1].replace("page_size", "")


def test_report_links_ignore_url_for_options(client, login_as):
    login_as("manager")
    response = client.get(f"/report/?preset=year&year=2019&{CRAFTED}")
    assert response.status_code == 200
    href = _href(response.text, "view-official")
    assert href.startswith("/report/?") and "year=2019" in href
    assert "_" not in href.replace("view=official", "")


def test_export_refusal_redirect_keeps_the_filters_only(app, client, login_as):
    login_as("admin")
    app.config["EXPORT_MAX_ROWS"] = 1  # two agencies exist: the export is refused
    response = client.get(f"/agency/export.xlsx?search=s&{CRAFTED}")
    assert response.status_code == 302
    assert response.location.startswith("/agency/?") and "search=s" in response.location
    assert "_method" not in response.location and "#" not in response.location


def test_generated_secret_key_file_is_never_readable_by_others(tmp_path, monkeypatch):

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    # A chmod after the write leaves a moment where the key is world-readable: refuse it.
    monkeypatch.setattr(Path, "chmod", lambda self, mode: None)
    old = os.umask(0o022)
    try:
        key = _secret_key(tmp_path)
    finally:
        os.umask(old)
    assert len(key) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert _secret_key(tmp_path) == key  # read back, not regenerated


def test_every_post_route_needs_the_csrf_token(csrf_app):
    """Walks the URL map: no state-changing route may be exempt, now or after a new screen."""

    assert not csrf._exempt_views and not csrf._exempt_blueprints
    with csrf_app.app_context():
        create_user("admin1", "admin")
        db.session.commit()
    client = csrf_app.test_client()
    assert (
        client.post(
            "/login",
            data={
                "username": "admin1",
                "password": PASSWORD,
                "csrf_token": _token(client, "/login"),
            },
        ).status_code
        == 302
    )
    checked = 0
    for rule in csrf_app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "auth.login":
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "a" * 32, rule.rule)
        response = client.post(url, data={"id": "1", "reason": "x"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        checked += 1
    assert checked > 50
    assert client.get("/agency/").status_code == 200  # still logged in: logout was refused too


def test_other_agencys_rows_are_not_found_on_every_scoped_screen(app, client, login_as):
    """Staff of SGTVT tamper with the id of an STP row: 404 and nothing written, on every screen
    with row-level access (not only the dossier screen)."""

    at = dt.datetime(2019, 3, 4, 9)
    with app.app_context():
        tp = db.session.query(Agency).filter_by(code="STP").one()
        proc = Procedure(code="2.000488", name="Lý lịch tư pháp", agency=tp, processing_days=10)
        dossier = Dossier(
            code="X-0002",
            procedure=proc,
            agency=tp,
            applicant_name="Lê Thị Bình",
            channel="postal",
            accepted_at=at,
            due_date=dt.date(2019, 3, 18),
            status=4,
        )
        rows = {
            "postal": dossier,
            "payment": Payment(dossier=dossier, amount_vnd=1000, method="cash", paid_at=at),
            "feedback": Feedback(
                channel="direct",
                received_at=at,
                sender="Bình",
                subject="S",
                content="C",
                agency=tp,
                due_date=dt.date(2019, 3, 18),
                status="new",
            ),
            "courier_run": CourierRun(
                run_date=dt.date(2019, 3, 4),
                slot="10:30",
                direction="to_agency",
                agency=tp,
                note="gốc",
            ),
            "evaluation_form": EvaluationForm(
                agency=tp, form_set="citizen_2019", submitted_at=at, score=8, max_score=8
            ),
        }
        db.session.add_all([proc, *rows.values()])
        db.session.commit()
        ids = {k: v.id for k, v in rows.items()}
    login_as("staff")
    for endpoint, row_id in ids.items():
        assert client.get(f"/{endpoint}/details/?id={row_id}").status_code == 404, endpoint
    assert client.get(f"/dossier/details/?id={ids['postal']}").status_code == 404
    feedback = {
        "channel": "direct",
        "received_at": "2019-03-04 09:00:00",
        "sender": "Đổi",
        "subject": "S",
        "content": "C",
        "status": "new",
    }
    assert client.post(f"/feedback/edit/?id={ids['feedback']}", data=feedback).status_code == 404
    run = {"run_date": "2019-03-04", "slot": "10:30", "direction": "to_agency", "note": "đổi"}
    assert client.post(f"/courier_run/edit/?id={ids['courier_run']}", data=run).status_code == 404
    with app.app_context():
        assert db.session.get(Feedback, ids["feedback"]).sender == "Bình"
        assert db.session.get(CourierRun, ids["courier_run"]).note == "gốc"
    client.post("/logout")
    login_as("admin")  # the rows exist: admins see them
    for endpoint, row_id in ids.items():
        assert client.get(f"/{endpoint}/details/?id={row_id}").status_code == 200, endpoint


@pytest.mark.parametrize(
    "args", ["query=&limit=100000", "query=co&limit=-1", "query=co&offset=-5&limit=10", "limit=0"]
)
def test_ajax_pickers_answer_one_page_at_most(app, client, login_as, args):
    # ?limit=1000000 (or -1: no limit at all on SQLite) loaded a whole table into memory.
    with app.app_context():
        for i in range(30):
            create_agency(code=f"A{i:02d}", name=f"Cơ quan {i}")
        db.session.commit()
    login_as("admin")
    response = client.get(f"/feedback/ajax/lookup/?name=agency&{args}")
    assert response.status_code == 200
    assert 1 <= len(json.loads(response.data)) <= 20


@pytest.mark.parametrize(
    "url",
    [
        "/report/?preset=month&month=9999-12",
        "/dossier/register/?from=9999-12-01&to=9999-12-31",
        "/payment/totals/?from=9999-12-01&to=9999-12-31",
    ],
)
def test_dates_at_the_end_of_the_calendar_are_bad_input_not_a_crash(client, login_as, url):
    login_as("admin")
    response = client.get(url)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert "Ngày tháng nằm ngoài phạm vi" in response.get_data(as_text=True)
