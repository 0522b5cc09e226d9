"""`flask seed demo` reproduces the 2019 figures of the source article (design §9), checked twice:
by the report engine (design §6, domain/reports.py) and by direct SQL counts on the tables here, so
that the data itself is verified independently of the report. The demo is loaded once per module
and database backend (it takes seconds, not milliseconds)."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import re
from collections import Counter, defaultdict

import openpyxl
import pytest
from sqlalchemy import Date, and_, case, cast, func, select

from domain.calendar import WorkingCalendar
from domain.reports import build_report
from domain.text import searchable_text
from models import (
    Agency,
    CourierItem,
    CourierRun,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierFile,
    DossierPause,
    EvaluationAnswer,
    EvaluationForm,
    EvaluationIndicator,
    Feedback,
    Payment,
    Procedure,
    ProcedureDocument,
    StaffRating,
    User,
    db,
)
from seed.demo import DemoBuilder
from tests.support import empty_tables, make_app

# pytest-xdist (make test, --dist loadgroup): the demo data is loaded once per module and
# backend, so its tests stay on one worker.
pytestmark = pytest.mark.xdist_group("demo")

FROM, TO = dt.date(2019, 1, 1), dt.date(2019, 12, 31)
START = dt.datetime(2019, 1, 1)
END = dt.datetime(2020, 1, 1)  # exclusive
NAMED = {"SGTVT": 5946, "SKHDT": 3000, "STP": 2210, "BQLKKT": 28, "STC": 46, "SLDTBXH": 76}
LATE_NAMED = {"STP", "SXD", "SKHDT", "STNMT", "SVHTTDL"}


@pytest.fixture(scope="module")
def demo_app(database_url):
    app = make_app(database_url)
    with app.app_context():
        empty_tables()
        result = app.test_cli_runner().invoke(args=["seed", "demo"])
        assert result.exit_code == 0, result.output
        assert "admin / demo1234" in result.output and "canbo / demo1234" in result.output
    yield app
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def session(demo_app):
    with demo_app.app_context():
        yield db.session
        db.session.rollback()


def day_of(column):
    """The local date of a timestamp, the same way on SQLite (text) and PostgreSQL."""
    if db.engine.dialect.name == "sqlite":
        return func.date(column)
    return cast(column, Date)


def as_date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def sql_figures(session) -> dict:
    """The figures of design §6 for 2019, per agency code, straight from the tables."""
    received = and_(
        Dossier.accepted_at >= START, Dossier.accepted_at < END, Dossier.status.notin_((1, 3))
    )
    rows = {}
    for code, channel, n in session.execute(
        select(Agency.code, Dossier.channel, func.count())
        .select_from(Dossier)
        .join(Agency, Agency.id == Dossier.agency_id)
        .where(received)
        .group_by(Agency.code, Dossier.channel)
    ):
        rows.setdefault(code, Counter())[channel] += n
    resolved_day = day_of(Dossier.resolved_at)
    for code, early, on_time, late in session.execute(
        select(
            Agency.code,
            func.sum(case((resolved_day < Dossier.due_date, 1), else_=0)),
            func.sum(case((resolved_day == Dossier.due_date, 1), else_=0)),
            func.sum(case((resolved_day > Dossier.due_date, 1), else_=0)),
        )
        .select_from(Dossier)
        .join(Agency, Agency.id == Dossier.agency_id)
        .where(Dossier.status.in_((9, 10)), Dossier.resolved_at >= START, Dossier.resolved_at < END)
        .group_by(Agency.code)
    ):
        rows.setdefault(code, Counter()).update(early=early, on_time=on_time, late=late)
    for code, n in session.execute(
        select(Agency.code, func.count())
        .select_from(Dossier)
        .join(Agency, Agency.id == Dossier.agency_id)
        .where(Dossier.status.in_((7, 8)), Dossier.closed_at >= START, Dossier.closed_at < END)
        .group_by(Agency.code)
    ):
        rows.setdefault(code, Counter())["on_time"] += n
    closed_by_end = case(
        (Dossier.status.in_((9, 10)), Dossier.resolved_at < END),
        (Dossier.status.in_((7, 8)), Dossier.closed_at < END),
        else_=False,
    )
    for code, in_time, overdue in session.execute(
        select(
            Agency.code,
            func.sum(case((Dossier.due_date >= TO, 1), else_=0)),
            func.sum(case((Dossier.due_date < TO, 1), else_=0)),
        )
        .select_from(Dossier)
        .join(Agency, Agency.id == Dossier.agency_id)
        .where(Dossier.accepted_at < END, Dossier.status.notin_((1, 3)), ~closed_by_end)
        .group_by(Agency.code)
    ):
        rows.setdefault(code, Counter()).update(pending_in_time=in_time, pending_overdue=overdue)
    totals = Counter()
    for counter in rows.values():
        totals.update(counter)
    return {"rows": rows, "totals": totals}


def test_received_resolved_pending_match_the_article(session):
    figures = sql_figures(session)
    t = figures["totals"]
    assert t["direct"] + t["online"] + t["postal"] == 17958
    assert (t["direct"], t["online"], t["postal"]) == (12988, 4428, 542)
    assert (t["early"], t["on_time"], t["late"]) == (7758, 9598, 172)
    assert t["early"] + t["on_time"] + t["late"] == 17528
    assert t["pending_in_time"] + t["pending_overdue"] == 430
    # Nothing was received before the center opened, so nothing is carried over into 2019.
    assert session.scalar(select(func.min(Dossier.accepted_at))) >= dt.datetime(2019, 1, 17)
    for code, row in figures["rows"].items():
        received = row["direct"] + row["online"] + row["postal"]
        assert received == (
            row["early"]
            + row["on_time"]
            + row["late"]
            + row["pending_in_time"]
            + row["pending_overdue"]
        ), code


def test_named_agencies_and_units_without_late_dossiers(session):
    rows = sql_figures(session)["rows"]
    received = {code: r["direct"] + r["online"] + r["postal"] for code, r in rows.items()}
    for code, expected in NAMED.items():
        assert received[code] == expected, code
    units = [code for code, n in received.items() if n]
    assert len(units) == 17
    late_units = {code for code in units if rows[code]["late"]}
    assert len(units) - len(late_units) == 10
    assert LATE_NAMED <= late_units and len(late_units) == 7
    # The three largest and three smallest are the ones the article names.
    ordered = sorted(units, key=lambda c: received[c])
    assert ordered[-3:] == ["STP", "SKHDT", "SGTVT"]
    assert ordered[:3] == ["BQLKKT", "STC", "SLDTBXH"]


def test_post_fees_ratings_forms_courier(session):
    returned_by_post = session.scalar(
        select(func.count())
        .select_from(Dossier)
        .where(
            Dossier.return_channel == "postal",
            Dossier.returned_at >= START,
            Dossier.returned_at < END,
        )
    )
    assert returned_by_post == 1819
    fees = session.scalar(
        select(func.sum(Payment.amount_vnd)).where(
            Payment.cancelled_at.is_(None), Payment.paid_at >= START, Payment.paid_at < END
        )
    )
    assert fees == 3233081572
    assert (
        session.scalar(
            select(func.count()).select_from(Payment).where(Payment.cancelled_at.isnot(None))
        )
        > 0
    )
    ratings = dict(
        session.execute(
            select(StaffRating.level, func.count())
            .where(StaffRating.rated_at >= START, StaffRating.rated_at < END)
            .group_by(StaffRating.level)
        ).all()
    )
    assert ratings == {"very_satisfied": 6461, "satisfied": 373}
    forms = dict(
        session.execute(
            select(EvaluationForm.score, func.count())
            .where(EvaluationForm.max_score == 8)
            .group_by(EvaluationForm.score)
        ).all()
    )
    assert forms == {8: 566, 7: 212, 6: 48, 5: 8, 4: 7}
    # Each form's score is the sum of its four answers on the 2019 citizen indicators.
    sums = dict(
        session.execute(
            select(EvaluationAnswer.form_id, func.sum(EvaluationAnswer.score)).group_by(
                EvaluationAnswer.form_id
            )
        ).all()
    )
    stored = dict(session.execute(select(EvaluationForm.id, EvaluationForm.score)).all())
    assert sums == stored
    courier = dict(
        session.execute(
            select(CourierRun.direction, func.count(CourierItem.id))
            .join(CourierItem, CourierItem.run_id == CourierRun.id)
            .where(CourierRun.run_date >= FROM, CourierRun.run_date <= TO)
            .group_by(CourierRun.direction)
        ).all()
    )
    assert courier == {"to_agency": 11843, "to_center": 12381}
    slots = set(session.scalars(select(CourierRun.slot).distinct()))
    assert slots == {"10:30", "16:00"}
    assert session.scalar(select(func.count()).select_from(Feedback)) > 0
    indicators = Counter(session.scalars(select(EvaluationIndicator.form_set)))
    assert indicators == {"national": 9, "citizen_2019": 4}


def test_catalog_counts(session):
    def count(*where):
        return session.scalar(
            select(func.count())
            .select_from(Procedure)
            .join(Agency, Agency.id == Procedure.agency_id)
            .where(*where)
        )

    def agencies(*where):
        return session.scalar(
            select(func.count(func.distinct(Procedure.agency_id)))
            .select_from(Procedure)
            .where(*where)
        )

    provincial = Agency.kind == "department"
    assert session.scalar(select(func.count()).select_from(Agency).where(provincial)) == 16
    assert count(provincial) > 1200
    assert count(Agency.code == "PCLS") == 19
    assert count(Agency.kind == "vertical") > 0
    assert count(Procedure.saturday_service) == 266
    assert agencies(Procedure.saturday_service) == 8
    assert count(Procedure.four_on_spot) == 129
    assert agencies(Procedure.four_on_spot) == 6
    assert count(Procedure.four_on_spot, Agency.code == "SKHDT") == 60
    codes = session.scalars(select(Procedure.code)).all()
    assert all(re.fullmatch(r"\d\.\d{6}", c) for c in codes)
    # Every procedure has a field of its own agency.
    assert (
        session.scalar(
            select(func.count()).select_from(Procedure).where(Procedure.field_id.is_(None))
        )
        == 0
    )
    # Every procedure carries its checklist, converted from its text as migration 0009 does.
    procedure = session.scalars(select(Procedure).order_by(Procedure.id).limit(1)).one()
    assert [(d.position, d.name, d.kind) for d in procedure.documents] == [
        (1, "Đơn đề nghị theo mẫu", "original"),
        (2, "bản sao giấy tờ chứng minh đủ điều kiện", "copy"),
        (3, "giấy tờ tùy thân của người nộp", "original"),
    ]
    assert session.scalar(select(func.count(func.distinct(ProcedureDocument.procedure_id)))) == len(
        codes
    )


def test_dossiers_follow_the_rules(session, demo_app):
    """Due dates by the calendar of §5 (moved by ended pauses), codes per day without gaps,
    acceptance in office hours (Saturday mornings only for Saturday-service procedures), and a
    history whose last event is the dossier's status."""
    calendar = WorkingCalendar()
    pauses = defaultdict(list)
    for dossier_id, started, ended in session.execute(
        select(DossierPause.dossier_id, DossierPause.started_on, DossierPause.ended_on)
    ):
        pauses[dossier_id].append((as_date(started), as_date(ended) if ended else None))
    last_event = dict(
        session.execute(
            select(DossierEvent.dossier_id, DossierEvent.to_status).order_by(
                DossierEvent.dossier_id, DossierEvent.at, DossierEvent.id
            )
        ).all()
    )
    unit = demo_app.config["RECEIVING_UNIT_CODE"]
    per_day = defaultdict(list)
    rows = session.execute(
        select(
            Dossier.id,
            Dossier.code,
            Dossier.accepted_at,
            Dossier.due_date,
            Dossier.status,
            Procedure.processing_days,
            Procedure.saturday_service,
            Dossier.applicant_name,
            Dossier.id_number,
            Dossier.address,
            Dossier.search_text,
            Dossier.channel,
        ).join(Procedure, Procedure.id == Dossier.procedure_id)
    ).all()
    documents = Counter(session.scalars(select(DossierDocument.dossier_id)))
    for (
        id_,
        code,
        accepted,
        due,
        status,
        days,
        saturday,
        name,
        id_number,
        address,
        search,
        channel,
    ) in rows:
        assert last_event[id_] == status
        assert name and address and "Lạng Sơn" in address
        assert documents[id_] >= (2 if accepted and channel != "online" else 0)
        if id_ % 97 == 0:  # the text SearchableMixin would have computed on flush
            dossier = session.get(Dossier, id_)
            assert search == searchable_text(
                (getattr(dossier, f) for f in Dossier.__search_fields__),
                (getattr(dossier, f) for f in Dossier.__phone_fields__),
            )
        if accepted is None:
            assert status in (1, 3) and code is None
            continue
        expected = calendar.due_date(accepted, days)
        for started, ended in sorted(pauses[id_]):
            if ended is not None and status != 8:
                expected = calendar.due_date_after_pause(expected, started, ended)
        assert as_date(due) == expected, (code, accepted, days)
        assert dt.time(7, 30) <= accepted.time() < dt.time(17, 30)
        if accepted.weekday() == 5 and not calendar.is_working_day(accepted.date()):
            assert saturday and accepted.time() < dt.time(11, 30) and accepted.month >= 6
        else:
            assert calendar.is_working_day(accepted.date())
        prefix, day, seq = code.rsplit("-", 2)
        assert prefix == unit and day == f"{accepted:%y%m%d}"
        per_day[day].append(int(seq))
        if id_number and len(id_number) == 12:
            assert id_number.startswith("020")
    for day, seqs in per_day.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), day
    statuses = Counter(status for _, _, _, _, status, *_ in rows)
    for status in (2, 4, 5, 7, 8, 9, 10, 3, 1):
        assert statuses[status] > 0, status
    assert (
        session.scalar(
            select(func.count())
            .select_from(Dossier)
            .where(Dossier.rescheduled_due_date.isnot(None))
        )
        > 0
    )


def test_demo_logins_work_in_the_browser_pages(demo_app):
    client = demo_app.test_client()
    response = client.post("/login", data={"username": "canbo", "password": "demo1234"})
    assert response.status_code == 302
    page = client.get("/procedure/?search=giay+phep+lai+xe")
    assert page.status_code == 200
    assert "Giấy phép lái xe" in page.get_data(as_text=True)


def test_demo_users(session):
    users = {u.username: u for u in session.scalars(select(User))}
    assert users["admin"].role == "admin" and users["lanhdao"].role == "manager"
    assert users["canbo"].role == "staff"
    assert [a.code for a in users["canbo"].agencies] == ["SGTVT"]
    assert users["canbo"].check_password("demo1234")
    assert sum(u.role == "staff" for u in users.values()) >= 3


def test_report_engine_reproduces_the_article(session):
    """The report of design §6 (issue 5) over the demo data: every figure of §9."""

    report = build_report(session, FROM, TO)
    t = report["totals"]
    assert (t["received_direct"], t["received_online"], t["received_postal"]) == (12988, 4428, 542)
    assert t["received_new"] == 17958 and t["carried_over"] == 0
    assert (t["resolved_early"], t["resolved_on_time"], t["resolved_late"]) == (7758, 9598, 172)
    assert t["resolved_total"] == 17528 and t["pending_total"] == 430
    rows = {row["agency_code"]: row for row in report["rows"]}
    for code, expected in NAMED.items():
        assert rows[code]["received_new"] == expected, code
    units = [row for row in report["rows"] if row["received_total"]]
    assert len(units) == 17
    assert sum(1 for row in units if row["resolved_late"] == 0) == 10
    assert {row["agency_code"] for row in units if row["resolved_late"]} >= LATE_NAMED
    assert report["returned_by_post"] == 1819
    assert report["fees_collected_vnd"] == 3233081572
    assert report["staff_ratings"] == {
        "very_satisfied": 6461,
        "satisfied": 373,
        "unsatisfied": 0,
        "total": 6834,
    }
    assert report["evaluation_forms"]["total"] == 841
    assert {k: v for k, v in report["evaluation_forms"]["by_score"].items() if v} == {
        "8/8": 566,
        "7/8": 212,
        "6/8": 48,
        "5/8": 8,
        "4/8": 7,
    }
    assert report["courier"] == {"to_agencies": 11843, "to_center": 12381}
    # The same figures as the independent SQL counts, row by row.
    figures = sql_figures(session)["rows"]
    for code, row in rows.items():
        mine = figures.get(code, Counter())
        assert row["resolved_early"] == mine["early"], code
        assert row["pending_total"] == mine["pending_in_time"] + mine["pending_overdue"], code


def test_report_workbook_summary_says_10_of_17_units(demo_app):
    """The workbook's "Tổng hợp", as the manager downloads it: 10/17 units all early or on time
    and 7/17 with late ones, as the article and the page say (not 12/19: the police and social
    insurance resolved nothing in 2019)."""

    client = demo_app.test_client()
    assert (
        client.post("/login", data={"username": "lanhdao", "password": "demo1234"}).status_code
        == 302
    )
    response = client.get("/report/xlsx?preset=year&year=2019")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.data))["Tổng hợp"]
    rows = {r[0]: r[1:4] for r in ws.iter_rows(values_only=True) if r and r[0]}
    count, _ratio, note = rows["Đơn vị giải quyết đúng và trước hạn 100%"]
    assert (count, note) == (10, "10/17 đơn vị")
    count, _ratio, note = rows["Đơn vị có hồ sơ trễ hạn"]
    assert count == 7 and note.startswith("7/17 đơn vị: ")


def test_report_cli_json(demo_app):
    result = demo_app.test_cli_runner().invoke(
        args=["report", "--year", "2019", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["period"] == {"from": "2019-01-01", "to": "2019-12-31"}
    assert report["totals"]["received_new"] == 17958
    assert report["totals"]["resolved_total"] == 17528
    assert report["fees_collected_vnd"] == 3233081572


CHECKED = (
    "id",
    "code",
    "procedure_id",
    "agency_id",
    "applicant_name",
    "id_number",
    "phone",
    "address",
    "channel",
    "submitted_at",
    "accepted_at",
    "due_date",
    "resolved_at",
    "returned_at",
    "return_channel",
    "closed_at",
    "status",
    "received_by_id",
    "rescheduled_due_date",
    "search_text",
    "created_at",
)


def checksum(rows) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(
            repr(
                tuple(
                    as_date(v) if isinstance(v, str) and len(v) == 10 and v[4] == "-" else v
                    for v in row
                )
            ).encode()
        )
    return digest.hexdigest()


def test_refuses_a_non_empty_database(demo_app, session):
    before = session.scalar(select(func.count()).select_from(Dossier))
    result = demo_app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code != 0
    assert "--reset" in result.output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Dossier)) == before


def test_same_data_on_every_run(demo_app, session):
    """A second run of the generator gives exactly the dossiers that the first one stored."""

    stored = session.execute(
        select(*(Dossier.__table__.c[k] for k in CHECKED)).order_by(Dossier.id)
    ).all()
    builder = DemoBuilder(demo_app.config["RECEIVING_UNIT_CODE"])
    builder.build()
    again = [tuple(row[k] for k in CHECKED) for row in builder.rows["dossier"]]
    assert len(again) == len(stored) > 17958
    assert checksum(again) == checksum(stored)
    events = session.execute(
        select(DossierEvent.dossier_id, DossierEvent.to_status, DossierEvent.at).order_by(
            DossierEvent.id
        )
    ).all()
    assert checksum(events) == checksum(
        (e["dossier_id"], e["to_status"], e["at"]) for e in builder.rows["dossier_event"]
    )


def test_scale_adds_dossiers_outside_2019(demo_app, session, tmp_path):
    before = sql_figures(session)["totals"]
    count = session.scalar(select(func.count()).select_from(Dossier))
    session.rollback()
    demo_app.config["FILES_DIR"] = str(tmp_path / "files")
    result = demo_app.test_cli_runner().invoke(args=["seed", "scale", "--dossiers", "3000"])
    assert result.exit_code == 0, result.output
    assert "rows/s" in result.output
    assert session.scalar(select(func.count()).select_from(Dossier)) == count + 3000
    assert sql_figures(session)["totals"] == before
    new = select(Dossier.id).where(Dossier.id > count)
    assert session.scalar(select(func.min(Dossier.accepted_at)).where(Dossier.id > count)) >= END
    assert (
        session.scalar(
            select(func.count()).select_from(DossierEvent).where(DossierEvent.dossier_id.in_(new))
        )
        >= 3000 * 2
    )
    assert (
        session.scalar(select(func.count()).select_from(Payment).where(Payment.dossier_id.in_(new)))
        > 0
    )
    assert (
        session.scalar(
            select(func.count()).select_from(StaffRating).where(StaffRating.dossier_id.in_(new))
        )
        > 0
    )
    # Codes stay unique and the app can go on inserting after explicit ids (PostgreSQL sequences).
    assert session.scalar(select(func.count(func.distinct(Dossier.code)))) == session.scalar(
        select(func.count(Dossier.code))
    )
    agency = Agency(code="NEW", name="Cơ quan mới", kind="other")
    session.add(agency)
    session.flush()
    assert agency.id > 19


def test_demo_2019_digitisation_is_zero(session):
    """Issue 14 point 4: none of the 2019 papers were scanned and no result was electronic, so
    the digitisation figures of 2019 are honestly 0 % (of 17,958 received and of the resolved)."""

    assert (
        session.scalar(
            select(func.count())
            .select_from(DossierFile)
            .join(Dossier)
            .where(Dossier.accepted_at < END)
        )
        == 0
    )
    dg = build_report(session, FROM, TO)["digitisation"]
    assert (dg["received"], dg["received_scanned"], dg["received_scanned_share"]) == (17958, 0, 0.0)
    assert dg["resolved"] > 17000
    assert (dg["resolved_with_result"], dg["resolved_with_result_share"]) == (0, 0.0)
    assert sum(r["received"] for r in dg["rows"]) == 17958


def test_demo_dossiers_print_the_2018_forms(demo_app, session):
    """Issue 13 point 1: the 2019 history prints the forms of Thông tư 01/2018 as before — the
    same kinds under the same numbers and titles, its codes and dates — never the 2025 set."""

    def first(*where):
        return session.scalar(select(Dossier.id).where(*where).order_by(Dossier.id).limit(1))

    cases = {
        "01": first(Dossier.status == 10),
        "02": session.scalar(
            select(DossierPause.dossier_id).where(DossierPause.kind == "supplement").limit(1)
        ),
        "03": first(Dossier.status.in_((3, 8))),
        "04": first(Dossier.rescheduled_due_date.is_not(None)),
        "05": first(Dossier.status == 10),
    }
    titles = {
        "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
        "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
        "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
        "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        "05": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    }
    client = demo_app.test_client()
    assert client.post("/login", data={"username": "admin", "password": "demo1234"}).status_code
    for kind, dossier_id in cases.items():
        assert dossier_id is not None, kind
        d = session.get(Dossier, dossier_id)
        response = client.get(f"/dossier/print/{kind}/?id={dossier_id}")
        assert response.status_code == 200, kind
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.data.decode())).split())
        assert f"Mẫu số {kind}" in text and titles[kind] in text, kind
        assert "Thông tư số 01/2018/TT-VPCP" in text and "03/2025" not in text, kind
        if d.code:
            assert d.code in text, kind
        page = client.get(f"/dossier/details/?id={dossier_id}").data.decode()
        assert f'id="print-{kind}"' in page and 'id="print-stop"' not in page
        assert f"(Mẫu {kind})" in page
    register = client.get("/dossier/register/?from=02/01/2019&to=31/01/2019")

    sheet = openpyxl.load_workbook(io.BytesIO(register.data)).active
    assert sheet["A1"].value.startswith("SỔ THEO DÕI HỒ SƠ (Mẫu số 06, Thông tư số 01/2018")
