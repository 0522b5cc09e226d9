"""Fixtures of the role journeys: a small centre like the demo one (tests/journeys/centre.py),
a 1280×800 Chromium page, screenshots and axe-core (tests/journeys/browsing.py)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from domain import clock
from tests.journeys.browsing import OUTPUT, VIEWPORT, Screens
from tests.journeys.centre import build_centre
from tests.support import CHROMIUM, IN_CI, ROOT, page_of, restore_tables, snapshot_tables


@pytest.fixture
def page(browser, request):
    """As tests/conftest.py's, with the viewport of the docs' screenshots. Under axe-core the
    Content-Security-Policy is bypassed: axe.min.js goes in as an inline script (the CSP itself
    is tested in tests/test_headers.py and test_e2e_csp.py; the journeys run under it)."""
    with page_of(
        browser, request, viewport=VIEWPORT, bypass_csp="axe_script" in request.fixturenames
    ) as page:
        yield page


@pytest.fixture
def shots(request):
    folder = OUTPUT / re.sub(r"[^\w.-]+", "_", request.node.name)
    screens = Screens(folder)
    yield screens
    if screens.taken:
        print(f"\nscreenshots: {folder}")


@pytest.fixture
def axe_script():
    """axe-core from npm (package.json; `npm ci` installs it), injected into the page."""
    path = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        reason = f"{path} missing: run `npm ci` (or `make install`)"
        if IN_CI:
            pytest.fail(reason + " (required when CI=true)")
        pytest.skip(reason)
    if not Path(CHROMIUM).exists() and not IN_CI:
        pytest.skip(f"{CHROMIUM} not installed")
    return path


# The centre as first built, per database and day: (the tables' snapshot, what build_centre
# returned).
_centres: dict = {}


@pytest.fixture
def centre(app, users):
    """The small centre of tests/journeys/centre.py around the `users`; what the journeys
    look for (codes, the last quarter). Built through the domain once per test process,
    database and day (its dates follow today's); the next tests get the same rows back, and
    the sequences where they were (tests.support.restore_tables), at a fraction of the cost."""
    app.config["DASHBOARD_CACHE_SECONDS"] = 0  # every test sees its own data
    with app.app_context():
        key = (app.config["SQLALCHEMY_DATABASE_URI"], clock.today())
        if key in _centres:
            snapshot, found = _centres[key]
            restore_tables(snapshot)
        else:
            found = build_centre()
            _centres[key] = (snapshot_tables(), found)
        return copy.deepcopy(found)
