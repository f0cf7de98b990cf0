"""New entries typed through the TUI land in SQLite and in the mirror; bad ones nowhere."""

from __future__ import annotations

from pathlib import Path

from storage.kinds import Kind
from storage.store import Store
from tests.tui.conftest import MSK, rows, settle
from tui.screens.form import EntryForm
from tui.screens.main import MainScreen
from tui.screens.modals import DuplicateScreen


async def test_new_incident_typed_and_saved(app_factory, db_path: Path, project: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, EntryForm)
        await pilot.press(*'pytest failed with "Event loop is closed"')
        await pilot.press("tab", *"engine not disposed on shutdown")
        await pilot.press("tab", *"lifespan + engine.dispose()")
        await pilot.press("tab", *"python -m pytest -q")
        await pilot.press("tab", *"2 passed")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        notices = [n.message for n in app._notifications]
        assert any("appended it to" in m and "INCIDENTS.md" in m for m in notices)
    assert rows(db_path, "SELECT kind, symptom, cause, fix, verify, expected, status, source FROM entry") == [
        (
            "incident",
            'pytest failed with "Event loop is closed"',
            "engine not disposed on shutdown",
            "lifespan + engine.dispose()",
            "python -m pytest -q",
            "2 passed",
            "resolved",
            "tui",
        )
    ]
    last = (project / "INCIDENTS.md").read_text().splitlines()[-1]
    assert last.startswith('- 2025-12-13 23:49 MSK — [resolved] pytest failed with "Event loop is closed"')
    assert "verification: `python -m pytest -q` -> 2 passed" in last
    assert rows(db_path, "SELECT count(*) FROM draft") == [(0,)]


async def test_new_handoff_with_tags(app_factory, db_path: Path, project: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h", *"Implemented GET /requests/{id}")
        await pilot.press("tab", *"the UI needs the detail view")
        await pilot.press("tab", *"python -m pytest -q", "tab", *"4 passed")
        await pilot.press("tab", "tab", "tab", *"api db")
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert rows(db_path, "SELECT kind, what, why, tags FROM entry") == [
        ("handoff", "Implemented GET /requests/{id}", "the UI needs the detail view", "api db")
    ]
    assert "— tags: api, db <!-- logbook:" in (project / "HANDOFF.md").read_text()


async def test_refused_entry_shows_errors_and_writes_nothing(
    app_factory, db_path: Path, project: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i", *"<symptom>")
        await settle(pilot)
        live = str(app.screen.query_one("#error-symptom").render())
        assert "placeholder '<symptom>'" in live  # shown while typing, before any save
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EntryForm)
        assert "Root cause is required" in str(app.screen.query_one("#error-cause").render())
        assert "fix the marked fields" in str(app.screen.query_one("#form-error").render())
        assert app.screen.focused.id == "field-symptom"
    assert rows(db_path, "SELECT count(*) FROM entry") == [(0,)]
    assert not (project / "INCIDENTS.md").exists()


async def test_near_duplicate_shows_the_earlier_entry_then_saves_anyway(
    app_factory, db_path: Path, project: Path, clock
) -> None:
    with Store.open(db_path, clock=clock, zone=MSK) as store:
        first = store.add(str(project), Kind.NOTE, {"text": "port 8000 is stuck on Windows after sleep"})
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n", *"Port 8000 is stuck on Windows after sleep!")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DuplicateScreen)
        assert first.entry.short_id in str(app.screen.query_one("#duplicate-text").render())
        assert rows(db_path, "SELECT count(*) FROM entry") == [(1,)]
        await pilot.press("escape")  # back to the form: still nothing written
        await settle(pilot)
        assert isinstance(app.screen, EntryForm)
        assert rows(db_path, "SELECT count(*) FROM entry") == [(1,)]
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+s")  # save anyway
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
    assert rows(db_path, "SELECT count(*) FROM entry") == [(2,)]


async def test_a_duplicates_text_is_shown_as_written_not_read_as_markup(
    app_factory, db_path: Path, project: Path, clock
) -> None:
    """ "[/]" in the earlier entry's summary used to end the app with a MarkupError."""
    text = "array[/] index and [bold]x[/bold] are off by one"
    with Store.open(db_path, clock=clock, zone=MSK) as store:
        store.add(str(project), Kind.NOTE, {"text": text})
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n", *text, "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DuplicateScreen)
        assert text in str(app.screen.query_one("#duplicate-text").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EntryForm)
    assert rows(db_path, "SELECT count(*) FROM entry") == [(1,)]


async def test_escape_keeps_a_draft_offered_on_next_launch(app_factory, db_path: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i", *"half-typed symptom", "tab", *"half a cause")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
    assert rows(db_path, "SELECT count(*) FROM entry") == [(0,)]
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "DraftsScreen"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryForm)
        values = app.screen.values()
        assert (values["symptom"], values["cause"]) == ("half-typed symptom", "half a cause")
        await pilot.press("tab", "tab", *"restarted the runner", "ctrl+s")
        await settle(pilot)
    assert rows(db_path, "SELECT symptom, cause, fix FROM entry") == [
        ("half-typed symptom", "half a cause", "restarted the runner")
    ]
    assert rows(db_path, "SELECT count(*) FROM draft") == [(0,)]


async def test_quitting_from_a_form_keeps_the_draft(app_factory, db_path: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d", *"use port 8002 while 8000 is stuck")
        await pilot.press("ctrl+q")
        await pilot.pause()
    [(fields,)] = rows(db_path, "SELECT fields FROM draft")
    assert '"decision": "use port 8002 while 8000 is stuck"' in fields
