"""The demo data set: the first year of the Lạng Sơn Public Administrative Service Center, built so
that the report for 2019 reproduces the figures of the source article (design §9) to the dossier.

Deterministic: one random generator with a fixed seed, no iteration over sets, no clock reads in the
data (technical timestamps are derived from the business ones). Rows go in with bulk Core inserts
and explicit ids; the audit hook is skipped for the seed only.

How the exact figures come out (design §6):
- every agency gets its 2019 dossier count, split into categories first (pending in time / overdue,
  late, withdrawn, stopped, early, on time) and channels (online / postal / direct), each total
  allocated with largest remainders so the grand totals are exact;
- then each dossier picks a procedure that allows its channel, and an acceptance day whose due date
  (WorkingCalendar, §5) makes its category possible: on time = resolved on the due date, early =
  before it, late = after it, all by 31/12/2019; pending = due on or after 31/12/2019 and not
  closed;
- pauses move the due date by the §5 rule before the resolution date is chosen;
- fees: every payment is a fee item of the procedure; items that depend on the case (a share of a
  project's value) absorb the difference so that the year's total is exact.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from domain.calendar import vietnam_holidays
from domain.codes import format_code
from domain.evaluation import INDICATORS, ensure_indicators
from domain.procedure_documents import documents_from_text
from domain.text import normalize_search
from models import (
    Agency,
    CourierItem,
    CourierRun,
    Dossier,
    DossierCounter,
    DossierDocument,
    DossierEvent,
    DossierPause,
    EvaluationAnswer,
    EvaluationForm,
    EvaluationIndicator,
    Feedback,
    FeeItem,
    Field,
    Payment,
    Procedure,
    ProcedureDocument,
    StaffRating,
    User,
    user_agency,
)
from seed.calendar_overrides import add_calendar_overrides
from seed.catalog import (
    ACTIONS,
    AGENCIES,
    FIELDS,
    FREQUENT,
    OBJECTS,
    POWER_PROCEDURES,
    VERTICAL_PROCEDURES,
)
from seed.common import DueDates, bulk_insert, search_text, sync_sequences, utc
from seed.people import People

DEMO_PASSWORD = "demo1234"  # demo data only; real users are created with `flask users create`
SEED = 20190117

OPENING = dt.date(2019, 1, 17)  # the center opened (Decision 2358/QĐ-UBND)
YEAR_END = dt.date(2019, 12, 31)
SATURDAY_FROM = dt.date(2019, 6, 15)  # Saturday mornings (Decision 1077/QĐ-UBND, 10/6/2019)
EVALUATION_FROM = dt.date(2019, 8, 12)  # evaluation forms (Decision 1517/QĐ-UBND, 09/8/2019)
CATALOG_TIME = dt.datetime(2019, 1, 10, 2, 0)  # UTC, when the catalog was entered

# The figures of design §9.
TARGETS = {
    "received": 17958,
    "direct": 12988,
    "online": 4428,
    "postal": 542,
    "early": 7758,
    "on_time": 9598,
    "late": 172,
    "pending": 430,
    "returned_by_post": 1819,
    "fees_vnd": 3233081572,
    "courier_to_agencies": 11843,
    "courier_to_center": 12381,
    "ratings_very_satisfied": 6461,
    "ratings_satisfied": 373,
    "evaluation_forms": {8: 566, 7: 212, 6: 48, 5: 8, 4: 7},
}
WITHDRAWN = {
    "SGTVT": 10,
    "SKHDT": 6,
    "STP": 5,
    "SYT": 4,
    "STNMT": 4,
    "SXD": 3,
    "SCT": 2,
    "SNNPTNT": 2,
}
STOPPED = {"STNMT": 4, "SXD": 3, "SYT": 2, "STP": 2, "SKHDT": 1, "SCT": 1, "SVHTTDL": 1}
OVERDUE_PENDING = {"STNMT": 3, "SXD": 3, "STP": 2}  # past due at 31/12 (units with late ones)
ONLINE_SHARE = {
    "SGTVT": 0.16,
    "SKHDT": 0.50,
    "STP": 0.30,
    "SYT": 0.12,
    "STNMT": 0.10,
    "SXD": 0.15,
    "SCT": 0.20,
    "SNNPTNT": 0.15,
    "SVHTTDL": 0.18,
    "SGDDT": 0.25,
    "STTTT": 0.50,
    "SNV": 0.10,
    "SKHCN": 0.20,
    "SLDTBXH": 0.15,
    "STC": 0.40,
    "BQLKKT": 0.10,
    "PCLS": 0.20,
}
POSTAL_SHARE = {
    "SGTVT": 0.035,
    "SKHDT": 0.01,
    "STP": 0.06,
    "SYT": 0.02,
    "STNMT": 0.04,
    "SXD": 0.02,
    "SCT": 0.02,
    "SNNPTNT": 0.03,
    "SVHTTDL": 0.02,
    "SGDDT": 0.08,
    "STTTT": 0.02,
    "SNV": 0.03,
    "SKHCN": 0.03,
    "SLDTBXH": 0.03,
    "STC": 0.02,
    "BQLKKT": 0,
    "PCLS": 0,
}
EARLY_SHARE = {
    "SGTVT": 0.30,
    "SKHDT": 0.75,
    "STP": 0.55,
    "SYT": 0.45,
    "STNMT": 0.35,
    "SXD": 0.40,
    "SCT": 0.55,
    "SNNPTNT": 0.45,
    "SVHTTDL": 0.50,
    "SGDDT": 0.60,
    "STTTT": 0.60,
    "SNV": 0.40,
    "SKHCN": 0.50,
    "SLDTBXH": 0.50,
    "STC": 0.50,
    "BQLKKT": 0.40,
    "PCLS": 0.60,
}
MONTH_WEIGHT = {
    1: 0.85,
    2: 0.75,
    3: 1.1,
    4: 1.0,
    5: 1.05,
    6: 1.0,
    7: 1.05,
    8: 1.1,
    9: 0.95,
    10: 1.05,
    11: 1.05,
    12: 1.2,
}
WEEKDAY_WEIGHT = {0: 1.15, 1: 1.05, 2: 1.0, 3: 1.0, 4: 0.9, 5: 0.35, 6: 0}
CENTER = "Bộ phận Một cửa – Trung tâm PVHCC tỉnh"
DOCUMENTS = {  # one more paper typical of the agency: (name, kind, copies)
    "SGTVT": [
        ("Giấy phép lái xe (bản chính)", "original", 1),
        ("Giấy khám sức khỏe của người lái xe", "original", 1),
        ("Giấy chứng nhận đăng ký xe", "certified_copy", 1),
    ],
    "STP": [
        ("Sổ hộ khẩu", "copy", 1),
        ("Tờ khai yêu cầu cấp phiếu lý lịch tư pháp", "original", 1),
    ],
    "SKHDT": [("Điều lệ công ty", "original", 1), ("Danh sách thành viên, cổ đông", "original", 1)],
    "STNMT": [
        ("Giấy chứng nhận quyền sử dụng đất (bản chính)", "original", 1),
        ("Hợp đồng chuyển nhượng có công chứng", "original", 2),
    ],
    "SXD": [
        ("Bản vẽ thiết kế xây dựng", "original", 2),
        ("Giấy tờ về quyền sử dụng đất", "certified_copy", 1),
    ],
    "SYT": [
        ("Văn bằng chuyên môn", "certified_copy", 1),
        ("Giấy xác nhận quá trình thực hành", "original", 1),
    ],
    "PCLS": [("Giấy tờ chứng minh quyền sử dụng nhà, đất", "copy", 1)],
}
SLOTS = ((dt.time(10, 30), "10:30"), (dt.time(16, 0), "16:00"))
STAFF_NAMES = [
    "Nguyễn Thị Hoa",
    "Hoàng Văn Tùng",
    "Lương Thị Thu",
    "Vi Văn Quyết",
    "Nông Thị Hà",
    "Triệu Văn Khánh",
    "Lý Thị Ngọc",
    "Hà Minh Đức",
    "Lành Thị Duyên",
    "Chu Văn Bình",
    "Mã Thị Yến",
    "Lộc Văn Sơn",
    "Đinh Thị Phương",
    "Bế Văn Hiếu",
    "Dương Thị Loan",
    "Hứa Văn Lâm",
    "Tô Thị Hằng",
    "Ninh Văn Toàn",
]


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights`, exactly (largest remainders, ties by position)."""
    whole = sum(weights)
    raw = [total * w / whole if whole else 0 for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def load_demo(session) -> list[tuple[str, str, str]]:
    """Load the whole data set into an empty database; returns the demo logins."""
    session.info["skip_audit"] = True
    try:
        builder = DemoBuilder(current_app.settings.receiving_unit_code)
        builder.build()
        builder.insert(session)
        # 2026: the official swap the holidays package misses (no 2019 figure depends on it).
        add_calendar_overrides(session)
    finally:
        session.info.pop("skip_audit", None)
    return builder.logins


class DemoBuilder:
    def __init__(self, unit_code: str):
        self.unit_code = unit_code
        self.rng = random.Random(SEED)
        self.cal = DueDates()
        self.people = People(self.rng)
        self.rows: dict[str, list[dict]] = {}
        self.logins: list[tuple[str, str, str]] = []
        # Working days of the year and the acceptance days (with Saturday mornings for the
        # procedures that have them), each with seasonal weights.
        self.work_days = self.cal.working_days(dt.date(2018, 12, 1), dt.date(2020, 3, 31))
        self.work_index = {d: i for i, d in enumerate(self.work_days)}
        self.end_index = self.work_index[YEAR_END]
        days = [OPENING + dt.timedelta(n) for n in range((YEAR_END - OPENING).days + 1)]
        weekdays = [d for d in days if self.cal.calendar.is_working_day(d)]
        holidays = vietnam_holidays()
        saturdays = [
            d
            for d in days
            if d >= SATURDAY_FROM
            and d.weekday() == 5
            and not self.cal.calendar.is_working_day(d)
            and d not in holidays
        ]
        self.accept_days = {False: weekdays, True: sorted(weekdays + saturdays)}
        self.accept_cum = {}
        for sat, lst in self.accept_days.items():
            cum, total = [], 0.0
            for d in lst:
                total += MONTH_WEIGHT[d.month] * WEEKDAY_WEIGHT[d.weekday()]
                cum.append(total)
            self.accept_cum[sat] = cum
        self._dues: dict[tuple[bool, int], list[dt.date]] = {}

    # ---- small tools ------------------------------------------------------------------------

    def wd_index(self, day: dt.date) -> int:
        """Index of the first working day on or after `day`."""
        return bisect.bisect_left(self.work_days, day)

    def dues(self, sat: bool, days: int) -> list[dt.date]:
        key = (sat, days)
        if key not in self._dues:
            self._dues[key] = [self.cal.due(d, days) for d in self.accept_days[sat]]
        return self._dues[key]

    def pick_day(self, sat: bool, lo: int, hi: int) -> int:
        cum = self.accept_cum[sat]
        base = cum[lo - 1] if lo else 0.0
        r = base + self.rng.random() * (cum[hi - 1] - base)
        return min(max(bisect.bisect_right(cum, r, lo, hi), lo), hi - 1)

    def office_time(
        self, day: dt.date, after: dt.datetime | None = None, latest: dt.time = dt.time(16, 50)
    ) -> dt.datetime:
        r = self.rng
        if day.weekday() == 5 or r.random() < 0.6:
            minute = r.randint(7 * 60 + 30, 11 * 60 + 25)
        else:
            minute = r.randint(13 * 60 + 30, latest.hour * 60 + latest.minute)
        at = dt.datetime.combine(day, dt.time(minute // 60, minute % 60, r.randint(0, 59)))
        if after is not None and at <= after + dt.timedelta(minutes=15):
            at = after + dt.timedelta(minutes=r.randint(15, 90), seconds=r.randint(0, 59))
        return at

    # ---- catalog ----------------------------------------------------------------------------

    def build(self) -> None:
        self.build_catalog()
        self.build_users()
        self.build_dossiers()
        self.build_courier()
        self.build_returns()
        self.build_events()
        self.build_payments()
        self.build_ratings_and_forms()
        self.build_feedback()

    def build_catalog(self) -> None:
        r = self.rng
        agencies, fields, procedures, fee_items = [], [], [], []
        self.agencies = {}
        codes_used: set[str] = set()

        def national_code() -> str:
            while True:
                code = f"{r.choice('1112')}.{r.randint(1, 11999):06d}"
                if code not in codes_used:
                    codes_used.add(code)
                    return code

        for sort, (code, name, short, kind, eid, n_proc, n_2019, late, sat, four) in enumerate(
            AGENCIES, start=1
        ):
            agency_id = len(agencies) + 1
            agencies.append(
                {
                    "id": agency_id,
                    "code": code,
                    "eid_code": eid,
                    "name": name,
                    "short_name": short,
                    "kind": kind,
                    "sort_order": sort,
                    "active": True,
                    "search_text": search_text(code, name, short, eid),
                    "created_at": CATALOG_TIME,
                    "updated_at": CATALOG_TIME,
                }
            )
            info = {
                "id": agency_id,
                "code": code,
                "name": name,
                "short": short,
                "n": n_2019,
                "late": late,
                "procs": [],
                "fields": {},
            }
            self.agencies[code] = info
            for suffix, field_name in FIELDS[code]:
                field_id = len(fields) + 1
                fields.append(
                    {
                        "id": field_id,
                        "code": f"{code}-{suffix}",
                        "name": field_name,
                        "agency_id": agency_id,
                        "active": True,
                        "search_text": search_text(f"{code}-{suffix}", field_name),
                        "created_at": CATALOG_TIME,
                        "updated_at": CATALOG_TIME,
                    }
                )
                info["fields"][suffix] = (field_id, field_name)

            decision = (
                f"{r.randint(150, 2300)}/QĐ-UBND",
                dt.date(2018, 1, 1) + dt.timedelta(r.randint(0, 480)),
            )
            specs = []  # (field suffix, name, days, weight, online, fees, frequent)
            if code == "PCLS":
                for pname, days, weight in POWER_PROCEDURES:
                    specs.append(
                        ("DV", pname, days, weight, "full" if weight >= 6 else "partial", [], True)
                    )
            elif kind == "vertical":
                for suffix, pname, days in VERTICAL_PROCEDURES[code]:
                    specs.append((suffix, pname, days, 0, "partial", [], True))
            else:
                for suffix, pname, days, weight, online, fees in FREQUENT[code]:
                    specs.append((suffix, pname, days, weight, online, fees, True))
                tail_weight = 0.3 * sum(s[3] for s in specs)
                names = []
                for action in ACTIONS:
                    for obj in OBJECTS[code]:
                        names.append(f"{action} {obj}")
                tail = names[: n_proc - len(specs)]
                shares = [(r.random() ** 4) if r.random() < 0.7 else 0.0 for _ in tail]
                total_share = sum(shares) or 1.0
                for pname, share in zip(tail, shares):
                    specs.append(self._tail_spec(code, pname, tail_weight * share / total_share))

            # Flags (§9): Saturday service on the first (most used) procedures; "4 tại chỗ" on
            # the short business-registration ones of Planning and Investment, on the long tail
            # elsewhere.
            if code == "SKHDT":
                four_idx = [i for i, s in enumerate(specs) if s[6] and s[2] <= 5]
                four_idx += [i for i, s in enumerate(specs) if not s[6]][: four - len(four_idx)]
            else:
                tail_idx = [i for i, s in enumerate(specs) if not s[6]]
                four_idx = sorted(r.sample(tail_idx, four)) if four else []
            four_set = set(four_idx)
            for i, (suffix, pname, days, weight, online, fees, frequent) in enumerate(specs):
                is_four = i in four_set
                if is_four and not frequent:
                    days = r.choice([0, 1, 2, 3, 3, 5])
                proc_id = len(procedures) + 1
                field_id, field_name = info["fields"][suffix]
                pcode = national_code()
                postal_in = code not in ("PCLS", "BQLKKT") and (frequent or r.random() < 0.75)
                postal_out = code != "PCLS" and (frequent or r.random() < 0.85)
                procedures.append(
                    {
                        "id": proc_id,
                        "code": pcode,
                        "name": pname,
                        "agency_id": agency_id,
                        "field_id": field_id,
                        "level": "province",
                        "processing_days": days,
                        "online_level": online,
                        "legacy_online_level": {"full": 4, "partial": 3, "none": 2}[online],
                        "postal_in": postal_in,
                        "postal_out": postal_out,
                        "four_on_spot": is_four,
                        "saturday_service": i < sat,
                        "interagency": (not frequent) and r.random() < 0.08,
                        "publication_decision": decision[0],
                        "publication_date": decision[1],
                        "legal_basis": (
                            f"Quyết định số {decision[0]} ngày {decision[1]:%d/%m/%Y} của "
                            f"Chủ tịch UBND tỉnh Lạng Sơn công bố danh mục thủ tục hành "
                            f"chính lĩnh vực {field_name.lower()}"
                        ),
                        "required_documents": (
                            "Đơn đề nghị theo mẫu; bản sao giấy tờ chứng minh "
                            "đủ điều kiện; giấy tờ tùy thân của người nộp"
                        ),
                        "result": _result_of(pname),
                        "active": True,
                        "search_text": search_text(pcode, pname),
                        "created_at": CATALOG_TIME,
                        "updated_at": CATALOG_TIME,
                    }
                )
                items = []
                for kind_, fname, amount in fees:
                    item = {
                        "id": len(fee_items) + 1,
                        "procedure_id": proc_id,
                        "kind": kind_,
                        "name": fname,
                        "amount_vnd": amount or 0,
                        "channel": None,
                        "note": None if amount else "Tính theo quy mô, giá trị của hồ sơ",
                        "created_at": CATALOG_TIME,
                        "updated_at": CATALOG_TIME,
                    }
                    fee_items.append(item)
                    items.append((item["id"], amount))
                info["procs"].append(
                    {
                        "id": proc_id,
                        "days": days,
                        "weight": weight,
                        "online": online,
                        "postal_in": postal_in,
                        "postal_out": postal_out,
                        "four": is_four,
                        "sat": i < sat,
                        "fees": items,
                    }
                )
        # The checklist of each procedure from its text, as migration 0009 converts it (no
        # random draw: every figure of 2019 stays as it was).
        documents = [
            {"procedure_id": p["id"], "created_at": CATALOG_TIME, "updated_at": CATALOG_TIME, **doc}
            for p in procedures
            for doc in documents_from_text(p["required_documents"])
        ]
        for number, doc in enumerate(documents, start=1):
            doc["id"] = number
        self.rows.update(
            agency=agencies,
            field=fields,
            procedure=procedures,
            fee_item=fee_items,
            procedure_document=documents,
        )

    def _tail_spec(self, code, name, weight):
        r = self.rng
        online = r.choices(["full", "partial", "none"], [15, 60, 25])[0]
        days = r.choice([3, 5, 5, 7, 10, 10, 15, 15, 20, 20, 30, 45])
        suffix = _best_field(name, FIELDS[code])
        fees = []
        if r.random() < 0.2:
            if r.random() < 0.2:
                fees = [("fee", "Phí thẩm định " + name[0].lower() + name[1:], None)]
            else:
                kind = r.choice(["fee", "charge"])
                label = "Phí thẩm định" if kind == "fee" else "Lệ phí"
                fees = [
                    (
                        kind,
                        f"{label} {name[0].lower()}{name[1:]}",
                        r.choice([50000, 100000, 100000, 150000, 200000, 300000, 500000, 1000000]),
                    )
                ]
        return (suffix, name, days, weight, online, fees, False)

    # ---- users ------------------------------------------------------------------------------

    def build_users(self) -> None:
        password_hash = generate_password_hash(DEMO_PASSWORD, method="scrypt")
        users, links = [], []
        self.staff_of: dict[str, list[int]] = {}

        def add(username, role, full_name, agency_codes=(), counter=None):
            user_id = len(users) + 1
            users.append(
                {
                    "id": user_id,
                    "username": username,
                    "password_hash": password_hash,
                    "full_name": full_name,
                    "role": role,
                    "counter_no": counter,
                    "active": True,
                    "last_login_at": None,
                    "search_text": search_text(username, full_name),
                    "created_at": CATALOG_TIME,
                    "updated_at": CATALOG_TIME,
                }
            )
            for code in agency_codes:
                links.append({"user_id": user_id, "agency_id": self.agencies[code]["id"]})
                self.staff_of.setdefault(code, []).append(user_id)
            self.logins.append((username, role, DEMO_PASSWORD))
            return user_id

        self.admin_id = add("admin", "admin", "Quản trị hệ thống")
        add("lanhdao", "manager", "Hoàng Văn Minh")
        add("canbo", "staff", STAFF_NAMES[0], ["SGTVT"], "01")
        add("canbo2", "staff", STAFF_NAMES[1], ["SGTVT"], "02")
        counter = 3
        for code, info in self.agencies.items():
            if code == "SGTVT" or not info["n"]:
                continue
            add(
                f"canbo.{code.lower()}",
                "staff",
                STAFF_NAMES[counter % len(STAFF_NAMES)],
                [code],
                f"{counter:02d}",
            )
            counter += 1
        self.rows.update(user=users, user_agency=links)

    # ---- dossiers ---------------------------------------------------------------------------

    def build_dossiers(self) -> None:
        r = self.rng
        active = [info for info in self.agencies.values() if info["n"]]
        sizes = [a["n"] for a in active]
        online = allocate(TARGETS["online"], [a["n"] * ONLINE_SHARE[a["code"]] for a in active])
        postal = allocate(TARGETS["postal"], [a["n"] * POSTAL_SHARE[a["code"]] for a in active])
        pending = allocate(
            TARGETS["pending"],
            [
                a["n"]
                * (
                    1
                    + sum(p["days"] * p["weight"] for p in a["procs"])
                    / max(1, sum(p["weight"] for p in a["procs"]))
                    / 8
                )
                for a in active
            ],
        )
        rest = [
            a["n"]
            - pending[i]
            - a["late"]
            - WITHDRAWN.get(a["code"], 0)
            - STOPPED.get(a["code"], 0)
            for i, a in enumerate(active)
        ]
        early = allocate(
            TARGETS["early"], [rest[i] * EARLY_SHARE[a["code"]] for i, a in enumerate(active)]
        )
        assert sum(sizes) == TARGETS["received"]
        dossiers = []
        for i, a in enumerate(active):
            overdue = OVERDUE_PENDING.get(a["code"], 0)
            cats = (
                ["pending"] * (pending[i] - overdue)
                + ["overdue"] * overdue
                + ["late"] * a["late"]
                + ["withdrawn"] * WITHDRAWN.get(a["code"], 0)
                + ["stopped"] * STOPPED.get(a["code"], 0)
                + ["early"] * early[i]
                + ["on_time"] * (rest[i] - early[i])
            )
            chans = (
                ["online"] * online[i]
                + ["postal"] * postal[i]
                + ["direct"] * (a["n"] - online[i] - postal[i])
            )
            assert len(cats) == len(chans) == a["n"], a["code"]
            r.shuffle(cats)
            r.shuffle(chans)
            pools = {}
            for cat, chan in zip(cats, chans):
                key = (chan, cat == "early")
                if key not in pools:
                    pools[key] = self._pool(a, chan, cat == "early")
                procs, cum = pools[key]
                proc = procs[min(bisect.bisect_right(cum, r.random() * cum[-1]), len(procs) - 1)]
                dossiers.append(self._dossier(a, proc, chan, cat))
        dossiers += self._unreceived(active)
        # Ids and codes in order of acceptance (submission for the unreceived).
        dossiers.sort(key=lambda d: (d["accepted_at"] or d["submitted_at"], d["seq_key"]))
        counters: dict[dt.date, int] = {}
        for n, d in enumerate(dossiers, start=1):
            d["id"] = n
            if d["accepted_at"] is not None:
                day = d["accepted_at"].date()
                counters[day] = counters.get(day, 0) + 1
                d["code"] = format_code(self.unit_code, day, counters[day])
        self.dossiers = dossiers
        self.rows["dossier_counter"] = [
            {"unit_code": self.unit_code, "day": day, "last_seq": n}
            for day, n in sorted(counters.items())
        ]

    def _pool(self, agency, channel, needs_days):
        procs = [
            p
            for p in agency["procs"]
            if p["weight"] > 0
            and (channel != "online" or p["online"] != "none")
            and (channel != "postal" or p["postal_in"])
            and (not needs_days or p["days"] >= 1)
        ]
        assert procs, (agency["code"], channel, needs_days)
        cum, total = [], 0.0
        for p in procs:
            total += p["weight"]
            cum.append(total)
        return procs, cum

    def _dossier(self, agency, proc, channel, cat):
        """One received dossier of category `cat`: dates chosen so that the category holds."""
        r = self.rng
        sat, days = proc["sat"], proc["days"]
        lst, dues = self.accept_days[sat], self.dues(sat, days)
        n = len(lst)
        end = YEAR_END
        k_late = 0
        if cat == "on_time":
            lo, hi = 0, bisect.bisect_right(dues, end)
        elif cat == "late":
            k_late = min(int(r.expovariate(1 / 3)) + 1, 15)
            lo, hi = 0, bisect.bisect_right(dues, self.work_days[self.end_index - k_late])
        elif cat == "pending":
            lo, hi = bisect.bisect_left(dues, end), n
        elif cat == "overdue":
            lo = bisect.bisect_left(dues, self.work_days[self.end_index - 10])
            hi = bisect.bisect_left(dues, end)
        else:
            lo, hi = 0, n
        assert lo < hi, (agency["code"], cat, days)
        day = lst[self.pick_day(sat, lo, hi)]
        accepted = self.office_time(day)
        if cat == "pending" and day == end and accepted.hour >= 16:
            accepted = accepted.replace(hour=15)
        start = self.cal.calendar.clock_start(day)
        due = self.cal.due(day, days)
        d = {
            "agency": agency,
            "proc": proc,
            "channel": channel,
            "cat": cat,
            "accepted_at": accepted,
            "due_date": due,
            "clock_start": start,
            "seq_key": r.random(),
            "pause": None,
            "resolved_at": None,
            "closed_at": None,
            "returned_at": None,
            "return_channel": None,
            "status": 4,
            "rescheduled_due_date": None,
            "reschedule_at": None,
            "note": None,
            "submitted_at": None,
            "courier_out": None,
            "courier_back": None,
            "postal_tracking_no": None,
        }
        self._applicant(d)
        if channel == "online":
            d["submitted_at"] = accepted - dt.timedelta(minutes=r.randint(20, 60 * 40))
        elif channel == "postal":
            d["submitted_at"] = accepted - dt.timedelta(minutes=r.randint(10, 90))
            d["postal_tracking_no"] = f"EL{r.randint(10**8, 10**9 - 1)}VN"
        else:
            d["submitted_at"] = accepted - dt.timedelta(minutes=r.randint(3, 25))
        si, di = self.work_index.get(start), self.work_index[due]

        if cat in ("early", "on_time", "late"):
            # A pause (supplement, or payment of fees) for a few; kept only if the category
            # still holds with the moved due date.
            roll = r.random()
            kind = (
                "supplement"
                if roll < 0.035
                else "payment"
                if roll < 0.041 and proc["fees"]
                else None
            )
            if kind and days >= 3 and di - si >= 2:
                s_i = r.randint(si + 1, di - 1)
                e_i = s_i + r.randint(1, 8)
                started, ended = self.work_days[s_i], self.work_days[e_i]
                new_due = self.cal.calendar.due_date_after_pause(due, started, ended)
                ok = {
                    "early": self.work_index[new_due] - e_i >= 2 and e_i < self.end_index,
                    "on_time": new_due <= end,
                    "late": self.work_index[new_due] + k_late <= self.end_index,
                }[cat]
                if ok:
                    d["pause"] = (kind, started, ended)
                    due = d["due_date"] = new_due
                    di = self.work_index[due]
                    si = e_i  # resolution comes after the pause
            if cat == "early":
                last = min(di - 1, self.end_index)
                res_day = self.work_days[r.randint(si if d["pause"] is None else si + 1, last)]
            elif cat == "on_time":
                res_day = due
            else:
                res_day = self.work_days[di + k_late]
                if r.random() < 0.6:  # an apology with a new date (Mẫu 04)
                    d["rescheduled_due_date"] = (
                        res_day
                        if r.random() < 0.7
                        else self.work_days[min(di + k_late + 1, self.end_index)]
                    )
                    d["reschedule_at"] = max(
                        dt.datetime.combine(
                            self.work_days[max(di - 1, si)], dt.time(15, r.randint(0, 59))
                        ),
                        accepted + dt.timedelta(minutes=30),
                    )
            resolved = self.office_time(res_day, after=accepted, latest=dt.time(15, 50))
            if resolved.date() != res_day:  # a late acceptance: finish before midnight
                resolved = dt.datetime.combine(res_day, dt.time(23, 0))
            d["resolved_at"] = resolved
            d["status"] = 9
        elif cat in ("withdrawn", "stopped"):
            last = min(di, self.end_index)
            close_day = self.work_days[r.randint(si, last)] if si <= last else day
            closed = self.office_time(close_day, after=accepted)
            if closed.date() != close_day:
                closed = dt.datetime.combine(close_day, dt.time(23, 0))
            d["closed_at"] = closed
            if cat == "withdrawn":
                d["status"], d["note"] = 7, "Công dân có đơn xin rút hồ sơ"
            else:
                d["status"] = 8
                d["note"] = "Quá thời hạn bổ sung hồ sơ theo yêu cầu, dừng xử lý"
                if closed.date() > start:
                    started = self.work_days[max(si + 1, self.wd_index(closed.date()) - 5)]
                    if started < closed.date():
                        d["pause"] = ("supplement", started, closed.date())
        elif cat == "overdue":
            d["status"] = 4
            d["rescheduled_due_date"] = self.work_days[di + r.randint(5, 10)]
            d["reschedule_at"] = max(
                dt.datetime.combine(self.work_days[max(di - 1, si)], dt.time(14, r.randint(0, 59))),
                accepted + dt.timedelta(minutes=30),
            )
        else:  # pending in time
            roll = r.random()
            if day == end and accepted.hour >= 14:
                d["status"] = 2
            elif roll < 0.10 and si < self.end_index:
                kind = "supplement" if roll < 0.09 else "payment"
                d["status"] = 5 if kind == "supplement" else 6
                d["pause"] = (kind, self.work_days[r.randint(si + 1, self.end_index)], None)
            else:
                d["status"] = 4
        return d

    def _applicant(self, d):
        r = self.rng
        business = d["agency"]["code"] in ("SKHDT", "SCT", "SXD", "STNMT", "BQLKKT", "STTTT")
        if business and r.random() < 0.7:
            kind, who = "business", self.people.company()  # its id_number: the tax code
        else:
            kind, who = "citizen", self.people.person()
        name, id_number, phone, address = who
        d.update(
            applicant_name=name,
            applicant_kind=kind,
            id_number=id_number,
            phone=phone,
            address=address,
        )
        d["email"] = (
            (
                f"{normalize_search(d['applicant_name']).replace(' ', '.')[:30]}"
                f"{r.randint(1, 99)}@gmail.com"
            )
            if r.random() < 0.3
            else None
        )

    def _unreceived(self, active):
        """Refused online submissions (status 3) and a few not yet accepted (1): not received."""
        r = self.rng
        rows = []
        weights = [a["n"] for a in active]
        for i in range(72):
            agency = r.choices(active, weights)[0]
            pool = [p for p in agency["procs"] if p["online"] != "none"]
            proc = r.choice(pool)
            if i < 60:
                day = self.accept_days[False][r.randrange(len(self.accept_days[False]))]
                submitted = self.office_time(day) - dt.timedelta(hours=r.randint(1, 30))
                closed = self.office_time(day, after=submitted)
                status = 3
            else:
                submitted = dt.datetime(2019, 12, 30, 18) + dt.timedelta(minutes=r.randint(0, 1700))
                closed, status = None, 1
            d = {
                "agency": agency,
                "proc": proc,
                "channel": "online",
                "cat": "unreceived",
                "accepted_at": None,
                "due_date": None,
                "submitted_at": submitted,
                "closed_at": closed,
                "status": status,
                "seq_key": r.random(),
                "pause": None,
                "resolved_at": None,
                "returned_at": None,
                "return_channel": None,
                "rescheduled_due_date": None,
                "reschedule_at": None,
                "courier_out": None,
                "courier_back": None,
                "postal_tracking_no": None,
                "note": (
                    "Hồ sơ không thuộc thẩm quyền giải quyết hoặc thiếu thành phần theo quy định"
                    if status == 3
                    else None
                ),
            }
            self._applicant(d)
            rows.append(d)
        return rows

    # ---- courier runs, returns --------------------------------------------------------------

    def _next_slot(self, at: dt.datetime):
        """The first courier run (working day, 10:30 or 16:00) strictly after `at`."""
        day = at.date()
        if self.cal.calendar.is_working_day(day):
            for time, slot in SLOTS:
                if at.time() < time:
                    return dt.datetime.combine(day, time), slot
        nxt = self.work_days[self.wd_index(day + dt.timedelta(days=1))]
        return dt.datetime.combine(nxt, SLOTS[0][0]), SLOTS[0][1]

    def build_courier(self) -> None:
        r = self.rng
        limit = dt.datetime.combine(YEAR_END, dt.time(16, 0))
        out_ok, back_ok = [], []
        for d in self.dossiers:
            if d["accepted_at"] is None or d["proc"]["four"] or d["status"] == 2:
                continue
            if d["channel"] != "online" or d["proc"]["online"] == "partial":
                run_at, slot = self._next_slot(d["accepted_at"])
                following = [
                    t for t in (d["resolved_at"], d["closed_at"], _pause_start(d)) if t is not None
                ]
                if run_at <= limit and all(run_at < t for t in following):
                    out_ok.append((d, run_at, slot))
            if d["resolved_at"] is not None:
                run_at, slot = self._next_slot(d["resolved_at"])
                if run_at.date() == d["resolved_at"].date() and run_at <= limit:
                    back_ok.append((d, run_at, slot))
        need_out, need_back = TARGETS["courier_to_agencies"], TARGETS["courier_to_center"]
        assert len(out_ok) >= need_out and len(back_ok) >= need_back, (len(out_ok), len(back_ok))
        for d, run_at, slot in r.sample(out_ok, need_out):
            d["courier_out"] = (run_at, slot)
        for d, run_at, slot in r.sample(back_ok, need_back):
            d["courier_back"] = (run_at, slot)

    def build_returns(self) -> None:
        """Hand-over of the results: most at the counter, 1,819 by post, some online."""
        r = self.rng
        end_of_year = dt.datetime.combine(YEAR_END, dt.time(23, 59))
        for d in self.dossiers:
            if d["resolved_at"] is None:
                continue
            if r.random() < 0.015:
                continue  # the applicant never came back for the result: stays "resolved"
            delay = r.choices([0, 1, 2, 3, 5, 8], [30, 30, 15, 10, 10, 5])[0]
            res = d["resolved_at"]
            ready = d["courier_back"][0] if d["courier_back"] else res
            if delay == 0:
                ret = max(ready, res) + dt.timedelta(minutes=r.randint(5, 50))
            else:
                day = self.work_days[self.wd_index(res.date()) + delay]
                ret = self.office_time(day)
            if ret > end_of_year:
                continue
            d["returned_at"], d["status"] = ret, 10
            d["return_channel"] = "counter"
        returned = [d for d in self.dossiers if d["status"] == 10 and d["proc"]["postal_out"]]
        first = [d for d in returned if d["channel"] == "postal"]
        others = [d for d in returned if d["channel"] != "postal"]
        need = TARGETS["returned_by_post"]
        chosen = first[:need] + r.sample(others, need - min(need, len(first)))
        for d in chosen:
            d["return_channel"] = "postal"
            d["postal_tracking_no"] = f"RR{r.randint(10**8, 10**9 - 1)}VN"
        for d in self.dossiers:
            if (
                d["status"] == 10
                and d["return_channel"] == "counter"
                and d["channel"] == "online"
                and d["proc"]["online"] == "full"
                and r.random() < 0.3
            ):
                d["return_channel"] = "online"

    # ---- events, pauses, rows ---------------------------------------------------------------

    def build_events(self) -> None:
        r = self.rng
        events, pauses, dossier_rows = [], [], []
        for d in self.dossiers:
            agency = d["agency"]
            staff = self.staff_of[agency["code"]]
            user_id = staff[0] if len(staff) == 1 else staff[d["id"] % len(staff)]
            d["staff_id"] = user_id
            ev = []

            def add(frm, to, at, reason=None, from_unit=None, to_unit=None, user=None, ev=ev):
                ev.append((at, frm, to, reason, from_unit, to_unit, user))

            if d["accepted_at"] is None:
                add(None, 1, d["submitted_at"])
                if d["status"] == 3:
                    add(1, 3, d["closed_at"], d["note"], user=user_id)
            else:
                accepted = d["accepted_at"]
                if d["channel"] == "online":
                    add(None, 1, d["submitted_at"])
                    add(1, 2, accepted, user=user_id)
                else:
                    add(None, 2, accepted, user=user_id)
                later = [
                    t for t in (d["resolved_at"], d["closed_at"], _pause_start(d)) if t is not None
                ]
                first_later = min(later) if later else None
                forwarded = d["status"] != 2 and (
                    not d["proc"]["four"] or d["pause"] or d["status"] in (4, 5, 6, 8)
                )
                status = 2
                if forwarded:
                    if d["courier_out"]:
                        at = d["courier_out"][0]
                    else:
                        at = accepted + dt.timedelta(minutes=r.randint(20, 90))
                        if first_later is not None and at >= first_later:
                            at = accepted + (first_later - accepted) / 3
                    add(2, 4, at, from_unit=CENTER, to_unit=agency["short"])
                    status = 4
                if d["pause"]:
                    kind, started, ended = d["pause"]
                    paused = 5 if kind == "supplement" else 6
                    reason = (
                        "Yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)"
                        if paused == 5
                        else "Yêu cầu thực hiện nghĩa vụ tài chính"
                    )
                    add(
                        status,
                        paused,
                        dt.datetime.combine(started, dt.time(8, 15)),
                        reason,
                        from_unit=agency["short"],
                        to_unit=CENTER,
                    )
                    status = paused
                    pauses.append(
                        {
                            "dossier_id": d["id"],
                            "kind": kind,
                            "started_on": started,
                            "ended_on": ended,
                            "reason": reason,
                            "created_at": utc(dt.datetime.combine(started, dt.time(8, 15))),
                            "updated_at": utc(
                                dt.datetime.combine(ended or started, dt.time(8, 30))
                            ),
                        }
                    )
                    if ended is not None and d["status"] != 8:
                        add(
                            paused,
                            4,
                            dt.datetime.combine(ended, dt.time(8, 30)),
                            "Đã bổ sung hồ sơ"
                            if paused == 5
                            else "Đã thực hiện nghĩa vụ tài chính",
                            from_unit=CENTER,
                            to_unit=agency["short"],
                        )
                        status = 4
                if d["reschedule_at"]:
                    add(
                        status,
                        status,
                        d["reschedule_at"],
                        f"Xin lỗi và hẹn lại ngày trả kết quả: "
                        f"{d['rescheduled_due_date']:%d/%m/%Y} (Mẫu 04)",
                        from_unit=agency["short"],
                        to_unit=CENTER,
                    )
                if d["resolved_at"]:
                    add(status, 9, d["resolved_at"], from_unit=agency["short"], to_unit=CENTER)
                    if d["returned_at"]:
                        add(
                            9,
                            10,
                            d["returned_at"],
                            user=user_id,
                            reason={
                                "postal": "Trả kết quả qua dịch vụ bưu chính công ích",
                                "online": "Trả kết quả trực tuyến",
                            }.get(d["return_channel"]),
                        )
                elif d["closed_at"]:
                    add(status, d["status"], d["closed_at"], d["note"], user=user_id)
            for i in range(1, len(ev)):  # keep the history in time order
                if ev[i][0] <= ev[i - 1][0]:
                    ev[i] = (ev[i - 1][0] + dt.timedelta(minutes=1),) + ev[i][1:]
            for at, frm, to, reason, from_unit, to_unit, user in ev:
                events.append(
                    {
                        "dossier_id": d["id"],
                        "from_status": frm,
                        "to_status": to,
                        "at": at,
                        "user_id": user,
                        "from_unit": from_unit,
                        "to_unit": to_unit,
                        "reason": reason,
                        "created_at": utc(at),
                    }
                )
            last = ev[-1][0]
            proc = d["proc"]
            dossier_rows.append(
                {
                    "id": d["id"],
                    "code": d.get("code"),
                    "procedure_id": proc["id"],
                    "agency_id": agency["id"],
                    "applicant_name": d["applicant_name"],
                    "applicant_kind": d["applicant_kind"],
                    "id_number": d["id_number"],
                    "phone": d["phone"],
                    "email": d["email"],
                    "address": d["address"],
                    "channel": d["channel"],
                    "submitted_at": d["submitted_at"],
                    "accepted_at": d["accepted_at"],
                    "due_date": d["due_date"],
                    "rescheduled_due_date": d["rescheduled_due_date"],
                    "resolved_at": d["resolved_at"],
                    "returned_at": d["returned_at"],
                    "return_channel": d["return_channel"],
                    "closed_at": d["closed_at"],
                    "status": d["status"],
                    "received_by_id": user_id if d["accepted_at"] or d["status"] == 3 else None,
                    "note": d["note"],
                    "postal_tracking_no": d["postal_tracking_no"],
                    "version": len(ev),
                    "search_text": search_text(
                        d.get("code"),
                        d["applicant_name"],
                        d["id_number"],
                        d["phone"],
                        d["postal_tracking_no"],
                        d["email"],
                    ),
                    "created_at": utc(d["submitted_at"]),
                    "updated_at": utc(last),
                }
            )
        for n, e in enumerate(events, start=1):
            e["id"] = n
        for n, p in enumerate(pauses, start=1):
            p["id"] = n
        self.rows.update(dossier=dossier_rows, dossier_event=events, dossier_pause=pauses)
        self.build_documents()

        # Courier runs: one per (day, slot, direction, agency), created by the center's admin.
        runs: dict[tuple, int] = {}
        run_rows, items = [], []
        for d in self.dossiers:
            for key, direction in (("courier_out", "to_agency"), ("courier_back", "to_center")):
                if not d[key]:
                    continue
                run_at, slot = d[key]
                rkey = (run_at.date(), slot, direction, d["agency"]["id"])
                if rkey not in runs:
                    runs[rkey] = len(run_rows) + 1
                    run_rows.append(
                        {
                            "id": runs[rkey],
                            "run_date": rkey[0],
                            "slot": slot,
                            "direction": direction,
                            "agency_id": rkey[3],
                            "created_by_id": self.admin_id,
                            "note": None,
                            "created_at": utc(run_at - dt.timedelta(minutes=30)),
                            "updated_at": utc(run_at - dt.timedelta(minutes=30)),
                        }
                    )
                items.append(
                    {
                        "id": len(items) + 1,
                        "run_id": runs[rkey],
                        "dossier_id": d["id"],
                        "added_at": utc(run_at - dt.timedelta(minutes=r.randint(5, 40))),
                    }
                )
        self.rows.update(courier_run=run_rows, courier_item=items)

    def build_documents(self) -> None:
        """The papers received with each dossier (listed on the receipt, Mẫu 01)."""
        r = self.rng
        rows = []
        for d in self.dossiers:
            if d["accepted_at"] is None or d["channel"] == "online":
                continue
            business = d["applicant_kind"] == "business"
            papers = [
                ("Đơn đề nghị (theo mẫu)", "original", 1),
                (
                    "Giấy chứng nhận đăng ký doanh nghiệp"
                    if business
                    else "Căn cước công dân / chứng minh nhân dân",
                    "copy",
                    1,
                ),
            ]
            extra = DOCUMENTS.get(d["agency"]["code"])
            if extra:
                papers.append(r.choice(extra))
            at = utc(d["accepted_at"])
            for name, kind, copies in papers:
                rows.append(
                    {
                        "id": len(rows) + 1,
                        "dossier_id": d["id"],
                        "name": name,
                        "kind": kind,
                        "copies": copies,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
        self.rows["dossier_document"] = rows

    def build_payments(self) -> None:
        r = self.rng
        payments, variable = [], []
        for d in self.dossiers:
            if d["accepted_at"] is None or not d["proc"]["fees"]:
                continue
            if d["status"] == 7 and r.random() < 0.5:
                continue  # withdrawn before paying
            if d["applicant_kind"] == "citizen" and r.random() < 0.15:
                continue  # exempt (policy beneficiaries, students, poor households)
            paid = d["accepted_at"] + dt.timedelta(minutes=r.randint(3, 25))
            if d["pause"] and d["pause"][0] == "payment":
                if d["pause"][2] is None:
                    continue  # still awaiting payment at the end of the year
                paid = self.office_time(d["pause"][2])
            if d["channel"] == "online":
                method = (
                    "online"
                    if d["proc"]["online"] == "full" and r.random() < 0.6
                    else "bank_transfer"
                )
            else:
                method = "bank_transfer" if r.random() < 0.8 else "cash"
            for fee_id, amount in d["proc"]["fees"]:
                row = {
                    "dossier_id": d["id"],
                    "fee_item_id": fee_id,
                    "amount_vnd": amount,
                    "method": method,
                    "paid_at": paid,
                    "collected_by_id": d["staff_id"],
                    "cancelled_at": None,
                    "cancel_reason": None,
                }
                payments.append(row)
                if amount is None:
                    variable.append(row)
        fixed = sum(p["amount_vnd"] for p in payments if p["amount_vnd"] is not None)
        remainder = TARGETS["fees_vnd"] - fixed
        assert variable and remainder > len(variable) * 100000, (fixed, len(variable))
        weights = [r.lognormvariate(0, 0.9) for _ in variable]
        whole = sum(weights)
        for row, w in zip(variable[:-1], weights):
            row["amount_vnd"] = max(1000, round(remainder * w / whole / 1000) * 1000)
        variable[-1]["amount_vnd"] = remainder - sum(p["amount_vnd"] for p in variable[:-1])
        assert variable[-1]["amount_vnd"] > 0
        # A few payments entered twice at the counter and cancelled (never deleted, §2).
        for row in r.sample([p for p in payments if p["method"] == "cash"], 5):
            twin = dict(
                row,
                cancelled_at=row["paid_at"] + dt.timedelta(minutes=r.randint(10, 60)),
                cancel_reason="Nhập trùng biên lai, đã hủy",
            )
            payments.append(twin)
        payments.sort(key=lambda p: (p["paid_at"], p["dossier_id"], p["fee_item_id"]))
        for n, p in enumerate(payments, start=1):
            p["id"] = n
            p["receipt_no"] = f"BL{p['paid_at']:%y}-{n:06d}"
            p["created_at"] = utc(p["paid_at"])
            p["updated_at"] = utc(p["cancelled_at"] or p["paid_at"])
        self.rows["payment"] = payments

    def build_ratings_and_forms(self) -> None:
        r = self.rng
        direct = [d for d in self.dossiers if d["accepted_at"] and d["channel"] == "direct"]
        n_sat = TARGETS["ratings_satisfied"]
        n_total = TARGETS["ratings_very_satisfied"] + n_sat
        chosen = sorted(r.sample(direct, n_total), key=lambda d: d["id"])
        levels = ["satisfied"] * n_sat + ["very_satisfied"] * (n_total - n_sat)
        r.shuffle(levels)
        ratings = []
        for n, (d, level) in enumerate(zip(chosen, levels), start=1):
            at = d["accepted_at"] + dt.timedelta(minutes=r.randint(1, 8), seconds=r.randint(0, 59))
            ratings.append(
                {
                    "id": n,
                    "staff_id": d["staff_id"],
                    "dossier_id": d["id"],
                    "level": level,
                    "rated_at": at,
                    "channel": "kiosk" if r.random() < 0.97 else "portal",
                    "cancelled_at": None,
                    "cancel_reason": None,
                    "created_at": utc(at),
                    "updated_at": utc(at),
                }
            )
        self.rows["staff_rating"] = ratings

        indicators = self.indicator_rows = seed_indicator_rows()
        citizen = [row for row in indicators if row["form_set"] == "citizen_2019"]
        returned = [
            d
            for d in self.dossiers
            if d["returned_at"]
            and d["return_channel"] == "counter"
            and d["returned_at"].date() >= EVALUATION_FROM
        ]
        scores = [s for s, count in TARGETS["evaluation_forms"].items() for _ in range(count)]
        r.shuffle(scores)
        chosen = sorted(r.sample(returned, len(scores)), key=lambda d: d["id"])
        forms, answers = [], []
        for n, (d, score) in enumerate(zip(chosen, scores), start=1):
            at = d["returned_at"] + dt.timedelta(minutes=r.randint(2, 15))
            forms.append(
                {
                    "id": n,
                    "dossier_id": d["id"],
                    "agency_id": d["agency"]["id"],
                    "form_set": "citizen_2019",
                    "submitted_at": at,
                    "channel": "paper" if r.random() < 0.8 else "kiosk",
                    "score": score,
                    "max_score": 8,
                    "cancelled_at": None,
                    "cancel_reason": None,
                    "created_at": utc(at),
                    "updated_at": utc(at),
                }
            )
            points = [2, 2, 2, 2]
            for _ in range(8 - score):
                i = r.choice([i for i, p in enumerate(points) if p > 0])
                points[i] -= 1
            for ind, p in zip(citizen, points):
                answers.append(
                    {
                        "id": len(answers) + 1,
                        "form_id": n,
                        "indicator_code": ind["code"],
                        "score": p,
                    }
                )
        self.rows.update(evaluation_form=forms, evaluation_answer=answers)

    def build_feedback(self) -> None:
        r = self.rng
        topics = [
            (
                "Hỏi thủ tục đổi giấy phép lái xe",
                "SGTVT",
                "Tôi muốn hỏi đổi giấy phép lái xe hạng A1 cần những giấy tờ gì, bao lâu có kết "
                "quả?",
            ),
            (
                "Hồ sơ lý lịch tư pháp chưa có kết quả",
                "STP",
                "Tôi nộp hồ sơ cấp phiếu lý lịch tư pháp, đến ngày hẹn vẫn chưa nhận được kết quả.",
            ),
            (
                "Đề nghị bố trí thêm quầy tiếp nhận giao thông",
                "SGTVT",
                "Buổi sáng thứ Hai đông người, đề nghị Trung tâm bố trí thêm cán bộ tiếp nhận.",
            ),
            (
                "Hỏi về nộp hồ sơ đăng ký doanh nghiệp qua mạng",
                "SKHDT",
                "Doanh nghiệp muốn nộp hồ sơ thay đổi đăng ký kinh doanh trực tuyến, nhờ hướng dẫn.",
            ),
            (
                "Khen thái độ phục vụ của cán bộ",
                None,
                "Cán bộ quầy số 5 hướng dẫn nhiệt tình, chu đáo, tôi rất hài lòng.",
            ),
            (
                "Phản ánh máy lấy số thứ tự bị lỗi",
                None,
                "Sáng nay máy lấy số tự động không in được phiếu, phải chờ lâu.",
            ),
            (
                "Hỏi phí thẩm định cấp giấy phép kinh doanh karaoke",
                "SVHTTDL",
                "Xin hỏi mức phí thẩm định cấp giấy phép kinh doanh karaoke hiện nay là bao nhiêu?",
            ),
            (
                "Thời gian giải quyết giấy phép xây dựng",
                "SXD",
                "Hồ sơ xin giấy phép xây dựng của công ty đã quá hẹn, đề nghị xem xét.",
            ),
            (
                "Hỏi thủ tục cấp điện mới",
                "PCLS",
                "Gia đình tôi xây nhà mới, muốn đăng ký lắp công tơ điện thì làm thế nào?",
            ),
            (
                "Đăng ký thế chấp quyền sử dụng đất",
                "STNMT",
                "Tôi cần đăng ký thế chấp để vay vốn ngân hàng, thời gian giải quyết là mấy ngày?",
            ),
            (
                "Nhận kết quả qua bưu điện",
                None,
                "Tôi ở huyện Đình Lập, có thể nhận kết quả qua bưu điện không và phí bao nhiêu?",
            ),
            (
                "Hỏi gia hạn giấy phép liên vận Việt – Trung",
                "SGTVT",
                "Xe của công ty sắp hết hạn giấy phép liên vận, xin hỏi thủ tục gia hạn.",
            ),
        ]
        senders = [self.people.person() for _ in range(48)]
        channels = ["hotline"] * 4 + ["email"] * 2 + ["portal"] * 2 + ["direct"] * 2 + ["app"]
        rows = []
        for n in range(48):
            subject, code, content = topics[n % len(topics)]
            day = self.accept_days[False][r.randrange(len(self.accept_days[False]))]
            received = self.office_time(day)
            channel = r.choice(channels)
            if channel == "app" and received.date() < dt.date(2019, 9, 1):
                channel = "hotline"  # the Zalo channel opened in the second half of 2019
            due = self.cal.nth(self.work_days[self.wd_index(day)], 10)
            answered, status, answer = None, "new", None
            if day <= dt.date(2019, 12, 20) or r.random() < 0.4:
                late = r.random() < 0.06
                ans_day = (
                    self.work_days[self.work_index[due] + r.randint(1, 3)]
                    if late
                    else self.work_days[self.wd_index(day) + r.randint(0, 8)]
                )
                if ans_day <= YEAR_END:
                    answered = self.office_time(ans_day, after=received)
                    status = "closed" if r.random() < 0.5 else "answered"
                    answer = (
                        "Trung tâm đã tiếp nhận và chuyển cơ quan giải quyết; đã trả lời "
                        "công dân bằng điện thoại và văn bản."
                    )
            elif r.random() < 0.5:
                status = "processing"
            name, _, phone, _ = senders[n]
            rows.append(
                {
                    "id": n + 1,
                    "channel": channel,
                    "received_at": received,
                    "sender": name,
                    "contact": phone,
                    "subject": subject,
                    "content": content,
                    "agency_id": self.agencies[code]["id"] if code else None,
                    "dossier_id": None,
                    "due_date": due,
                    "status": status,
                    "answer": answer,
                    "answered_at": answered,
                    "handled_by_id": self.admin_id if answered else None,
                    "search_text": search_text(name, phone, subject, content),
                    "created_at": utc(received),
                    "updated_at": utc(answered or received),
                }
            )
        rows.sort(key=lambda f: f["received_at"])
        for n, f in enumerate(rows, start=1):
            f["id"] = n
        self.rows["feedback"] = rows

    # ---- insert -----------------------------------------------------------------------------

    def insert(self, session) -> None:
        ensure_indicators(session)
        session.flush()
        indicator_ids = dict(
            session.execute(select(EvaluationIndicator.code, EvaluationIndicator.id)).all()
        )
        for answer in self.rows["evaluation_answer"]:
            answer["indicator_id"] = indicator_ids[answer.pop("indicator_code")]
        order = [
            (Agency, "agency"),
            (Field, "field"),
            (Procedure, "procedure"),
            (FeeItem, "fee_item"),
            (ProcedureDocument, "procedure_document"),
            (User, "user"),
            (user_agency, "user_agency"),
            (Dossier, "dossier"),
            (DossierDocument, "dossier_document"),
            (DossierCounter, "dossier_counter"),
            (DossierEvent, "dossier_event"),
            (DossierPause, "dossier_pause"),
            (Payment, "payment"),
            (StaffRating, "staff_rating"),
            (EvaluationForm, "evaluation_form"),
            (EvaluationAnswer, "evaluation_answer"),
            (Feedback, "feedback"),
            (CourierRun, "courier_run"),
            (CourierItem, "courier_item"),
        ]
        tables = []
        for model, key in order:
            table = getattr(model, "__table__", model)
            bulk_insert(session, table, self.rows[key])
            tables.append(table)
        sync_sequences(session, tables + [EvaluationIndicator.__table__])


def seed_indicator_rows():
    return [
        {"code": code, "form_set": form_set}
        for form_set, rows in INDICATORS.items()
        for code, *_ in rows
    ]


def _pause_start(d):
    if d["pause"]:
        return dt.datetime.combine(d["pause"][1], dt.time(8, 15))
    return None


def _best_field(name: str, fields) -> str:
    words = set(normalize_search(name).split())
    best, score = fields[0][0], 0
    for suffix, field_name in fields:
        common = len(words & set(normalize_search(field_name).split()))
        if common > score:
            best, score = suffix, common
    return best


def _result_of(name: str) -> str:
    lowered = name.lower()
    for word in (
        "giấy phép",
        "giấy chứng nhận",
        "chứng chỉ",
        "phiếu lý lịch tư pháp",
        "thẻ",
        "quyết định",
        "giấy xác nhận",
        "phù hiệu",
        "biển hiệu",
    ):
        if word in lowered:
            return word[0].upper() + word[1:]
    return "Văn bản trả lời của cơ quan có thẩm quyền"
