"""The audit log as an admin reads it: tables, columns and coded values by their Vietnamese
labels, dates the Vietnamese way, one filter per column, and the trail of one dossier found by
its code."""

import datetime as dt
import re
from urllib.parse import quote

from sqlalchemy import select

from domain import lifecycle as lc
from models import Agency, AuditLog, Dossier, DossierDocument, Procedure, User, db

UNIT = "000.00.20.H37"


def _dossiers(app):
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        staff = db.session.scalar(select(User).where(User.username == "staff1"))
        procedure = Procedure(
            code="1.002804", name="Đổi giấy phép lái xe", agency=agency, processing_days=5
        )
        db.session.add(procedure)
        db.session.flush()
        codes = {}
        for name, day in (("Nguyễn Văn Ánh", 4), ("Trần Thị Bình", 5)):
            d = Dossier(
                procedure=procedure,
                applicant_name=name,
                documents=[DossierDocument(name="Đơn đề nghị", kind="original")],
            )
            lc.accept_dossier(db.session, d, staff, dt.datetime(2019, 3, day, 9), UNIT)
            db.session.commit()
            codes[name] = (d.id, d.code)
        d = db.session.get(Dossier, codes["Nguyễn Văn Ánh"][0])
        lc.transition(db.session, d, "transfer", staff, dt.datetime(2019, 3, 4, 10))
        lc.transition(
            db.session,
            d,
            "stop",
            staff,
            dt.datetime(2019, 3, 5, 10),
            reason="Người nộp đề nghị dừng",
        )
        db.session.commit()
        return codes


def _cells(page, column):
    return [
        re.sub(r"\s+", " ", c).strip()
        for c in re.findall(rf'<td class="col-{column}">(.*?)</td>', page, re.S)
    ]


def test_changes_read_as_labels_and_vietnamese_values(app, client, login_as):
    codes = _dossiers(app)
    dossier_id = codes["Nguyễn Văn Ánh"][0]
    with app.app_context():
        stop = db.session.scalar(
            select(AuditLog)
            .where(
                AuditLog.table_name == "dossier",
                AuditLog.row_id == dossier_id,
                AuditLog.action == "update",
            )
            .order_by(AuditLog.id.desc())
        )
        assert stop.changes["status"] == [4, 8]
        inserted = db.session.scalar(
            select(AuditLog).where(
                AuditLog.table_name == "dossier",
                AuditLog.row_id == dossier_id,
                AuditLog.action == "insert",
            )
        )
    login_as("admin")
    details = client.get(f"/audit_log/details/?id={stop.id}").get_data(as_text=True)
    assert "<td>Trạng thái</td><td>Đang xử lý</td><td>Dừng xử lý</td>" in details
    assert ">status<" not in details and ">dossier<" not in details
    assert re.search(r"<b>Bảng</b>\s*</td>\s*<td>\s*Hồ sơ\s*</td>", details)  # by its name
    details = client.get(f"/audit_log/details/?id={inserted.id}").get_data(as_text=True)
    assert "<td>Ngày tiếp nhận</td><td></td><td>09:00 04/03/2019</td>" in details
    assert "<td>Hình thức</td><td></td><td>Trực tiếp</td>" in details
    # procedure_id by the label of procedure, and the procedure it points to
    assert "<td>Thủ tục</td><td></td><td>1.002804 – Đổi giấy phép lái xe</td>" in details
    assert "<td>Người tiếp nhận</td><td></td><td>Staff1</td>" in details
    assert not re.search(r"\d{4}-\d{2}-\d{2}", details)  # no ISO date or time

    listing = client.get("/audit_log/").get_data(as_text=True)
    tables = set(_cells(listing, "table_name"))
    assert {"Hồ sơ", "Giấy tờ đã nhận", "Quá trình xử lý"} <= tables
    assert not tables & {"dossier", "dossier_document", "dossier_event", "user"}
    # One filter per column, named as the column: not "user / User / Username".
    assert "User / Username" not in listing and "Người dùng / Tên đăng nhập" not in listing


def test_the_trail_of_a_dossier_is_found_by_its_code(app, client, login_as):
    codes = _dossiers(app)
    ánh_id, ánh_code = codes["Nguyễn Văn Ánh"]
    bình_id, _ = codes["Trần Thị Bình"]
    with app.app_context():
        event_ids = {e.id for e in db.session.get(Dossier, ánh_id).events}
        document_ids = {d.id for d in db.session.get(Dossier, ánh_id).documents}
    login_as("manager")
    listing = client.get("/audit_log/?search=" + ánh_code[-11:]).get_data(as_text=True)
    rows = list(zip(_cells(listing, "table_name"), map(int, _cells(listing, "row_id"))))
    assert ("Hồ sơ", ánh_id) in rows and ("Hồ sơ", bình_id) not in rows
    assert {r for t, r in rows if t == "Quá trình xử lý"} == event_ids
    assert {r for t, r in rows if t == "Giấy tờ đã nhận"} == document_ids
    assert 'placeholder="Mã hồ sơ"' in listing
    nothing = client.get("/audit_log/?search=KHONG-CO-MA-NAY").get_data(as_text=True)
    assert _cells(nothing, "table_name") == []


def test_time_filter_reads_local_dd_mm_yyyy(app, client, login_as):
    """The picker fills in "04/03/2019 09:00 – 04/03/2019 10:00" (local time, a dash); the trail
    is stored in UTC. ISO values (old links) still work."""

    with app.app_context():
        db.session.info["skip_audit"] = True
        for hour in (1, 2, 3):  # 08:30, 09:30, 10:30 in Hà Nội
            db.session.add(
                AuditLog(
                    at=dt.datetime(2019, 3, 4, hour, 30),
                    action="update",
                    table_name="agency",
                    row_id=100 + hour,
                    changes={},
                )
            )
        db.session.commit()
    login_as("admin")

    def rows(value, operation=4):  # "at" filters: 0 equals … 4 between
        page = client.get(f"/audit_log/?flt1_{operation}={quote(value)}").get_data(as_text=True)
        return sorted(int(r) for r in _cells(page, "row_id") if int(r) > 100)

    assert rows("04/03/2019 09:00 – 04/03/2019 10:00") == [102]
    assert rows("2019-03-04 09:00:00 to 2019-03-04 10:00:00") == [102]
    assert rows("04/03/2019 10:00", operation=2) == [103]  # after 10:00 local
    page = client.get("/audit_log/?flt1_4=" + quote("04/03/2019 10:00 – 04/03/2019 09:00"))
    assert page.status_code == 200  # a reversed range is refused, not a 500
