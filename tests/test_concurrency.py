"""Dossier codes under concurrency (design §4): many intakes at once, each thread with its own
app context, session and connection, against a real SQLite file and PostgreSQL. Some go through
the web form, some through the domain function, and some roll back: the day's codes must still
run 0001..N with no duplicate and no gap."""
import threading

from sqlalchemy import select

from conftest import create_agency, create_user, login
from domain import lifecycle as lc
from models import Dossier, Procedure, db

THREADS = 6
PER_THREAD = 4


def test_parallel_intakes_have_unique_gapless_codes(app):
    with app.app_context():
        agency = create_agency()
        proc = Procedure(code="1.000001", name="Thủ tục", agency=agency, processing_days=2)
        db.session.add(proc)
        create_user("clerk", "staff", [agency])
        db.session.commit()
        proc_id = proc.id
    unit = app.config["RECEIVING_UNIT_CODE"]
    barrier = threading.Barrier(THREADS)
    errors, committed = [], []

    def through_the_form(n):
        client = app.test_client()
        login(client, "clerk")
        barrier.wait()
        for i in range(PER_THREAD):
            response = client.post("/dossier/new/", data={
                "procedure": proc_id, "applicant_name": f"web {n}-{i}",
                "applicant_kind": "citizen", "channel": "direct"})
            if response.status_code != 302:
                errors.append((n, i, response.status_code))
            else:
                committed.append(f"web {n}-{i}")

    def through_the_domain(n):
        with app.app_context():
            barrier.wait()
            for i in range(PER_THREAD):
                try:
                    d = Dossier(procedure_id=proc_id, applicant_name=f"dom {n}-{i}")
                    lc.accept_dossier(db.session, d, None, lc.now_local(), unit)
                    db.session.flush()
                    if i % 2:  # an intake that fails after taking its number
                        db.session.rollback()
                        continue
                    db.session.commit()
                    committed.append(f"dom {n}-{i}")
                except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                    db.session.rollback()
                    errors.append((n, i, repr(exc)))
            db.session.remove()

    threads = [threading.Thread(target=through_the_form if n % 2 else through_the_domain,
                                args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    with app.app_context():
        rows = db.session.execute(select(Dossier.code, Dossier.applicant_name)).all()
    assert sorted(name for _, name in rows) == sorted(committed)
    expected_total = THREADS // 2 * PER_THREAD + THREADS // 2 * (PER_THREAD // 2)
    assert len(rows) == expected_total
    by_day: dict[str, list[int]] = {}
    for code, _ in rows:
        prefix, seq = code.rsplit("-", 1)
        assert prefix.startswith(unit + "-")
        by_day.setdefault(prefix, []).append(int(seq))
    for prefix, seqs in by_day.items():
        # Normally one day; a run across midnight starts a second sequence: each has no gap.
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), prefix
