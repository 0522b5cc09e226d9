"""Import of dossiers from a previous system (design §10), all or nothing.

One table (.xlsx: the sheet named `dossiers`, or the only sheet; .csv UTF-8 with or without BOM),
header row with exactly the columns of COLUMNS (order free; optional ones may be left out).

Each imported dossier gets:
- agency_id from its procedure (as intake does), applicant kind "citizen";
- due_date from the file (due by the end of that working day), or when blank intake.due (the
  procedure's limit in days or hours and its cut-off time) with the CalendarDay overrides
  (load_calendar) — the function intake uses; due_at and due_in_hours with it;
- DossierEvent rows, one per known date, each saying it was imported (IMPORT_REASON):
  accepted (→2) at accepted_at, resolved (→9) at resolved_at, returned (9→10) at returned_at,
  closed (→3/7/8) at closed_at; a dossier imported as processing/paused (4/5/6) gets 2→status at
  accepted_at (the old system gives no other date);
- a paused dossier (5/6) an open DossierPause started on the import day (the pause start is
  unknown: the due date moves only from when we know it is paused);
- fee_paid_vnd > 0: one Payment (method "other") at accepted_at;
- dossier codes of our own form (<unit>-yyMMdd-NNNN) raise the per-day counter, so later
  intakes never collide with an imported code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sqlalchemy import select

from domain import clock, intake
from domain.calendar import DEFAULT_WORKING_HOURS, WorkingHours, load_calendar
from domain.lifecycle import PAUSE_KIND
from domain.spreadsheet_reader import (
    Issue,
    Table,
    ValueError_,
    header_issues,
    parse_date,
    parse_datetime,
    parse_int,
    parse_text,
)
from domain.status import (
    CLOSED_STATUSES,
    CLOSING_STATUSES,
    PAUSED_STATUSES,
    RESOLVED_STATUSES,
    Status,
)
from models import (
    CHANNELS,
    RETURN_CHANNELS,
    Dossier,
    DossierCounter,
    DossierEvent,
    DossierPause,
    Payment,
    Procedure,
)

COLUMNS = (
    "code",
    "procedure_code",
    "applicant_name",
    "channel",
    "accepted_at",
    "due_date",
    "status",
    "resolved_at",
    "returned_at",
    "return_channel",
    "closed_at",
    "fee_paid_vnd",
)
REQUIRED = ("code", "procedure_code", "applicant_name", "channel", "accepted_at", "status")
COLUMN_HELP = {
    "code": "Mã hồ sơ, duy nhất",
    "procedure_code": "Mã TTHC quốc gia đã có trong danh mục",
    "applicant_name": "Tên tổ chức, cá nhân",
    "channel": "direct | online | postal",
    "accepted_at": "Ngày giờ tiếp nhận: YYYY-MM-DD HH:MM hoặc dd/mm/yyyy HH:MM",
    "due_date": "Hạn trả; để trống: tính theo ngày làm việc",
    "status": "Mã trạng thái 2–10",
    "resolved_at": "Ngày có kết quả (bắt buộc với trạng thái 9, 10)",
    "returned_at": "Ngày trả kết quả (bắt buộc với trạng thái 10)",
    "return_channel": "counter | postal | online",
    "closed_at": "Ngày kết thúc (bắt buộc với trạng thái 3, 7, 8)",
    "fee_paid_vnd": "Phí, lệ phí đã thu (đồng, số nguyên)",
}
IMPORT_REASON = "Nhập từ hệ thống cũ"
STATUSES = tuple(s for s in Status if s != Status.SUBMITTED)  # an import brings accepted ones
MAX_CODE_LENGTH = 40
CHUNK = 500


@dataclass
class DossierRow:
    row: int
    values: dict[str, Any] = dc_field(default_factory=dict)
    issues: list[Issue] = dc_field(default_factory=list)
    procedure: Any = None
    due_computed: bool = False
    due_at: dt.datetime | None = None  # the due moment (intake.due), when known
    due_in_hours: bool = False


@dataclass
class DossierPlan:
    rows: list[DossierRow] = dc_field(default_factory=list)
    issues: list[Issue] = dc_field(default_factory=list)
    sheet: str = ""
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues and not any(r.issues for r in self.rows)

    def all_issues(self) -> list[Issue]:
        return self.issues + [i for r in self.rows for i in r.issues]

    def counts(self) -> dict[str, int]:
        errors = sum(1 for r in self.rows if r.issues)
        return {"new": len(self.rows) - errors, "error": errors}

    def digest(self) -> str:
        payload = [
            [r.row, sorted((k, repr(v)) for k, v in r.values.items()), bool(r.issues)]
            for r in self.rows
        ]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _pick_table(tables: list[Table], plan: DossierPlan) -> Table | None:
    named = [t for t in tables if t.name.strip().lower() in ("dossiers", "dossier", "ho_so")]
    candidates = named or [t for t in tables if t.header]
    if len(candidates) != 1:
        plan.issues.append(
            Issue(
                "Tệp phải có đúng một bảng hồ sơ (một trang, hoặc trang tên “dossiers”).",
                "The file must hold exactly one dossier table "
                "(one sheet, or a sheet named “dossiers”).",
            )
        )
        return None
    table = candidates[0]
    plan.issues.extend(header_issues(table, list(COLUMNS), REQUIRED))
    if not table.rows and not plan.issues:
        plan.issues.append(
            Issue(
                "Tệp không có dòng hồ sơ nào.", "The file holds no dossier rows.", sheet=table.name
            )
        )
    return None if plan.issues else table


def _parse_row(number: int, raw: dict, sheet: str) -> DossierRow:
    row = DossierRow(number)

    def bad(vi: str, en: str) -> None:
        row.issues.append(Issue(vi, en, number, sheet))

    parsers = {
        "code": lambda v: parse_text(v, MAX_CODE_LENGTH),
        "procedure_code": lambda v: f"{v:.6f}" if isinstance(v, float) else parse_text(v, 32),
        "applicant_name": lambda v: parse_text(v, 255),
        "channel": lambda v: (parse_text(v) or "").lower() or None,
        "accepted_at": parse_datetime,
        "due_date": parse_date,
        "status": parse_int,
        "resolved_at": parse_datetime,
        "returned_at": parse_datetime,
        "return_channel": lambda v: (parse_text(v) or "").lower() or None,
        "closed_at": parse_datetime,
        "fee_paid_vnd": parse_int,
    }
    for name, parse in parsers.items():
        try:
            row.values[name] = parse(raw.get(name))
        except ValueError_ as exc:
            bad(f"cột {name}: {exc.vi}", f"column {name}: {exc.en}")
            row.values[name] = None
            row.values[f"_bad_{name}"] = True
    values = row.values
    for name in REQUIRED:
        if values.get(name) is None and not values.get(f"_bad_{name}"):
            bad(f"cột {name} không được để trống", f"column {name} must not be blank")
    if values["channel"] and values["channel"] not in CHANNELS:
        bad(
            f"cột channel: “{values['channel']}” không hợp lệ ({', '.join(CHANNELS)})",
            f"column channel: “{values['channel']}” is not one of {', '.join(CHANNELS)}",
        )
    if values["return_channel"] and values["return_channel"] not in RETURN_CHANNELS:
        bad(
            f"cột return_channel: “{values['return_channel']}” không hợp lệ "
            f"({', '.join(RETURN_CHANNELS)})",
            f"column return_channel: “{values['return_channel']}” is not one of "
            f"{', '.join(RETURN_CHANNELS)}",
        )
    if values["fee_paid_vnd"] is not None and values["fee_paid_vnd"] < 0:
        bad("cột fee_paid_vnd: không được âm", "column fee_paid_vnd: must not be negative")
    status = values["status"]
    if status is not None and status not in STATUSES:
        bad(f"cột status: {status} không hợp lệ (2–10)", f"column status: {status} is not 2–10")
    elif status is not None:
        _check_status_dates(values, status, bad)
    for key in [k for k in values if k.startswith("_bad_")]:
        del values[key]
    return row


def _check_status_dates(values: dict, status: int, bad) -> None:
    needs = {
        "resolved_at": status in RESOLVED_STATUSES,
        "returned_at": status == Status.RETURNED,
        "closed_at": status in CLOSING_STATUSES,
    }
    for name, needed in needs.items():
        if values.get(f"_bad_{name}"):
            continue
        if needed and values[name] is None:
            bad(f"trạng thái {status} cần cột {name}", f"status {status} needs column {name}")
        if not needed and values[name] is not None:
            bad(
                f"trạng thái {status} không có {name} (để trống cột này)",
                f"status {status} has no {name} (leave that column blank)",
            )
    accepted = values["accepted_at"]
    if accepted is None:
        return
    order = [
        ("accepted_at", accepted),
        ("resolved_at", values["resolved_at"]),
        ("returned_at", values["returned_at"]),
    ]
    known = [(n, v) for n, v in order if v is not None]
    for (n1, v1), (n2, v2) in zip(known, known[1:]):
        if v2 < v1:
            bad(
                f"{n2} ({v2:%d/%m/%Y %H:%M}) trước {n1} ({v1:%d/%m/%Y %H:%M})",
                f"{n2} ({v2:%Y-%m-%d %H:%M}) is before {n1} ({v1:%Y-%m-%d %H:%M})",
            )
    if values["closed_at"] is not None and values["closed_at"] < accepted:
        bad("closed_at trước accepted_at", "closed_at is before accepted_at")
    if values["due_date"] is not None and values["due_date"] < accepted.date():
        bad("due_date trước ngày tiếp nhận", "due_date is before the acceptance date")


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def import_dossiers(
    session,
    tables: list[Table],
    apply: bool = False,
    user_id: int | None = None,
    unit_code: str | None = None,
    today: dt.date | None = None,
    hours: WorkingHours = DEFAULT_WORKING_HOURS,
) -> DossierPlan:
    """Validate every row; with apply=True and no error, write everything (the caller commits).
    `hours`: the working hours (setting WORKING_HOURS) for due moments."""
    plan = DossierPlan()
    table = _pick_table(tables, plan)
    if table is None:
        return plan
    plan.sheet = table.name
    rows = [_parse_row(number, raw, table.name) for number, raw in table.rows]
    codes = _check_repeated_codes(rows, table.name)
    existing = set()
    for chunk in _chunks(codes):
        existing.update(session.scalars(select(Dossier.code).where(Dossier.code.in_(chunk))))
    procedures = _procedures(session, rows)
    calendar = load_calendar(session, hours)
    today = today or clock.today()
    for row in rows:
        _check_row(row, table.name, existing, procedures, today)
        _fill_due(row, calendar)
    plan.rows = rows
    if apply and plan.ok:
        _apply(session, plan, user_id, unit_code, today)
        plan.applied = True
    return plan


def _check_repeated_codes(rows: list, sheet: str) -> list[str]:
    """A dossier code given twice in the file is refused on its second row; the codes, once."""
    first_row: dict[str, int] = {}
    for row in rows:
        code = row.values.get("code")
        if code is None:
            continue
        if code in first_row:
            row.issues.append(
                Issue(
                    f"mã hồ sơ {code} trùng với dòng {first_row[code]}",
                    f"dossier code {code} repeats row {first_row[code]}",
                    row.row,
                    sheet,
                )
            )
        else:
            first_row[code] = row.row
    return list(first_row)


def _procedures(session, rows: list) -> dict:
    """The catalog's procedures the rows name, by code."""
    proc_codes = {r.values.get("procedure_code") for r in rows} - {None}
    procedures = {}
    for chunk in _chunks(sorted(proc_codes)):
        procedures.update(
            {p.code: p for p in session.scalars(select(Procedure).where(Procedure.code.in_(chunk)))}
        )
    return procedures


def _check_row(row, sheet: str, existing: set, procedures: dict, today: dt.date) -> None:
    """No date in the future, no code already stored, a procedure of the catalog."""
    values = row.values
    for name in ("accepted_at", "resolved_at", "returned_at", "closed_at"):
        if values.get(name) is not None and values[name].date() > today:
            row.issues.append(
                Issue(
                    f"{name} ({values[name]:%d/%m/%Y}) ở tương lai",
                    f"{name} ({values[name]:%Y-%m-%d}) is in the future",
                    row.row,
                    sheet,
                )
            )
    if values.get("code") in existing:
        row.issues.append(
            Issue(
                f"mã hồ sơ {values['code']} đã có trong cơ sở dữ liệu",
                f"dossier code {values['code']} already exists in the database",
                row.row,
                sheet,
            )
        )
    code = values.get("procedure_code")
    if code is not None:
        row.procedure = procedures.get(code)
        if row.procedure is None:
            row.issues.append(
                Issue(
                    f"không có thủ tục mã {code} trong danh mục",
                    f"unknown procedure code {code}",
                    row.row,
                    sheet,
                )
            )


def _events(values: dict) -> list[tuple[int | None, int, dt.datetime]]:
    """(from, to, at) for every date the old system gave."""
    status, accepted = values["status"], values["accepted_at"]
    if status == Status.REFUSED:
        return [(None, Status.REFUSED, values["closed_at"])]
    events = [(None, Status.ACCEPTED, accepted)]
    if status in (Status.PROCESSING, *PAUSED_STATUSES):
        events.append((Status.ACCEPTED, status, accepted))
    if status in RESOLVED_STATUSES:
        events.append((Status.ACCEPTED, Status.RESOLVED, values["resolved_at"]))
    if status == Status.RETURNED:
        events.append((Status.RESOLVED, Status.RETURNED, values["returned_at"]))
    if status in CLOSED_STATUSES:
        events.append((Status.ACCEPTED, status, values["closed_at"]))
    return events


_OWN_CODE = re.compile(r"^(?P<unit>.+)-(?P<day>\d{6})-(?P<seq>\d{4})$")


def _fill_due(row, calendar) -> None:
    """The due date, moment and unit of a row: computed as intake does when the file leaves the
    due date blank; a date given in the file is due by the end of that working day."""
    values = row.values
    if values.get("due_date") is not None:
        row.due_at = calendar.day_end(values["due_date"])
    elif row.procedure is not None and values.get("accepted_at") is not None:
        when = intake.due(row.procedure, values["accepted_at"], calendar)
        values["due_date"], row.due_at, row.due_in_hours = when.date, when.at, when.in_hours
        row.due_computed = True


def _apply(session, plan: DossierPlan, user_id, unit_code, today: dt.date) -> None:
    counters: dict[dt.date, int] = {}
    for chunk in _chunks(plan.rows):
        for row in chunk:
            _add_dossier(session, row, user_id, today)
            day_seq = _own_day_and_seq(row.values["code"], unit_code)
            if day_seq is not None:
                day, seq = day_seq
                counters[day] = max(counters.get(day, 0), seq)
        session.flush()
    for day, seq in counters.items():
        counter = session.get(DossierCounter, (unit_code, day))
        if counter is None:
            session.add(DossierCounter(unit_code=unit_code, day=day, last_seq=seq))
        elif counter.last_seq < seq:
            counter.last_seq = seq
    session.flush()


def _own_day_and_seq(code: str, unit_code: str | None) -> tuple[dt.date, int] | None:
    """The day and number of a code this unit gave (its counter must not give it again)."""
    match = _OWN_CODE.match(code)
    if not (unit_code and match and match["unit"] == unit_code):
        return None
    try:
        day = dt.datetime.strptime(match["day"], "%y%m%d").date()
    except ValueError:
        return None
    return day, int(match["seq"])


def _add_dossier(session, row, user_id, today: dt.date) -> None:
    """A row's dossier with its events, its running pause and the fee paid."""
    v, procedure = row.values, row.procedure
    dossier = Dossier(
        code=v["code"],
        procedure_id=procedure.id,
        agency_id=procedure.agency_id,
        applicant_name=v["applicant_name"],
        applicant_kind="citizen",
        channel=v["channel"],
        accepted_at=v["accepted_at"],
        due_date=v["due_date"],
        due_at=row.due_at,
        due_in_hours=row.due_in_hours,
        resolved_at=v["resolved_at"],
        returned_at=v["returned_at"],
        return_channel=v["return_channel"],
        closed_at=v["closed_at"],
        status=v["status"],
        note=IMPORT_REASON,
    )
    session.add(dossier)
    for from_status, to_status, at in _events(v):
        session.add(
            DossierEvent(
                dossier=dossier,
                from_status=from_status,
                to_status=to_status,
                at=at,
                user_id=user_id,
                reason=IMPORT_REASON,
            )
        )
    if v["status"] in PAUSED_STATUSES:
        session.add(
            DossierPause(
                dossier=dossier,
                kind=PAUSE_KIND[v["status"]],
                started_on=max(today, v["accepted_at"].date()),
                reason=IMPORT_REASON,
            )
        )
    if v["fee_paid_vnd"]:
        session.add(
            Payment(
                dossier=dossier,
                amount_vnd=v["fee_paid_vnd"],
                method="other",
                paid_at=v["accepted_at"],
                collected_by_id=user_id,
            )
        )
