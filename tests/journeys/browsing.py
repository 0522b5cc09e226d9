"""What the journeys do in the browser besides clicking: log in through the form, and keep a
screenshot of every main page for a person to look at.

Screenshots go to tests/output/screenshots/<test>/ (ignored by git). With
MOTCUA_DOCS_SCREENSHOTS=1 the ones taken with docs=True are also written, reduced by pngquant
(apt-get install pngquant), to docs/screenshots/ for the README's gallery:

    MOTCUA_DOCS_SCREENSHOTS=1 .venv/bin/pytest tests/journeys -k sqlite
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import PASSWORD, ROOT

OUTPUT = ROOT / "tests" / "output" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


def log_in(page, base_url: str, username: str, path: str = "/") -> None:
    """Through the login form, as a person does; lands on `path`."""
    page.goto(f"{base_url}{path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(f"{base_url}{path.split('?')[0]}**")


class Screens:
    """`shots(page, "name")`: a screenshot of the viewport, as the person sees it now."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.taken: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page, name: str, docs: bool = False) -> Path:
        page.wait_for_load_state("networkidle")
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
    subprocess.run(["pngquant", "--force", "--skip-if-larger", "--strip", "--speed", "1",
                    "--quality", "60-85", "64", "--output", str(target), str(source)], check=True)
