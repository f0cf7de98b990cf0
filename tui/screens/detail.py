"""The detail screen: one entry in full, and what can be done with it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown

from storage.kinds import Kind
from tui import messages
from tui.render import entry_markdown

if TYPE_CHECKING:
    from storage.records import Entry
    from tui.app import LogbookApp


class DetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,backspace", "back", "Back", id="detail.back"),
        Binding("c", "copy", "Copy mirror line", id="detail.copy"),
        Binding("f", "follow_up", "Follow up", id="detail.follow-up"),
        Binding("s", "status", "Status", id="detail.status"),
        Binding("e", "incident_event", "Add to incident", id="detail.event"),
        Binding("v", "verify", "Re-verify", id="detail.verify"),
        Binding("p", "postmortem", "Postmortem", id="detail.postmortem", show=False),
    ]

    def __init__(self, entry_id: str) -> None:
        super().__init__()
        self.entry_id = entry_id
        self.entry: Entry | None = None
        self.mirror_line = ""

    @property
    def logbook(self) -> LogbookApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-scroll"):
            yield Markdown("Loading…", id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-scroll").focus()
        self._load()

    @work(thread=True, exclusive=True, group="detail")
    def _load(self) -> None:
        store = self.logbook.store
        entry = store.get(self.entry_id)
        events = store.events(entry.id)
        followups = store.followups(entry.id)
        line = store.mirror_line(entry)
        seen = (
            store.similar_incidents(entry.project, entry.fields.get("symptom", ""), exclude=entry.id)
            if entry.kind is Kind.INCIDENT
            else []
        )
        text = entry_markdown(entry, events, followups, self.logbook.zone, seen)
        self.app.call_from_thread(self._show, entry, line, text)

    def _show(self, entry: Entry, line: str, text: str) -> None:
        self.entry = entry
        self.mirror_line = line
        self.sub_title = f"{entry.kind.value} {entry.short_id}"
        self.query_one("#detail", Markdown).update(text)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("status", "incident_event", "postmortem"):
            return self.entry is not None and self.entry.kind is Kind.INCIDENT
        if action == "verify":
            return self.entry is not None and bool(self.entry.fields.get("verify"))
        if action in ("copy", "follow_up"):
            return self.entry is not None
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_copy(self) -> None:
        if self.mirror_line:
            self.app.copy_to_clipboard(self.mirror_line)
            self.notify(messages.COPIED_LINE)

    def action_follow_up(self) -> None:
        from tui.screens.form import EntryForm

        if self.entry is not None:
            self.app.push_screen(EntryForm(self.entry.kind, follows=self.entry), self._after_follow_up)

    def _after_follow_up(self, saved: object) -> None:
        if saved:
            self._load()

    def action_verify(self) -> None:
        from tui.screens.run import RunScreen

        if self.entry is not None and self.entry.fields.get("verify"):
            self.app.push_screen(RunScreen(verify=self.entry), lambda _: self._load())

    def action_postmortem(self) -> None:
        if self.entry is not None:
            self._postmortem(self.entry)

    @work(thread=True, group="postmortem")
    def _postmortem(self, entry: Entry) -> None:
        from storage import postmortem

        store = self.logbook.store
        text = postmortem.to_markdown(
            entry, store.events(entry.id), store.followups(entry.id), self.logbook.zone
        )
        self.app.call_from_thread(self.query_one("#detail", Markdown).update, text)

    def _notify(self, notice: str, severity: SeverityLevel = "information") -> None:
        """From a worker: a refusal quotes what was typed, a mirror error the file's path
        ("[/]" in either is not markup)."""
        self.app.call_from_thread(self.notify, notice, severity=severity, markup=False)

    def action_incident_event(self) -> None:
        from tui.screens.modals import IncidentEventScreen

        if self.entry is not None and self.entry.kind is Kind.INCIDENT:
            self.app.push_screen(IncidentEventScreen(self.entry), self._event_chosen)

    def _event_chosen(self, choice: tuple[str, str, str] | None) -> None:
        if choice is not None:
            self._add_event(*choice)

    @work(thread=True, group="detail-event")
    def _add_event(self, event_type: str, text: str, at_text: str) -> None:
        from storage.errors import Refused
        from storage.project import git_context

        store = self.logbook.store
        try:
            at = store.typed_time(at_text) if at_text and event_type == "timeline" else None
            number = int(text) if event_type == "action-done" and text.isdigit() else None
            context = git_context(Path(self.logbook.project))
            result = store.add_incident_event(
                self.entry_id, event_type, text, at=at, number=number, source="tui", context=context
            )
        except Refused as error:
            self._notify(messages.refused(error.problems), severity="error")
            return
        self._notify(messages.incident_event(result))
        self.app.call_from_thread(self._load)

    def action_status(self) -> None:
        from tui.screens.modals import StatusScreen

        if self.entry is not None and self.entry.kind is Kind.INCIDENT:
            self.app.push_screen(StatusScreen(self.entry), self._status_chosen)

    def _status_chosen(self, choice: tuple[str, str] | None) -> None:
        if choice is not None:
            self._set_status(*choice)

    @work(thread=True, group="detail-status")
    def _set_status(self, status: str, note: str) -> None:

        from storage.errors import Refused
        from storage.project import git_context

        try:
            result = self.logbook.store.set_status(
                self.entry_id,
                status,
                note=note,
                source="tui",
                context=git_context(Path(self.logbook.project)),
            )
        except Refused as error:
            self._notify(messages.refused(error.problems), severity="error")
            return
        self._notify(messages.status_changed(result))
        self.app.call_from_thread(self._load)
