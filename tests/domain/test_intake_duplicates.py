"""The rule of domain/intake_duplicates.py: which earlier dossier is "the same applicant, the
same procedure, a moment ago", and the statement that finds it reads through indexes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from domain import intake_duplicates as dup
from domain import lifecycle as lc
from models import Agency, Dossier, Procedure, db

NOW = dt.datetime(2026, 11, 30, 10, 0)
UNIT = "000.00.20.H37"
A = dup.Applicant


@pytest.mark.parametrize(
    "new, earlier, same",
    [
        (A(None, "Hoàng Văn Bảo", "0912 000 999"), A(None, "hoang van  bao", "+84912000999"), True),
        (A(None, "Hoàng Văn Bảo", None), A(None, "Hoàng Văn Bảo", ""), True),  # both no phone
        (A(None, "Hoàng Văn Bảo", "0912000999"), A(None, "Hoàng Văn Bảo", None), False),
        (A(None, "Hoàng Văn Bảo", "0912000999"), A(None, "Hoàng Văn Bình", "0912000999"), False),
        (A("020190004321", "Hoàng Văn Bảo", None), A("020190004321", "H. V. Bảo", "0912"), True),
        (
            A("020190004321", "Hoàng Văn Bảo", "0912"),
            A("020190009999", "Hoàng Văn Bảo", "0912"),
            False,
        ),
        # Only one of them has an ID number: the name and phone decide.
        (
            A("020190004321", "Hoàng Văn Bảo", "0912000999"),
            A(None, "Hoàng Văn Bảo", "0912000999"),
            True,
        ),
        (A(None, "", None), A(None, "", None), False),  # no name: nothing to compare
    ],
)
def test_same_applicant(new, earlier, same):
    assert dup.same_applicant(new, earlier) is same
    assert dup.same_applicant(earlier, new) is same


@pytest.fixture
def desk(app):
    with app.app_context():
        agency = Agency(code="STNMT", name="Sở Tài nguyên và Môi trường")
        land, other = (
            Procedure(code=code, name=name, agency=agency, processing_days=5)
            for code, name in (("1.004227", "Cấp GCN lần đầu"), ("1.004199", "Đăng ký biến động"))
        )
        db.session.add_all([land, other])
        db.session.flush()
        yield {"land": land, "other": other}


def _accept(procedure, at, name="Hoàng Văn Bảo", phone="0912000999", id_number=None):
    dossier = Dossier(procedure=procedure, applicant_name=name, phone=phone, id_number=id_number)
    lc.accept_dossier(db.session, dossier, None, at, UNIT)
    db.session.flush()
    return dossier


def test_the_window_and_the_procedure_bound_what_is_found(app, desk):
    bao = A(None, "Hoàng Văn Bảo", "0912000999")
    recent = _accept(desk["land"], NOW - dt.timedelta(minutes=10))
    edge = _accept(desk["land"], NOW - dup.RECENT_WINDOW)
    _accept(desk["land"], NOW - dup.RECENT_WINDOW - dt.timedelta(seconds=1))  # too long ago
    _accept(desk["land"], NOW + dt.timedelta(minutes=1))  # (a later instant than "now")
    _accept(desk["other"], NOW - dt.timedelta(minutes=5))  # another procedure
    _accept(desk["land"], NOW - dt.timedelta(minutes=5), name="Hoàng Văn Bình")  # another person
    found = dup.recent_duplicates(db.session, desk["land"].id, bao, NOW)
    assert [d.code for d in found] == [recent.code, edge.code]  # newest first
    assert found[0].accepted_at == NOW - dt.timedelta(minutes=10)
    assert dup.RECENT_WINDOW == dt.timedelta(minutes=30)


def test_only_the_newest_dossiers_of_the_window_are_compared(app, desk, monkeypatch):
    """However many dossiers a procedure receives in the window (hundreds online), an intake
    compares a bounded number: the newest, where a form sent again finds its first sending."""
    monkeypatch.setattr(dup, "CANDIDATES", 3)
    bao = A("001090000001", "Hoàng Văn Bảo", "0912000999")
    first = _accept(desk["land"], NOW - dt.timedelta(minutes=20), id_number="001090000001")
    for minutes in (15, 10):
        _accept(desk["land"], NOW - dt.timedelta(minutes=minutes), name=f"Khách {minutes}")
    found = dup.recent_duplicates(db.session, desk["land"].id, bao, NOW)
    assert [d.code for d in found] == [first.code]  # the third newest: still compared
    _accept(desk["land"], NOW - dt.timedelta(minutes=5), name="Khách 5")
    assert dup.recent_duplicates(db.session, desk["land"].id, bao, NOW) == []  # now the fourth
    rows = db.session.execute(dup.candidates_query(desk["land"].id, NOW)).all()
    assert len(rows) == 3


def test_the_statement_reads_through_indexes(app, desk):
    compiled = dup.candidates_query(desk["land"].id, NOW).compile(
        db.engine, compile_kwargs={"literal_binds": True}
    )
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: it would scan
        plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
        assert "Seq Scan" not in plan, plan
        assert "ix_dossier_accepted_at" in plan or "ix_dossier_procedure_accepted" in plan, plan
    else:
        # Bounded by the time too: a procedure may hold a tenth of the dossiers, and SQLite
        # took the index on procedure_id alone and sorted them all (80 ms at 1M, per intake).
        plan = [row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
        assert any(
            "USING INDEX ix_dossier_procedure_accepted (procedure_id=? AND accepted_at>? AND "
            "accepted_at<?)" in row
            for row in plan
        ), plan
        assert not any("TEMP B-TREE" in row for row in plan), plan
