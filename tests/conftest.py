"""Shared fixtures: a real git project in a temporary directory and a real store file."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.store import Store
from tests.cli_runner import run_cli


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may touch the user's real store or depend on the machine's zone."""
    monkeypatch.setenv("LOGBOOK_DB", str(tmp_path / "default-store" / "logbook.db"))
    monkeypatch.setenv("LOGBOOK_TZ", "Europe/Moscow")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The project every test works in: ``git_project`` at tmp_path/proj."""
    return git_project(tmp_path / "proj")


def git_project(root: Path) -> Path:
    """A git repository with one commit, on branch main, with a known author."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Ada Lovelace")
    git(root, "config", "user.email", "ada@example.com")
    (root / "README").write_text("hello\n")
    git(root, "add", "README")
    git(root, "commit", "-q", "-m", "init")
    return root.resolve()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "logbook.db"


class FakeClock:
    """A clock tests move by hand: entries get known, distinct times."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 12, 13, 20, 49, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(db_path: Path, clock: FakeClock) -> Iterator[Store]:
    from storage.clock import parse_zone

    opened = Store.open(db_path, clock=clock, zone=parse_zone("Europe/Moscow"))
    yield opened
    opened.close()


@pytest.fixture
def cli(project: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run ``logbook ARGS`` in-process, inside the project, against the test store."""
    monkeypatch.chdir(project)
    monkeypatch.setenv("LOGBOOK_DB", str(db_path))
    return run_cli


def logbook_bin() -> str:
    """The installed console script (the same one `make run` launches)."""
    candidate = Path(os.sys.executable).with_name("logbook")
    return str(candidate) if candidate.exists() else "logbook"
