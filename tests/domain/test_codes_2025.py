"""Dossier codes under the 2025 texts (issue 13 point 2; docs/legal.md "Mã số hồ sơ"): from
01/07/2025 the prefix is the resolving agency's electronic ID code, the sequence runs per (eid
code, day) with at least 4 digits and grows to 5 after 9999; an agency without an eid code falls
back to RECEIVING_UNIT_CODE; dossiers accepted before keep the receiving-unit code, and a code once
given never changes."""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict

import pytest
from sqlalchemy import select

from domain import lifecycle as lc
from models import Agency, Dossier, DossierCounter, Procedure, db
from tests.factories import create_agency, create_user, login
from tests.support import run_threads, session_worker

DAY = dt.datetime(2026, 3, 9, 9, 30)  # a Monday under the 2025 texts


def _world(app):
    with app.app_context():
        gt = create_agency(eid_code="000.00.18.H37")
        tp = create_agency(code="STP", name="Sở Tư pháp", eid_code="000.00.13.H37")
        dl = create_agency(code="DL", name="Công ty Điện lực")  # no eid code
        procs = {}
        for key, agency, code in (
            ("gt", gt, "1.000001"),
            ("tp", tp, "1.000002"),
            ("dl", dl, "1.000003"),
        ):
            procs[key] = Procedure(
                code=code, name=f"Thủ tục {key}", agency=agency, processing_days=3
            )
            db.session.add(procs[key])
        create_user("clerk", "staff", [gt, tp, dl])
        db.session.commit()
        return {k: p.id for k, p in procs.items()}


def _accept(app, proc_id, at, name="Nguyễn Văn A"):
    with app.app_context():
        dossier = Dossier(procedure_id=proc_id, applicant_name=name)
        lc.accept_dossier(db.session, dossier, None, at, app.config["RECEIVING_UNIT_CODE"])
        db.session.commit()
        return dossier.code


def test_each_agency_numbers_its_own_dossiers_per_day(app):
    procs = _world(app)
    unit = app.config["RECEIVING_UNIT_CODE"]
    codes = [_accept(app, procs[k], DAY) for k in ("gt", "tp", "gt", "dl", "tp", "dl")]
    assert codes == [
        "000.00.18.H37-260309-0001",
        "000.00.13.H37-260309-0001",
        "000.00.18.H37-260309-0002",
        f"{unit}-260309-0001",
        "000.00.13.H37-260309-0002",
        f"{unit}-260309-0002",
    ]
    # The next day starts again at 0001 for every agency.
    assert _accept(app, procs["tp"], DAY + dt.timedelta(days=1)) == "000.00.13.H37-260310-0001"


def test_the_sequence_grows_to_five_digits_after_9999(app):
    procs = _world(app)
    with app.app_context():
        # 9,998 dossiers of the day are already numbered (the counter row says so).
        db.session.add(DossierCounter(unit_code="000.00.18.H37", day=DAY.date(), last_seq=9998))
        db.session.commit()
    assert _accept(app, procs["gt"], DAY) == "000.00.18.H37-260309-9999"
    assert _accept(app, procs["gt"], DAY) == "000.00.18.H37-260309-10000"
    assert _accept(app, procs["gt"], DAY) == "000.00.18.H37-260309-10001"
    with app.app_context():
        assert (
            db.session.scalar(
                select(DossierCounter.last_seq).where(DossierCounter.unit_code == "000.00.18.H37")
            )
            == 10001
        )


def test_before_july_2025_the_receiving_unit_code_stays(app):
    procs = _world(app)
    unit = app.config["RECEIVING_UNIT_CODE"]
    assert _accept(app, procs["gt"], dt.datetime(2019, 1, 17, 8)) == f"{unit}-190117-0001"
    assert _accept(app, procs["gt"], dt.datetime(2025, 6, 30, 16)) == f"{unit}-250630-0001"
    assert _accept(app, procs["gt"], dt.datetime(2025, 7, 1, 8)) == "000.00.18.H37-250701-0001"


def test_codes_never_change(app):
    procs = _world(app)
    unit = app.config["RECEIVING_UNIT_CODE"]
    old = _accept(app, procs["dl"], DAY)
    older = _accept(app, procs["gt"], dt.datetime(2019, 3, 4, 9))
    with app.app_context():
        # The agency gets an eid code later, and the one of SGTVT changes: nothing is renumbered.
        db.session.scalar(select(Agency).where(Agency.code == "DL")).eid_code = "000.00.99.H37"
        db.session.scalar(select(Agency).where(Agency.code == "SGTVT")).eid_code = "000.00.21.H37"
        db.session.commit()
        assert sorted(db.session.scalars(select(Dossier.code))) == sorted([old, older])
    assert old == f"{unit}-260309-0001" and older == f"{unit}-190304-0001"
    assert _accept(app, procs["dl"], DAY) == "000.00.99.H37-260309-0001"


def test_the_intake_form_gives_the_agency_code(app, client):
    procs = _world(app)
    assert login(client, "clerk").status_code == 302
    response = client.post(
        "/dossier/new/",
        data={
            "procedure": procs["tp"],
            "applicant_name": "Trần Thị B",
            "applicant_kind": "citizen",
            "channel": "direct",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        dossier = db.session.scalar(select(Dossier).where(Dossier.applicant_name == "Trần Thị B"))
        today = dossier.accepted_at.date()
        assert dossier.code == f"000.00.13.H37-{today:%y%m%d}-0001"


@pytest.mark.commits  # threads with their own connections
def test_parallel_intakes_for_two_agencies_keep_each_sequence_gapless(app):
    """Threads with their own sessions accept dossiers of two agencies and one without an eid code
    on one day, some rolling back after taking a number: each prefix runs 0001..N."""

    procs = _world(app)
    threads, per_thread = 6, 6
    barrier = threading.Barrier(threads)
    errors = []

    def intake(n, i, _):
        proc = procs[("gt", "tp", "dl")[(n + i) % 3]]
        dossier = Dossier(procedure_id=proc, applicant_name=f"{n}-{i}")
        lc.accept_dossier(db.session, dossier, None, DAY, app.config["RECEIVING_UNIT_CODE"])
        db.session.flush()
        if (n + i) % 4 == 0:
            db.session.rollback()
            return
        db.session.commit()

    run_threads([session_worker(app, barrier, per_thread, intake, errors)] * threads)
    assert not errors
    with app.app_context():
        codes = list(db.session.scalars(select(Dossier.code)))
    assert (
        len(codes)
        == len(set(codes))
        == sum(1 for n in range(threads) for i in range(per_thread) if (n + i) % 4)
    )
    by_prefix = defaultdict(list)
    for code in codes:
        prefix, seq = code.rsplit("-", 1)
        by_prefix[prefix].append(int(seq))
    unit = app.config["RECEIVING_UNIT_CODE"]
    assert set(by_prefix) == {"000.00.18.H37-260309", "000.00.13.H37-260309", f"{unit}-260309"}
    for prefix, seqs in by_prefix.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), prefix
