"""Sessions, the export screen, running and re-verifying commands, and "seen before", by keys."""

from __future__ import annotations

import sys
from pathlib import Path

from storage.kinds import Kind
from storage.store import Store
from tests.tui.conftest import MSK, rows, settle
from tui.screens.detail import DetailScreen
from tui.screens.export import ExportScreen
from tui.screens.form import EntryForm
from tui.screens.main import MainScreen
from tui.screens.run import RunScreen
from tui.widgets.entry_list import EntryList

PY = sys.executable


async def wait_for(pilot, predicate, rounds: int = 50) -> None:
    for _ in range(rounds):
        await settle(pilot, 1)
        if predicate():
            return
        await pilot.pause(0.1)
    raise AssertionError("condition not reached")


async def test_session_shows_in_the_status_line_and_filters_the_list(
    app_factory, demo_store: Path, clock
) -> None:
    clock.advance(days=400)  # the demo entries are old: a new entry starts a new session
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n", *"fresh session note", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.session is not None)
        assert "session since" in str(app.screen.query_one("#status").render())
        entries = app.screen.query_one(EntryList)
        assert entries.count == 11
        await pilot.press("s")
        await settle(pilot)
        assert entries.count == 1 and entries.highlighted.summary == "fresh session note"
        await pilot.press("s")
        await settle(pilot)
        assert entries.count == 11


async def test_export_screen_previews_copies_and_saves(
    app_factory, demo_store: Path, project: Path, clock
) -> None:
    clock.advance(days=1)  # after the demo entries: no session is open, the last one is summarised
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen.text)
        assert app.screen.text.startswith("# Session of 2025-12-14 19:05")  # the last session: one handoff
        assert "## Done" in app.screen.text and "UserMessaging recipients replace-all" in app.screen.text
        await pilot.press("c")
        assert app.clipboard == app.screen.text
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(project.glob("logbook-session-*.md")))
        [saved] = project.glob("logbook-session-*.md")
        assert saved.name == "logbook-session-20251214-1905.md"  # the heading's time, in the project's zone
        assert saved.read_text() == app.screen.text
        await pilot.press("a")  # everything, not only the last session
        await wait_for(pilot, lambda: "## Incidents" in app.screen.text)
        assert "**OPEN**" in app.screen.text and "**Entries**: 10" in app.screen.text
        await pilot.press("j")
        await wait_for(pilot, lambda: app.screen.text.startswith("{"))
        assert '"schema_version": 1' in app.screen.text


async def test_run_a_passing_command_and_record_a_verified_handoff(
    app_factory, project: Path, db_path: Path
) -> None:
    (project / "check.py").write_text("print('===== 3 passed in 0.01s =====')\n")
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        await pilot.press(*f"{PY} check.py", "enter")
        await wait_for(pilot, lambda: app.screen.result is not None)
        assert "Passed" in str(app.screen.query_one("#run-result").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EntryForm)
        assert (form.values()["verify"], form.values()["expected"]) == (f"{PY} check.py", "3 passed")
        await pilot.press(*"the check script passes", "ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, MainScreen) and rows(db_path, "SELECT count(*) FROM event") == [(1,)]
            ),
        )
        await settle(pilot)
        entries = app.screen.query_one(EntryList)
        assert entries.highlighted.verification == "pass"
        assert "✓" in entries.render_line(0).text  # the badge the row shows
    [(data, author)] = rows(db_path, "SELECT data, author FROM event WHERE type = 'verification'")
    assert '"result": "pass"' in data
    assert author == "Ada Lovelace"


async def test_a_command_that_cannot_be_split_runs_in_the_shell_and_fails_cleanly(
    app_factory, project: Path
) -> None:
    """An unclosed quote used to end the app (shlex raised in the run worker)."""
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r", *'echo "unclosed', "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.result is not None)
        assert app.is_running
        assert "Failed (exit 2)" in str(app.screen.query_one("#run-result").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EntryForm)
        assert app.screen.values()["symptom"]  # the shell's complaint, never an empty symptom
        assert app.screen.values()["verify"] == 'echo "unclosed'


async def test_run_a_failing_command_shows_what_was_seen_before(
    app_factory, db_path: Path, project: Path, clock
) -> None:
    with Store.open(db_path, clock=clock, zone=MSK) as store:
        earlier = store.add(
            str(project),
            Kind.INCIDENT,
            {
                "symptom": "ModuleNotFoundError: No module named 'app' in /home/ada/x/tests/test_api.py line 7",
                "cause": "PYTHONPATH missing",
                "fix": "run from backend/",
            },
        )
    (project / "bad.py").write_text("raise ModuleNotFoundError(\"No module named 'app'\")\n")
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r", *f"{PY} bad.py", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.result is not None)
        result = str(app.screen.query_one("#run-result").render())
        assert "Failed (exit 1)" in result and "Seen before:" in result
        assert earlier.entry.short_id in result and "run from backend/" in result
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.values()["symptom"] == "ModuleNotFoundError: No module named 'app'"


async def test_reverify_from_the_detail_screen(app_factory, db_path: Path, project: Path, clock) -> None:
    (project / "ok.py").write_text("print('7 passed')\n")
    with Store.open(db_path, clock=clock, zone=MSK) as store:
        store.add(
            str(project),
            Kind.HANDOFF,
            {"what": "seven tests", "verify": f"{PY} ok.py", "expected": "7 passed"},
        )
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.result is not None)
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen.entry.verification == "pass"
        )
        source = app.screen.query_one("#detail").source
        assert "verified at" in source and "ok.py" in source and "exit 0" in source
    assert rows(db_path, "SELECT type FROM event") == [("verification",)]


async def test_add_action_item_to_an_incident_from_the_detail_screen(
    app_factory, demo_store: Path, db_path: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2", "enter")  # the open incident
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("enter", "down", "enter")  # open the kind list, choose "Action item"
        await pilot.press("tab", *"script a port check", "ctrl+s")
        await wait_for(
            pilot, lambda: rows(db_path, "SELECT count(*) FROM event WHERE type = 'action'") == [(1,)]
        )
        await wait_for(pilot, lambda: "script a port check" in app.screen.query_one("#detail").source)


async def test_incident_form_shows_earlier_incidents_as_you_type(app_factory, demo_store: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i", *"pytest failed with unexpected line '\\ufeff[pytest]'")
        await pilot.pause(0.7)
        await settle(pilot)
        panel = str(app.screen.query_one("#seen-before").render())
        assert "Seen before:" in panel and "UTF8Encoding(false)" in panel


async def test_a_session_built_by_keys_is_summarised_with_every_section(app_factory, project: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h", *"Wired the recipients API", "tab", "tab", *"pytest -q", "tab", *"40 passed")
        await pilot.press("tab", "tab", *"blacklist next", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("i", *"uvicorn cannot bind port 8000", "tab", *"unknown")
        await pilot.press(
            "tab", "tab", "tab", "tab", "enter", "down", "down", "enter", "ctrl+s"
        )  # severity SEV2
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("d", *"snake_case for new schemas", "ctrl+s")
        await wait_for(
            pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.query_one(EntryList).count == 3
        )
        await pilot.press(
            "2", "enter", "e", "enter", "down", "enter", "tab", *"script a port check", "ctrl+s"
        )
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, DetailScreen)
                and "script a port check" in app.screen.query_one("#detail").source
            ),
        )
        await pilot.press("escape", "0", "x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen.text)
        text = app.screen.text
    for section in (
        "# Session of",
        "**When**",
        "**Branch**: `main`",
        "**Entries**: 3 — 1 done, 1 incident (1 open)",
        "## Done",
        "Wired the recipients API — verify: `pytest -q` → 40 passed",
        "## Incidents",
        "**OPEN** [SEV2, open] uvicorn cannot bind port 8000 → cause: unknown",
        "## Decisions",
        "snake_case for new schemas",
        "## Open action items",
        "script a port check",
        "## Where things stand",
        "**Next**: blacklist next",
        "## Check it is still green",
        "pytest -q   # expect: 40 passed",
    ):
        assert section in text, section


async def test_a_command_and_its_error_are_shown_as_text_not_markup(
    app_factory, db_path: Path, project: Path, clock
) -> None:
    """The command typed and the error it printed go into the run dialog and the "seen before"
    lines: "[/]" in any of them used to end the app with a MarkupError."""
    with Store.open(db_path, clock=clock, zone=MSK) as store:
        store.add(
            str(project),
            Kind.INCIDENT,
            {
                "symptom": "IndexError: list[/] index out of range",
                "cause": "empty [/] list",
                "fix": "guard [b]it",
            },
        )
    (project / "bad.py").write_text("raise IndexError('list[/] index out of range')\n")
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r", *f"{PY} bad.py --tag=[/]", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.result is not None)
        assert app.is_running
        result = str(app.screen.query_one("#run-result").render())
        assert "IndexError: list[/] index out of range" in result
        assert "cause: empty [/] list" in result and "fix: guard [b]it" in result
        await pilot.press("escape", "i", *"IndexError: list[/] index out of range")
        await wait_for(pilot, lambda: "Seen before:" in str(app.screen.query_one("#seen-before").render()))
        assert "cause: empty [/] list" in str(app.screen.query_one("#seen-before").render())
