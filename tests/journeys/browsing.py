"""What the journeys do in the browser besides clicking: log in through the form, check a page
with axe-core, and keep a screenshot of every main page for a person to look at.

Screenshots go to tests/output/screenshots/<test>/ (ignored by git). With
MOTCUA_DOCS_SCREENSHOTS=1 the ones taken with docs=True are also written, reduced by pngquant
(apt-get install pngquant), to docs/screenshots/ for the README's gallery:

    MOTCUA_DOCS_SCREENSHOTS=1 .venv/bin/pytest tests/journeys -k sqlite
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.factories import PASSWORD
from tests.support import ROOT

OUTPUT = ROOT / "tests" / "output" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


def log_in(page, base_url: str, username: str, path: str = "/", typed: bool = False) -> None:
    """Logged in as `username`, on `path`. typed=True: through the login form, as a person
    does. Else the form is posted by the page's request context (its cookies are the page's):
    the browser draws no login page, a second of Chromium's CPU for a test that is about
    something else (the form itself is typed by the journeys and tests/browser)."""
    if typed:
        page.goto(f"{base_url}{path}")
        submit_login(page, username)
    else:
        form = page.request.get(f"{base_url}/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text())
        response = page.request.post(
            f"{base_url}/login",
            form={"csrf_token": token.group(1), "username": username, "password": PASSWORD},
            max_redirects=0,
        )
        assert response.status == 302, (response.status, response.text()[:500])
        page.goto(f"{base_url}{path}")
    landed(page, f"{base_url}{path.split('?')[0]}")


def submit_login(page, username: str) -> None:
    """On the login form shown: the user's name and the tests' password, submitted."""
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")


def landed(page, url: str) -> None:
    """Wait until the browser is past the login form, at `url` (or below it)."""
    page.wait_for_url(lambda now: now.startswith(url) and "/login" not in now)


def resolve_and_return_at_the_counter(page) -> None:
    """On the dossier page: the result is ready, then handed over at the counter."""
    page.click("#action-resolve")
    page.wait_for_load_state()
    assert page.inner_text("#dossier-status") == "Đã xử lý xong"
    page.select_option("#return-channel", "counter")
    page.click("#action-return")
    page.wait_for_load_state()
    assert page.inner_text("#dossier-status") == "Đã trả kết quả"


def add_filter(page, label: str, operators: tuple[str, ...]):
    """A new filter of the list's column `label` (the filter menu open), with the first of
    `operators` (as the operator list names them) that it offers; the filter's row."""
    page.locator("a.filter", has_text=label).first.click()
    row = page.locator("#filter_form tr, .filters tr").last
    operation = row.locator("select").first
    options = operation.locator("option")
    offered = [
        options.nth(i).get_attribute("value")
        for i in range(options.count())
        if options.nth(i).text_content().strip() in operators
    ]
    if offered:
        operation.select_option(offered[0], force=True)
    return row


def settled(page) -> None:
    """The page as the person sees it: loaded (styles, scripts, images), its fonts drawn and the
    frame after. Not Playwright's "networkidle", which waits for half a second of silence after
    every page (a fifth of the journeys' time) and once timed out on a page that had loaded."""
    page.wait_for_load_state("load")
    page.evaluate(
        "() => document.fonts.ready.then(() => new Promise(done =>"
        " requestAnimationFrame(() => requestAnimationFrame(done))))"
    )


class Screens:
    """`shots(page, "name")`: a screenshot of the viewport, as the person sees it now."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.taken: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page, name: str, docs: bool = False) -> Path:
        settled(page)
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path))
        self.taken.append(path)
        if docs and os.environ.get("MOTCUA_DOCS_SCREENSHOTS") == "1":
            write_docs_copy(path, DOCS / f"{name}.png")
        return path


def write_docs_copy(source: Path, target: Path) -> None:
    """A palette PNG: plenty for forms on a white page, and a few tens of KB instead of 150."""
    if not shutil.which("pngquant"):
        raise RuntimeError("MOTCUA_DOCS_SCREENSHOTS=1 needs pngquant (apt-get install pngquant)")
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pngquant",
            "--force",
            "--strip",
            "--speed",
            "1",
            "--quality",
            "60-85",
            "64",
            "--output",
            str(target),
            str(source),
        ],
        check=True,
    )


# ---- axe-core (node_modules/axe-core, the `axe_script` fixture) -----------------------------

BLOCKING = ("serious", "critical")


def axe_violations(page, axe_script, skip_rules=()) -> list[dict]:
    settled(page)
    page.add_script_tag(path=str(axe_script))
    return page.evaluate(
        """async (skip) => {
        const rules = Object.fromEntries(skip.map(id => [id, {enabled: false}]));
        const result = await axe.run(document, {resultTypes: ['violations'], rules});
        return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
            nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 120) + ' — ' +
                                                (n.failureSummary || '').split('\\n')[1])}));
    }""",
        list(skip_rules),
    )


def blocking_violations(page, axe_script, skip_rules=()) -> list[dict]:
    return [v for v in axe_violations(page, axe_script, skip_rules) if v["impact"] in BLOCKING]


def assert_accessible(page, axe_script, screen: str, skip_rules=()) -> None:
    blocking = blocking_violations(page, axe_script, skip_rules)
    indent = "\n      "
    assert not blocking, f"{screen} ({page.url}):\n" + "\n".join(
        f"  {v['impact']} {v['id']} ×{v['count']}: {v['help']}{indent}" + indent.join(v["nodes"])
        for v in blocking
    )
