"""The environment the tests run in is the locked one: every installed distribution is pinned in
requirements.lock at the version installed, and every direct requirement is in the lock. A
package installed by hand (and so missing on a fresh machine) fails here."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Put in every venv by `python -m venv` itself, not by the project.
VENV_BOOTSTRAP = {"setuptools", "wheel"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"{path.name}: not pinned exactly: {line!r}"
        pins[_canonical(name.split("[", 1)[0])] = version.strip()
    return pins


def test_every_installed_package_is_locked_at_its_version():
    lock = _pins(ROOT / "requirements.lock")
    installed = {_canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    unlocked = {n: v for n, v in installed.items() if n not in lock and n not in VENV_BOOTSTRAP}
    assert not unlocked, f"installed but not in requirements.lock (run `make lock`): {unlocked}"
    drift = {n: (installed[n], v) for n, v in lock.items() if n in installed and installed[n] != v}
    assert not drift, f"installed ≠ locked (installed, locked): {drift}"


def test_direct_requirements_are_pinned_and_locked():
    lock = _pins(ROOT / "requirements.lock")
    for name in ("requirements.txt", "requirements-dev.txt"):
        for package, version in _pins(ROOT / name).items():
            assert lock.get(package) == version, f"{name}: {package}=={version} not in the lock"
