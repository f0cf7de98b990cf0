"""The list, search, filters and the detail screen, driven by keys."""

from __future__ import annotations

from pathlib import Path

from storage.kinds import Kind
from storage.store import Store
from tests.tui.conftest import MSK, rows, settle
from tui.demo import ENTRIES
from tui.screens.detail import DetailScreen
from tui.screens.form import EntryForm
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.modals import StatusScreen
from tui.widgets.entry_list import EntryList


def visible_summaries(app) -> list[str]:
    entries = app.screen.query_one(EntryList)
    return [entries._rows[i].entry.summary for i in range(entries.count or 0) if i in entries._rows]


async def test_list_shows_entries_newest_first(app_factory, demo_store: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        entries = app.screen.query_one(EntryList)
        assert entries.count == 10
        summaries = visible_summaries(app)
        assert summaries[0].startswith("UserMessaging recipients replace-all")
        assert summaries[-1].startswith("Verified API up")
        assert "10 entries" in str(app.screen.query_one("#status").render())


async def test_kind_filters(app_factory, demo_store: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        entries = app.screen.query_one(EntryList)
        assert entries.count == 4
        assert {e.entry.kind for e in entries._rows.values()} == {Kind.INCIDENT}
        assert "4 incidents" in str(app.screen.query_one("#status").render())
        await pilot.press("4")
        await settle(pilot)
        assert entries.count == 1
        await pilot.press("0")
        await settle(pilot)
        assert entries.count == 10


async def test_search_narrows_the_list_as_you_type(app_factory, demo_store: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"pyte")
        await pilot.pause(0.3)
        await settle(pilot)
        entries = app.screen.query_one(EntryList)
        with_pytest = [f for _, _, f, _ in ENTRIES if any("pytest" in v.lower() for v in f.values())]
        assert entries.count == len(with_pytest) == 4  # the last word is matched as a prefix
        assert all("pytest" in str(e.entry.fields).lower() for e in entries._rows.values())
        await pilot.press(*"st event")
        await pilot.pause(0.3)
        await settle(pilot)
        assert entries.count == 1
        assert "Event loop is closed" in entries.highlighted.summary
        assert "1 entry matches 'pytest event'" in str(app.screen.query_one("#status").render())
        await pilot.press("enter")  # to the list
        await pilot.press("enter")  # open the hit
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")  # clears the search
        await settle(pilot)
        assert entries.count == 10


async def test_detail_shows_every_field_and_copies_the_mirror_line(
    app_factory, demo_store: Path, project: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2", "down", "down")  # third incident: the Event loop one
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        text = screen.query_one("#detail").source
        for expected in (
            "Symptom",
            "Root cause",
            "Fix / mitigation",
            "python -m pytest -q",
            "2 passed",
            "SEV2",
            "resolved",
            "Ada Lovelace",
            "feature/recipients",
            "4be1f3c9d2a7",
            screen.entry.id,
            "INCIDENTS.md",
        ):
            assert expected in text, expected
        await pilot.press("c")
        lines = (project / "INCIDENTS.md").read_text().splitlines()
        line = next(text for text in lines if screen.entry.id in text)
        assert app.clipboard == line


async def test_status_change_from_the_detail_screen(app_factory, demo_store: Path, project: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2", "enter")  # the open incident is the newest incident
        await settle(pilot)
        assert app.screen.entry.status == "open"
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatusScreen)
        await pilot.press("tab", *"on port 8002 now", "ctrl+s")  # default choice: mitigated
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.entry.status == "mitigated"
        assert "status open → mitigated — on port 8002 now" in app.screen.query_one("#detail").source
    assert "status open → mitigated — on port 8002 now" in (project / "INCIDENTS.md").read_text()


async def test_status_key_is_not_offered_for_handoffs(app_factory, demo_store: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("1", "enter")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)  # no status dialog for a handoff


async def test_follow_up_supersedes_the_entry(
    app_factory, demo_store: Path, db_path: Path, project: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("1", "enter")  # newest handoff
        await settle(pilot)
        original = app.screen.entry
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EntryForm) and form.values()["what"] == original.fields["what"]
        await pilot.press("tab", "tab", "tab", "ctrl+a", "ctrl+k", *"41 passed", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.entry.superseded_by is not None
    [(expected, supersedes)] = rows(
        db_path, "SELECT expected, supersedes FROM entry WHERE supersedes IS NOT NULL"
    )
    assert (expected, supersedes) == ("41 passed", original.id)
    assert f"re:{original.id}" in (project / "HANDOFF.md").read_text()


async def test_help_lists_every_binding(app_factory) -> None:
    from tui.app import LogbookApp
    from tui.screens.main import MainScreen as Main

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one("#help").source
        for binding in [*LogbookApp.BINDINGS, *Main.BINDINGS, *DetailScreen.BINDINGS, *EntryForm.BINDINGS]:
            assert binding.description in text, binding.description
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_command_palette_reaches_actions(app_factory, db_path: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"new note")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryForm) and app.screen.kind is Kind.NOTE


async def test_list_pages_a_large_store(app_factory, db_path: Path, project: Path, clock) -> None:
    from storage.store import NewEntry

    with Store.open(db_path, clock=clock, zone=MSK) as store:
        store.add_many(
            str(project),
            (NewEntry(kind=Kind.NOTE, fields={"text": f"note number {n}"}) for n in range(3000)),
        )
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        entries = app.screen.query_one(EntryList)
        assert entries.count == 3000
        assert len(entries._rows) <= 200  # only what is on screen (and a block) is loaded
        await pilot.press("end")
        await settle(pilot)
        assert entries.cursor == 2999
        assert entries.highlighted.summary == "note number 0"
        await pilot.press("pageup")
        await settle(pilot)
        assert entries.cursor == 2999 - (entries.size.height - 1)
        assert entries.highlighted.summary == f"note number {2999 - entries.cursor}"
        await pilot.press("home")
        await settle(pilot)
        assert entries.highlighted.summary == "note number 2999"


async def test_back_from_an_entry_the_cursor_stays_on_it(app_factory, demo_store: Path) -> None:
    """It used to jump back to the top: reading entries one after another meant counting rows."""
    app = app_factory()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        entries = app.screen.query_one(EntryList)
        opened = []
        for _ in range(3):
            await pilot.press("down", "enter")
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen)
            opened.append(app.screen.entry_id)
            await pilot.press("escape")
            await settle(pilot)
        assert entries.cursor == 3
        assert len(set(opened)) == 3  # three different entries, one after another
        assert entries.highlighted is not None and entries.highlighted.id == opened[-1]


async def test_back_from_a_follow_up_the_cursor_stays_on_the_entry_not_its_row(
    app_factory, demo_store: Path, clock
) -> None:
    """The follow-up is the newest entry, so every row below it moved down one: the cursor used
    to keep its row number and land on the entry above the one that was open."""
    clock.advance(days=30)  # the follow-up is made now: the top of the list
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        entries = app.screen.query_one(EntryList)
        await pilot.press("1", "down", "enter")  # the second newest handoff
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        opened = app.screen.entry_id
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("tab", "tab", "tab", "ctrl+a", "ctrl+k", *"41 passed", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert entries._rows[0].entry.supersedes == opened  # the follow-up, on top
        assert entries.cursor == 2
        assert entries.highlighted is not None and entries.highlighted.id == opened
        await pilot.press("enter")  # and Enter opens that entry again
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.entry_id == opened
