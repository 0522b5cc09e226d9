"""Big lists page by key (issue 16): next and previous continue from the row shown last (first)
instead of an OFFSET, the pages read together are the list sorted as the database sorts it
(ties and empty sort values included), deep pages are refused by number, and a page costs the
same few statements whatever its number of rows."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
from sqlalchemy import select

from models import Agency, AuditLog, Dossier, Procedure, db
from tests.support import statements_of

N = 47  # three pages of 20


@pytest.fixture
def dossiers(app, users):
    """N dossiers: accepted times with ties (three a minute), a few never accepted (NULL)."""
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        procedure = Procedure(code="1.000001", name="Thủ tục thử", agency=agency)
        db.session.add(procedure)
        db.session.flush()
        for i in range(N):
            accepted = (
                None if i % 11 == 5 else dt.datetime(2019, 3, 4, 8) + dt.timedelta(minutes=i // 3)
            )
            db.session.add(
                Dossier(
                    procedure=procedure,
                    agency_id=agency.id,
                    code=f"T-{i:03d}",
                    applicant_name=f"Người {(i * 7) % 13:02d}",
                    accepted_at=accepted,
                    due_date=None if i % 4 == 0 else dt.date(2019, 4, 1) + dt.timedelta(days=i % 5),
                )
            )
        db.session.commit()


def _ids(html: str) -> list[int]:
    return [
        int(i)
        for i in re.findall(r'<td class="col-code">\s*<a href="/dossier/details/\?id=(\d+)"', html)
    ]


def _link(html: str, rel: str) -> str | None:
    pager = re.search(r'id="keyset-pager".*?</nav>', html, re.S)
    assert pager, "no keyset pager"
    match = re.search(rf'<a class="page-link" href="([^"]+)"[^>]*rel="{rel}"', pager.group(0))
    return htmllib.unescape(match.group(1)) if match else None


def _expected(app, *order) -> list[int]:
    """The ids in the database's own order (NULLs where it puts them), the tie-breaker id."""
    with app.app_context():
        return list(db.session.scalars(select(Dossier.id).order_by(*order)))


def _walk(client, url):
    """Every page from `url` by its next links, then back by the previous links."""
    pages, htmls = [], []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(_ids(html))
        htmls.append(html)
        url = _link(html, "next")
    back = []
    url = _link(htmls[-1], "prev")
    while url:
        html = client.get(url).get_data(as_text=True)
        back.append(_ids(html))
        url = _link(html, "prev")
    return pages, back


@pytest.mark.parametrize(
    "query, order",
    [
        ("", lambda: (Dossier.accepted_at.desc(), Dossier.id.desc())),  # the default sort
        ("sort=1", lambda: (Dossier.applicant_name, Dossier.id)),
        ("sort=1&desc=1", lambda: (Dossier.applicant_name.desc(), Dossier.id.desc())),
        ("sort=7", lambda: (Dossier.due_date, Dossier.id)),  # NULLs in the middle of the walk
        ("sort=7&desc=1", lambda: (Dossier.due_date.desc(), Dossier.id.desc())),
    ],
)
def test_next_and_previous_walk_the_whole_list_in_order(
    app, client, login_as, dossiers, query, order
):
    app.config["LIST_COUNT_LIMIT"] = 10  # past the exact count: pages by key
    login_as("manager")
    pages, back = _walk(client, f"/dossier/?page_size=20&{query}")
    assert [len(p) for p in pages] == [20, 20, 7]
    assert sum(pages, []) == _expected(app, *order())
    assert back == [pages[1], pages[0]]


def test_a_keyset_page_has_no_offset_and_a_deep_page_number_is_refused(
    app, client, login_as, dossiers
):
    app.config["LIST_COUNT_LIMIT"] = 10
    login_as("manager")
    first = client.get("/dossier/?page_size=20").get_data(as_text=True)
    statements = statements_of(app, lambda: client.get(_link(first, "next")), parameters=True)
    # The rows read (the count's probe past its bound and the count apart: ids only; read
    # with the rows as a column, views/list_count.py: the rows' own FROM is the last one)
    rows = [
        (s[s.rindex("FROM dossier") :], p)
        for s, p in statements
        if "FROM dossier" in s and "dossier.code" in s
    ]
    # (SQLite's dialect writes LIMIT ? OFFSET ? with an offset of 0)
    assert rows and all("OFFSET" not in s or list(p)[-1] == 0 for s, p in rows), rows
    # A page by number stays within the count's bound (an OFFSET of at most LIMIT rows) ...
    assert client.get("/dossier/?page_size=20&page=3").status_code == 400
    app.config["LIST_COUNT_LIMIT"] = 100
    assert client.get("/dossier/?page_size=20&page=2").status_code == 200
    # ... and a cursor made up by hand is only a starting point, never an error.
    for token in ("x", "1_notadate", "99999999999999999999", ""):
        assert client.get(f"/dossier/?page_size=20&after={token}").status_code == 200


def test_audit_log_pages_by_time(app, client, login_as, users):
    with app.app_context():
        at = dt.datetime(2019, 3, 4, 8)
        for i in range(45):  # two entries a second: ties broken by id
            db.session.add(
                AuditLog(
                    at=at + dt.timedelta(seconds=i // 2),
                    action="update",
                    table_name="dossier",
                    row_id=i,
                )
            )
        db.session.commit()
    login_as("admin")
    url, seen = "/audit_log/?page_size=20", []
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [int(i) for i in re.findall(r"/audit_log/details/\?id=(\d+)", html)]
        url = _link(html, "next")
    with app.app_context():
        expected = db.session.scalars(
            select(AuditLog.id).order_by(AuditLog.at.desc(), AuditLog.id.desc())
        )
        assert list(dict.fromkeys(seen)) == list(expected)


def _reads(app, client, url) -> list[str]:
    """The statements of one page, without the test's own savepoints."""
    statements = statements_of(app, lambda: client.get(url))
    return [s for s in statements if "SAVEPOINT" not in s.upper()]


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_a_list_page_reads_in_four_statements_at_most_whatever_its_rows(
    app, client, login_as, users, role
):
    """Login, rows (with what the columns show), bounded count (whether a row lies past its
    bound, then the count within it): no query per row, none writing; the filter options are
    not read again for every page."""
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        procedure = Procedure(code="1.000003", name="Thủ tục thử", agency=agency)
        db.session.add(procedure)
        db.session.add(
            Dossier(procedure=procedure, agency_id=agency.id, code="ONE", applicant_name="Một")
        )
        db.session.commit()
        procedure_id, agency_id = procedure.id, agency.id
    login_as(role)
    client.get("/dossier/")  # the filter options are read once
    one = _reads(app, client, "/dossier/")
    with app.app_context():
        for i in range(59):
            db.session.add(
                Dossier(
                    procedure_id=procedure_id,
                    agency_id=agency_id,
                    code=f"M-{i}",
                    applicant_name=f"Nhiều {i}",
                    accepted_at=dt.datetime(2019, 3, 4, 9),
                )
            )
        db.session.commit()
    many = _reads(app, client, "/dossier/?page_size=50")
    assert len(one) <= len(many) <= 4, many
    assert all(s.lstrip().upper().startswith("SELECT") for s in many), many
    app.config["LIST_COUNT_LIMIT"] = 10  # pages by key
    first = client.get("/dossier/?page_size=20").get_data(as_text=True)
    deep = _reads(app, client, _link(first, "next"))
    assert len(deep) <= 3 and all(s.lstrip().upper().startswith("SELECT") for s in deep), deep


def test_the_dossier_page_reads_the_dossier_once(app, client, login_as, dossiers):
    login_as("manager")
    with app.app_context():
        dossier_id = db.session.scalar(select(Dossier.id).where(Dossier.code == "T-001"))
    statements = _reads(app, client, f"/dossier/details/?id={dossier_id}")
    rows = [s for s in statements if re.search(r"FROM dossier\b", s) and "dossier.id = " in s]
    assert len(rows) == 1, rows


def test_a_kept_page_1_with_new_first_rows_keeps_its_pager_with_their_cursor(
    app, client, login_as, dossiers, monkeypatch
):
    """Page 1 after an intake: the page with the intake's message writes the new row (kept,
    views/list_page.py); the next page 1 is then served from what is kept, without
    Flask-Admin's list view, its pager's links continuing from its new last row."""
    app.config["LIST_COUNT_LIMIT"] = 10
    login_as("manager")
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "dossier")
    written = []
    actions = type(view).get_actions_list  # asked once by Flask-Admin's list view
    monkeypatch.setattr(
        type(view), "get_actions_list", lambda self: written.append(1) or actions(self)
    )
    url = "/dossier/?page_size=20"
    first = client.get(url).get_data(as_text=True)
    with app.app_context():
        procedure = db.session.scalar(select(Procedure).where(Procedure.code == "1.000001"))
        new = Dossier(
            procedure=procedure,
            agency_id=procedure.agency_id,
            code="T-NEW",
            applicant_name="Người Mới",
            accepted_at=dt.datetime(2019, 3, 5, 9),
        )
        db.session.add(new)
        db.session.commit()
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Đã tiếp nhận hồ sơ")]
    assert "Đã tiếp nhận hồ sơ" in client.get(url).get_data(as_text=True)
    written.clear()
    again = client.get(url).get_data(as_text=True)
    assert written == []
    assert _link(again, "next") != _link(first, "next")
    pages, back = _walk(client, url)
    assert pages[0] == _ids(again)
    assert sum(pages, []) == _expected(app, Dossier.accepted_at.desc(), Dossier.id.desc())
    assert back == [pages[1], pages[0]]
