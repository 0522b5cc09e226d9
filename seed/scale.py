"""`flask seed scale --dossiers N`: N more synthetic dossiers for benchmarks, with their events,
payments and staff ratings in about the demo's proportions, and (given FILES_DIR) the papers of a
sample scanned at the counter and electronic results, so that the digitisation figures of the
report (domain/digitisation.py) are plausible from 2020 on.

They are accepted from 2020 on (after the latest dossier already there), so the 2019 figures of
the demo never move. Rows go in by bulk inserts (COPY on PostgreSQL) in batches, one commit per
batch, written by a thread while the next batch is made; explicit ids continue from the largest
ones, and PostgreSQL sequences are moved past them. The load is a bulk load (seed/common.py
bulk_load): indexes, foreign keys and search triggers are dropped for it and made again after.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import math
import random
import time

from sqlalchemy import func, select, text

from domain import files
from domain.codes import MIN_DIGITS, format_code
from models import (
    Dossier,
    DossierCounter,
    DossierDocument,
    DossierEvent,
    DossierFile,
    FeeItem,
    Payment,
    Procedure,
    StaffRating,
    user_agency,
)
from seed.common import (
    UTC_OFFSET,
    DueDates,
    Moments,
    Writer,
    bulk_insert,
    bulk_load,
    bulk_rows,
    fast_randint,
    next_id,
    search_text,
    sync_sequences,
)
from seed.people import FAMILY, GIVEN_F, GIVEN_M, MIDDLE_F, MIDDLE_M, People

FIRST_DAY = dt.date(2020, 1, 1)
PER_YEAR = 250_000  # dossiers a year: a busy provincial center a few years on
CENTER = "Bộ phận Một cửa – Trung tâm PVHCC tỉnh"
# Digitisation of the synthetic dossiers: the papers of SCANNED of them are listed and scanned
# at the counter (one of them, for LATE_SCAN of these, only the next day); RESULT of the
# dossiers get an electronic result. A few tiny PDFs serve for all, stored once by their hash.
SCANNED, LATE_SCAN, RESULT = 0.6, 0.1, 0.55
DOCUMENT_NAMES = ("Đơn đề nghị", "Giấy tờ tùy thân", "Giấy tờ kèm theo")


TABLES = (  # in the order a batch is written (foreign keys)
    (Dossier.__table__, "dossier"),
    (DossierCounter.__table__, "counter"),
    (DossierEvent.__table__, "event"),
    (Payment.__table__, "payment"),
    (StaffRating.__table__, "rating"),
    (DossierDocument.__table__, "document"),
    (DossierFile.__table__, "file"),
)
# The history of every synthetic dossier: (from, to, time, by the receiving clerk, from_unit,
# to_unit); the time is a dossier column, or accepted_at plus minutes.
HISTORY = (
    (None, 2, "accepted_at", 0, True, None, None),
    (2, 4, "accepted_at", 45, False, CENTER, None),
    (4, 9, "resolved_at", 0, False, None, CENTER),
    (9, 10, "returned_at", 0, True, None, None),
)
EVENTS = len(HISTORY)
DAY = 86400  # seconds
RETURN_TIME = 16 * 3600 + 10 * 60  # results handed back from 16:10
# The columns of the rows the seed makes, as tuples in this order (seed/common.py bulk_rows);
# with CONSTANTS every column of the table (tests/seed/test_scale.py), defaults written out.
COLUMNS = {
    "dossier": (
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
        "received_by_id",
        "created_at",
        "updated_at",
        "search_text",
    ),
    "payment": (
        "id",
        "dossier_id",
        "fee_item_id",
        "amount_vnd",
        "method",
        "paid_at",
        "receipt_no",
        "collected_by_id",
        "created_at",
        "updated_at",
    ),
    "rating": ("id", "staff_id", "dossier_id", "level", "rated_at", "created_at", "updated_at"),
    "document": ("id", "dossier_id", "name", "kind", "created_at", "updated_at"),
    "file": (
        "id",
        "dossier_id",
        "document_id",
        "stored_file_id",
        "kind",
        "original_name",
        "uploaded_at",
        "uploaded_by_id",
        "created_at",
        "updated_at",
    ),
}
# The columns of the same value in every row: given once, not in each row (on SQLite they are
# literals of the INSERT, a third fewer values to bind for a dossier).
CONSTANTS = {
    "dossier": {
        "applicant_kind": "citizen",
        "email": None,
        "due_at": None,
        "due_in_hours": False,
        "rescheduled_due_date": None,
        "closed_at": None,
        "status": 10,
        "note": None,
        "postal_tracking_no": None,
        "set_count": 1,
        "version": 4,
    },
    "payment": {"cancelled_at": None, "cancel_reason": None},
    "rating": {"channel": "kiosk", "cancelled_at": None, "cancel_reason": None},
    "document": {"copies": 1},
    "file": {"withdrawn_at": None, "withdrawn_by_id": None, "withdrawn_reason": None},
}


class CatalogMissing(Exception):
    pass


def sample_pdfs(session, files_dir) -> tuple[list[int], list[int]]:
    """(scans, results): ids of a few tiny distinct PDFs made with pypdf, stored through
    domain/files.py (on disk once by their SHA-256, one StoredFile row each, reused)."""
    from pypdf import PdfWriter

    ids = {"scan": [], "result": []}
    for kind, pages, width, height in (
        ("scan", 1, 595, 842),
        ("scan", 2, 595, 842),
        ("scan", 1, 842, 595),
        ("result", 1, 595, 842),
        ("result", 3, 595, 842),
    ):
        writer = PdfWriter()
        for _ in range(pages):
            writer.add_blank_page(width=width, height=height)
        writer.add_metadata({"/Title": f"motcua {kind} {pages}x{width}x{height}"})
        out = io.BytesIO()
        writer.write(out)
        checked = files.check_content(out.getvalue(), f"{kind}.pdf")
        stored = files.keep_stored(
            session, files_dir, checked, files.find_stored(session, checked.sha256)
        )
        session.flush()  # the new row's id (nothing to do for a row found)
        ids[kind].append(stored.id)
    return ids["scan"], ids["result"]


def generate(
    session,
    count: int,
    unit_code: str,
    batch: int = 20000,
    progress=None,
    seed: int = 2020,
    files_dir=None,
) -> dict:
    """Insert `count` dossiers with their history; returns counts and timing. With `files_dir`,
    a sample also gets received documents, their scans and electronic results."""
    started = time.perf_counter()
    rng = random.Random(seed + count)
    # Its own generator: the dossiers are the same with or without files.
    file_rng = random.Random(seed * 31 + count)
    scans, results = sample_pdfs(session, files_dir) if files_dir is not None else ([], [])
    session.info["skip_audit"] = True
    procs = session.execute(
        select(
            Procedure.id,
            Procedure.agency_id,
            Procedure.processing_days,
            Procedure.online_level,
            Procedure.postal_in,
            Procedure.postal_out,
        ).where(Procedure.active, Procedure.processing_days.is_not(None))  # limits in days only
    ).all()
    if not procs:
        raise CatalogMissing("no procedures: load the catalog first (flask seed demo)")
    used = dict(
        session.execute(
            select(Dossier.procedure_id, func.count()).group_by(Dossier.procedure_id)
        ).all()
    )
    cum, total = [], 0.0
    for p in procs:
        total += used.get(p.id, 0) + 0.2  # every procedure gets a few
        cum.append(total)
    fees: dict[int, list[tuple[int, int]]] = {}
    for fee_id, proc_id, amount in session.execute(
        select(FeeItem.id, FeeItem.procedure_id, FeeItem.amount_vnd).order_by(FeeItem.id)
    ):
        fees.setdefault(proc_id, []).append((fee_id, amount))
    staff: dict[int, list[int]] = {}
    for user_id, agency_id in session.execute(
        select(user_agency.c.user_id, user_agency.c.agency_id).order_by(user_agency.c.user_id)
    ):
        staff.setdefault(agency_id, []).append(user_id)

    latest = session.scalar(select(func.max(Dossier.accepted_at)))
    first = max(FIRST_DAY, latest.date() + dt.timedelta(days=1)) if latest else FIRST_DAY
    years = max(1, math.ceil(count / PER_YEAR))
    cal = DueDates()
    days = cal.working_days(
        first, dt.date(first.year + years, first.month, first.day) - dt.timedelta(days=1)
    )
    tail = cal.working_days(days[-1] + dt.timedelta(days=1), days[-1] + dt.timedelta(days=90))
    work_days = days + tail
    work_index = {d: i for i, d in enumerate(work_days)}
    per_day = allocate_days(count, len(days))
    counters = dict(
        session.execute(
            select(DossierCounter.day, DossierCounter.last_seq).where(
                DossierCounter.unit_code == unit_code, DossierCounter.day >= first
            )
        ).all()
    )

    ids = {
        "dossier": next_id(session, Dossier.__table__),
        "event": next_id(session, DossierEvent.__table__),
        "payment": next_id(session, Payment.__table__),
        "rating": next_id(session, StaffRating.__table__),
        "document": next_id(session, DossierDocument.__table__),
        "file": next_id(session, DossierFile.__table__),
    }
    people = People(rng)
    names_m = [f"{f} {m} {g}" for f in FAMILY[:20] for m in MIDDLE_M for g in GIVEN_M]
    names_f = [f"{f} {m} {g}" for f in FAMILY[:20] for m in MIDDLE_F for g in GIVEN_F]
    # Each name with its search text (SearchableMixin's, seed/common.py), made once.
    named_m = [(name, search_text(name)) for name in names_m]
    named_f = [(name, search_text(name)) for name in names_f]
    addresses = [people.address() for _ in range(500)]
    # Times are whole seconds from the first day's midnight, written as the database stores
    # them (Moments); a working day's midnight by its index in work_days.
    moments = Moments(first - dt.timedelta(days=1), work_days[-1] + dt.timedelta(days=1))
    at = moments.text
    work_start = [moments.seconds(d) for d in work_days]
    UTC = int(UTC_OFFSET.total_seconds())
    buf = {key: [] for _, key in TABLES}
    totals = {key: 0 for key in buf}
    buf["dossier_ids"] = None  # (first, last) of the batch: its events are written by SQL
    random_ = rng.random
    randint = fast_randint(rng)
    file_random = file_rng.random
    file_randint = fast_randint(file_rng)
    tables = [t for t, _ in TABLES]
    n_m, n_f = len(names_m) - 1, len(names_f) - 1
    documents = [(name, "original" if k == 0 else "copy") for k, name in enumerate(DOCUMENT_NAMES)]
    # (working-day index, processing days) -> (index of the due day, the due day as stored)
    due_of: dict[tuple[int, int], tuple[int, str]] = {}

    def write(batch, events):
        """One batch into the database, in the writer's thread (seed/common.py Writer)."""
        for table, key in TABLES:
            if key == "event":
                if events:
                    insert_events(session, *events)
                continue
            rows = batch[key]
            if key == "counter":
                new = [r for r in rows if r["day"] not in counters]
                bulk_insert(session, table, new)
                for r in rows:
                    if r["day"] in counters:
                        session.execute(
                            table.update()
                            .where(table.c.unit_code == unit_code, table.c.day == r["day"])
                            .values(last_seq=r["last_seq"])
                        )
            else:
                bulk_rows(session, table, COLUMNS[key], rows, CONSTANTS[key])
        index_search()  # the batch's dossiers (SQLite's FTS table)
        sync_sequences(session, tables)
        session.commit()

    def flush():
        """The rows made since the last flush handed to the writer; ids and totals move here."""
        events = None
        if buf["dossier_ids"]:
            first_id, last_id = buf["dossier_ids"]
            events = (first_id, last_id, ids["event"])
            ids["event"] += EVENTS * (last_id - first_id + 1)
            totals["event"] += EVENTS * (last_id - first_id + 1)
            buf["dossier_ids"] = None
        batch = {}
        for _, key in TABLES:
            if key != "event":
                batch[key] = buf[key]
                totals[key] += len(buf[key])
                buf[key] = []
        writer.submit(write, batch, events)

    def attach_files(dossier_id, accepted, resolved, user_id):
        """The sample's documents with their scans, and electronic results (rows as tuples in
        COLUMNS' order; `accepted` and `resolved` in seconds)."""
        if file_random() < SCANNED:
            n_docs = file_randint(1, len(DOCUMENT_NAMES))
            late = file_random() < LATE_SCAN
            created = at(accepted - UTC)
            name = f"scan-{dossier_id}.pdf"
            for k in range(n_docs):
                document_id = ids["document"]
                ids["document"] = document_id + 1
                buf["document"].append((document_id, dossier_id, *documents[k], created, created))
                scanned = (
                    accepted + DAY
                    if late and k == n_docs - 1
                    else accepted + 60 * file_randint(1, 15)
                )
                file_id = ids["file"]
                ids["file"] = file_id + 1
                scanned_at, scanned_utc = at(scanned), at(scanned - UTC)
                buf["file"].append(
                    (
                        file_id,
                        dossier_id,
                        document_id,
                        scans[k % len(scans)],
                        "scan",
                        name,
                        scanned_at,
                        user_id,
                        scanned_utc,
                        scanned_utc,
                    )
                )
        if file_random() < RESULT:
            file_id = ids["file"]
            ids["file"] = file_id + 1
            done_at = resolved + 600
            done_utc = at(done_at - UTC)
            buf["file"].append(
                (
                    file_id,
                    dossier_id,
                    None,
                    results[dossier_id % len(results)],
                    "result",
                    f"result-{dossier_id}.pdf",
                    at(done_at),
                    user_id,
                    done_utc,
                    done_utc,
                )
            )

    # A load larger than what is there: indexes built once at the end (seed/common.py).
    existing = ids["dossier"] - 1
    load = bulk_load(session, tables, rebuild_indexes=count >= existing)
    dossiers, payments, ratings = buf["dossier"], buf["payment"], buf["rating"]
    with load as index_search, Writer() as writer:
        for day, n_day in zip(days, per_day):
            seq = counters.get(day, 0)
            si = work_index[day]
            midnight = work_start[si]
            prefix = format_code(unit_code, day, 1)[:-MIN_DIGITS]  # the code but its sequence
            prefix_search = search_text(prefix)
            receipt = f"BL{day:%y}-S"
            for _ in range(n_day):
                proc = procs[bisect.bisect_right(cum, random_() * total)]
                pid, agency_id, n_days = proc.id, proc.agency_id, proc.processing_days
                roll = random_()
                if proc.online_level != "none" and roll < 0.4:
                    channel = "online"
                elif proc.postal_in and roll > 0.97:
                    channel = "postal"
                else:
                    channel = "direct"
                minute = randint(450, 685) if random_() < 0.6 else randint(810, 1010)
                accepted = midnight + 60 * minute + randint(0, 59)
                due = due_of.get((si, n_days))
                if due is None:
                    due_day = cal.due(day, n_days)
                    due = due_of[si, n_days] = (work_index[due_day], due_day.isoformat())
                di = due[0]
                outcome = random_()
                if outcome < 0.45 and di > si:
                    res_i = randint(si, di - 1)
                elif outcome < 0.985:
                    res_i = di
                else:
                    res_i = di + randint(1, 5)
                resolved = work_start[res_i] + 60 * randint(480, 950)
                if resolved <= accepted:
                    resolved = accepted + 1800
                returned = max(work_start[res_i + randint(0, 3)] + RETURN_TIME, resolved + 1200)
                back = random_()
                ret_channel = (
                    "postal"
                    if proc.postal_out and back < 0.1
                    else "online"
                    if channel == "online" and back > 0.8
                    else "counter"
                )
                seq += 1
                number = f"{seq:0{MIN_DIGITS}d}"
                female = random_() < 0.48
                name, name_search = named_f[randint(0, n_f)] if female else named_m[randint(0, n_m)]
                id_number = f"020{int(female)}{randint(60, 99)}{randint(0, 999999):06d}"
                phone = f"09{randint(10000000, 99999999)}"
                dossier_id = ids["dossier"]
                ids["dossier"] = dossier_id + 1
                batch_ids = buf["dossier_ids"]
                buf["dossier_ids"] = (batch_ids[0] if batch_ids else dossier_id, dossier_id)
                agency_staff = staff.get(agency_id) or [None]
                user_id = agency_staff[dossier_id % len(agency_staff)]
                submitted = accepted - 60 * randint(5, 600 if channel == "online" else 20)
                dossiers.append(
                    (
                        dossier_id,
                        prefix + number,
                        pid,
                        agency_id,
                        name,
                        id_number,
                        phone,
                        addresses[dossier_id % 500],
                        channel,
                        at(submitted),
                        at(accepted),
                        due[1],
                        at(resolved),
                        at(returned),
                        ret_channel,
                        user_id,
                        at(submitted - UTC),
                        at(returned - UTC),
                        f"{prefix_search}{number} {name_search} {id_number} {phone}",
                    )
                )
                fee_items = fees.get(pid)
                if fee_items:
                    paid = accepted + 600
                    paid_at, paid_utc = at(paid), at(paid - UTC)
                    method = "online" if channel == "online" else "bank_transfer"
                    for fee_id, amount in fee_items:
                        if random_() < 0.12:
                            continue  # exempt
                        payment_id = ids["payment"]
                        ids["payment"] = payment_id + 1
                        payments.append(
                            (
                                payment_id,
                                dossier_id,
                                fee_id,
                                amount or randint(5, 500) * 10000,
                                method,
                                paid_at,
                                f"{receipt}{payment_id:08d}",
                                user_id,
                                paid_utc,
                                paid_utc,
                            )
                        )
                if channel == "direct" and user_id is not None and random_() < 0.38:
                    level = random_()
                    rated = accepted + 300
                    rated_utc = at(rated - UTC)
                    rating_id = ids["rating"]
                    ids["rating"] = rating_id + 1
                    ratings.append(
                        (
                            rating_id,
                            user_id,
                            dossier_id,
                            (
                                "very_satisfied"
                                if level < 0.945
                                else "satisfied"
                                if level < 0.995
                                else "unsatisfied"
                            ),
                            at(rated),
                            rated_utc,
                            rated_utc,
                        )
                    )
                if scans:
                    attach_files(dossier_id, accepted, resolved, user_id)
                if len(dossiers) >= batch:
                    flush()
                    dossiers, payments, ratings = buf["dossier"], buf["payment"], buf["rating"]
                    if progress:
                        progress(batch)
            buf["counter"].append({"unit_code": unit_code, "day": day, "last_seq": seq})
        if buf["dossier"] or buf["counter"]:
            pending = len(buf["dossier"])
            flush()
            if progress and pending:
                progress(pending)
    session.info.pop("skip_audit", None)
    elapsed = time.perf_counter() - started
    rows = sum(totals.values())
    return {
        "dossiers": totals["dossier"],
        "events": totals["event"],
        "payments": totals["payment"],
        "ratings": totals["rating"],
        "documents": totals["document"],
        "files": totals["file"],
        "rows": rows,
        "seconds": elapsed,
        "rows_per_second": rows / elapsed if elapsed else 0.0,
        "first_day": days[0],
        "last_day": days[-1],
    }


def insert_events(session, first_id: int, last_id: int, first_event_id: int) -> None:
    """The events of dossiers first_id..last_id (HISTORY), written by the database from the
    dossier rows (INSERT ... SELECT): four rows a dossier never pass through Python."""
    sqlite = session.get_bind().dialect.name == "sqlite"

    def shifted(column, minutes):
        if not minutes:
            return column
        if sqlite:  # stored as SQLAlchemy writes DateTime (the seed's times have whole seconds)
            return f"datetime({column}, '{minutes:+d} minutes') || '.000000'"
        return f"{column} + interval '{minutes} minutes'"

    offset = -int(UTC_OFFSET.total_seconds() // 60)
    for k, (frm, to, column, minutes, by_clerk, from_unit, to_unit) in enumerate(HISTORY):
        session.execute(
            text(
                "INSERT INTO dossier_event (id, dossier_id, from_status, to_status, at, user_id,"
                " from_unit, to_unit, reason, created_at)"
                f" SELECT :base + (id - :first) * {EVENTS} + {k}, id, :frm, :to,"
                f" {shifted(column, minutes)}, {'received_by_id' if by_clerk else 'NULL'},"
                f" :from_unit, :to_unit, NULL, {shifted(column, minutes + offset)}"
                " FROM dossier WHERE id BETWEEN :first AND :last"
            ),
            {
                "base": first_event_id,
                "first": first_id,
                "last": last_id,
                "frm": frm,
                "to": to,
                "from_unit": from_unit,
                "to_unit": to_unit,
            },
        )


def allocate_days(count: int, n_days: int) -> list[int]:
    """`count` dossiers over `n_days` days, as evenly as possible."""
    base, extra = divmod(count, n_days)
    return [base + (1 if i < extra else 0) for i in range(n_days)]
