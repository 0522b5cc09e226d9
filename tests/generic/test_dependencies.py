"""The environment the tests run in is the locked one: every installed distribution is pinned in
requirements.lock at the version installed, and every direct requirement is in the lock. A
package installed by hand (and so missing on a fresh machine) fails here."""

from __future__ import annotations

import importlib.util
import re
from importlib import metadata
from pathlib import Path

import pytest

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


# ---- advisories (issue 11 item 11) --------------------------------------------------------------

# The releases named in the advisories; the lock must be past them.
ADVISED = {"pytest": (8, 4, 2), "playwright": (1, 55, 0)}


def _version(text: str) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_the_lock_is_past_the_releases_with_advisories():
    lock = _pins(ROOT / "requirements.lock")
    for package, advised in ADVISED.items():
        assert _version(lock[package]) > advised, f"{package}=={lock[package]}"


def _audit_module():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_audit_runs_pip_audit_strictly_over_the_lock(monkeypatch):
    audit = _audit_module()
    calls = []
    monkeypatch.setattr(audit, "advisory_data_reachable", lambda: None)
    monkeypatch.setattr(audit.subprocess, "call", lambda args: calls.append(args) or 1)
    assert audit.main() == 1  # pip-audit's own verdict
    (args,) = calls
    assert args[1:3] == ["-m", "pip_audit"] and "--strict" in args
    assert args[args.index("-r") + 1] == str(ROOT / "requirements.lock")
    # The Makefile's target and CI run this script.
    assert re.search(r"^audit:.*\n\t\$\(BIN\)/python \.ci/audit\.py", _text("Makefile"), re.M)
    assert re.search(r"^make audit$", _text(".ci/run"), re.M)


def test_make_audit_skips_with_the_reason_when_the_advisories_are_out_of_reach(monkeypatch, capsys):
    audit = _audit_module()

    def unreachable(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(audit.urllib.request, "urlopen", unreachable)
    monkeypatch.setattr(audit.subprocess, "call", lambda args: pytest.fail("pip-audit ran"))
    assert audit.main() == 0
    assert "pip-audit skipped:" in capsys.readouterr().out
    assert "Network is unreachable" in audit.advisory_data_reachable()


def _text(name: str) -> str:
    return (ROOT / name).read_text()
