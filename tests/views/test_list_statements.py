"""A list's statements kept per view (views/list_select.py list_statements): sent again only for
the same user, role, agencies, sort, page and size; the rows and the count read anew each time;
a list whose query depends on more (the supervision list: today, the calendar) keeps none."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from domain import clock
from domain import lifecycle as lc
from models import Dossier, Procedure, User, db
from tests.factories import create_user, licence_procedure, login, user_agencies
from tests.support import statements_of
from tests.views.test_dossier_lists import _count_text
from tests.views.test_list_paging import _link
from views import list_select

UNIT = "000.00.20.H37"
MONDAY = dt.datetime(2019, 3, 4, 9)


@pytest.fixture
def world(app, users):
    """Two dossiers of SGTVT (staff1's agency) and one of STP, accepted one hour apart."""
    with app.app_context():
        sgtvt, stp = user_agencies()
        create_user("staff2", "staff", [stp])
        procedures = {
            sgtvt: licence_procedure(sgtvt),
            stp: Procedure(code="2.1", name="Lý lịch tư pháp", agency=stp, processing_days=10),
        }
        dossiers = []
        for n, agency in enumerate((sgtvt, sgtvt, stp)):
            d = Dossier(procedure=procedures[agency], applicant_name=f"Người {n}")
            lc.accept_dossier(db.session, d, None, MONDAY + dt.timedelta(hours=n), UNIT)
            dossiers.append(d)
        db.session.commit()
        return [d.code for d in dossiers]


def _codes(client, url: str) -> list[str]:
    return _shown(client.get(url).get_data(as_text=True))


def _shown(html: str) -> list[str]:
    """The codes of the dossiers on the page, in the page's order."""
    return list(dict.fromkeys(re.findall(r"000\.00\.20\.H37-\d{6}-\d{4}", html)))


def _set_agencies(app, username: str, role: str, agency_index: int | None):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        user.role = role
        user.agencies = [] if agency_index is None else [user_agencies()[agency_index]]
        db.session.commit()


def test_a_kept_statement_follows_the_users_agencies_and_role(app, client, world):
    sgtvt_old, sgtvt_new, stp = world
    login(client, "staff1")
    for _ in range(2):  # the second page from the kept statements
        assert _codes(client, "/dossier/") == [sgtvt_new, sgtvt_old]
    _set_agencies(app, "staff1", "staff", 1)  # moved to STP
    assert _codes(client, "/dossier/") == [stp]
    _set_agencies(app, "staff1", "manager", None)  # promoted: every agency
    assert _codes(client, "/dossier/") == [stp, sgtvt_new, sgtvt_old]
    other = app.test_client()
    login(other, "staff2")  # STP's clerk between two pages of the manager
    assert _codes(other, "/dossier/") == [stp]
    assert _codes(client, "/dossier/") == [stp, sgtvt_new, sgtvt_old]


def _newest_first(app, world, more: int = 21) -> list[str]:
    """`more` dossiers more, each an hour older than the one before (21: 24, two pages of 20).
    All the codes, newest first."""
    extra = []
    with app.app_context():
        procedure = db.session.scalar(select(Dossier.procedure_id).limit(1))
        for n in range(more):
            d = Dossier(procedure_id=procedure, applicant_name=f"Thêm {n}")
            lc.accept_dossier(db.session, d, None, MONDAY - dt.timedelta(hours=n + 1), UNIT)
            extra.append(d.code)
        db.session.commit()
    return [*reversed(world), *extra]


def test_each_page_sort_and_size_has_its_own_statement(app, client, login_as, world):
    newest_first = _newest_first(app, world)
    login_as("manager")
    for _ in range(2):  # the second time from the kept statements
        assert _codes(client, "/dossier/?page_size=20") == newest_first[:20]
        assert _codes(client, "/dossier/?page_size=20&page=1") == newest_first[20:]
        assert _codes(client, "/dossier/") == newest_first
        # accepted_at, oldest first
        assert _codes(client, "/dossier/?sort=6&page_size=20") == newest_first[::-1][:20]


def test_each_cursor_has_its_own_statement(app, client, login_as, world):
    newest_first = _newest_first(app, world, more=41)  # 44: three pages of 20
    app.config["LIST_COUNT_LIMIT"] = 10  # past the exact count: pages by key
    login_as("manager")
    for _ in range(2):
        pages = [client.get("/dossier/?page_size=20").get_data(as_text=True)]
        for _ in range(2):
            pages.append(client.get(_link(pages[-1], "next")).get_data(as_text=True))
        assert [_shown(p) for p in pages] == [
            newest_first[:20],
            newest_first[20:40],
            newest_first[40:],
        ]
        back = client.get(_link(pages[-1], "prev")).get_data(as_text=True)
        assert _shown(back) == newest_first[20:40]


def test_kept_statements_read_the_rows_and_the_count_anew(app, client, login_as, world):
    login_as("manager")
    assert _count_text(client.get("/dossier/").get_data(as_text=True)).startswith("3 ")
    with app.app_context():
        procedure = db.session.scalar(select(Dossier.procedure_id).limit(1))
        d = Dossier(procedure_id=procedure, applicant_name="Mới")
        lc.accept_dossier(db.session, d, None, MONDAY + dt.timedelta(days=1), UNIT)
        db.session.commit()
        code = d.code
    html = client.get("/dossier/").get_data(as_text=True)
    assert _shown(html)[0] == code
    assert _count_text(html).startswith("4 ")


def test_the_supervision_list_keeps_no_statement(app, client, login_as, world):
    """Its query depends on today (and the calendar): a statement kept by user, sort and page
    would show yesterday's list."""
    login_as("manager")
    with clock.frozen(MONDAY - dt.timedelta(days=60)):
        assert _codes(client, "/dossier_due/") == []  # due in two months: not yet due soon
    with clock.frozen(MONDAY + dt.timedelta(days=60)):
        assert len(_codes(client, "/dossier_due/")) == 3  # overdue
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "dossier_due")
    assert not list_select._statements.get(view)


def _add_dossiers(app, n: int, start: int) -> None:
    with app.app_context():
        procedure_id, agency_id = db.session.execute(
            select(Procedure.id, Procedure.agency_id).limit(1)
        ).one()
        for i in range(start, start + n):
            db.session.add(
                Dossier(
                    procedure_id=procedure_id,
                    agency_id=agency_id,
                    code=f"C-{i}",
                    applicant_name=f"Người {i}",
                    accepted_at=MONDAY + dt.timedelta(minutes=i),
                )
            )
        db.session.commit()


def test_a_kept_list_reads_its_count_with_its_rows(app, client, login_as, world):
    """One statement for the rows and the bounded count (a column of the rows' statement)
    once the list is known within or past its bound; the count read anew on each page."""
    app.config["LIST_COUNT_LIMIT"] = 30
    _add_dossiers(app, 22, 0)  # 25 with the world's
    login_as("manager")
    url = "/dossier/?page_size=20"

    def page():
        shown = []
        statements = statements_of(app, lambda: shown.append(client.get(url)))
        reads = [s for s in statements if "SAVEPOINT" not in s.upper() and "user_session" not in s]
        return _count_text(shown[0].get_data(as_text=True)), reads

    assert page()[0].startswith("25 ")  # (first seen: whether a row lies past the bound)
    count, reads = page()
    assert count.startswith("25 ") and len(reads) == 1, reads
    assert "count(" in reads[0].lower()
    _add_dossiers(app, 10, 100)
    count, reads = page()  # counted up to the bound and one past it
    assert count.startswith("Hơn 30 ") and len(reads) == 1, (count, reads)
    count, reads = page()  # known past the bound: whether a row lies past it
    assert count.startswith("Hơn 30 ") and len(reads) == 1, (count, reads)
    assert "offset" in reads[0].lower()


def test_a_lists_limits_are_written_in_its_statements(app, client, login_as, world):
    """LIMIT and OFFSET as numbers in the SQL, not parameters: PostgreSQL keeps one plan for a
    kept statement instead of planning it for its values on every page (domain/sql.constant).
    The first page, the count past the bound, a page by cursor and a numbered page."""
    _newest_first(app, world)  # 24 dossiers
    app.config["LIST_COUNT_LIMIT"] = 10
    login_as("manager")
    first = client.get("/dossier/?page_size=20").get_data(as_text=True)
    pages = [(10, "/dossier/?page_size=20"), (10, _link(first, "next"))]
    pages.append((100, "/dossier/?page_size=20&page=1"))  # within the bound: numbered pages
    for bound, url in pages:
        app.config["LIST_COUNT_LIMIT"] = bound
        statements = statements_of(app, lambda u=url: client.get(u))
        reads = [s for s in statements if s.lstrip().upper().startswith("SELECT DOSSIER.")]
        assert reads, (url, statements)
        for sql in reads:
            limits = re.findall(r"\b(LIMIT|OFFSET) (\d+|[?]|%\([a-z_0-9]+\)s)", sql)
            assert limits, sql
            # SQLite's dialect writes OFFSET ? (0) after every LIMIT: nothing to plan there.
            sent = [v for kind, v in limits if not v.isdigit() and (kind, v) != ("OFFSET", "?")]
            assert sent == [], (url, sql)
