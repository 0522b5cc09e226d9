"""Security headers: a Content-Security-Policy with a fresh nonce per request and no inline
script or style without it; HSTS in production; no caching of what a logged-in user sees."""

import html
import re

import pytest
from flask import Flask

from tests.support import make_app
from views import headers
from views.headers import static_digest

PAGES = {
    "admin": [
        "/",
        "/agency/",
        "/procedure/",
        "/procedure/new/",
        "/user/",
        "/user/new/",
        "/calendar_day/",
        "/audit_log/",
        "/imports/",
        "/dossier/",
    ],
    "staff": [
        "/",
        "/dossier/",
        "/dossier/new/",
        "/dossier_due/",
        "/payment/",
        "/payment/new/",
        "/courier_run/new/",
        "/evaluation_form/new/",
        "/kiosk/",
    ],
    "manager": ["/", "/report/", "/dossier/", "/staff_rating/"],
}


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d for d in (part.strip() for part in header.split(";")) if d}


@pytest.mark.parametrize("role", sorted(PAGES))
def test_pages_have_a_nonce_policy_and_nothing_inline_without_it(client, login_as, role):
    login_as(role)
    for url in PAGES[role]:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = _policy(response)
        nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
        assert "unsafe-inline" not in policy["script-src"]
        assert "unsafe-eval" not in policy["script-src"]
        assert policy["object-src"] == "object-src 'none'"
        html = response.get_data(as_text=True)
        # Inline event handlers and style attributes cannot carry a nonce: there are none.
        assert not re.findall(r"<[^>]+\son[a-z]+\s*=", html), url
        assert not re.findall(r"<[^>]+\sstyle\s*=", html), url
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
            assert f'nonce="{nonce}"' in tag, (url, tag)


def test_the_nonce_changes_with_every_request(client, login_as):
    login_as("staff")
    nonces = {_policy(client.get("/dossier/"))["script-src"] for _ in range(3)}
    assert len(nonces) == 3


def test_login_error_and_printed_pages_have_the_policy_too(app, client, users):
    for url in ("/login", "/khong-co-trang-nay"):
        response = client.get(url)
        assert "'nonce-" in _policy(response)["script-src"]
        assert not re.findall(r"<[^>]+\s(on[a-z]+|style)\s*=", response.get_data(as_text=True))


def test_authenticated_pages_are_not_cached(client, login_as):
    assert client.get("/login").headers.get("Cache-Control") != "no-store"
    login_as("staff")
    for url in ("/", "/dossier/", "/dossier/export.xlsx"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    # Stylesheets and scripts stay cacheable: the same for everyone.
    static = client.get("/static/motcua.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_no_hsts_outside_production(client, users):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_in_production(monkeypatch, tmp_path):

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    app = make_app(f"sqlite:///{tmp_path / 'p.db'}")
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_static_files_are_linked_by_version_and_kept_for_a_year(client, login_as):
    """Every style sheet and script of a page (ours and Flask-Admin's) is linked with its
    file's digest and answered as kept for a year, without a session cookie (a response kept by
    a proxy must not carry one); the same file without the digest is revalidated as before."""
    login_as("staff")
    page = client.get("/dossier/").get_data(as_text=True)
    links = [html.unescape(link) for link in re.findall(r'(?:href|src)="(/static/[^"]+)"', page)]
    assert any("/static/admin/" in link for link in links)
    assert any("/static/admin/" not in link for link in links)
    for link in links:
        assert re.search(r"[?&]h=[0-9a-f]{12}(&|$)", link), link
        response = client.get(link)
        assert response.status_code == 200, link
        cache = {part.strip() for part in response.headers["Cache-Control"].split(",")}
        assert cache == {"public", "max-age=31536000", "immutable"}, link
        assert "Set-Cookie" not in response.headers, link
        response.close()
    plain = client.get("/static/motcua.css")
    assert plain.headers["Cache-Control"] == "no-cache" and "Set-Cookie" not in plain.headers
    plain.close()


@pytest.mark.parametrize("digest", ["0" * 12, "", "x"])
def test_a_link_to_another_version_is_not_kept(client, digest):
    """A digest that is not the file's own (a page of another release of the app, while both
    run during a deploy): the file is answered but revalidated as usual, not kept for a year
    under an address that names other content."""
    response = client.get(f"/static/motcua.css?h={digest}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Set-Cookie" not in response.headers
    response.close()
    admin = client.get(f"/static/admin/bootstrap/bootstrap4/css/bootstrap.min.css?h={digest}")
    assert admin.status_code == 200 and admin.headers["Cache-Control"] == "no-cache"
    admin.close()


def test_a_changed_file_gets_a_new_digest(tmp_path):
    path = tmp_path / "a.css"
    path.write_text("body { color: red; }")
    first = static_digest(str(path))
    assert first == static_digest(str(path))
    path.write_text("body { color: blue; margin: 0; }")
    assert static_digest(str(path)) not in (None, first)
    assert static_digest(str(tmp_path / "missing.css")) is None


def test_a_link_gets_a_changed_file_s_digest_within_the_recheck_time(tmp_path, monkeypatch):
    """The links' digests are looked up again at most once per STATIC_RECHECK_SECONDS: the same
    digest until then, the new file's after."""
    app = Flask(__name__, static_folder=str(tmp_path))
    (tmp_path / "a.css").write_text("body { color: red; }")
    now = [1000.0]
    monkeypatch.setattr(headers.time, "monotonic", lambda: now[0])
    first = headers._static_digest_of(app, "static", "a.css")
    assert first == static_digest(str(tmp_path / "a.css"))
    (tmp_path / "a.css").write_text("body { color: blue; margin: 0; }")
    now[0] += headers.STATIC_RECHECK_SECONDS / 2
    assert headers._static_digest_of(app, "static", "a.css") == first
    now[0] += headers.STATIC_RECHECK_SECONDS
    assert headers._static_digest_of(app, "static", "a.css") not in (None, first)
    assert headers._static_digest_of(app, "static", "../../etc/passwd") is None
