"""Fixtures of the role journeys: a small centre like the demo one (a few agencies, procedures
with fees, clerks, an admin, a manager, a first quarter of dossiers), a 1280×800 Chromium page,
screenshots (tests/journeys/browsing.py) and axe-core."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from domain import lifecycle as lc
from domain.calendar import load_calendar
from domain.evaluation import ensure_indicators
from domain.payments import record_payment
from domain.ratings import record_rating
from models import Agency, Dossier, FeeItem, Field, Procedure, User, db
from tests.conftest import CHROMIUM, IN_CI, ROOT, create_agency, create_user
from tests.journeys.browsing import OUTPUT, VIEWPORT, Screens

UNIT = "000.00.20.H37"


@pytest.fixture
def page(browser):
    """As tests/conftest.py's, with the viewport of the docs' screenshots."""
    context = browser.new_context(locale="vi-VN", viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def shots(request):
    folder = OUTPUT / re.sub(r"[^\w.-]+", "_", request.node.name)
    screens = Screens(folder)
    yield screens
    if screens.taken:
        print(f"\nscreenshots: {folder}")


@pytest.fixture
def axe_script():
    """axe-core from npm (package.json; `npm ci` installs it), injected into the page."""
    path = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        reason = f"{path} missing: run `npm ci` (or `make install`)"
        if IN_CI:
            pytest.fail(reason + " (required when CI=true)")
        pytest.skip(reason)
    if not Path(CHROMIUM).exists() and not IN_CI:
        pytest.skip(f"{CHROMIUM} not installed")
    return path


# ---- a small centre ---------------------------------------------------------------------------

PROCEDURES = [
    # code, name, agency, field, working days, fee items (kind, name, đồng)
    ("1.002809", "Cấp lại Giấy phép lái xe", "SGTVT", "Đường bộ", 5,
     [("charge", "Lệ phí cấp giấy phép lái xe", 135000)]),
    ("1.002804", "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", "SGTVT", "Đường bộ", 5,
     [("charge", "Lệ phí đổi giấy phép lái xe", 135000)]),
    ("1.001777", "Cấp phép lưu hành xe quá tải trọng, xe quá khổ giới hạn", "SGTVT", "Đường bộ",
     2, []),
    ("2.000488", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "STP", "Lý lịch tư pháp", 10,
     [("fee", "Phí cung cấp thông tin lý lịch tư pháp", 200000)]),
    ("1.001029", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "SYT", "Khám bệnh, chữa bệnh",
     20, [("fee", "Phí thẩm định cấp chứng chỉ hành nghề", 360000)]),
]

STILL_OPEN = (10, 16, 22, 28, 29)  # one of each procedure; the first at the agency
RESOLVED_NOT_RETURNED = 12
APPLICANTS = ["Hoàng Văn Bình", "Lương Thị Mai", "Vi Văn Thắng", "Nông Thị Hà", "Lộc Văn Sơn",
              "Triệu Thị Lan", "Hà Văn Nam", "Chu Thị Thu", "Đinh Văn Hùng", "Mã Thị Hoa"]


@pytest.fixture
def centre(app, users):
    """The users of tests/conftest.py (admin1, staff1 of SGTVT, manager1) and a centre around
    them: three agencies, five procedures (four with fees), thirty dossiers of the first quarter
    of 2019 (most returned, some late, five still open and overdue today, one resolved and
    waiting at the counter), their payments and ratings. Returns the codes the journeys look
    for."""
    app.config["DASHBOARD_CACHE_SECONDS"] = 0  # every test sees its own data
    with app.app_context():
        agencies = {a.code: a for a in db.session.query(Agency)}
        agencies["SGTVT"].short_name = "Sở GTVT"
        agencies["STP"].short_name = "Sở Tư pháp"
        agencies["SYT"] = create_agency(code="SYT", name="Sở Y tế", short_name="Sở Y tế")
        fields, procedures = {}, []
        for n, (code, name, agency, field, days, fees) in enumerate(PROCEDURES):
            if field not in fields:
                fields[field] = Field(code=f"F{len(fields) + 1:02d}", name=field,
                                      agency=agencies[agency])
            procedures.append(Procedure(
                code=code, name=name, agency=agencies[agency], field=fields[field],
                processing_days=days, postal_out=n % 2 == 0,
                fee_items=[FeeItem(kind=k, name=f, amount_vnd=a) for k, f, a in fees]))
        db.session.add_all(procedures)
        staff = db.session.query(User).filter_by(username="staff1").one()
        staff.full_name, staff.counter_no = "Nguyễn Thị Hương", "05"
        clerks = {"SGTVT": staff,
                  "STP": create_user("canbo_tp", "staff", [agencies["STP"]]),
                  "SYT": create_user("canbo_yt", "staff", [agencies["SYT"]])}
        clerks["STP"].full_name, clerks["SYT"].full_name = "Hoàng Thị Yến", "Vy Văn Đức"
        db.session.query(User).filter_by(username="manager1").one().full_name = "Lê Văn Quang"
        db.session.query(User).filter_by(username="admin1").one().full_name = "Quản trị hệ thống"
        ensure_indicators(db.session)
        db.session.flush()

        calendar = load_calendar(db.session)
        codes = []
        for i in range(30):
            proc = procedures[i % len(procedures)]
            clerk = clerks[proc.agency.code]
            accepted = dt.datetime(2019, 1, 7, 8, 30) + dt.timedelta(days=(i * 83) // 30,
                                                                   minutes=17 * i)
            if accepted.weekday() >= 5:
                accepted += dt.timedelta(days=7 - accepted.weekday())
            dossier = Dossier(procedure=proc, applicant_name=APPLICANTS[i % 10],
                              phone=f"0205{i:06d}", address="Thành phố Lạng Sơn",
                              channel="online" if i % 4 == 3 else "direct")
            lc.accept_dossier(db.session, dossier, clerk, accepted, UNIT, calendar)
            db.session.flush()
            codes.append(dossier.code)
            if proc.fee_items:
                record_payment(db.session, dossier, proc.fee_items[0].amount_vnd, "cash",
                               accepted + dt.timedelta(minutes=5), clerk,
                               fee_item=proc.fee_items[0])
            if i in STILL_OPEN[1:]:
                continue  # overdue today: on the due list and the dashboard
            lc.transition(db.session, dossier, "transfer", clerk, accepted + dt.timedelta(hours=1))
            if i in STILL_OPEN:
                continue  # the first one with the agency
            late = i % 7 == 3
            resolved = dt.datetime.combine(dossier.due_date, dt.time(15)) + dt.timedelta(
                days=3 if late else -(i % 3))
            resolved = max(resolved, accepted + dt.timedelta(hours=2))
            lc.transition(db.session, dossier, "resolve", clerk, resolved)
            if i == RESOLVED_NOT_RETURNED:
                continue
            lc.transition(db.session, dossier, "return", clerk, resolved + dt.timedelta(days=1),
                          return_channel="counter")
            if i % 3 == 0:
                record_rating(db.session, clerk, ("very_satisfied", "satisfied")[i % 2],
                              resolved + dt.timedelta(days=1), dossier.id)
        db.session.commit()
        return {"codes": codes, "open": [codes[i] for i in STILL_OPEN],
                "resolved": codes[RESOLVED_NOT_RETURNED],
                "procedures": [p.code for p in procedures]}
