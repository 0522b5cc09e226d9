"""Guessing passwords: after LOGIN_LIMIT_PER_USER failed logins of one username (or
LOGIN_LIMIT_PER_ADDRESS from one client address) the login is refused for a while, even with the
right password. Only failures count, and the refusal does not tell whether the username exists."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from models import db
from tests.factories import PASSWORD, create_user, login
from tests.support import ROOT, make_app, redis_or_skip, reset_schema

REFUSAL = "Quá nhiều lần đăng nhập không thành công"


def _message(response) -> str:
    return " ".join(re.findall(r'role="alert">([^<]*)<', response.get_data(as_text=True)))


def test_ten_failures_lock_the_username_even_for_the_right_password(app, client, users):
    for _ in range(10):
        assert login(client, "staff1", "wrong password").status_code == 401
    response = login(client, "staff1")  # the right password, the 11th attempt
    assert response.status_code == 429
    assert REFUSAL in _message(response)
    assert "15 phút" in _message(response)
    assert 14 * 60 <= int(response.headers["Retry-After"]) <= 15 * 60
    assert client.get("/dossier/").status_code == 302  # not logged in
    # From another computer too: the limit is the username's.
    other = app.test_client()
    assert login(other, "staff1", PASSWORD).status_code == 429
    # Other users log in as usual.
    assert login(app.test_client(), "manager1").status_code == 302


def test_the_refusal_does_not_tell_whether_the_username_exists(app, users):
    answers = []
    for username in ("staff1", "no-such-user"):
        client = app.test_client()
        for _ in range(10):
            assert login(client, username, "wrong password").status_code == 401
        answers.append(login(client, username, "wrong password"))
    assert [r.status_code for r in answers] == [429, 429]
    assert _message(answers[0]) == _message(answers[1])


def test_successful_logins_are_not_counted(app, users):
    for _ in range(12):
        client = app.test_client()
        assert login(client, "staff1").status_code == 302
        client.post("/logout")


def test_the_username_is_counted_whatever_its_case_or_spaces(app, client, users):
    for username in ("Staff1", " staff1", "STAFF1 ", "staff1") * 3:
        if login(client, username, "wrong password").status_code == 429:
            break
    assert login(client, "staff1").status_code == 429


def test_many_usernames_from_one_address_are_limited_too(app, users):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "5 per 15 minutes"
    client = app.test_client()
    for n in range(5):
        assert login(client, f"guess{n}", "wrong password").status_code == 401
    refused = login(client, "staff1")
    assert refused.status_code == 429 and REFUSAL in _message(refused)
    # Another address is not affected.
    elsewhere = app.test_client()
    response = elsewhere.post(
        "/login",
        data={"username": "staff1", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.9"},
    )
    assert response.status_code == 302


def test_the_lock_ends_when_the_window_has_passed(app, client, users):
    app.config["LOGIN_LIMIT_PER_USER"] = "2 per 2 seconds"
    for _ in range(2):
        assert login(client, "staff1", "wrong password").status_code == 401
    response = login(client, "staff1")
    assert response.status_code == 429 and "1 phút" in _message(response)
    time.sleep(2.2)
    assert login(client, "staff1").status_code == 302


def test_the_refusal_is_english_in_the_english_ui(app, client, users):
    client.post("/language", data={"lang": "en", "next": "/login"})
    for _ in range(10):
        login(client, "staff1", "wrong password")
    response = login(client, "staff1")
    assert response.status_code == 429
    assert "Too many failed logins. Try again in 15 minutes." in _message(response)


# ---- the same limit across 4 gunicorn workers sharing Redis ---------------------------------

REDIS_URL = "redis://127.0.0.1:6379/5"  # a database of its own on the shared server


@pytest.fixture
def redis_client():
    yield from redis_or_skip(REDIS_URL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _attempt(base: str, username: str, password: str) -> int:
    """One login as a browser does it: the form (for its CSRF token), then the POST."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
    )
    page = opener.open(base + "/login", timeout=20).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrf_token": token, "username": username, "password": password}
    ).encode()
    try:
        return opener.open(base + "/login", data=data, timeout=20).status
    except urllib.error.HTTPError as error:
        return error.code


def _login_posts(access_log: Path) -> list[tuple[str, str]]:
    """(worker pid, status) of every POST /login in gunicorn's access log, in order."""
    lines = access_log.read_text().splitlines() if access_log.exists() else []
    return [
        (pid, status)
        for pid, method, path, status in (line.split() for line in lines)
        if method == "POST" and path == "/login"
    ]


def test_the_limit_holds_across_gunicorn_workers_sharing_redis(tmp_path, redis_client):
    username = f"worker-test-{uuid.uuid4().hex[:8]}"
    database_url = f"sqlite:///{tmp_path / 'gunicorn.db'}"
    app = make_app(database_url)
    reset_schema(app)
    with app.app_context():
        create_user(username, "manager")
        db.session.commit()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "gunicorn-test-secret",
        "APP_ENV": "test",
        # A failed login writes its audit row: on a loaded machine four at once may wait past
        # the busy page's 5 s for SQLite's lock (503); this test is about the limit.
        "SQLITE_BUSY_TIMEOUT_MS": "30000",
    }
    env.pop("TRUSTED_PROXIES", None)
    with open(tmp_path / "gunicorn.err", "wb") as errors:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "--access-logfile",
                str(access_log),
                "--access-logformat",
                "%(p)s %(m)s %(U)s %(s)s",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        deadline = time.monotonic() + 90
        while True:  # until the server answers
            assert server.poll() is None, (tmp_path / "gunicorn.err").read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not start"
            try:
                urllib.request.urlopen(base + "/login", timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)

        # 10 failed logins, several at a time so that several workers take them.
        with ThreadPoolExecutor(max_workers=4) as pool:
            failed = list(pool.map(lambda _: _attempt(base, username, "wrong password"), range(10)))
        assert failed == [401] * 10
        failing = {pid for pid, _ in _login_posts(access_log)}

        # The 11th attempt, with the right password, is refused whichever worker takes it. The
        # limit is shown shared when the failures were counted by two workers or more, or when a
        # worker that counted none of them refuses (an idle machine may let one worker take all
        # ten quick failures).
        refusing = set()
        for _ in range(12):
            with ThreadPoolExecutor(max_workers=4) as pool:
                answers = list(pool.map(lambda _: _attempt(base, username, PASSWORD), range(8)))
            assert set(answers) == {429}, answers
            refusing = {pid for pid, status in _login_posts(access_log)[10:]}
            if refusing - failing or (len(failing) >= 2 and len(refusing) >= 2):
                break
        assert refusing - failing or (len(failing) >= 2 and len(refusing) >= 2), _login_posts(
            access_log
        )
        assert _attempt(base, username + "-other", "wrong password") == 401  # others still try
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        for pattern in (f"*LIMITER/motcua/user:{username}*", "*LIMITER/motcua/address:*"):
            for key in redis_client.scan_iter(match=pattern):
                redis_client.delete(key)
        assert not list(redis_client.scan_iter(match=f"*{username}*"))
