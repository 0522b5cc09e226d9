"""Fixtures shared by the screens' tests."""

import pytest


@pytest.fixture
def files_dir(app, tmp_path):
    """FILES_DIR of the app, a fresh folder of the test's own (attached files, issue 14)."""
    path = tmp_path / "files"
    app.config["FILES_DIR"] = str(path)
    return path
