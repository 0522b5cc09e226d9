"""Dossier codes under concurrency (design §4): many intakes at once, each thread with its own
app context, session and connection, against a real SQLite file and PostgreSQL. Some go through
the web form, some through the domain function, and some roll back: the day's codes must still
run 0001..N with no duplicate and no gap."""

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from domain import clock
from domain import lifecycle as lc
from models import Agency, Dossier, DossierDocument, Procedure, db
from tests.browser_forms import open_form
from tests.factories import create_agency, create_user, login
from tests.support import run_threads, session_worker

# Threads with their own connections must see each other's commits: no rollback fixture.
pytestmark = pytest.mark.commits

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
            response = client.post(
                "/dossier/new/",
                data={
                    "procedure": proc_id,
                    "applicant_name": f"web {n}-{i}",
                    "applicant_kind": "citizen",
                    "channel": "direct",
                },
            )
            if response.status_code != 302:
                errors.append((n, i, response.status_code))
            else:
                committed.append(f"web {n}-{i}")

    def intake(n, i, _):
        d = Dossier(procedure_id=proc_id, applicant_name=f"dom {n}-{i}")
        lc.accept_dossier(db.session, d, None, clock.now(), unit)
        db.session.flush()
        if i % 2:  # an intake that fails after taking its number
            db.session.rollback()
            return
        db.session.commit()
        committed.append(f"dom {n}-{i}")

    through_the_domain = session_worker(app, barrier, PER_THREAD, intake, errors)
    run_threads(through_the_form if n % 2 else through_the_domain for n in range(THREADS))
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


# ---- two people editing the received documents of one dossier (issue 11, item 6) -------------


def _dossier_with_documents(app):

    with app.app_context():
        agency = create_agency()
        proc = Procedure(code="1.000001", name="Thủ tục", agency=agency, processing_days=2)
        dossier = Dossier(
            procedure=proc,
            applicant_name="Nguyễn Văn Ánh",
            documents=[
                DossierDocument(name="Đơn đề nghị", kind="original", copies=1),
                DossierDocument(name="Bản sao CCCD", kind="copy", copies=2),
            ],
        )
        db.session.add(proc)
        db.session.flush()
        lc.accept_dossier(
            db.session, dossier, None, dt.datetime(2019, 3, 4, 9), app.config["RECEIVING_UNIT_CODE"]
        )
        for name in ("clerk1", "clerk2"):
            create_user(name, "staff", [db.session.get(Agency, agency.id)])
        db.session.commit()
        return dossier.id


def _documents(app, dossier_id):

    with app.app_context():
        return [
            (d.name, d.kind, d.copies)
            for d in db.session.scalars(
                select(DossierDocument)
                .where(DossierDocument.dossier_id == dossier_id)
                .order_by(DossierDocument.id)
            )
        ]


def _edit_forms(app, dossier_id):
    """Two clerks open the same dossier's edit form: each gets the form as the browser sends it."""

    url = f"/dossier/edit/?id={dossier_id}"
    result = []
    for name in ("clerk1", "clerk2"):
        client = app.test_client()
        assert login(client, name).status_code == 302
        form = open_form(client, url)
        assert form.get("form_version")
        result.append((client, dict(form.entries)))
    return url, result


CONFLICT = "người khác"  # "Someone else changed this dossier ..." in Vietnamese


def test_second_edit_of_the_documents_is_refused(app):
    dossier_id = _dossier_with_documents(app)
    url, [(first, a), (second, b)] = _edit_forms(app, dossier_id)
    a["documents-0-copies"] = "3"  # the first clerk corrects the copies
    b["documents-1-name"] = "Bản sao hộ chiếu"  # the second one renames the other paper
    assert first.post(url, data=a).status_code == 302
    response = second.post(url, data=b)
    assert response.status_code == 200
    assert CONFLICT in response.get_data(as_text=True).lower()
    assert _documents(app, dossier_id) == [
        ("Đơn đề nghị", "original", 3),
        ("Bản sao CCCD", "copy", 2),
    ]
    # Adding or deleting a paper on a stale form is refused as well.
    b2 = dict(
        b,
        **{
            "documents-1-name": "Bản sao CCCD",
            "documents-2-name": "Ảnh 3x4",
            "documents-2-kind": "original",
            "documents-2-copies": "2",
        },
    )
    assert CONFLICT in second.post(url, data=b2).get_data(as_text=True).lower()
    b3 = dict(b, **{"del-documents-0": "y"})
    assert CONFLICT in second.post(url, data=b3).get_data(as_text=True).lower()
    assert _documents(app, dossier_id) == [
        ("Đơn đề nghị", "original", 3),
        ("Bản sao CCCD", "copy", 2),
    ]


def test_two_simultaneous_document_edits_one_wins(app):
    dossier_id = _dossier_with_documents(app)
    for attempt in range(3):
        url, [(first, a), (second, b)] = _edit_forms(app, dossier_id)
        a["documents-0-copies"] = str(10 + attempt)
        b["documents-1-copies"] = str(20 + attempt)
        barrier = threading.Barrier(2)
        results = {}

        def post(key, client, data, barrier=barrier, results=results, url=url):
            barrier.wait()
            results[key] = client.post(url, data=data)

        threads = [
            threading.Thread(target=post, args=("a", first, a)),
            threading.Thread(target=post, args=("b", second, b)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        codes = sorted(r.status_code for r in results.values())
        assert codes == [200, 302], codes
        loser = next(r for r in results.values() if r.status_code == 200)
        assert CONFLICT in loser.get_data(as_text=True).lower()
        docs = _documents(app, dossier_id)
        winner = "a" if results["a"].status_code == 302 else "b"
        if winner == "a":
            assert docs[0][2] == 10 + attempt and docs[1][2] != 20 + attempt
        else:
            assert docs[1][2] == 20 + attempt and docs[0][2] != 10 + attempt
