"""The administrator's jobs, in Chromium: a procedure's new time limit and fee, a new clerk's
account, a day off decided by the province, and a new department's catalog brought in from a
spreadsheet (upload → preview → confirm)."""

import datetime as dt

import openpyxl
import pytest
from sqlalchemy import select

from domain import clock
from models import Agency, CalendarDay, FeeItem, Procedure, User, db
from tests.journeys.browsing import log_in

pytestmark = pytest.mark.browser


def _pick(page, field_id: str, typed: str, result: str) -> None:
    """A select2 picker, as a person uses it: open, type, choose."""
    page.click(f"#s2id_{field_id}")
    page.keyboard.type(typed)
    page.locator(".select2-result-label", has_text=result).first.click()


def _fill_catalog_template(path, out):
    """The template as an admin fills it in: one row per sheet, by the column names of row 1."""
    workbook = openpyxl.load_workbook(path)
    rows = {
        "agencies": {
            "code": "SNV",
            "name": "Sở Nội vụ",
            "short_name": "Sở Nội vụ",
            "kind": "department",
            "sort_order": 4,
            "active": 1,
        },
        "fields": {
            "code": "TDKT",
            "name": "Thi đua, khen thưởng",
            "agency_code": "SNV",
            "active": 1,
        },
        "procedures": {
            "code": "1.000775",
            "name": "Thủ tục tặng Bằng khen của Chủ tịch Ủy ban nhân dân cấp tỉnh",
            "agency_code": "SNV",
            "field_code": "TDKT",
            "level": "province",
            "processing_days": 20,
            "online_level": "partial",
            "active": 1,
        },
        "fee_items": {
            "procedure_code": "1.000775",
            "kind": "fee",
            "name": "Phí thẩm định hồ sơ khen thưởng",
            "amount_vnd": 50000,
        },
    }
    for sheet, values in rows.items():
        ws = workbook[sheet]
        header = [c.value for c in ws[1]]
        ws.delete_rows(2, ws.max_row)  # the template's example rows
        ws.append([values.get(name) for name in header])
    workbook.save(out)


def test_admin_maintains_the_catalog_users_and_calendar(
    app, live_server, page, centre, shots, tmp_path
):
    log_in(page, live_server, "admin1", typed=True)  # a journey: through the form
    shots(page, "home-admin")

    # 1. A procedure's time limit goes from 5 to 7 working days and its fee changes.
    page.get_by_role("link", name="Danh mục", exact=True).click()
    page.get_by_role("link", name="Thủ tục hành chính").click()
    page.fill("input[name=search]", "giay phep lai xe")
    with page.expect_navigation(url=lambda url: "search=" in url):
        page.keyboard.press("Enter")
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 2  # renewal and exchange of a driving licence
    shots(page, "procedures")
    rows.filter(has_text="1.002809").locator("a[href*='/procedure/edit/']").click()
    page.wait_for_url(f"{live_server}/procedure/edit/**")
    page.fill("#processing_days", "7")
    page.fill("#fee_items-0-amount_vnd", "150.000")  # đồng, the Vietnamese way
    shots(page, "procedure-edit")
    page.click("input[type=submit][value='Lưu']")
    page.wait_for_load_state()
    shots(page, "procedure-saved")
    assert "/procedure/edit/" not in page.url, page.inner_text("body")
    with app.app_context():
        proc = db.session.scalar(select(Procedure).where(Procedure.code == "1.002809"))
        assert proc.processing_days == 7
        assert [f.amount_vnd for f in proc.fee_items] == [150000]

    # 2. A new clerk for the transport department's counter.
    page.get_by_role("link", name="Quản trị", exact=True).click()
    page.get_by_role("link", name="Người dùng").click()
    page.get_by_role("link", name="Tạo", exact=True).click()
    page.wait_for_url(f"{live_server}/user/new/**")
    page.fill("#username", "canbo_gt2")
    page.fill("#full_name", "Nông Văn Tuấn")
    page.select_option("#role", "staff", force=True)  # select2 hides the real select
    _pick(page, "agencies", "gtvt", "Sở GTVT")
    page.fill("#counter_no", "06")
    page.fill("#new_password", "mat-khau-tam-thoi-2026")
    shots(page, "user-new")
    page.click("input[type=submit][value='Lưu']")
    page.wait_for_url(f"{live_server}/user/?**")
    assert "canbo_gt2" in page.inner_text("table.model-list")
    with app.app_context():
        clerk = db.session.scalar(select(User).where(User.username == "canbo_gt2"))
        assert (clerk.role, [a.code for a in clerk.agencies]) == ("staff", ["SGTVT"])
        assert clerk.check_password("mat-khau-tam-thoi-2026")

    # 3. The province gives a day off next month: typed the Vietnamese way, dd/mm/yyyy.
    today = clock.today()
    day_off = (today.replace(day=1) + dt.timedelta(days=40)).replace(day=15)
    page.get_by_role("link", name="Quản trị", exact=True).click()
    page.get_by_role("link", name="Lịch làm việc điều chỉnh").click()
    page.get_by_role("link", name="Tạo", exact=True).click()
    page.wait_for_url(f"{live_server}/calendar_day/new/**")
    page.click("#date")
    page.keyboard.press("Control+A")
    page.keyboard.type(day_off.strftime("%d/%m/%Y"))  # key by key: the picker must not rewrite it
    page.keyboard.press("Tab")  # leaves "working day" unticked: a day off
    page.keyboard.press("Tab")
    page.keyboard.type("Nghỉ bù theo quyết định của UBND tỉnh")
    assert page.input_value("#date") == day_off.strftime("%d/%m/%Y")
    shots(page, "calendar-new")
    with page.expect_navigation():
        page.click("input[type=submit][value='Lưu']")
    assert "/calendar_day/new/" not in page.url, page.inner_text("form")
    with app.app_context():
        days = db.session.scalars(select(CalendarDay)).all()
    assert [(d.date, d.is_working_day) for d in days] == [(day_off, False)]
    assert day_off.strftime("%d/%m/%Y") in page.inner_text("table.model-list")

    # 4. A new department's catalog: the template, filled in, uploaded, checked, confirmed.
    page.get_by_role("link", name="Quản trị", exact=True).click()
    page.get_by_role("link", name="Nhập và xuất dữ liệu").click()
    link = page.get_by_role("link", name="Mẫu danh mục (.xlsx)")
    # A download link, not a navigation: no page left half-loaded behind the file.
    assert link.get_attribute("download") is not None
    with page.expect_download() as template:
        link.click()
    template.value.save_as(tmp_path / "mau.xlsx")
    _fill_catalog_template(tmp_path / "mau.xlsx", tmp_path / "danh-muc-so-noi-vu.xlsx")
    page.check("input[name=kind][value=catalog]")
    page.set_input_files("#file", str(tmp_path / "danh-muc-so-noi-vu.xlsx"))
    shots(page, "import-upload")
    page.click("#upload-button")
    page.wait_for_url(f"{live_server}/imports/preview/**")
    summary = page.inner_text("#import-summary")
    assert "SNV" in page.inner_text("#import-rows") and "1.000775" in page.content()
    assert page.locator("#import-rows tr.import-new").count() == 4, summary
    shots(page, "import-preview", docs=True)
    with app.app_context():
        assert db.session.scalar(select(Agency).where(Agency.code == "SNV")) is None
    page.click("#confirm-button")
    page.wait_for_selector("#import-result")
    shots(page, "import-done")
    with app.app_context():
        proc = db.session.scalar(select(Procedure).where(Procedure.code == "1.000775"))
        assert (proc.agency.code, proc.field.code, proc.processing_days) == ("SNV", "TDKT", 20)
        assert [
            (f.kind, f.amount_vnd)
            for f in db.session.scalars(select(FeeItem).where(FeeItem.procedure_id == proc.id))
        ] == [("fee", 50000)]
