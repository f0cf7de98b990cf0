"""The Textual app: built by :func:`make_app`, given its store path and project."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from storage.clock import user_zone, utc_now
from storage.kinds import Kind
from tui.terminal import printable

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from storage.store import Store
    from tui.startup import Prefetch

LIGHT_THEME = "textual-light"
DARK_THEME = "textual-dark"


class LogbookApp(App[None]):
    """List, detail and new-entry screens over one project's entries."""

    CSS_PATH = "app.tcss"
    TITLE = "logbook"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
        Binding("question_mark", "help", "Keys", key_display="?", id="app.help"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", id="app.theme", show=False),
    ]

    def __init__(
        self,
        *,
        db_path: Path | None,
        project: str,
        clock: Callable[[], datetime] = utc_now,
        zone: tzinfo | None = None,
        cursor_blink: bool = True,
        prefetch: Prefetch | None = None,
    ) -> None:
        super().__init__()
        self.prefetch = prefetch
        self.db_path = db_path
        self.project = project
        self.clock = clock
        self.zone = zone or user_zone()
        self.cursor_blink = cursor_blink
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self.theme = DARK_THEME

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast; control characters a notice quotes (from a path, an OS error, a file)
        are shown as visible escapes, never sent to the terminal as they are."""
        super().notify(
            printable(message), title=printable(title), severity=severity, timeout=timeout, markup=markup
        )

    @property
    def store(self) -> Store:
        """The store, opened on first use. Touches the disk: call it from thread workers."""
        with self._store_lock:
            if self._store is None and self.prefetch is not None:
                self._store = self.prefetch.wait().store
            if self._store is None:
                from storage.store import Store  # here, not at import: see tui.startup

                self._store = Store.open(self.db_path, clock=self.clock, zone=self.zone)
            return self._store

    def on_mount(self) -> None:
        from storage.files import home_relative
        from tui.screens.main import MainScreen

        self.sub_title = home_relative(self.project)
        self.push_screen(MainScreen())

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Without blinking (tests, screenshots) every text cursor stays on, in our screens
        and in Textual's own (the command palette): a blink would make screenshots differ."""
        if not self.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        with self._store_lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    # -- actions available everywhere ---------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME

    async def action_quit(self) -> None:
        """Quit, keeping any half-typed form as a draft first."""
        for screen in reversed(self.screen_stack):
            keep = getattr(screen, "keep_draft", None)
            if keep is not None:
                await keep()
        self.exit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action in the command palette (ctrl+p), with the screen's own first."""
        from tui.screens.detail import DetailScreen
        from tui.screens.main import MainScreen

        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if isinstance(screen, DetailScreen):
            yield SystemCommand(
                "Copy mirror line", "Copy this entry's HANDOFF/INCIDENTS line", screen.action_copy
            )
            yield SystemCommand(
                "Follow up", "Write a new entry that supersedes this one", screen.action_follow_up
            )
            if screen.entry is not None and screen.entry.kind is Kind.INCIDENT:
                yield SystemCommand(
                    "Change status",
                    "Open, mitigated or resolved (a new event)",
                    screen.action_status,
                )
            yield SystemCommand("Back", "Back to the list", screen.action_back)
        if main is not None:
            for kind in Kind:
                yield SystemCommand(
                    f"New {kind.value}",
                    f"Write a new {kind.value}",
                    lambda k=kind: main.action_new(k.value),
                )
            yield SystemCommand("Search", "Search every field (/)", main.action_search)
            yield SystemCommand(
                "Show all entries", "Clear the kind filter", lambda: main.action_filter("all")
            )
            for kind in Kind:
                yield SystemCommand(
                    f"Show only {kind.value}s",
                    f"Filter the list to {kind.value}s",
                    lambda k=kind: main.action_filter(k.value),
                )
            yield SystemCommand("Drafts", "Reopen a draft you left unsaved", main.action_drafts)
            yield SystemCommand(
                "Import a log", "Take in a hand-kept HANDOFF.md / INCIDENTS.md (ctrl+o)", main.action_import
            )
        yield SystemCommand("Keys", "Every key binding (?)", self.action_help)
        yield SystemCommand(
            "Light / dark",
            "Switch between light and dark themes (ctrl+t)",
            self.action_toggle_theme,
        )
        yield SystemCommand("Quit", "Quit logbook; drafts are kept (ctrl+q)", self.action_quit)


def make_app(
    *,
    db_path: Path | None = None,
    project: str | Path | None = None,
    clock: Callable[[], datetime] = utc_now,
    zone: tzinfo | None = None,
    cursor_blink: bool = True,
    prefetch: Prefetch | None = None,
) -> LogbookApp:
    """Build the app for ``project`` (default: the git top level of the cwd); opens nothing yet."""
    if project is None:
        from storage.project import find_project_root

        project = find_project_root()
    return LogbookApp(
        db_path=db_path,
        project=str(Path(project).resolve()),
        clock=clock,
        zone=zone,
        cursor_blink=cursor_blink,
        prefetch=prefetch,
    )
