"""The session summary in the TUI: a live preview, saved to a file or copied to the clipboard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, Static

from tui import messages

if TYPE_CHECKING:
    from tui.app import LogbookApp


class ExportScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="export.back"),
        Binding("c", "copy", "Copy", id="export.copy"),
        Binding("ctrl+s", "save", "Save to a file", id="export.save", priority=True),
        Binding("j", "toggle_format", "Markdown / JSON", id="export.format"),
        Binding("a", "toggle_scope", "Session / everything", id="export.scope"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.as_json = False
        self.everything = False
        self.file_stem = "session"

    @property
    def logbook(self) -> LogbookApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(messages.EXPORT_HINT, id="export-hint")
        with VerticalScroll(id="export-scroll"):
            yield Markdown(messages.EXPORT_LOADING, id="export-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "session summary"
        self.query_one("#export-scroll").focus()
        self._build()

    @work(thread=True, exclusive=True, group="export")
    def _build(self) -> None:
        from storage import summary
        from storage.errors import NotFound
        from storage.sessions import session_scope

        store = self.logbook.store
        try:
            title, entries, session = session_scope(store, self.logbook.project, everything=self.everything)
        except NotFound:
            self.app.call_from_thread(self._show, messages.NO_SESSION, "")
            return
        built = summary.build(
            entries,
            store.events_for([e.id for e in entries]),
            project=self.logbook.project,
            title=title,
            session=session,
        )
        started = built.started_at.astimezone(store.zone)  # as the heading says it
        stem = "logbook-all" if self.everything else f"logbook-session-{started:%Y%m%d-%H%M}"
        text = (
            built.model_dump_json(indent=2) + "\n" if self.as_json else summary.to_markdown(built, store.zone)
        )
        self.app.call_from_thread(self._show, text, stem)

    def _show(self, text: str, stem: str) -> None:
        self.text = text
        self.file_stem = stem or self.file_stem
        preview = f"```json\n{text}```" if self.as_json else text
        self.query_one("#export-preview", Markdown).update(preview)

    def action_copy(self) -> None:
        if self.text:
            self.app.copy_to_clipboard(self.text)
            self.notify(messages.EXPORT_COPIED)

    def action_save(self) -> None:
        if self.text:
            suffix = ".json" if self.as_json else ".md"
            self._save(Path(self.logbook.project) / f"{self.file_stem}{suffix}", self.text)

    @work(thread=True, group="export-save")
    def _save(self, target: Path, text: str) -> None:
        from storage.files import write_atomically

        # Both notices quote the path: "[/]" in a directory's name is not markup.
        try:
            write_atomically(target, [text])
        except OSError as error:
            notice = messages.WRITE_FAILED.format(target=target, error=error.strerror)
            self.app.call_from_thread(self.notify, notice, severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, messages.WROTE.format(target=target), markup=False)

    def action_toggle_format(self) -> None:
        self.as_json = not self.as_json
        self._build()

    def action_toggle_scope(self) -> None:
        self.everything = not self.everything
        self._build()

    def action_back(self) -> None:
        self.dismiss(None)
