"""The dossier screens through the web: intake, transitions, batch actions, printed forms, the
register, filters, row-level access with tampered ids, lost updates, and the audit trail."""

import datetime as _dt
import datetime as dt
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import domain.register as dossier_views
from domain import clock
from domain import lifecycle as lc
from domain.status import Status
from models import Agency, AuditLog, Dossier, DossierEvent, Procedure, User, db
from tests.factories import PASSWORD, create_agency, create_user, login, user_agencies
from tests.support import statements_of

UNIT = "000.00.20.H37"


@pytest.fixture
def world(app, users):
    """Two agencies' procedures and one dossier each (SGTVT: staff1's agency; STP: not)."""
    with app.app_context():
        sgtvt, stp = user_agencies()
        p1 = Procedure(
            code="1.000001", name="Cấp đổi giấy phép lái xe", agency=sgtvt, processing_days=5
        )
        p2 = Procedure(
            code="1.000002", name="Cấp phiếu lý lịch tư pháp", agency=stp, processing_days=10
        )
        old = Procedure(
            code="1.000003",
            name="Giấy phép đã bãi bỏ",
            agency=sgtvt,
            processing_days=5,
            active=False,
        )
        db.session.add_all([p1, p2, old])
        db.session.flush()
        own = Dossier(procedure=p1, applicant_name="Nguyễn Văn Ánh", phone="0912")
        other = Dossier(procedure=p2, applicant_name="Trần Thị Bình")
        for d in (own, other):
            lc.accept_dossier(db.session, d, None, dt.datetime(2019, 3, 4, 9), UNIT)
        db.session.commit()
        return {
            "p1": p1.id,
            "p2": p2.id,
            "old": old.id,
            "own": own.id,
            "other": other.id,
            "sgtvt": sgtvt.id,
            "stp": stp.id,
        }


def _dossier(app, dossier_id):
    with app.app_context():
        d = db.session.get(Dossier, dossier_id)
        db.session.expunge(d)
        return d


def _post_transition(client, app, dossier_id, action, **data):
    d = _dossier(app, dossier_id)
    form = {"id": dossier_id, "version": d.version, "action": action}
    form.update(data)
    return client.post("/dossier/transition/", data=form)


def _submitted_online(app, world, applicant_name):
    """A dossier submitted online for p1, waiting for the one-stop shop to accept it: its id."""
    with app.app_context():
        p1 = db.session.get(Procedure, world["p1"])
        dossier = Dossier(
            procedure=p1,
            agency_id=p1.agency_id,
            applicant_name=applicant_name,
            channel="online",
            status=Status.SUBMITTED,
        )
        db.session.add(dossier)
        db.session.commit()
        return dossier.id


def _flashes(client):
    with client.session_transaction() as session:
        return " ".join(m for _, m in session.get("_flashes", []))


def test_intake_through_the_form_then_receipt(app, client, login_as, world):
    login_as("staff")
    response = client.post(
        "/dossier/new/",
        data={
            "procedure": world["p1"],
            "applicant_name": "Lê Văn Cường",
            "applicant_kind": "citizen",
            "phone": "0987654321",
            "address": "Lạng Sơn",
            "channel": "direct",
            "return_channel": "postal",
            "documents-0-name": "Đơn đề nghị",
            "documents-0-kind": "original",
            "documents-0-copies": "1",
            "documents-1-name": "Bản sao CCCD",
            "documents-1-kind": "copy",
            "documents-1-copies": "2",
        },
    )
    assert response.status_code == 302, response.data[:2000]
    assert "/dossier/details/" in response.location and "receipt=1" in response.location
    assert "/dossier/print/01/" in _flashes(client)  # the receipt is offered at once
    with app.app_context():
        d = db.session.scalar(select(Dossier).where(Dossier.applicant_name == "Lê Văn Cường"))
        assert re.fullmatch(rf"{re.escape(UNIT)}-\d{{6}}-0001", d.code)
        assert d.status == Status.ACCEPTED and d.agency_id == world["sgtvt"]
        assert d.received_by.username == "staff1"
        assert d.due_date == lc.load_calendar(db.session).due_date(d.accepted_at, 5)
        assert [(x.name, x.kind, x.copies) for x in d.documents] == [
            ("Đơn đề nghị", "original", 1),
            ("Bản sao CCCD", "copy", 2),
        ]
        assert len(d.events) == 1 and d.events[0].user.username == "staff1"
        dossier_id, code = d.id, d.code
    page = client.get(response.location)
    assert page.status_code == 200 and b"print-01" in page.data
    receipt = client.get(f"/dossier/print/01/?id={dossier_id}").get_data(as_text=True)
    assert receipt.count(code) >= 2  # two copies
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ".lower() in receipt.lower()
    assert "Bản sao CCCD" in receipt and "Qua bưu chính" in receipt


def test_intake_refuses_another_agencys_or_inactive_procedure(app, client, login_as, world):
    login_as("staff")
    for procedure in (world["p2"], world["old"], 999999):
        response = client.post(
            "/dossier/new/",
            data={
                "procedure": procedure,
                "applicant_name": "Kẻ Giả Mạo",
                "applicant_kind": "citizen",
                "channel": "direct",
            },
        )
        assert response.status_code == 200  # the form again, with an error
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Dossier)
                .where(Dossier.applicant_name == "Kẻ Giả Mạo")
            )
            == 0
        )


def test_procedure_picker_is_scoped_and_accent_insensitive(client, login_as, world):
    login_as("staff")
    found = client.get("/dossier/ajax/lookup/?name=procedure&query=giay phep").get_json()
    assert [row[0] for row in found] == [world["p1"]]  # not the inactive one
    assert client.get("/dossier/ajax/lookup/?name=procedure&query=ly lich").get_json() == []


def test_staff_cannot_reach_another_agencys_dossier(app, client, login_as, world):
    login_as("staff")
    other = world["other"]
    before = _dossier(app, other)
    assert client.get(f"/dossier/details/?id={other}").status_code == 404
    assert client.get(f"/dossier/edit/?id={other}").status_code == 404
    assert (
        client.post(
            f"/dossier/edit/?id={other}",
            data={
                "applicant_name": "Đã sửa",
                "applicant_kind": "citizen",
                "form_version": before.version,
            },
        ).status_code
        == 404
    )
    for form_no in ("01", "05"):
        assert client.get(f"/dossier/print/{form_no}/?id={other}").status_code == 404
    assert _post_transition(client, app, other, "transfer").status_code == 404
    # A batch with one own and one foreign id changes nothing at all.
    response = client.post(
        "/dossier/action/", data={"action": "transfer", "rowid": [world["own"], other]}
    )
    assert response.status_code == 302
    assert "Nothing was changed" in _flashes(client) or "Không" in _flashes(client)
    assert client.get(f"/dossier_due/details/?id={other}").status_code == 404
    client.post("/dossier/action/", data={"action": "delete", "rowid": [world["own"]]})
    assert client.post("/dossier/delete/", data={"id": world["own"]}).status_code == 403
    listing = client.get("/dossier/").get_data(as_text=True)
    assert "Nguyễn Văn Ánh" in listing and "Trần Thị Bình" not in listing
    after = _dossier(app, other)
    own = _dossier(app, world["own"])
    assert (after.status, after.applicant_name, after.version) == (
        before.status,
        before.applicant_name,
        before.version,
    )
    assert own.status == Status.ACCEPTED
    book = load_workbook(
        io.BytesIO(client.get("/dossier/register/?from=2019-03-01&to=2019-03-31").data)
    )
    codes = [row[1] for row in book.active.iter_rows(min_row=5, values_only=True)]
    assert codes == [own.code]


def test_manager_reads_everything_and_changes_nothing(app, client, login_as, world):
    login_as("manager")
    assert client.get(f"/dossier/details/?id={world['other']}").status_code == 200
    page = client.get(f"/dossier/details/?id={world['own']}").get_data(as_text=True)
    assert 'id="transitions"' not in page
    assert _post_transition(client, app, world["own"], "transfer").status_code == 403
    assert (
        client.post(
            "/dossier/action/", data={"action": "transfer", "rowid": [world["own"]]}
        ).status_code
        == 403
    )
    assert client.post("/dossier/delete/", data={"id": world["own"]}).status_code == 403
    assert _dossier(app, world["own"]).status == Status.ACCEPTED
    book = load_workbook(
        io.BytesIO(client.get("/dossier/register/?from=2019-03-04&to=2019-03-04").data)
    )
    assert len(list(book.active.iter_rows(min_row=5, values_only=True))) == 2


def test_transitions_through_the_page(app, client, login_as, world):
    login_as("staff")
    own = world["own"]
    page = client.get(f"/dossier/details/?id={own}").get_data(as_text=True)
    assert 'id="action-transfer"' in page and 'id="action-return"' not in page
    assert _post_transition(client, app, own, "transfer").status_code == 302
    assert _dossier(app, own).status == Status.PROCESSING
    # A pause without a reason is refused with a Vietnamese message and changes nothing.
    _post_transition(client, app, own, "request_supplement", reason=" ")
    assert "lý do" in _flashes(client).lower()
    assert _dossier(app, own).status == Status.PROCESSING
    _post_transition(client, app, own, "request_supplement", reason="Thiếu ảnh 3x4")
    assert _dossier(app, own).status == Status.AWAITING_SUPPLEMENT
    form02 = client.get(f"/dossier/print/02/?id={own}").get_data(as_text=True)
    assert "Thiếu ảnh 3x4" in form02
    # Not allowed from here: refused, unchanged.
    _post_transition(client, app, own, "return", return_channel="counter")
    assert "không được phép" in _flashes(client).lower()
    assert _dossier(app, own).status == Status.AWAITING_SUPPLEMENT
    _post_transition(client, app, own, "supplement_received")
    _post_transition(
        client, app, own, "reschedule", reason="Chờ ý kiến liên ngành", new_due_date="2019-05-06"
    )
    d = _dossier(app, own)
    assert d.rescheduled_due_date == dt.date(2019, 5, 6)
    assert "Ngày hẹn trả mới: 06/05/2019." in _flashes(client)  # the step's result confirmed
    form04 = client.get(f"/dossier/print/04/?id={own}").get_data(as_text=True)
    assert "06/05/2019" in form04 and "Chờ ý kiến liên ngành" in form04
    _post_transition(client, app, own, "resolve")
    _post_transition(client, app, own, "return", return_channel="postal")
    assert _dossier(app, own).status == Status.RESOLVED  # no tracking number
    # Named as the form's field is labelled (it said "số vận đơn" beside "Số hiệu bưu gửi").
    assert "cần có số hiệu bưu gửi" in _flashes(client)
    _post_transition(
        client, app, own, "return", return_channel="postal", postal_tracking_no="EL0001VN"
    )
    d = _dossier(app, own)
    assert (d.status, d.return_channel, d.postal_tracking_no) == (
        Status.RETURNED,
        "postal",
        "EL0001VN",
    )
    form05 = client.get(f"/dossier/print/05/?id={own}").get_data(as_text=True)
    assert form05.count('<tr class="handover') == 7  # one hand-over row per event
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(DossierEvent).where(DossierEvent.dossier_id == own)
            )
            == 7
        )


def test_stale_transition_form_is_refused(app, client, login_as, world):
    login_as("staff")
    d = _dossier(app, world["own"])
    assert _post_transition(client, app, world["own"], "transfer").status_code == 302
    client.post(
        "/dossier/transition/",
        data={"id": d.id, "version": d.version, "action": "withdraw", "reason": "đổi ý"},
    )
    assert _dossier(app, world["own"]).status == Status.PROCESSING
    assert "người khác" in _flashes(client).lower()


def test_refusal_and_form_03(app, client, login_as, world):
    sid = _submitted_online(app, world, "Phạm Thị Dung")
    login_as("staff")
    _post_transition(client, app, sid, "refuse", reason="Hồ sơ không thuộc thẩm quyền")
    assert _dossier(app, sid).status == Status.REFUSED
    page = client.get(f"/dossier/print/03/?id={sid}").get_data(as_text=True)
    assert "Hồ sơ không thuộc thẩm quyền" in page and "Phạm Thị Dung" in page


def test_batch_transfer_and_result_received(app, client, login_as, world):
    login_as("staff")
    with app.app_context():
        p1 = db.session.get(Procedure, world["p1"])
        extra = Dossier(procedure=p1, applicant_name="Hoàng Văn Em")
        lc.accept_dossier(db.session, extra, None, dt.datetime(2019, 3, 5, 9), UNIT)
        db.session.commit()
        ids = [world["own"], extra.id]
    client.post("/dossier/action/", data={"action": "transfer", "rowid": ids})
    assert [_dossier(app, i).status for i in ids] == [Status.PROCESSING] * 2
    client.post("/dossier/action/", data={"action": "result_received", "rowid": ids})
    assert [_dossier(app, i).status for i in ids] == [Status.RESOLVED] * 2
    # Again: not allowed from "resolved": refused for all.
    client.post("/dossier/action/", data={"action": "transfer", "rowid": ids})
    assert "Nothing was changed" in _flashes(client) or "Không có gì" in _flashes(client)


def test_second_editor_gets_a_conflict_and_overwrites_nothing(app, users, world):
    first, second = app.test_client(), app.test_client()
    with app.app_context():
        staff2 = User(
            username="staff2",
            role="staff",
            full_name="Staff Two",
            agencies=[db.session.get(Agency, world["sgtvt"])],
        )
        staff2.set_password("correct horse 42")
        db.session.add(staff2)
        db.session.commit()
    login(first, "staff1")
    login(second, "staff2")
    url = f"/dossier/edit/?id={world['own']}"

    def form_of(client):
        html = client.get(url).get_data(as_text=True)
        version = re.search(r'name="form_version"[^>]*value="(\d+)"', html) or re.search(
            r'value="(\d+)"[^>]*name="form_version"', html
        )
        assert version, "the edit form carries the version"
        return {
            "applicant_name": "Nguyễn Văn Ánh",
            "applicant_kind": "citizen",
            "form_version": version.group(1),
        }

    a, b = form_of(first), form_of(second)
    a["phone"] = "0911111111"
    b["phone"] = "0922222222"
    assert first.post(url, data=a).status_code == 302
    response = second.post(url, data=b)
    assert response.status_code == 200
    assert "người khác" in response.get_data(as_text=True).lower()
    d = _dossier(app, world["own"])
    assert d.phone == "0911111111"
    with app.app_context():
        rows = db.session.scalars(
            select(AuditLog).where(
                AuditLog.table_name == "dossier",
                AuditLog.row_id == world["own"],
                AuditLog.action == "update",
            )
        ).all()
        assert [r.changes["phone"] for r in rows] == [["0912", "0911111111"]]
        assert rows[0].user.username == "staff1"


def test_list_filters_search_and_supervision(app, client, login_as, world):
    today = clock.today()
    with app.app_context():
        cal = lc.load_calendar(db.session)
        p1 = db.session.get(Procedure, world["p1"])
        soon = Dossier(procedure=p1, applicant_name="Sắp Đến Hạn")
        later = Dossier(procedure=p1, applicant_name="Còn Lâu")
        lc.accept_dossier(db.session, soon, None, clock.now(), UNIT)
        lc.accept_dossier(db.session, later, None, clock.now(), UNIT)
        soon.due_date = cal.nth_working_day_after(cal.clock_start(today), 1)
        later.due_date = cal.nth_working_day_after(today, 20)
        db.session.commit()
    login_as("staff")
    # "own" was due in March 2019: overdue now.
    overdue_idx, soon_idx = _filter_index(client, "Quá hạn"), _filter_index(client, "2 ngày")
    listing = client.get(f"/dossier/?flt0_{overdue_idx}=1").get_data(as_text=True)
    assert "Nguyễn Văn Ánh" in listing and "Sắp Đến Hạn" not in listing
    listing = client.get(f"/dossier/?flt0_{soon_idx}=1").get_data(as_text=True)
    assert "Sắp Đến Hạn" in listing and "Còn Lâu" not in listing and "Nguyễn Văn Ánh" not in listing
    listing = client.get("/dossier/?search=nguyen van anh").get_data(as_text=True)
    assert "Nguyễn Văn Ánh" in listing and "Sắp Đến Hạn" not in listing
    listing = client.get("/dossier/").get_data(as_text=True)
    assert listing.index("Còn Lâu") < listing.index("Nguyễn Văn Ánh")  # newest first
    due = client.get("/dossier_due/").get_data(as_text=True)
    assert "Nguyễn Văn Ánh" in due and "Sắp Đến Hạn" in due and "Còn Lâu" not in due
    assert "Trần Thị Bình" not in due  # another agency's
    assert due.index("Nguyễn Văn Ánh") < due.index("Sắp Đến Hạn")  # most urgent first
    client.post("/logout")
    login_as("manager")
    assert "Trần Thị Bình" in client.get("/dossier_due/").get_data(as_text=True)


def _filter_index(client, label_part):
    """The index Flask-Admin gives a filter, read from the list page's filter definitions."""

    html = client.get("/dossier/").get_data(as_text=True)
    match = re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', html, re.S)
    groups = json.loads(match.group(1))
    for name, filters in groups.items():
        if label_part.lower() in name.lower():
            return filters[0]["index"]
    raise AssertionError(f"no filter named like {label_part}: {list(groups)}")


def test_register_columns(app, client, login_as, world):
    login_as("admin")
    _post_transition(client, app, world["own"], "transfer")
    book = load_workbook(
        io.BytesIO(client.get("/dossier/register/?from=2019-03-04&to=2019-03-04").data)
    )
    rows = list(book.active.iter_rows(min_row=4, values_only=True))
    assert rows[0][0] == "STT" and len(rows[0]) == 15  # with sets, signature and note
    own = _dossier(app, world["own"])
    (row,) = [r for r in rows[1:] if r[1] == own.code]
    assert row[3] == 1  # number of sets
    assert row[4] == "Nguyễn Văn Ánh" and row[7] == dt.datetime(2019, 3, 4, 9, 0)
    assert row[8].date() == own.due_date and row[9] is not None
    assert client.get("/dossier/register/").status_code == 200  # the date form


@pytest.mark.parametrize("url", ["/dossier/", "/dossier_due/"])
def test_lists_do_not_query_per_row(app, client, login_as, world, url):
    login_as("admin")

    def add(n):
        with app.app_context():
            for i in range(n):  # each with its own agency and procedure: lazy loads would show
                agency = Agency(code=f"A{i}", name=f"Cơ quan {i}", kind="department")
                proc = Procedure(
                    code=f"2.00000{i}", name=f"Thủ tục {i}", agency=agency, processing_days=1
                )
                db.session.add_all([agency, proc])
                lc.accept_dossier(
                    db.session,
                    Dossier(procedure=proc, applicant_name=f"X {i}"),
                    None,
                    dt.datetime(2019, 3, 5, 9),
                    UNIT,
                )
            db.session.commit()

    def show():
        assert client.get(url).status_code == 200

    show()  # warm caches
    few = len(statements_of(app, show))
    add(8)
    show()  # the catalog changed: the filter options are read again, once
    many = len(statements_of(app, show))
    assert many == few
    assert client.get(url).get_data(as_text=True).count("X 7") == 1


def test_online_submission_accepted_on_the_page(app, client, login_as, world):
    sid = _submitted_online(app, world, "Online Một")
    login_as("staff")
    bad = _post_transition(client, app, sid, "accept", new_due_date="not a date")
    assert bad.status_code == 302 and _dossier(app, sid).status == Status.SUBMITTED
    response = _post_transition(client, app, sid, "accept")
    assert "receipt=1" in response.location
    d = _dossier(app, sid)
    assert d.status == Status.ACCEPTED and d.code.startswith(UNIT) and d.due_date is not None


def test_transition_needs_the_csrf_token(csrf_app):

    with csrf_app.app_context():
        agency = create_agency()
        create_user("clerk", "staff", [agency])
        proc = Procedure(code="1.000001", name="Thủ tục", agency=agency, processing_days=1)
        db.session.add(proc)
        d = Dossier(procedure=proc, applicant_name="A")
        lc.accept_dossier(db.session, d, None, _dt.datetime(2019, 3, 4, 9), UNIT)
        db.session.commit()
        dossier_id, version = d.id, d.version
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token})
    form = {"id": dossier_id, "version": version, "action": "transfer"}
    assert client.post("/dossier/transition/", data=form).status_code == 400
    assert _dossier(csrf_app, dossier_id).status == Status.ACCEPTED
    details = client.get(f"/dossier/details/?id={dossier_id}").get_data(as_text=True)
    form["csrf_token"] = re.search(
        r'id="form-transfer">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', details
    ).group(1)
    assert client.post("/dossier/transition/", data=form).status_code == 302
    assert _dossier(csrf_app, dossier_id).status == Status.PROCESSING


def test_register_pages_through_batches_and_caps(app, client, login_as, world, monkeypatch):

    with app.app_context():
        p1 = db.session.get(Procedure, world["p1"])
        for i in range(6):  # same acceptance time: the keyset must break ties by id
            lc.accept_dossier(
                db.session,
                Dossier(procedure=p1, applicant_name=f"Lô {i}"),
                None,
                dt.datetime(2019, 3, 4, 9),
                UNIT,
            )
        db.session.commit()
        expected = db.session.scalars(
            select(Dossier.code)
            .where(Dossier.agency_id == world["sgtvt"])
            .order_by(Dossier.accepted_at, Dossier.id)
        ).all()
    monkeypatch.setattr(dossier_views, "REGISTER_BATCH", 2)
    login_as("staff")
    url = "/dossier/register/?from=2019-03-04&to=2019-03-04"

    def rows():
        book = load_workbook(io.BytesIO(client.get(url).data))
        return list(book.active.iter_rows(min_row=5, values_only=True))

    got = rows()
    assert [r[1] for r in got] == expected and len(expected) == 7
    assert [r[0] for r in got] == list(range(1, 8))
    app.config["EXPORT_MAX_ROWS"] = 3
    capped = rows()
    assert [r[1] for r in capped if r[1]] == expected[:3]
    assert "3" in str(capped[-1][0])  # the note says the list was cut


def test_list_export_follows_the_search_and_the_staff_scope(app, client, login_as, world):
    def exported(query=""):
        response = client.get("/dossier/export.xlsx" + query)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.data)).active
        rows = [[c.value for c in r] for r in sheet.iter_rows()]
        return rows[0], rows[1:]

    login_as("manager")
    header, rows = exported()
    assert "Người nộp" in header and len(rows) == 2
    assert {r[header.index("Người nộp")] for r in rows} == {"Nguyễn Văn Ánh", "Trần Thị Bình"}
    assert rows[0][header.index("Trạng thái")] == "Được tiếp nhận"
    assert rows[0][header.index("Hình thức")] == "Trực tiếp"
    _, rows = exported("?search=tran+thi+binh")
    assert [r[header.index("Người nộp")] for r in rows] == ["Trần Thị Bình"]
    client.post("/logout")
    login_as("staff")
    _, rows = exported()
    assert [r[header.index("Người nộp")] for r in rows] == ["Nguyễn Văn Ánh"]
    page = client.get("/dossier/").get_data(as_text=True)
    assert "/dossier/export.xlsx" in page and "/dossier/register/" in page
