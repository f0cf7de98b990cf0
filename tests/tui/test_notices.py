"""Notices quote paths, OS errors and what was typed: shown as written, never read as markup.

A project under a directory such as ``proj[/]x`` used to end the app with a MarkupError as
soon as a notice named a file in it; ``[b]`` in typed text used to turn bold and vanish.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.content import Content
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.pilot import Pilot

from storage.kinds import Kind
from storage.store import Store
from tests.conftest import FakeClock, git_project
from tests.tui.conftest import MSK, rows, settle
from tests.waiting import wait_until_async
from tui.app import LogbookApp, make_app
from tui.screens.detail import DetailScreen
from tui.screens.export import ExportScreen
from tui.screens.main import MainScreen


class Notices:
    """Every notification the app raised, kept here (a toast goes away on its own clock)."""

    def __init__(self) -> None:
        self.raised: list[Notification] = []

    def hook(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.raised.append(message.notification)

    def shown(self) -> list[str]:
        """What each toast shows: its message read as a toast reads it (markup unless the
        notice says not), which is where a MarkupError would be raised."""
        return [str(Content.from_markup(n.message) if n.markup else Content(n.message)) for n in self.raised]

    def showing(self, text: str) -> bool:
        return any(text in shown for shown in self.shown())


@pytest.fixture
def bracketed(tmp_path: Path) -> Path:
    """A checkout whose path holds "[/]": a directory "proj[" with "]x" in it."""
    return git_project(tmp_path / "proj[/]x")


def app_in(project: Path, db_path: Path, clock: FakeClock) -> LogbookApp:
    return make_app(db_path=db_path, project=project, clock=clock, zone=MSK, cursor_blink=False)


async def save_a_note(pilot: Pilot[None], notices: Notices, text: str) -> None:
    """Type a note on the list and save it, as a user would, until its notice is raised."""
    await settle(pilot)
    await pilot.press("n", *text, "ctrl+s")
    await wait_until_async(lambda: notices.showing("Saved note"), "the saved notice")


async def test_saved_and_export_notices_quote_a_bracketed_path(
    bracketed: Path, db_path: Path, clock: FakeClock
) -> None:
    notices = Notices()
    app = app_in(bracketed, db_path, clock)
    async with app.run_test(size=(120, 40), notifications=True, message_hook=notices.hook) as pilot:
        await save_a_note(pilot, notices, "checked the [b]build[/b]")
        assert notices.showing(f"and appended it to {bracketed / 'HANDOFF.md'}.")
        await pilot.press("x")
        await wait_until_async(
            lambda: isinstance(app.screen, ExportScreen) and app.screen.text, "the summary"
        )
        await pilot.press("ctrl+s")
        await wait_until_async(lambda: notices.showing("Wrote "), "the export notice")
        [written] = bracketed.glob("logbook-session-*.md")
        assert notices.showing(f"Wrote {written}.")
        assert written.read_text() == app.screen.text
        written.unlink()
        written.mkdir()  # the next save cannot replace it
        await pilot.press("ctrl+s")
        await wait_until_async(lambda: notices.showing(f"{written}: "), "the export error")
        assert notices.showing(f"{written}: Is a directory")
        assert isinstance(app.screen, ExportScreen)
    assert rows(db_path, "SELECT kind, text FROM entry") == [("note", "checked the [b]build[/b]")]


async def test_mirror_errors_quoting_a_bracketed_path_are_shown_as_written(
    bracketed: Path, db_path: Path, clock: FakeClock
) -> None:
    (bracketed / "HANDOFF.md").mkdir()  # a directory where the mirror file should be
    quoted = f"({bracketed / 'HANDOFF.md'} is a directory, not a file)"
    notices = Notices()
    app = app_in(bracketed, db_path, clock)
    async with app.run_test(size=(120, 40), notifications=True, message_hook=notices.hook) as pilot:
        await save_a_note(pilot, notices, "checked the build")
        assert notices.showing(f"HANDOFF.md could not be written {quoted}")
        assert isinstance(app.screen, MainScreen)
    notices = Notices()
    app = app_in(bracketed, db_path, clock)  # the next start tries the pending line again
    async with app.run_test(size=(120, 40), notifications=True, message_hook=notices.hook) as pilot:
        await wait_until_async(lambda: notices.showing("could not be written"), "the pending warning")
        assert notices.showing(f"1 mirror line could not be written {quoted}; it stays pending.")
        assert isinstance(app.screen, MainScreen)
        status = str(app.screen.query_one("#status").render())
        assert "1 mirror line pending (logbook mirror repair)" in status
    assert rows(db_path, "SELECT kind, text FROM entry") == [("note", "checked the build")]


async def test_detail_notices_quote_typed_text_and_paths_as_written(
    bracketed: Path, db_path: Path, clock: FakeClock
) -> None:
    (bracketed / "INCIDENTS.md").mkdir()  # every incident notice names it, and the OS error quotes its path
    with Store.open(db_path, clock=clock, zone=MSK) as store:
        store.add(
            str(bracketed),
            Kind.INCIDENT,
            {
                "symptom": "IndexError: list[/] index out of range",
                "cause": "empty [/] list",
                "status": "open",
            },
        )
    quoted = f"INCIDENTS.md pending: {bracketed / 'INCIDENTS.md'} is a directory, not a file)"
    notices = Notices()
    app = app_in(bracketed, db_path, clock)
    async with app.run_test(size=(120, 40), notifications=True, message_hook=notices.hook) as pilot:
        await settle(pilot)
        await pilot.press("2", "enter")
        await wait_until_async(
            lambda: isinstance(app.screen, DetailScreen) and app.screen.entry, "the detail"
        )
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("tab", *"rolled back [b]v2[/b]", "tab", *"12:4[/]1", "ctrl+s")
        await wait_until_async(lambda: notices.showing("Not saved"), "the refusal")
        assert notices.showing("'12:4[/]1' is not a time like")
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("tab", *"rolled back [b]v2[/b]", "ctrl+s")
        await wait_until_async(lambda: notices.showing("Recorded timeline event"), "the event notice")
        assert notices.showing(quoted)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("tab", *"on port [8002] now", "ctrl+s")  # default choice: mitigated
        await wait_until_async(lambda: notices.showing("is now mitigated"), "the status notice")
        assert notices.showing(quoted)
        assert isinstance(app.screen, DetailScreen)
    assert rows(db_path, "SELECT type FROM event ORDER BY seq") == [("timeline",), ("status",)]


async def test_a_notice_shows_control_characters_as_escapes_never_sends_them(
    tmp_path: Path, db_path: Path, clock: FakeClock
) -> None:
    # A checkout under a directory whose name holds ESC [2J (clear the screen): the saved
    # notice names the mirror file, and the toast must not pass the sequence to the terminal.
    project = git_project(tmp_path / "proj\x1b[2Jx")
    notices = Notices()
    app = app_in(project, db_path, clock)
    async with app.run_test(size=(120, 40), notifications=True, message_hook=notices.hook) as pilot:
        await save_a_note(pilot, notices, "checked the build")
        [saved] = [shown for shown in notices.shown() if "Saved note" in shown]
        assert "proj\\u001b[2Jx" in saved and "\x1b" not in saved
    assert "checked the build" in (project / "HANDOFF.md").read_text(encoding="utf-8")
