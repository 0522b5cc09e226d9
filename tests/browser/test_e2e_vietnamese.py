"""In a real headless Chromium, as each role: every main page speaks Vietnamese — the templates,
Flask-Admin's own widgets (filters, date pickers, select2 pickers, inline forms) and the values
shown (audit log tables and changes, dates). English UI words and raw values fail the test.

The same page loads check the Content-Security-Policy (test_e2e_csp.py tests its interactive
parts): every page of each role's menu opens (200) with a nonce policy and without a single CSP
violation or script error, also once its filters, pickers and inline forms are opened — one
Chromium visit per page for both sweeps."""

import datetime as dt
import os
import re
from urllib.parse import urlsplit

import pytest
from flask import url_for
from flask_admin.model import BaseModelView
from sqlalchemy import select

from domain import clock
from domain import lifecycle as lc
from domain.evaluation import ensure_indicators
from models import (
    Agency,
    AuditLog,
    Dossier,
    DossierDocument,
    Feedback,
    FeeItem,
    Field,
    Payment,
    Procedure,
    StaffRating,
    User,
    db,
)
from tests.browser.watch import Watch
from tests.import_helpers import csv_bytes
from tests.journeys.browsing import add_filter, log_in

pytestmark = [pytest.mark.browser, pytest.mark.one_database]

UNIT = "000.00.20.H37"
SHOTS = os.environ.get("PRINT_SHOTS")  # a directory: keep screenshots there to look at

# Common words of an English UI (Flask-Admin's, select2's, the date picker's, raw values of
# the database). Checked as whole words, case-insensitive: none of them is a Vietnamese word
# written without diacritics in this UI. ("do" — "because" — and "in" — "print" — are.)
ENGLISH = set(
    """
save cancel list create edit delete search filter filters add yes loading results result
found matches match to home details detail export page pages of next previous prev select
apply reset clear close actions action with selected new record records view submit back more
please characters character searching failed the and from equals contains greater
smaller than between empty not is are you sure want this that all none true false null
undefined nan user users username dossier dossiers procedure procedures agency agencies
status update insert changed added deleted field fields date time created updated login
logout log out password remember show hide sort total items item first last upload download
import preview confirm error warning success required invalid value choose per one only
available press arrow keys navigate su mo tu we th fr sa jan feb mar apr may jun jul aug sep
oct nov dec at by or
""".split()
) | {"no"}
# Words that are the same in both languages or names of things.
ALLOWED = {"excel", "email", "qr", "pdf", "ok", "ip", "zalo", "id", "csv", "xlsx", "zip"}
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")

# What the page shows, including what is not in innerText: placeholders, tooltips, ARIA
# labels, button values, options of closed menus, the <title>.
COLLECT = """() => {
  // <code> holds identifiers of files and programs (column names of an import file).
  // Hidden through the CSSOM: an injected <style> element is refused by the page's CSP.
  const hidden = [...document.querySelectorAll('code, kbd')];
  hidden.forEach(el => el.style.setProperty('display', 'none', 'important'));
  const parts = [document.title, document.body.innerText];
  hidden.forEach(el => el.style.removeProperty('display'));
  const labelled = '[placeholder],[title],[aria-label],input[type=submit],input[type=button]';
  for (const el of document.querySelectorAll(labelled)) {
    for (const a of ['placeholder', 'title', 'aria-label']) {
      if (el.getAttribute(a)) parts.push(el.getAttribute(a));
    }
    if (el.matches('input[type=submit],input[type=button]')) parts.push(el.value);
  }
  for (const el of document.querySelectorAll('option, .dropdown-menu a, .dropdown-menu button')) {
    parts.push(el.textContent);
  }
  // select2's announcements to screen readers ("One result is available...")
  for (const el of document.querySelectorAll('.select2-offscreen, [role=status]')) {
    parts.push(el.textContent);
  }
  return parts.join('\\n');
}"""


# Inputs that the browser draws itself, in the language of the browser rather than the page's
# ("Choose Files", "No file chosen", "November 2026" on an English Chromium): none may be shown;
# a page hides the native box behind its own Vietnamese button (a 1-pixel input stays usable).
NATIVE_WIDGETS = """() => [...document.querySelectorAll(
    'input[type=file], input[type=month], input[type=week], input[type=date], input[type=time], '
    + 'input[type=datetime-local]')]
  .filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 2 && box.height > 2 && getComputedStyle(el).visibility !== 'hidden'
      && getComputedStyle(el).opacity !== '0';
  })
  .map(el => `native ${el.type} input #${el.id}`)"""


def english_words(text: str) -> set[str]:
    """The English UI words of a text (code-like tokens such as 'dossier_01' are not words)."""
    words = set()
    for word in re.findall(r"(?<![\w./@-])[A-Za-z]+(?![\w/@-]|\.\w)", text):
        lower = word.lower()
        if lower in ENGLISH and lower not in ALLOWED:
            words.add(word)
    return words


def test_the_detector_catches_english():
    assert english_words("No matches found") == {"No", "matches", "found"}
    assert english_words("Từ ngày 01/03/2019 to 31/03/2019") == {"to"}
    assert english_words("Mới Giấy tờ đã nhận · dossier · status 4 → 8") == {"dossier", "status"}
    assert english_words("Tải về Excel · Thư điện tử: a.b@example.com · Số CMND/CCCD") == set()
    assert english_words("Hồ sơ giải quyết quá hạn do: chờ ý kiến · In") == set()


@pytest.fixture
def world(app, users):
    """A bit of everything each list shows: a field, a procedure with a fee, dossiers with
    documents and a history, a payment, a rating, feedback, audit rows."""
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.code == "SGTVT"))
        staff = db.session.scalar(select(User).where(User.username == "staff1"))
        staff.counter_no = 3
        field = Field(code="GT01", name="Đường bộ", agency=agency)
        procedure = Procedure(
            code="1.002804",
            name="Đổi giấy phép lái xe",
            agency=agency,
            field=field,
            processing_days=5,
            fee_items=[FeeItem(kind="charge", name="Lệ phí đổi GPLX", amount_vnd=135000)],
        )
        db.session.add_all([field, procedure])
        db.session.flush()
        dossier = Dossier(
            procedure=procedure,
            applicant_name="Nguyễn Văn Ánh",
            phone="0912",
            documents=[DossierDocument(name="Đơn đề nghị", kind="original")],
        )
        lc.accept_dossier(db.session, dossier, staff, dt.datetime(2019, 3, 4, 9), UNIT)
        lc.transition(db.session, dossier, "transfer", staff, dt.datetime(2019, 3, 4, 10))
        lc.transition(
            db.session,
            dossier,
            "stop",
            staff,
            dt.datetime(2019, 3, 5, 10),
            reason="Người nộp đề nghị dừng",
        )
        running = Dossier(
            procedure=procedure,
            applicant_name="Trần Thị Bình",
            documents=[DossierDocument(name="Bản sao CCCD", kind="copy", copies=2)],
        )
        lc.accept_dossier(db.session, running, staff, clock.now() - dt.timedelta(days=1), UNIT)
        db.session.add(
            Payment(
                dossier=running,
                fee_item=procedure.fee_items[0],
                amount_vnd=135000,
                method="cash",
                collected_by=staff,
                paid_at=dt.datetime(2019, 3, 4, 9, 30),
            )
        )
        db.session.add(
            StaffRating(
                staff=staff,
                dossier=running,
                level="satisfied",
                channel="kiosk",
                rated_at=dt.datetime(2019, 3, 4, 9, 40),
            )
        )
        db.session.add(
            Feedback(
                agency=agency,
                channel="hotline",
                sender="Lê Văn Cường",
                subject="Hỏi tiến độ",
                content="Hồ sơ của tôi đến đâu rồi?",
                received_at=dt.datetime(2019, 3, 6, 8),
                due_date=dt.date(2019, 3, 20),
            )
        )
        ensure_indicators(db.session)
        db.session.commit()
        audit_id = db.session.scalar(
            select(AuditLog.id).where(AuditLog.table_name == "dossier").order_by(AuditLog.id.desc())
        )
        ids = {
            "dossier": dossier.id,
            "running": running.id,
            "agency": agency.id,
            "procedure": procedure.id,
            "user": staff.id,
            "audit": audit_id,
        }
    return ids


def _pages(ids):
    """(url, what to open on it): the main pages of every menu."""
    d = ids["dossier"]
    return [
        ("/", None),
        ("/dossier/", "filters"),
        ("/dossier/new/", "picker"),
        (f"/dossier/details/?id={d}", None),
        (f"/dossier/details/?id={ids['running']}", None),
        (f"/dossier/edit/?id={ids['running']}", "inline"),
        ("/dossier/register/", None),
        ("/dossier_due/", "filters"),
        ("/agency/", None),
        (f"/agency/edit/?id={ids['agency']}", None),
        ("/field/", None),
        ("/procedure/", "filters"),
        (f"/procedure/edit/?id={ids['procedure']}", "inline"),
        ("/user/", None),
        (f"/user/edit/?id={ids['user']}", None),
        ("/calendar_day/", None),
        ("/audit_log/", "filters"),
        (f"/audit_log/details/?id={ids['audit']}", None),
        ("/report/", None),
        ("/payment/", None),
        ("/payment/new/", "picker"),
        ("/payment/totals/", None),
        ("/staff_rating/", None),
        ("/staff_rating/totals/", None),
        ("/evaluation_form/", None),
        ("/evaluation_form/new/", None),
        ("/evaluation_form/totals/", None),
        ("/evaluation_indicator/", None),
        ("/feedback/", None),
        ("/feedback/new/", None),
        ("/feedback/totals/", None),
        ("/postal/", None),
        ("/postal/totals/", None),
        ("/courier_run/", None),
        ("/courier_run/new/", "picker"),
        ("/courier_run/totals/", None),
        ("/kiosk/", None),
        ("/imports/", None),
    ]


def _every_screen(app):
    """The list (or only) page and the create page of every screen of the app, read from its
    Flask-Admin instances: a screen added later is checked the day it is added."""

    urls = []
    with app.test_request_context():
        for admin in app.extensions["admin"]:
            for view in admin._views:
                if isinstance(view, BaseModelView):
                    urls.append((url_for(f"{view.endpoint}.index_view"), None))
                    if view.can_create:
                        urls.append((url_for(f"{view.endpoint}.create_view"), None))
                else:
                    urls.append((url_for(f"{view.endpoint}.index"), None))
    return urls


def _screens(app, ids):
    """The main pages with what to open on them, then every other screen of the app."""
    pages = _pages(ids)
    seen = {url for url, _ in pages}
    return pages + [(url, what) for url, what in _every_screen(app) if url not in seen]


def _login(page, live_server, username):
    page.context.clear_cookies()
    log_in(page, live_server, username)


def _open_filters(page):
    """Open the filter menu, add a date filter (its picker) and a choice filter (select2)."""
    page.click("text=Thêm bộ lọc")
    texts = [page.locator(".dropdown-menu.show, .dropdown-menu:visible").first.inner_text()]
    links = page.locator("a.filter")
    names = [links.nth(i).inner_text() for i in range(links.count())]
    date_like = [n for n in names if n.startswith(("Ngày", "Thời điểm"))]
    if date_like:
        # "between" makes the picker show its two calendars and its separator.
        add_filter(page, date_like[0], ("trong khoảng", "giữa"))
        page.locator("input.filter-val").last.click()
        picker = page.locator(".daterangepicker:visible").first
        picker.locator("td.available:not(.off)").nth(2).click()
        picker.locator("td.available:not(.off)").nth(5).click()
        apply = picker.locator("button.applyBtn")
        if apply.is_visible():
            apply.click()
        texts.append(page.locator("input.filter-val").last.input_value())
    return texts


def _open_picker(page):
    """Type something no row matches into the first AJAX picker."""
    page.locator(".select2-container").first.click()
    page.keyboard.type("zzzqqq")
    page.wait_for_selector(".select2-no-results:visible, .select2-result-label:visible")
    return [page.locator(".select2-drop-active").inner_text()]


def _visit(page, live_server, url, what, shots_prefix, watch):
    response = page.goto(f"{live_server}{url}")
    if response.status in (403, 404) or "/login" in page.url:
        watch.problems.clear()  # the refusal's own status in the console: not a page of the role
        return None
    assert response.status == 200, (url, response.status)
    assert "'nonce-" in response.headers["content-security-policy"], url
    page.wait_for_load_state("load")
    watch.check(url)
    extra = []
    if what == "filters":
        extra = _open_filters(page)
    elif what == "picker" and page.locator(".select2-container").count():
        extra = _open_picker(page)
    elif what == "inline" and page.locator("a[id$='-button']").count():
        page.locator("a[id$='-button']").first.click()
    text = page.evaluate(COLLECT) + "\n" + "\n".join(extra)
    natives = page.evaluate(NATIVE_WIDGETS)
    watch.check(f"{url} ({what})")
    if SHOTS:
        name = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"
        page.screenshot(path=os.path.join(SHOTS, f"{shots_prefix}-{name}.png"), full_page=True)
    return text, natives


def _menu_pages(page, live_server) -> list[str]:
    """The same-site pages of the menu (downloads aside), as paths."""
    hrefs = page.eval_on_selector_all("nav a[href]", "links => links.map(a => a.href)")
    pages = []
    for href in hrefs:
        parts = urlsplit(href)
        path = href[len(live_server) :]
        if (
            href.startswith(live_server)
            and not parts.path.endswith((".xlsx", ".zip"))
            and path not in pages
            and parts.fragment == ""
            and parts.path != "/logout"
        ):
            pages.append(path)
    return pages


def _must_open(role, ids) -> list[str]:
    """Pages besides the menu's that the role opens (200, no CSP violation): its forms and
    pickers."""
    return {
        "staff": [
            "/dossier/new/",
            f"/dossier/details/?id={ids['dossier']}",
            "/courier_run/new/",
            "/evaluation_form/new/",
            "/kiosk/",
        ],
        "manager": [f"/dossier/details/?id={ids['dossier']}"],
        "admin": ["/user/new/", "/procedure/new/", "/calendar_day/new/", "/agency/new/"],
    }[role]


@pytest.mark.parametrize("role", ["admin", "staff", "manager"])
def test_every_main_page_is_vietnamese(app, live_server, page, users, world, role):
    watch = Watch(page)
    _login(page, live_server, users[role])
    watch.check("home")
    # Bootstrap's dropdown menus (the user menu) open and close.
    page.click("#user-menu")
    page.wait_for_selector("#user-menu + .dropdown-menu", state="visible")
    page.keyboard.press("Escape")
    watch.check("menu")
    menu = _menu_pages(page, live_server)
    assert len(menu) >= 5, menu
    screens = _screens(app, world)
    seen_urls = {url for url, _ in screens}
    screens += [(url, None) for url in menu + _must_open(role, world) if url not in seen_urls]
    found, visited = {}, []
    for url, what in screens:
        seen = _visit(page, live_server, url, what, f"vi-{role}", watch)
        if seen is None:
            continue
        text, natives = seen
        visited.append(url)
        words = english_words(text)
        dates = set(ISO_DATE.findall(text))
        if words or dates or natives:
            found[url] = sorted(words) + sorted(dates) + natives
    assert len(visited) >= 15, visited
    assert found == {}
    refused = [url for url in menu + _must_open(role, world) if url not in visited]
    assert refused == [], refused  # each opened with 200 (else the sweep would have said so)


def test_inline_lists_read_naturally(app, live_server, page, users, world):
    """ "Thêm giấy tờ" and "Giấy tờ mới", not Flask-Admin's "Mới Giấy tờ đã nhận"."""
    _login(page, live_server, users["staff"])
    page.goto(f"{live_server}/dossier/edit/?id={world['running']}")
    page.click("#documents-button")
    text = page.inner_text("#documents")
    assert "Thêm giấy tờ" in text and "Giấy tờ mới" in text and "Giấy tờ #1" in text
    assert "Mới Giấy tờ" not in text and "Thêm Giấy tờ đã nhận" not in text
    if SHOTS:
        page.screenshot(
            path=os.path.join(SHOTS, "vi-staff-dossier-edit-documents.png"), full_page=True
        )
    _login(page, live_server, users["admin"])
    page.goto(f"{live_server}/procedure/edit/?id={world['procedure']}")
    page.click("#fee_items-button")
    text = page.inner_text("#fee_items")
    assert "Thêm khoản phí" in text and "Khoản phí mới" in text


def test_catalog_import_preview_is_vietnamese(app, live_server, page, users, world, tmp_path):
    upload = tmp_path / "agencies.csv"
    upload.write_bytes(
        csv_bytes(
            [
                ["code", "name", "short_name", "kind"],
                ["SGTVT", "Sở Giao thông vận tải tỉnh", "Sở GTVT", "department"],
                ["SYT", "Sở Y tế", "Sở Y tế", "department"],
            ]
        )
    )
    _login(page, live_server, users["admin"])
    page.goto(f"{live_server}/imports/")
    page.check("input[name=kind][value=catalog]")
    page.set_input_files("#file", str(upload))
    page.click("#upload-button")
    page.wait_for_url(f"{live_server}/imports/preview/*")
    text = page.evaluate(COLLECT)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "vi-admin-imports-preview.png"), full_page=True)
    assert english_words(text) == set()  # the file's own column names are in <code>
    assert "Dòng" in page.inner_text("#import-rows thead")  # a line of the file, not a record
