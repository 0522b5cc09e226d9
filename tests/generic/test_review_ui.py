"""Fixes found walking through the screens as the users do."""

import datetime as dt
import os
import re

from app import uncompiled_catalogues
from models import Agency, AuditLog, Dossier, Procedure, db

AT = dt.datetime(2019, 3, 4, 9, 30)


def _postal_dossier_without_return_channel(app):
    with app.app_context():
        agency = db.session.query(Agency).filter_by(code="SGTVT").one()
        procedure = Procedure(
            code="1.002809", name="Cấp lại Giấy phép lái xe", agency=agency, processing_days=5
        )
        dossier = Dossier(
            code="000.00.20.H37-190304-0001",
            procedure=procedure,
            agency=agency,
            applicant_name="Lê Thị Bình",
            channel="postal",
            accepted_at=AT,
            due_date=dt.date(2019, 3, 11),
            status=4,
        )
        db.session.add(dossier)
        db.session.commit()
        return dossier.id


def test_empty_choice_columns_print_nothing_not_none(app, client, login_as):
    dossier_id = _postal_dossier_without_return_channel(app)
    login_as("admin")
    listing = client.get("/postal/").get_data(as_text=True)
    assert "190304-0001" in listing
    cells = re.findall(r"<td[^>]*>(.*?)</td>", listing, re.S)
    assert cells and not any(cell.strip() == "None" for cell in cells)
    details = client.get(f"/postal/details/?id={dossier_id}").get_data(as_text=True)
    assert "Lê Thị Bình" in details
    assert not any(
        cell.strip() == "None" for cell in re.findall(r"<td[^>]*>(.*?)</td>", details, re.S)
    )


def test_flask_admin_wording_comes_from_our_catalogue(app, client, login_as):
    login_as("admin")
    response = client.post(
        "/agency/new/",
        data={
            "code": "SYT",
            "name": "Sở Y tế",
            "kind": "department",
            "sort_order": "3",
            "active": "y",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Đã lưu." in page
    assert "Kỷ lục" not in page  # Flask-Admin's own catalogue: a sports record
    listing = client.get("/agency/").get_data(as_text=True)
    assert "50 dòng" in listing and "20 dòng" in listing
    assert "items" not in listing and "mặt hàng" not in listing


def test_refused_form_says_so_in_vietnamese(app, client, login_as):
    login_as("admin")
    page = client.post("/agency/new/", data={"code": "", "name": ""}).get_data(as_text=True)
    assert "Chưa lưu được" in page
    assert "Failed to create record" not in page  # missing from Flask-Admin's own catalogue


def test_report_shows_no_share_where_nothing_was_resolved(app, client, login_as):
    _postal_dossier_without_return_channel(app)  # accepted 04/03/2019, still processing
    login_as("manager")
    html = client.get("/report/?preset=month&month=2019-03").get_data(as_text=True)
    totals = re.search(r'<tr [^>]*id="report-totals"[^>]*>(.*?)</tr>', html, re.S).group(1)
    last_cell = re.findall(r"<td[^>]*>(.*?)</td>", totals, re.S)[-1].strip()
    assert last_cell == "–"  # nothing resolved: no "0,00%" that reads as "all late"
    shares = re.search(r'id="report-shares".*?</table>', html, re.S).group(0)
    cells = [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", shares, re.S)
    ]
    assert cells[:4] == [
        "Đã giải quyết / tiếp nhận",
        "0,00%",  # 0 of 1 received
        "Trước hạn / đã giải quyết",
        "–",
    ]  # 0 of 0 resolved


def test_uncompiled_catalogues_are_found(tmp_path):

    messages = tmp_path / "vi" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    po = messages / "messages.po"
    po.write_text('msgid "Log in"\nmsgstr "Đăng nhập"\n', encoding="utf-8")
    assert uncompiled_catalogues(tmp_path) == [po]  # never compiled: the UI would be English
    (messages / "messages.mo").write_bytes(b"")
    assert uncompiled_catalogues(tmp_path) == []
    os.utime(po, (po.stat().st_atime, po.stat().st_mtime + 60))  # edited after compiling
    assert uncompiled_catalogues(tmp_path) == [po]


def test_page_title_does_not_repeat_the_menu_name(app, client, login_as):
    login_as("admin")
    dossiers = client.get("/dossier/").get_data(as_text=True)
    assert "<title>Hồ sơ – Danh sách – Một cửa</title>" in dossiers  # menu "Hồ sơ" > "Hồ sơ"
    agencies = client.get("/agency/").get_data(as_text=True)
    assert "<title>Cơ quan – Danh sách – Một cửa</title>" in agencies


def test_audit_log_on_the_local_clock_in_vietnamese(app, client, login_as):

    with app.app_context():
        entry = AuditLog(
            at=dt.datetime(2019, 3, 4, 2, 30),
            action="update",
            table_name="user",
            row_id=1,
            changes={"last_login_at": [None, "2019-03-04T02:30:00"]},
        )
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id
    login_as("admin")
    listing = client.get("/audit_log/?search=&sort=0").get_data(as_text=True)
    assert "09:30 04/03/2019" in listing  # 02:30 UTC is 09:30 in Hà Nội
    assert "02:30 04/03/2019" not in listing
    details = client.get(f"/audit_log/details/?id={entry_id}").get_data(as_text=True)
    assert "09:30 04/03/2019" in details and "Thay đổi" in details
    assert ">update<" not in details and ">None<" not in details


def test_one_english_word_two_vietnamese_meanings(app, client, login_as):
    """msgctxt keeps them apart: the ratings' "Level" is how satisfied, a procedure's "Level"
    is province/district/commune (Cấp thực hiện)."""
    login_as("admin")
    totals = client.get("/staff_rating/totals/").get_data(as_text=True)
    assert "<th>Mức độ hài lòng</th>" in totals
    assert "Cấp thực hiện" not in totals
    assert "Cấp thực hiện" in client.get("/procedure/").get_data(as_text=True)
