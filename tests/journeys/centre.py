"""A small centre like the demo one, for the role journeys: three agencies, five procedures
(four with fees), clerks, the last full quarter's dossiers and five still open today. Dates
follow today's, so the dashboard, the due list and the report look as on a working day."""

from __future__ import annotations

import datetime as dt

from domain import clock
from domain import lifecycle as lc
from domain.calendar import load_calendar
from domain.evaluation import ensure_indicators
from domain.payments import record_payment
from domain.ratings import record_rating
from models import Agency, Dossier, FeeItem, Field, Procedure, ProcedureDocument, User, db
from tests.factories import create_agency, create_user

UNIT = "000.00.20.H37"

PROCEDURES = [
    # code, name, agency, field, working days, fee items (kind, name, đồng)
    (
        "1.002809",
        "Cấp lại Giấy phép lái xe",
        "SGTVT",
        "Đường bộ",
        5,
        [("charge", "Lệ phí cấp giấy phép lái xe", 135000)],
    ),
    (
        "1.002804",
        "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp",
        "SGTVT",
        "Đường bộ",
        5,
        [("charge", "Lệ phí đổi giấy phép lái xe", 135000)],
    ),
    (
        "1.001777",
        "Cấp phép lưu hành xe quá tải trọng, xe quá khổ giới hạn",
        "SGTVT",
        "Đường bộ",
        2,
        [],
    ),
    (
        "2.000488",
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "STP",
        "Lý lịch tư pháp",
        10,
        [("fee", "Phí cung cấp thông tin lý lịch tư pháp", 200000)],
    ),
    (
        "1.001029",
        "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh",
        "SYT",
        "Khám bệnh, chữa bệnh",
        20,
        [("fee", "Phí thẩm định cấp chứng chỉ hành nghề", 360000)],
    ),
]

APPLICANTS = [
    "Hoàng Văn Bình",
    "Lương Thị Mai",
    "Vi Văn Thắng",
    "Nông Thị Hà",
    "Lộc Văn Sơn",
    "Triệu Thị Lan",
    "Hà Văn Nam",
    "Chu Thị Thu",
    "Đinh Văn Hùng",
    "Mã Thị Hoa",
]
HISTORY = 25  # dossiers of the last full quarter, all resolved, most returned
# Dossiers still open, by procedure: how many working days from today their due date is.
OPEN = [(0, -3), (1, 0), (2, 1), (3, -5), (4, -2)]
OPEN_PROCESSING = 0  # the first one was transferred to the agency
RESOLVED_NOT_RETURNED = 12  # waits at the counter


def last_quarter(today: dt.date) -> tuple[str, dt.date, dt.date]:
    """("2026-Q3", first day, last day) of the quarter before today's."""
    first_of_this = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    end = first_of_this - dt.timedelta(days=1)
    start = dt.date(end.year, end.month - 2, 1)
    return f"{end.year}-Q{(end.month - 1) // 3 + 1}", start, end


def _working_day_shift(calendar, day: dt.date, n: int) -> dt.date:
    """The n-th working day after (n > 0) or before (n < 0) `day`; `day` itself for 0."""
    step = dt.timedelta(days=1 if n > 0 else -1)
    while n:
        day += step
        if calendar.is_working_day(day):
            n -= 1 if n > 0 else -1
    return day


def _accepted_for_due(calendar, processing_days: int, due: dt.date) -> dt.datetime:
    """The latest working morning whose intake falls due on or before `due`."""
    day = due
    while calendar.due_date(day, processing_days) > due or not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9, 15))


def build_centre() -> dict:
    """Around the users of tests/conftest.py's `users` (admin1, staff1 of SGTVT, manager1): a
    clerk for each of the two other agencies, three agencies, five procedures (four with fees),
    the last full quarter's dossiers (resolved early, on time or late, most returned, their
    fees and ratings) and five still open today (overdue, due today, due tomorrow). In an app
    context; commits. Returns what the journeys look for."""
    agencies = {a.code: a for a in db.session.query(Agency)}
    agencies["SGTVT"].short_name = "Sở GTVT"
    agencies["STP"].short_name = "Sở Tư pháp"
    agencies["SYT"] = create_agency(code="SYT", name="Sở Y tế", short_name="Sở Y tế")
    fields, procedures = {}, []
    for n, (code, name, agency, field, days, fees) in enumerate(PROCEDURES):
        if field not in fields:
            fields[field] = Field(
                code=f"F{len(fields) + 1:02d}", name=field, agency=agencies[agency]
            )
        procedures.append(
            Procedure(
                code=code,
                name=name,
                agency=agencies[agency],
                field=fields[field],
                processing_days=days,
                postal_out=n % 2 == 0,
                fee_items=[FeeItem(kind=k, name=f, amount_vnd=a) for k, f, a in fees],
            )
        )
    # The driving licence's checklist, as the intake page offers it.
    procedures[0].documents = [
        ProcedureDocument(position=1, name="Đơn đề nghị cấp lại giấy phép lái xe"),
        ProcedureDocument(position=2, name="Bản sao Căn cước công dân", kind="copy"),
        ProcedureDocument(position=3, name="Giấy khám sức khỏe của người lái xe"),
        ProcedureDocument(position=4, name="Giấy ủy quyền (nếu có)", required=False),
    ]
    db.session.add_all(procedures)
    staff = db.session.query(User).filter_by(username="staff1").one()
    staff.full_name, staff.counter_no = "Nguyễn Thị Hương", "05"
    clerks = {
        "SGTVT": staff,
        "STP": create_user("canbo_tp", "staff", [agencies["STP"]]),
        "SYT": create_user("canbo_yt", "staff", [agencies["SYT"]]),
    }
    clerks["STP"].full_name, clerks["SYT"].full_name = "Hoàng Thị Yến", "Vy Văn Đức"
    db.session.query(User).filter_by(username="manager1").one().full_name = "Lê Văn Quang"
    db.session.query(User).filter_by(username="admin1").one().full_name = "Quản trị hệ thống"
    ensure_indicators(db.session)
    db.session.flush()

    calendar = load_calendar(db.session)
    now = clock.now()
    today = now.date()
    quarter, q_start, q_end = last_quarter(today)
    span = (q_end - q_start).days

    def intake(i, proc, accepted):
        clerk = clerks[proc.agency.code]
        dossier = Dossier(
            procedure=proc,
            applicant_name=APPLICANTS[i % len(APPLICANTS)],
            phone=f"0205{i:06d}",
            address="Thành phố Lạng Sơn",
            channel="online" if i % 4 == 3 else "direct",
        )
        lc.accept_dossier(db.session, dossier, clerk, accepted, UNIT, calendar)
        db.session.flush()
        if proc.fee_items:
            record_payment(
                db.session,
                dossier,
                proc.fee_items[0].amount_vnd,
                "cash",
                accepted + dt.timedelta(minutes=5),
                clerk,
                fee_item=proc.fee_items[0],
            )
        return dossier, clerk

    history = []
    for i in range(HISTORY):
        proc = procedures[i % len(procedures)]
        day = calendar.working_day_on_or_after(q_start + dt.timedelta(days=i * span // HISTORY))
        accepted = dt.datetime.combine(min(day, q_end), dt.time(8, 30)) + dt.timedelta(
            minutes=17 * i
        )
        dossier, clerk = intake(i, proc, accepted)
        history.append(dossier.code)
        lc.transition(db.session, dossier, "transfer", clerk, accepted + dt.timedelta(hours=1))
        late = i % 7 == 3
        resolved = dt.datetime.combine(dossier.due_date, dt.time(15)) + dt.timedelta(
            days=3 if late else -(i % 3)
        )
        # Never in the future, early in a quarter (intake is 3+ days before its end).
        resolved = min(max(resolved, accepted + dt.timedelta(hours=2)), now - dt.timedelta(hours=2))
        lc.transition(db.session, dossier, "resolve", clerk, resolved)
        if i == RESOLVED_NOT_RETURNED:
            continue
        returned = min(resolved + dt.timedelta(days=1), now - dt.timedelta(hours=1))
        lc.transition(db.session, dossier, "return", clerk, returned, return_channel="counter")
        if i % 3 == 0:
            record_rating(
                db.session, clerk, ("very_satisfied", "satisfied")[i % 2], returned, dossier.id
            )

    still_open = []
    for n, (p, shift) in enumerate(OPEN):
        proc = procedures[p]
        due = _working_day_shift(calendar, today, shift)
        dossier, clerk = intake(
            HISTORY + n, proc, _accepted_for_due(calendar, proc.processing_days, due)
        )
        if n == OPEN_PROCESSING:
            lc.transition(
                db.session, dossier, "transfer", clerk, dossier.accepted_at + dt.timedelta(hours=1)
            )
        still_open.append(dossier.code)
    db.session.commit()
    return {
        "quarter": quarter,
        "history": history,
        "open": still_open,
        "resolved": history[RESOLVED_NOT_RETURNED],
        "procedures": [p.code for p in procedures],
    }
