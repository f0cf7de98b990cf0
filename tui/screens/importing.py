"""Import a hand-kept log from the TUI: type a path, see what would happen, then import."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Static

from tui import messages
from tui.terminal import printable

if TYPE_CHECKING:
    from tui.app import LogbookApp

PREVIEW_DEBOUNCE = 0.3


class ImportScreen(ModalScreen[bool]):
    """Dismisses with True when entries (or changes to entries) were imported."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "import", "Import", id="import.run", priority=True),
        Binding("escape", "cancel", "Cancel", id="import.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._timer: Timer | None = None
        self._ready_path: Path | None = None

    @property
    def logbook(self) -> LogbookApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(messages.IMPORT_TITLE, classes="dialog-title")
            yield Input(placeholder=messages.IMPORT_PLACEHOLDER, id="import-path")
            with VerticalScroll(id="import-preview-scroll"):
                yield Static(messages.IMPORT_HINT, id="import-preview")
            yield Static(messages.IMPORT_KEYS, classes="dialog-hint")

    def on_mount(self) -> None:
        path_input = self.query_one("#import-path", Input)
        path_input.focus()

    @on(Input.Changed, "#import-path")
    def _path_changed(self) -> None:
        self._ready_path = None
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(PREVIEW_DEBOUNCE, self._preview)

    def _path(self) -> Path:
        text = self.query_one("#import-path", Input).value.strip()
        path = Path(text).expanduser()
        return path if path.is_absolute() else Path(self.logbook.project) / path

    def _preview(self) -> None:
        if self.query_one("#import-path", Input).value.strip():
            self._run(self._path(), dry_run=True)

    @work(thread=True, exclusive=True, group="import")
    def _run(self, path: Path, dry_run: bool) -> None:
        from storage.importing import import_file
        from storage.jsonl_import import import_export

        if not path.is_file():
            self.app.call_from_thread(self._show, path, None, messages.IMPORT_NO_FILE.format(path=path))
            return
        try:
            if path.suffix == ".jsonl":  # an export: entries and their events, restored
                restored = import_export(self.logbook.store, self.logbook.project, path, dry_run=dry_run)
                report = {**restored.to_dict(), "jsonl": True}
            else:
                read = import_file(self.logbook.store, self.logbook.project, path, dry_run=dry_run)
                report = read.to_dict()
        except (OSError, ValueError) as error:
            self.app.call_from_thread(self._show, path, None, str(error))
            return
        self.app.call_from_thread(self._show, path, report, "")

    def _show(self, path: Path, report: dict[str, Any] | None, error: str) -> None:
        preview = self.query_one("#import-preview", Static)
        if report is None:
            preview.update(Text(printable(error)))  # it quotes the path: "[/]" in it is not markup
            return
        from storage.files import home_relative

        lines = (
            messages.restore_report(report)
            if report.get("jsonl")
            else messages.import_report({**report, "file": home_relative(path)})
        )
        # Text, not markup: the lines quote the file ("[b]" in it is text), escapes shown.
        preview.update(Text(printable("\n".join(lines))))
        if report["dry_run"]:
            self._ready_path = path
        else:
            changes = report.get("events_added", 0)
            notice = messages.imported(report["added"], path.name, changes)
            if report.get("masked"):  # the preview said it would; the report is closed with the screen
                notice += "\n" + messages.masked_counts(report["masked"])
            self.notify(notice, markup=False)
            self.dismiss(report["added"] > 0 or changes > 0)  # a status change shows in the list too

    def action_import(self) -> None:
        if self._ready_path is not None and self._ready_path == self._path():
            self._run(self._ready_path, dry_run=False)
        else:
            self._preview()  # nothing previewed for this path yet: preview first

    def action_cancel(self) -> None:
        self.dismiss(False)
