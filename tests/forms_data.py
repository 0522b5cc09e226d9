"""Dossiers with every printed form, accepted in a given year (tests/views/test_print_forms_2025.py
and the Chromium tests of tests/views/test_print_forms.py): a 2019 set prints the forms of Thông
tư 01/2018, a 2026 one those of Thông tư 03/2025."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from domain import lifecycle as lc
from domain.status import Status
from models import Agency, CourierItem, CourierRun, Dossier, DossierDocument, Procedure, User, db

UNIT = "000.00.20.H37"
ADDRESS = "Số 125 đường Bà Triệu, khối 7, phường Vĩnh Trại, tỉnh Lạng Sơn"
EMAIL = "nguyen.van.a@example.com"
OFFICER = "Hoàng Thị Phương Thảo"
# When each scenario happens: acceptance, then the steps one working day apart.
ACCEPTED = {2019: dt.datetime(2019, 12, 2, 15, 30), 2026: dt.datetime(2026, 3, 2, 14, 20)}


def build(year: int) -> dict:
    """Dossiers accepted in `year` (2019 or 2026) whose forms all print: {name: id}.
    full: receipt with documents, 2 sets and a note; late: supplement request (items and
    reason), apology, courier runs both ways, result returned by post; refused (status 1 → 3);
    stopped (4 → 8); intake: a supplement request before acceptance (1 → 5)."""
    agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
    staff = db.session.scalar(select(User).where(User.username == "staff1"))
    staff.full_name = OFFICER
    procedure = db.session.scalar(select(Procedure).where(Procedure.code == "1.004227"))
    if procedure is None:
        procedure = Procedure(
            code="1.004227",
            agency=agency,
            processing_days=10,
            name="Đăng ký biến động quyền sử dụng đất",
        )
        db.session.add(procedure)
        db.session.flush()
    at = ACCEPTED[year]
    next_day = dt.timedelta(days=1)

    def new(name, **kw):
        d = Dossier(
            procedure=procedure,
            applicant_name=name,
            phone="0205 3871 234",
            email=EMAIL,
            address=ADDRESS,
            **kw,
        )
        lc.accept_dossier(db.session, d, staff, at, UNIT)
        db.session.flush()
        db.session.refresh(d)  # the agency relationship, as a web request has it
        return d

    full = new("Hoàng Văn Bảo Long", set_count=2, note="Nộp thay theo giấy ủy quyền")
    full.documents = [
        DossierDocument(name="Đơn đề nghị đăng ký biến động", kind="original", copies=1),
        DossierDocument(name="Giấy chứng nhận đã cấp", kind="original", copies=1),
    ]
    late = new("Lương Thị Minh Nguyệt", return_channel="postal")
    lc.transition(db.session, late, "transfer", staff, at + next_day)
    lc.transition(
        db.session,
        late,
        "request_supplement",
        staff,
        at + 2 * next_day,
        reason="Hợp đồng chưa được công chứng",
        requested_items="Bản sao có chứng thực hợp đồng chuyển nhượng",
    )
    lc.transition(db.session, late, "supplement_received", staff, at + 3 * next_day)
    # 2019: the apology well before the due date; 2026: on the due date itself (too late).
    apology_at = (
        at + 4 * next_day if year == 2019 else dt.datetime.combine(late.due_date, dt.time(9))
    )
    lc.transition(
        db.session,
        late,
        "reschedule",
        staff,
        apology_at,
        reason="Chờ ý kiến của Chi cục Thuế",
        new_due_date=late.due_date + dt.timedelta(days=14),
    )
    resolved_at = dt.datetime.combine(late.due_date + dt.timedelta(days=7), dt.time(10))
    lc.transition(db.session, late, "resolve", staff, resolved_at)
    lc.transition(
        db.session,
        late,
        "return",
        staff,
        resolved_at + next_day,
        return_channel="postal",
        postal_tracking_no="EL123456789VN",
    )
    for run_date, slot, direction in (
        ((at + next_day).date(), "10:30", "to_agency"),
        (resolved_at.date(), "16:00", "to_center"),
    ):
        run = CourierRun(run_date=run_date, slot=slot, direction=direction, agency=agency)
        run.items.append(CourierItem(dossier=late))
        db.session.add(run)

    refused = Dossier(
        procedure=procedure,
        agency_id=agency.id,
        status=Status.SUBMITTED,
        applicant_name="Vi Thị Hồng Nhung",
        email=EMAIL,
        channel="online",
        submitted_at=at,
    )
    intake = Dossier(
        procedure=procedure,
        agency_id=agency.id,
        status=Status.SUBMITTED,
        applicant_name="Nông Văn Dũng",
        email=EMAIL,
        channel="online",
        submitted_at=at,
    )
    db.session.add_all([refused, intake])
    db.session.flush()
    lc.transition(
        db.session, refused, "refuse", staff, at + next_day, reason="Không thuộc thẩm quyền"
    )
    lc.transition(
        db.session,
        intake,
        "request_supplement",
        staff,
        at + next_day,
        reason="Thiếu giấy tờ bắt buộc",
        requested_items="Bản sao Căn cước của người nộp",
    )
    stopped = new("Đinh Thị Lan")
    lc.transition(db.session, stopped, "transfer", staff, at + next_day)
    lc.transition(
        db.session,
        stopped,
        "stop",
        staff,
        at + 2 * next_day,
        reason="Người nộp đề nghị dừng giải quyết",
    )
    db.session.commit()
    return {
        "full": full.id,
        "late": late.id,
        "refused": refused.id,
        "stopped": stopped.id,
        "intake": intake.id,
    }
