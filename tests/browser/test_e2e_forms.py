"""In a real Chromium: an administrator opens an agency and a procedure and saves them without
changing anything (it used to answer "Đã tồn tại." on the row's own code), then picks a field
for the procedure: only the fields of the procedure's agency are offered, shown with it."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from models import AuditLog, FeeItem, Field, Procedure, User, db
from tests.factories import user_agencies
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def catalog(app, users):
    with app.app_context():
        gt, tp = user_agencies()
        roads = Field(code="GTDB", name="Đường bộ", agency=gt)
        db.session.add_all(
            [
                roads,
                Field(code="GTDS", name="Đường sắt", agency=gt),
                Field(code="HTCT", name="Hộ tịch", agency=tp),
            ]
        )
        procedure = Procedure(
            code="1.000001",
            name="Cấp đổi giấy phép lái xe",
            agency=gt,
            field=roads,
            processing_days=5,
            publication_date=dt.date(2019, 1, 2),
            legal_basis="Luật Giao thông đường bộ\nThông tư 12/2017/TT-BGTVT",
            fee_items=[FeeItem(kind="charge", name="Lệ phí cấp đổi", amount_vnd=135000)],
        )
        db.session.add(procedure)
        db.session.commit()
        return {"gt": gt.id, "procedure": procedure.id}


def _audit_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "update"))


def _save(page, live_server, path, shot):
    page.goto(f"{live_server}{path}")
    page.screenshot(path=f"/tmp/forms-{shot}-edit.png", full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit][value='Lưu']")
    assert "/edit/" not in page.url, page.inner_text("body")[:1000]
    assert "Đã tồn tại" not in page.content()
    page.screenshot(path=f"/tmp/forms-{shot}-saved.png", full_page=True)
    assert page.locator(".alert-success").count() == 1


def test_admin_saves_an_agency_and_a_procedure_unchanged_and_picks_a_field(
    app, live_server, page, catalog
):
    log_in(page, live_server, "admin1")

    updates = _audit_rows(app)
    _save(page, live_server, f"/agency/edit/?id={catalog['gt']}", "agency")
    _save(page, live_server, f"/procedure/edit/?id={catalog['procedure']}", "procedure")
    assert _audit_rows(app) == updates  # nothing changed, nothing written
    with app.app_context():
        kept = db.session.get(Procedure, catalog["procedure"])
        assert kept.legal_basis == "Luật Giao thông đường bộ\nThông tư 12/2017/TT-BGTVT"

    # The field picker: the agency's fields only, each with its agency.
    page.goto(f"{live_server}/procedure/edit/?id={catalog['procedure']}")
    page.click("#s2id_field")
    page.keyboard.type("duong")
    results = page.locator(".select2-result-label")
    results.first.wait_for()
    page.wait_for_timeout(300)  # the last keystroke's answer
    labels = sorted(results.all_inner_texts())
    page.screenshot(path="/tmp/forms-field-picker.png", full_page=True)
    assert labels == ["Đường bộ (Sở Giao thông vận tải)", "Đường sắt (Sở Giao thông vận tải)"]
    page.keyboard.press("Escape")
    page.click("#s2id_field")
    page.keyboard.type("ho tich")  # another agency's field is not offered
    page.locator(".select2-no-results").wait_for()
    page.keyboard.press("Escape")

    page.click("#s2id_field")
    page.keyboard.type("duong sat")
    page.locator(".select2-result-label", has_text="Đường sắt").click()
    with page.expect_navigation():
        page.click("input[type=submit][value='Lưu']")
    assert page.locator(".alert-success").count() == 1
    with app.app_context():
        assert db.session.get(Procedure, catalog["procedure"]).field.code == "GTDS"

    # The procedure moves to another agency: its field no longer fits and is cleared; the new
    # agency's fields are offered.
    page.goto(f"{live_server}/procedure/edit/?id={catalog['procedure']}")
    page.click("#s2id_agency")
    page.keyboard.type("tu phap")
    page.locator(".select2-result-label", has_text="Sở Tư pháp").click()
    assert page.locator("#field").input_value() == ""
    assert page.locator("#s2id_field .select2-chosen").inner_text() == "Chọn…"  # placeholder
    page.click("#s2id_field")
    page.keyboard.type("ho")
    page.locator(".select2-result-label", has_text="Hộ tịch (Sở Tư pháp)").click()
    page.screenshot(path="/tmp/forms-procedure-moved.png", full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit][value='Lưu']")
    assert page.locator(".alert-success").count() == 1
    with app.app_context():
        moved = db.session.get(Procedure, catalog["procedure"])
        assert (moved.agency.code, moved.field.code) == ("STP", "HTCT")


def test_admin_creates_a_user_and_must_choose_the_role(app, live_server, page, users):
    log_in(page, live_server, "admin1")

    page.goto(f"{live_server}/user/new/")
    assert page.locator("#s2id_role .select2-chosen").inner_text() == "— chọn vai trò —"
    page.fill("#username", "clerk9")
    page.fill("#full_name", "Nhân viên mới")
    page.fill("#new_password", "mật khẩu mới 42")
    page.screenshot(path="/tmp/forms-user-new.png", full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit][value='Lưu']")
    assert "Trường này là bắt buộc." in page.inner_text("body")
    page.screenshot(path="/tmp/forms-user-role-required.png", full_page=True)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(User).where(User.username == "clerk9")
            )
            == 0
        )

    page.click("#s2id_role")
    page.locator(".select2-result-label", has_text="Lãnh đạo").click()
    page.fill("#new_password", "mật khẩu mới 42")  # a password box is never filled back in
    with page.expect_navigation():
        page.click("input[type=submit][value='Lưu']")
    assert page.locator(".alert-success").count() == 1
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.username == "clerk9")) == "manager"
