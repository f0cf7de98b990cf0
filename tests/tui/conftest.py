"""TUI fixtures: the real app on a real store file, driven by Pilot."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.clock import parse_zone
from storage.store import Store
from tests.conftest import FakeClock
from tests.sqlite_rows import raw_connection
from tui.app import LogbookApp, make_app

MSK = parse_zone("Europe/Moscow")


@pytest.fixture
def app_factory(db_path: Path, project: Path, clock: FakeClock):
    """Build the app the way `logbook` does, on the test store and project."""

    def build() -> LogbookApp:
        return make_app(db_path=db_path, project=project, clock=clock, zone=MSK, cursor_blink=False)

    return build


@pytest.fixture
def demo_store(db_path: Path, project: Path, clock: FakeClock) -> Path:
    from tui.demo import fill

    with Store.open(db_path, clock=clock, zone=MSK) as store:
        fill(store, project)
    return db_path


def rows(db_path: Path, sql: str = "SELECT kind, summary FROM entry ORDER BY seq") -> list[tuple]:
    if not db_path.exists():
        return []
    with raw_connection(db_path) as connection:
        return connection.execute(sql).fetchall()


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and the screen catch up."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
