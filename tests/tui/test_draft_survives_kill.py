"""A half-typed form survives `kill -9` of the real `logbook` process."""

from __future__ import annotations

import os
import pty
import select
import signal
import sqlite3
import time
from pathlib import Path

from tests.conftest import logbook_bin
from tests.sqlite_rows import raw_connection
from tests.tui.conftest import settle
from tui.screens.form import EntryForm


def _drain(fd: int, seconds: float) -> bytes:
    out = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out


def _draft_fields(db_path: Path) -> str | None:
    try:
        with raw_connection(db_path) as connection:
            row = connection.execute("SELECT fields FROM draft").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


async def test_draft_typed_then_killed_comes_back(app_factory, db_path: Path, project: Path) -> None:
    env = {**os.environ, "LOGBOOK_DB": str(db_path), "TERM": "xterm-256color"}
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes the real app
        os.chdir(project)
        os.execve(logbook_bin(), [logbook_bin()], env)
    try:
        screen = _drain(fd, 3.0)
        assert b"No entries yet" in screen, screen[-400:]
        os.write(fd, b"i")
        _drain(fd, 1.0)
        os.write(fd, b"the build hangs at 97%")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "97%" not in (_draft_fields(db_path) or ""):
            _drain(fd, 0.2)
        os.kill(pid, signal.SIGKILL)  # no chance to clean up
    finally:
        os.waitpid(pid, 0)
        os.close(fd)
    assert '"symptom": "the build hangs at 97%"' in (_draft_fields(db_path) or "")

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "DraftsScreen"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryForm)
        assert app.screen.values()["symptom"] == "the build hangs at 97%"
