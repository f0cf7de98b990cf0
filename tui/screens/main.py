"""The list screen: every entry newest first, filtered by kind or by a search."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Label, Static

from storage.kinds import Kind
from tui import messages
from tui.sources import BrowseSource, SearchSource
from tui.widgets.entry_list import EntryList

if TYPE_CHECKING:
    from datetime import datetime

    from storage.records import Draft, WorkSession
    from tui.app import LogbookApp
    from tui.startup import Opening

SEARCH_DEBOUNCE = 0.15
FILTER = Binding.Group("Filter", compact=True)
# The footer shows the keys that make entries; filters (0-4), Enter and the rest are in
# the status line, the help screen (?) and the palette. Each footer key is a widget: the
# six hidden ones cost 8 ms of the first frame (bench/tui_startup.py).


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", key_display="/", id="main.search"),
        Binding("h", "new('handoff')", "Handoff", id="main.new-handoff"),
        Binding("i", "new('incident')", "Incident", id="main.new-incident"),
        Binding("d", "new('decision')", "Decision", id="main.new-decision"),
        Binding("n", "new('note')", "Note", id="main.new-note"),
        Binding("0", "filter('all')", "all", group=FILTER, id="main.filter-all", show=False),
        Binding("1", "filter('handoff')", "handoffs", group=FILTER, id="main.filter-handoff", show=False),
        Binding("2", "filter('incident')", "incidents", group=FILTER, id="main.filter-incident", show=False),
        Binding("3", "filter('decision')", "decisions", group=FILTER, id="main.filter-decision", show=False),
        Binding("4", "filter('note')", "notes", group=FILTER, id="main.filter-note", show=False),
        Binding("s", "toggle_session", "This session", id="main.session", show=False),
        Binding("r", "run", "Run a command", id="main.run", show=False),
        Binding("x", "export", "Export the session", id="main.export", show=False),
        Binding("ctrl+d", "drafts", "Drafts", id="main.drafts", show=False),
        Binding("ctrl+o", "import", "Import a log", id="main.import", show=False),
        Binding("escape", "clear_search", "Clear search", id="main.clear-search", show=False),
    ]
    AUTO_FOCUS = "#entries"

    def __init__(self) -> None:
        super().__init__()
        self.kind: Kind | None = None
        self._debounce: Timer | None = None
        self._pending_mirror = 0
        self._ready = False
        self.session: WorkSession | None = None
        self.only_session = False

    @property
    def logbook(self) -> LogbookApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield EntryList(zone=self.logbook.zone, empty_text=messages.TUI_EMPTY, id="entries")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        prefetch = self.logbook.prefetch
        opening = prefetch.ready() if prefetch is not None else None
        if opening is not None:
            self._opened(opening)  # read while Textual was loading: no disk access here
        else:
            self._open_store()

    @work(thread=True, group="startup", exit_on_error=False)
    def _open_store(self) -> None:
        from tui.startup import open_project

        prefetch = self.logbook.prefetch
        try:
            # Still reading when the screen mounted: wait for it rather than read it all again.
            opening = prefetch.wait() if prefetch is not None else None
            if opening is None:
                opening = open_project(self.logbook.store, self.logbook.project)
        except Exception as error:  # a store from a newer logbook, unreadable, locked...
            self.app.call_from_thread(self._cannot_open, error)
            return
        self.app.call_from_thread(self._opened, opening)

    def _cannot_open(self, error: Exception) -> None:
        """Nothing works without the store: leave, saying why (printed once the screen is gone)."""
        self.app.exit(return_code=1, message=messages.CANNOT_OPEN_STORE.format(error=error))

    def _opened(self, opening: Opening) -> None:
        self._ready = True
        self._pending_mirror = opening.pending_mirror
        source = BrowseSource(opening.store, self.logbook.project, self.kind)
        self.query_one(EntryList).set_source(source, preloaded=(opening.count, opening.rows))
        if opening.mirror_errors:
            message = messages.mirror_pending(opening.pending_mirror, opening.mirror_errors[0])
            self.notify(message, severity="warning", timeout=8, markup=False)  # quotes the path
        if opening.drafts:
            self._offer_drafts(opening.drafts)
        # After the first frame is on screen: a first sync may read a large file.
        self.call_after_refresh(self._sync)

    @work(thread=True, group="sync", exclusive=True, exit_on_error=False)
    def _sync(self) -> None:
        """After the first frame: take in what teammates appended to the mirror files,
        and learn the current commit (for stale badges) and the open work session."""
        from storage.importing import sync
        from storage.project import git_context

        store = self.logbook.store
        reports = sync(store, self.logbook.project)
        added = sum(len(report.added) for report in reports)
        changes = sum(report.events_added for report in reports)
        if added or changes:
            files = [Path(report.path).name for report in reports if report.added or report.events_added]
            self.app.call_from_thread(self._synced, added, changes, files)
        head = git_context(Path(self.logbook.project)).commit
        self.app.call_from_thread(self._context_known, head, store.current_session(self.logbook.project))

    def _context_known(self, head: str | None, session: WorkSession | None) -> None:
        entries = self.query_one(EntryList)
        entries.head = head
        entries.refresh()
        self.session = session
        self._update_status(None)

    def refresh_session(self) -> None:
        """A save may have started a session: ask the store again."""
        self._session_worker()

    @work(thread=True, group="session", exclusive=True, exit_on_error=False)
    def _session_worker(self) -> None:
        session = self.logbook.store.current_session(self.logbook.project)
        self.app.call_from_thread(self._session_known, session)

    def _session_known(self, session: WorkSession | None) -> None:
        self.session = session
        self._update_status(None)

    def _synced(self, added: int, changes: int, files: list[str]) -> None:
        self.notify(messages.synced(added, changes, files), timeout=6)
        self.reload()

    def action_import(self) -> None:
        from tui.screens.importing import ImportScreen

        if self._ready:
            self.app.push_screen(ImportScreen(), self._form_closed)

    # -- what the list shows ------------------------------------------------

    def _browse(self, *, keep_cursor: bool = False) -> None:
        session_id = self.session.id if self.only_session and self.session else None
        self.query_one(EntryList).set_source(
            BrowseSource(self.logbook.store, self.logbook.project, self.kind, session_id),
            keep_cursor=keep_cursor,
        )

    def reload(self, *, keep_cursor: bool = False) -> None:
        """Show the store again (after a save), keeping the current filter and search
        (and the cursor's row, when coming back from an entry)."""
        if not self._ready:
            return
        if self._query():
            self._search_now(keep_cursor=keep_cursor)
        else:
            self._browse(keep_cursor=keep_cursor)

    @on(EntryList.Counted)
    def _show_count(self, event: EntryList.Counted) -> None:
        self._update_status(event.count)

    def _update_status(self, count: int | None = None) -> None:
        entries = self.query_one(EntryList)
        count = entries.count if count is None else count
        query = self._query()
        kind = self.kind.value if self.kind else None
        parts = [messages.list_status(count, kind, query, bool(self.only_session and self.session))]
        if self._pending_mirror:
            parts.append(messages.pending_lines(self._pending_mirror))
        if self.session:
            parts.append(
                messages.session_status(self.session, _local_time(self.logbook, self.session.started_at))
            )
        parts.append(messages.times_in(_zone_name(self.logbook)))
        parts.append(messages.STATUS_KEYS)
        self.query_one("#status", Static).update(Text(messages.STATUS_SEPARATOR.join(parts)))

    # -- actions ----------------------------------------------------------

    def action_toggle_session(self) -> None:
        if self.session is None:
            self.notify(messages.NO_OPEN_SESSION_TUI)
            return
        self.only_session = not self.only_session
        self.reload()
        self._update_status(None)

    def action_run(self) -> None:
        from tui.screens.run import RunScreen

        if self._ready:
            self.app.push_screen(RunScreen(), self._form_closed)

    def action_export(self) -> None:
        from tui.screens.export import ExportScreen

        if self._ready:
            self.app.push_screen(ExportScreen())

    def action_filter(self, kind: str) -> None:
        self.kind = None if kind == "all" else Kind(kind)
        self.reload()
        self._update_status(None)

    def _search_input(self) -> Input | None:
        """The search box, once `/` has been pressed (it is not built until then)."""
        found = self.query("#search")
        return found.first(Input) if found else None

    def _query(self) -> str:
        search = self._search_input()
        return search.value.strip() if search is not None else ""

    async def action_search(self) -> None:
        search = self._search_input()
        if search is None:
            search = Input(placeholder=messages.SEARCH_PLACEHOLDER, id="search")
            bar = Horizontal(Label(messages.SEARCH_LABEL, id="search-label"), search, id="search-bar")
            await self.mount(bar, before=self.query_one(EntryList))
        self.query_one("#search-bar").add_class("-visible")
        search.focus()

    def action_clear_search(self) -> None:
        search = self._search_input()
        if search is None:
            return
        was_searching = bool(search.value)
        search.value = ""
        self.query_one("#search-bar").remove_class("-visible")
        self.query_one(EntryList).focus()
        if was_searching:
            self._browse()

    @on(Input.Changed, "#search")
    def _query_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SEARCH_DEBOUNCE, self._search_now)

    def _search_now(self, *, keep_cursor: bool = False) -> None:
        if not self._ready:
            return
        query = self._query()
        entries = self.query_one(EntryList)
        if query:
            entries.set_source(
                SearchSource(self.logbook.store, self.logbook.project, query, self.kind),
                keep_cursor=keep_cursor,
            )
        else:
            self._browse(keep_cursor=keep_cursor)
        self._update_status(None)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.query_one(EntryList).focus()

    def on_key(self, event: events.Key) -> None:
        if event.key == "down" and self.focused is not None and self.focused is self._search_input():
            event.stop()
            self.query_one(EntryList).focus()

    @on(EntryList.Selected)
    def _open_entry(self, event: EntryList.Selected) -> None:
        from tui.screens.detail import DetailScreen

        # Back from an entry, the list shows what it may have added, with the cursor where it was.
        self.app.push_screen(DetailScreen(event.entry.id), lambda _: self.reload(keep_cursor=True))

    def action_new(self, kind: str, draft: Draft | None = None) -> None:
        from tui.screens.form import EntryForm

        self.app.push_screen(EntryForm(Kind(kind), draft=draft), self._form_closed)

    def _form_closed(self, saved: object) -> None:
        if saved:
            self.reload()
            self.refresh_session()

    def action_drafts(self) -> None:
        if not self._ready:
            return
        self._load_drafts()

    @work(thread=True, group="drafts", exclusive=True)
    def _load_drafts(self) -> None:
        drafts = self.logbook.store.drafts(self.logbook.project)
        self.app.call_from_thread(self._offer_drafts, drafts)

    def _offer_drafts(self, drafts: list[Draft]) -> None:
        from tui.screens.modals import DraftsScreen

        if not drafts:
            self.notify(messages.NO_DRAFTS)
            return
        self.app.push_screen(DraftsScreen(drafts, self.logbook.zone), self._draft_chosen)

    def _draft_chosen(self, draft: Draft | None) -> None:
        if draft is not None:
            self.action_new(draft.kind.value, draft)


def _local_time(app: LogbookApp, moment: datetime) -> str:
    return moment.astimezone(app.zone).strftime("%H:%M")


def _zone_name(app: LogbookApp) -> str:
    from storage.clock import zone_label

    return zone_label(app.clock().astimezone(app.zone))
