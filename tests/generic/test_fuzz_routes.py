"""Route fuzzer (issue 11): every route of the URL map, as every role, on SQLite and PostgreSQL,
gets hostile values in every query argument, path value and form field it reads. No answer may
be a 500, nor show SQL text or a Python traceback.

The routes come from the URL map and the arguments from what each route actually reads (the
request's argument dictionaries note every key a view asks for), so a screen is covered the day
it is added. The values are a fixed list, not random: a failure is repeatable."""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import quote, urlsplit

import pytest
from flask import Request
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.security import generate_password_hash
from werkzeug.test import run_wsgi_app
from werkzeug.wsgi import get_current_url

from domain import clock, kiosk, notifications, queue
from domain.evaluation import ensure_indicators
from domain.lifecycle import accept_dossier
from models import (
    CalendarDay,
    CourierItem,
    CourierRun,
    Dossier,
    FeeItem,
    Field,
    Notice,
    Procedure,
    ProcedureDocument,
    QueueCounter,
    ServiceGroup,
    User,
    db,
)
from tests.factories import PASSWORD, create_agency, create_user, login, service_records
from tests.support import empty_tables, make_app
from views import auth
from views.queue_devices import COOKIES
from views.service.rating_kiosk import KIOSK_COOKIE

ROLES = ("anonymous", "admin", "staff", "manager")
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")

WORDS_1000 = " ".join(f"tu{i}" for i in range(1000))
SHORT = (
    "-1",
    str(2**31),
    str(2**63),
    str(10**30),  # negative, huge
    "0001-01",
    "9999-12-31",  # not numbers; dates at the ends of the calendar
    "",  # empty
    "a\x00b",  # NUL byte
    # SQL, markup (were it echoed unescaped, the nonce check below would see the script),
    # characters that normalising changes (ǅ, ﬁ), one outside the BMP, a right-to-left
    # override, LIKE's wildcards. No Vietnamese letter: the error pages' language check.
    "' OR '1'='1'; --<script>alert(1)</script> ǅ ﬁ 𝕏 \u202e%_\\",
)
# Sent last to each route, and only in the arguments it was seen to read with the values above
# (Flask-Admin's list filters too: it reads each filter's value by key). The route's other
# arguments would only test Werkzeug's parser (and url_for's quoting where a page repeats its
# query string in its links), which the short values cover; over every argument of a list page
# each giant made a request of half a megabyte, a quarter of the fuzzer's CPU.
GIANT = (
    "9" * 10_000,  # very long (and a number no integer type holds)
    WORDS_1000,  # a 1,000-word search
)
HOSTILE = SHORT + GIANT

# The arguments the brief names; each route also gets the ones it is seen to read.
QUERY_ARGS = (
    "page",
    "page_size",
    "sort",
    "desc",
    "search",
    "id",
    "url",
    "until",
    "from",
    "to",
    "month",
    "quarter",
    "year",
    "preset",
    "term",
    "query",
    "offset",
    "limit",
    "name",
    "dossier_id",
    "next",
    "flt0_nosuch",
    "flt99999999999999999999_x",
    "flt_x",
)
# An argument that selects a branch: each of its values is tried with the hostile rest.
BRANCHES = {"preset": ("month", "quarter", "year", "cutoff", "range")}
# Path values that reach the view (the hostile ones go in as well).
PATH_SAMPLES = {
    "form_no": "01",
    "filename": "catalog.xlsx",
    "export_type": "csv",
    "token": "a" * 32,
}

# A refusal is a page in Vietnamese (the default language), not Werkzeug's English one.
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")
LEAKS = (
    "Traceback (most recent call last)",
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "psycopg",
    "sqlite3.",
    "sqlalchemy",
    "sqlalche.me",
)


# ---- which arguments a route reads ----------------------------------------------------------


class _Logged(logging.Handler):
    """Errors the app logs (an exception caught and shown as an "error reference" flash answers
    200, not 500): each one is a failure of the request that caused it."""

    records: list[str] = []

    def emit(self, record):
        _Logged.records.append(record.getMessage())


class _Reads:
    keys: list = []  # in the order the view asked for them


class RecordingDict(ImmutableMultiDict):
    """The request's args and form: every key a view asks for is noted in _Reads.keys."""

    def _note(self, key):
        if key not in _Reads.keys:
            _Reads.keys.append(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self._note(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingDict


class FuzzClient(FlaskClient):
    """Werkzeug's test client, but the cookies' host and path come from the URL without its
    query string: werkzeug's own builds the whole URL twice per request, decoding the query
    string each time (a tenth of the fuzzer's CPU with 10,000-character values). The app gets
    the same request."""

    def run_wsgi_app(self, environ, buffered=False):
        query = environ.pop("QUERY_STRING", None)
        self._add_cookies_to_wsgi(environ)
        url = urlsplit(get_current_url(environ))
        if query is not None:
            environ["QUERY_STRING"] = query
        rv = run_wsgi_app(self.application, environ, buffered=buffered)
        self._update_cookies_from_response(
            url.hostname or "localhost", url.path, rv[2].getlist("Set-Cookie")
        )
        return rv


# ---- one small data set per backend ---------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz(database_url):
    """Its own app (request class and exception settings changed) over a small data set: a
    dossier, a payment, a rating, an evaluation form, feedback and a courier run."""
    app = make_app(
        database_url,
        PROPAGATE_EXCEPTIONS=False,
        DASHBOARD_CACHE_SECONDS=0,
        # Limits tested elsewhere; here a 429 would only hide the code behind it.
        QUEUE_TICKETS_PER_MINUTE=100_000,
        LOOKUP_LIMIT_PER_ADDRESS="100000 per minute",
    )
    app.request_class = RecordingRequest
    app.test_client_class = FuzzClient
    app.logger.addHandler(_Logged(logging.ERROR))
    with app.app_context():
        empty_tables()
        samples, devices = _seed()
        # Hundreds of login attempts: a one-round hash instead of scrypt's deliberate cost.
        db.session.execute(update(User).values(password_hash=CHEAP_HASH))
        db.session.commit()
    clients = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_nobody", lambda: User(password_hash=CHEAP_HASH), raising=False)
        for number, role in enumerate(ROLES, start=10):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number}"  # a login limit per role
            if role != "anonymous":
                assert login(client, f"{role}1").status_code == 302
            else:  # a citizen at the ticket kiosk, the hall display and the rating tablet
                for name, token, path in devices:
                    client.set_cookie(name, token, path=path)
            clients[role] = client
        yield app, clients, samples
    with app.app_context():
        empty_tables()
        db.engine.dispose()


def _seed():

    agency = create_agency()
    create_agency(code="STP", name="Sở Tư pháp")
    create_user("admin1", "admin")
    staff = create_user("staff1", "staff", [agency])
    create_user("manager1", "manager")
    field = Field(code="F1", name="Đường bộ", agency=agency)
    proc = Procedure(
        code="1.000001", name="Cấp giấy phép lái xe", agency=agency, field=field, processing_days=3
    )
    proc.fee_items.append(FeeItem(kind="fee", name="Lệ phí", amount_vnd=135000))
    db.session.add_all([field, proc, CalendarDay(date=dt.date(2019, 12, 31), is_working_day=False)])
    db.session.flush()
    at = dt.datetime(2019, 3, 4, 9, 0)
    dossier = Dossier(procedure=proc, applicant_name="Nguyễn Văn An", channel="postal")
    accept_dossier(db.session, dossier, staff, at, "000.00.20.H37")
    db.session.flush()
    ensure_indicators(db.session)
    run = CourierRun(run_date=at.date(), slot="10:30", direction="to_agency", agency=agency)
    run.items.append(CourierItem(dossier=dossier))
    db.session.add_all(
        [
            *service_records(agency, dossier, staff, at, rated_dossier=dossier).values(),
            run,
        ]
    )
    db.session.flush()
    samples = {
        "public.procedure": {"code": proc.code},
        "api_v1.procedure": {"code": proc.code},
        "api_v1.dossier": {"code": dossier.code},
        "dossier.intake_procedure_view": {"procedure_id": str(proc.id)},
        "dossier_due.intake_procedure_view": {"procedure_id": str(proc.id)},
    }
    samples.update(_seed_newer_screens(agency, proc, dossier, staff, at))
    db.session.commit()
    return samples, _devices(staff)


def _seed_newer_screens(agency, proc, dossier, staff, at):
    """Rows for the screens added after the fuzzer: the checklist, notices, the queue (a ticket
    called to staff1's counter)."""

    notifications.ensure_templates(db.session)
    group = ServiceGroup(name="Giao thông vận tải", prefix="A", agencies=[agency])
    counter = QueueCounter(number="1", name="Quầy 1", groups=[group])
    db.session.add_all(
        [
            ProcedureDocument(procedure=proc, name="Đơn đề nghị", kind="original", copies=1),
            Notice(
                event="result_ready",
                channel="sms",
                recipient="0912345678",
                dossier=dossier,
                context={},
                status="queued",
                created_at=at,
                next_attempt_at=at,
            ),
            group,
            counter,
        ]
    )
    db.session.flush()
    ticket = queue.issue_ticket(db.session, group, clock.now())
    queue.issue_ticket(db.session, group, clock.now())
    queue.take_counter(db.session, counter, staff)
    queue.call_next(db.session, counter, staff, clock.now())
    return {"queue_public.ticket": {"ticket_id": str(ticket.id)}}


def _devices(officer):
    """(cookie, token, path) of a ticket kiosk, a hall display and a rating tablet."""

    now, life = clock.utcnow(), dt.timedelta(days=1)
    cookies = []
    for kind in ("ticket", "display"):
        _, token = queue.start_device(db.session, kind, "Sảnh", officer, now, life)
        cookies.append((*COOKIES[kind][:1], token, COOKIES[kind][1]))
    _, token = kiosk.start(db.session, officer, officer, now, life, life)
    cookies.append((KIOSK_COOKIE, token, "/kiosk/"))
    db.session.commit()
    return cookies


# ---- the targets ----------------------------------------------------------------------------


def _views(app):
    return {view.endpoint: view for admin in app.extensions["admin"] for view in admin._views}


def _sample_id(app, endpoint):
    """The id of a row of the view's model (details, edit and cancel pages need one)."""
    view = _views(app).get(endpoint.split(".")[0])
    model = getattr(view, "model", None)
    if model is None:
        return None
    with app.app_context():
        row = db.session.query(model).order_by(model.id).first()
        return None if row is None else str(row.id)


def _filter_args(app, endpoint):
    view = _views(app).get(endpoint.split(".")[0])
    return [f"flt0_{key}" for key in (getattr(view, "_filter_args", None) or {})]


def _path(rule, samples, value=None) -> str:
    """The rule's path with a sample (or the given hostile) value in each converter: a row of
    the data set where the route names one (`samples`, by endpoint), else PATH_SAMPLES."""
    samples = {**PATH_SAMPLES, **samples.get(rule.endpoint, {})}

    def fill(match):
        name = match.group(1)
        raw = samples.get(name, "1") if value is None else value
        return quote(raw, safe="")

    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", fill, rule.rule)


def _rules(app, method):
    return sorted(
        (r for r in app.url_map.iter_rules() if method in r.methods), key=lambda r: r.rule
    )


def _short(value: str) -> str:
    return repr(value if len(value) < 24 else f"{value[:12]}…({len(value)} chars)")


def _refused(response) -> bool:
    """Closed to this role (or to everyone): nothing past the access check ran."""
    return response.status_code in (403, 404, 405) or (
        response.status_code == 302 and response.location.startswith("/login")
    )


class Fuzzer:
    """One role's client; every answer is checked as it comes. Arguments are named "?name"
    (query string) or "name" (form body)."""

    def __init__(self, app, client, role):
        self.app, self.client, self.role = app, client, role
        self.failures: list[str] = []
        self.sent = 0

    def send(self, method, path, named=None):
        named = named or {}
        args = _encoded({k[1:]: v for k, v in named.items() if k.startswith("?")})
        form = _encoded({k: v for k, v in named.items() if not k.startswith("?")})
        _Reads.keys, _Logged.records = [], []
        if method == "GET":
            response = self.client.get(path, query_string=args)
        else:
            response = self.client.post(path, query_string=args, data=form, content_type=FORM)
        self.sent += 1
        reads = list(_Reads.keys)
        response.ok = self.check(response, method, path, named)
        if (
            self.role != "anonymous"
            and response.status_code == 302
            and response.location.startswith("/login")
        ):
            # Logged out (the logout route): log in again for the next requests.
            assert login(self.client, f"{self.role}1").status_code == 302
        return response, reads

    def check(self, response, method, path, named) -> bool:
        body = response.get_data().decode("utf-8", "replace")
        leak = next((s for s in LEAKS if s in body), None)
        if (
            not leak
            and 400 <= response.status_code < 500
            and response.mimetype == "text/html"
            and not VIETNAMESE.search(body)
        ):
            leak = "an error page not in Vietnamese"
        leak = leak or self.header_problem(response, path, body)
        if not leak and _Logged.records:
            leak = f"a logged error: {_Logged.records[0][:120]}"
        if response.status_code < 500 and not leak:
            return True
        values = " | ".join(sorted({_short(v) for v in named.values()}))
        names = sorted(named) if len(named) < 4 else f"{len(named)} arguments"
        self.failures.append(
            f"{response.status_code} {method} {path[:60]} {names} = {values}"
            + (f" shows {leak!r}" if leak else "")
        )
        return False

    def header_problem(self, response, path, body) -> str | None:
        """Issue 11 item 8 on every answer: a nonce policy (public pages too) that every inline
        script and style carries; no-store on what a logged-in user sees."""
        if path.startswith("/static/"):
            return None
        policy = response.headers.get("Content-Security-Policy", "")
        nonce = re.search(r"script-src 'self' 'nonce-([^']+)'(;|$)", policy)
        if not nonce or "unsafe-inline" in policy:
            return f"Content-Security-Policy {policy!r}"
        if response.mimetype == "text/html":
            for tag in re.findall(r"<(?:script|style)\b[^>]*>", body):
                if f'nonce="{nonce.group(1)}"' not in tag:
                    return f"{tag} without the nonce"
            inline = re.search(r"<[^>]+\s(on[a-z]+|style)\s*=", body)
            if inline:
                return f"inline {inline.group(1)}= (the policy blocks it)"
        if (
            self.role != "anonymous"
            and response.status_code == 200
            and not self.app.session_interface.is_public(path)
            and response.headers.get("Cache-Control") != "no-store"
        ):
            return f"Cache-Control {response.headers.get('Cache-Control')!r} (logged in)"
        return None

    def closed(self, method, path, base, names):
        """A route the role may not open: the refusal must come first, whatever the values."""
        mixed = [v for v in HOSTILE if "\x00" not in v]
        rotated = {n: mixed[i % len(mixed)] for i, n in enumerate(sorted(names))}
        for values in (rotated, dict.fromkeys(names, "a\x00b")):
            self.send(method, path, {**base, **values})

    def route(self, method, path, base, names, reads=()):
        """Every hostile value in all the route's arguments at once (over the valid `base`).
        When that is refused (4xx), again without the argument the route read last (the one
        it refused), so that an early refusal does not hide the arguments read after it."""
        variants = [{}] + [
            {f"?{branch}": c}
            for branch, choices in BRANCHES.items()
            if f"?{branch}" in names and branch in reads
            for c in choices
        ]
        seen = set(reads)  # every argument the route asked for, with any value
        for value in HOSTILE:
            targets = names
            if value in GIANT:
                targets = [n for n in names if n.lstrip("?") in seen] or names
            for variant in variants if "\x00" not in value else [{}]:  # NUL: refused first
                remaining = [n for n in targets if n not in variant]
                while remaining:
                    response, reads_now = self.send(
                        method, path, {**base, **variant, **dict.fromkeys(remaining, value)}
                    )
                    seen.update(reads_now)
                    if not response.ok and len(remaining) > 1 and len(self.failures) < 40:
                        self.culprits(method, path, {**base, **variant}, remaining, value)
                    if response.status_code < 400:
                        break
                    last = next(
                        (n for r in reversed(reads_now) for n in remaining if n.lstrip("?") == r),
                        None,
                    )
                    if last is None:  # refused before reading any (e.g. the NUL guard)
                        break
                    remaining.remove(last)

    def culprits(self, method, path, base, names, value):
        """A failure with many hostile arguments: which fail on their own (for the report)."""
        for name in names:
            self.send(method, path, {**base, name: value})


FORM = "application/x-www-form-urlencoded"
_quoted: dict[str, str] = {}


def _encoded(pairs: dict) -> str:
    """`name=value&…` as a query string or form body, each text quoted once for the whole run
    (the same hostile values go to dozens of arguments of hundreds of routes)."""

    def q(text):
        found = _quoted.get(text)
        if found is None:
            found = _quoted[text] = quote(text, safe="")
        return found

    return "&".join(f"{q(k)}={q(v)}" for k, v in pairs.items())


def _report(fz):
    return f"{len(fz.failures)} of {fz.sent} requests:\n" + "\n".join(fz.failures[:80])


@pytest.mark.parametrize("role", ROLES)
def test_get_routes_never_fail(fuzz, role):
    app, clients, samples = fuzz
    fz = Fuzzer(app, clients[role], role)
    for rule in _rules(app, "GET"):
        path, base = _path(rule, samples), {}
        response, reads = fz.send("GET", path)
        sample = _sample_id(app, rule.endpoint)
        if "id" in reads and sample:  # details, edit, print, cancel: a row to show
            base = {"?id": sample}
            response, more = fz.send("GET", path, base)
            reads += more
        names = sorted({f"?{n}" for n in (*QUERY_ARGS, *reads, *_filter_args(app, rule.endpoint))})
        if _refused(response):
            fz.closed("GET", path, base, names)
        else:
            fz.route("GET", path, base, names, reads)
        if rule.arguments and response.status_code not in (302, 403):  # past the role check
            for value in HOSTILE:
                fz.send("GET", _path(rule, samples, value), base)
    assert not fz.failures, _report(fz)


@pytest.mark.parametrize("role", ROLES)
def test_post_routes_never_fail(fuzz, role):
    app, clients, samples = fuzz
    fz = Fuzzer(app, clients[role], role)
    for rule in _rules(app, "POST"):
        path = _path(rule, samples)
        sample = _sample_id(app, rule.endpoint)
        base = {"?id": sample, "id": sample} if sample else {}
        # The fields: those the page's form shows and those the route reads from the body.
        fields = {"id", "rowid", "action", "url", "reason", "next"}
        if "GET" in rule.methods:
            page, _ = fz.send("GET", path, base)
            fields.update(
                re.findall(
                    r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"',
                    page.get_data().decode("utf-8", "replace"),
                )
            )
        response, reads = fz.send("POST", path, base)
        fields.update(reads)
        fields.discard("csrf_token")
        if _refused(response):
            fz.closed("POST", path, base, sorted(fields))
        else:
            fz.route("POST", path, base, sorted(fields), reads)
            if "id" in reads:  # and a hostile row id in the query string
                fz.route(
                    "POST", path, {k: v for k, v in base.items() if k != "?id"}, ["?id"], reads
                )
        if rule.arguments and response.status_code not in (302, 403):  # past the role check
            for value in HOSTILE:
                fz.send("POST", _path(rule, samples, value), base)
    assert not fz.failures, _report(fz)
