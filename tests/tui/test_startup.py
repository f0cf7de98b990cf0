"""Opening the app: the store read in the background before Textual loads, and stores it cannot open."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.app import App

from storage.kinds import Kind
from storage.schema import SCHEMA_VERSION
from storage.store import Store
from tests.sqlite_rows import raw_connection
from tests.tui.conftest import MSK, settle
from tui.app import make_app
from tui.startup import Prefetch
from tui.widgets.entry_list import EntryList


async def wait_for_exit(app: App[None], deadline_s: float = 10.0) -> None:
    """Poll until the app has decided to exit; its own workers are cancelled on the way out, so not awaited."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline_s
    while app.return_code is None and loop.time() < give_up:
        await asyncio.sleep(0.02)


def newer_store(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with raw_connection(db_path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


@pytest.mark.parametrize("prefetched", [False, True])
async def test_a_store_from_a_newer_logbook_ends_the_app_saying_why(
    db_path: Path, project: Path, prefetched: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to sit on "Loading…" for ever, every key doing nothing."""
    newer_store(db_path)
    prefetch = Prefetch(db_path, str(project), MSK) if prefetched else None
    if prefetch is not None:
        prefetch.start()
    app = make_app(db_path=db_path, project=project, zone=MSK, cursor_blink=False, prefetch=prefetch)
    async with app.run_test(size=(100, 30)):
        await wait_for_exit(app)
    assert app.return_code == 1
    printed = " ".join(capsys.readouterr().err.split())  # printed once the screen is gone
    assert "logbook: cannot open the store" in printed and "upgrade logbook" in printed


async def test_the_prefetched_first_page_is_what_the_list_shows(db_path: Path, project: Path, clock) -> None:
    with Store.open(db_path, clock=clock, zone=MSK) as store:
        for n in range(3):
            store.add(str(project), Kind.NOTE, {"text": f"note number {n}"})
    prefetch = Prefetch(db_path, str(project), MSK)
    prefetch.start()
    prefetch.join()
    app = make_app(db_path=db_path, project=project, zone=MSK, cursor_blink=False, prefetch=prefetch)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        entries = app.screen.query_one(EntryList)
        assert entries.count == 3
        assert "note number 2" in entries.render_line(0).text
        assert app.store is prefetch.result.store  # opened once, not again by the screen
