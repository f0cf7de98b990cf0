"""The new-entry form: fields in order, inline validation, drafts kept as you type."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Label, Select, Static, TextArea
from textual.worker import Worker

from storage.kinds import FIELDS, SEVERITIES, FieldSpec, Kind, Status
from storage.validation import clean_fields, clean_tags, find_forbidden_char, find_placeholder
from tui import messages
from tui.terminal import printable

if TYPE_CHECKING:
    from storage.records import Draft, Entry
    from storage.store import Saved
    from tui.app import LogbookApp

DRAFT_DEBOUNCE = 0.3
SEEN_DEBOUNCE = 0.5
SEVERITY_HELP = {"SEV1": "critical", "SEV2": "major", "SEV3": "minor", "SEV4": "low"}


class EntryForm(Screen[object]):
    """Dismisses with the Saved result when an entry was saved, False when left (a draft is kept)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="form.save", priority=True),
        Binding("escape", "leave", "Leave (keeps a draft)", id="form.leave"),
    ]

    def __init__(
        self,
        kind: Kind,
        *,
        draft: Draft | None = None,
        follows: Entry | None = None,
        prefill: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.follows = follows
        self.draft_id = draft.id if draft else None
        self._initial: dict[str, str] = dict(draft.fields) if draft else {}
        if follows is not None and not draft:
            self._initial = {**follows.fields, "tags": " ".join(follows.tags)}
        if prefill:
            self._initial = {**self._initial, **prefill}
        self._draft_timer: Timer | None = None
        self._seen_timer: Timer | None = None
        self._draft_lock = threading.Lock()
        self._draft_version = 0
        self._draft_written = 0
        self._saving = False
        self._dirty = False

    @property
    def logbook(self) -> LogbookApp:
        return self.app  # type: ignore[return-value]

    # -- building ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="form"):
            title = f"New {self.kind.value}"
            if self.follows is not None:
                title = f"Follow-up of {self.follows.kind.value} {self.follows.short_id} (supersedes it)"
            yield Static(title, id="form-title")
            for spec in FIELDS[self.kind]:
                yield Label(_label(spec), classes="field-label")
                yield self._field_widget(spec)
                yield Static("", id=f"error-{spec.name}", classes="field-error")
                if spec.name == "symptom":
                    yield Static("", id="seen-before")
            yield Label(messages.TAGS_LABEL, classes="field-label")
            yield Input(
                self._initial.get("tags", ""),
                placeholder=messages.TAGS_HELP,
                id="field-tags",
                classes="field",
            )
            yield Static("", id="error-tags", classes="field-error")
            yield Static("", id="form-error")
        yield Footer()

    def _field_widget(self, spec: FieldSpec) -> Widget:
        value = self._initial.get(spec.name, "")
        widget_id = f"field-{spec.name}"
        if spec.name == "severity":
            return Select(
                [(f"{sev} ({SEVERITY_HELP[sev]})", sev) for sev in SEVERITIES],
                value=value if value in SEVERITIES else Select.NULL,
                prompt="none",
                id=widget_id,
                classes="field",
            )
        if spec.name == "status":
            return Select(
                [(status.value, status.value) for status in Status],
                value=value if value in {s.value for s in Status} else Select.NULL,
                prompt="auto: open until fixed",
                id=widget_id,
                classes="field",
            )
        if spec.multiline:
            area = TextArea(
                value,
                id=widget_id,
                classes="field",
                soft_wrap=True,
                tab_behavior="focus",
                placeholder=spec.help,
            )
            area.move_cursor(area.document.end)
            return area
        field = Input(value, placeholder=spec.help, id=widget_id, classes="field")
        return field

    def on_mount(self) -> None:
        self.sub_title = f"new {self.kind.value}"
        self.query(".field").first().focus()
        self._warm_up()

    @work(thread=True, group="warm-up", exit_on_error=False)
    def _warm_up(self) -> None:
        self.logbook.store.warm_up()  # load the write side while the user types

    # -- reading the form ----------------------------------------------------------

    def values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for spec in FIELDS[self.kind]:
            widget = self.query_one(f"#field-{spec.name}")
            if isinstance(widget, TextArea):
                values[spec.name] = widget.text
            elif isinstance(widget, Select):
                values[spec.name] = "" if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, Input):
                values[spec.name] = widget.value
        values["tags"] = self.query_one("#field-tags", Input).value
        return values

    def _has_text(self) -> bool:
        return any(value.strip() for value in self.values().values())

    # -- validation as you type ---------------------------------------------------

    @on(Input.Changed, ".field")
    @on(TextArea.Changed, ".field")
    @on(Select.Changed, ".field")
    def _changed(self, event: Input.Changed | TextArea.Changed | Select.Changed) -> None:
        widget = event.control if hasattr(event, "control") else None
        if widget is None or widget.id is None:
            return
        name = widget.id.removeprefix("field-")
        self._show_error(name, _live_problem(self.values().get(name, "")))
        if name == "symptom":
            if self._seen_timer is not None:
                self._seen_timer.stop()
            self._seen_timer = self.set_timer(SEEN_DEBOUNCE, self._look_for_earlier)
        self._dirty = True
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DEBOUNCE, self._save_draft)

    def _show_error(self, name: str, message: str) -> None:
        error = self.query_one(f"#error-{name}", Static)
        if message and message[:1].islower():  # "is required and was left blank": say which field
            label = next((spec.label for spec in FIELDS[self.kind] if spec.name == name), messages.TAGS_LABEL)
            message = f"{label} {message}"
        error.update(Text(message))
        error.set_class(bool(message), "-shown")
        self.query_one(f"#field-{name}").set_class(bool(message), "-invalid")

    # -- seen before ---------------------------------------------------------------

    def _look_for_earlier(self) -> None:
        symptom = self.values().get("symptom", "").strip()
        if len(symptom) >= 12:
            self._find_earlier(symptom)
        else:
            self._show_earlier([])

    @work(thread=True, exclusive=True, group="seen-before", exit_on_error=False)
    def _find_earlier(self, symptom: str) -> None:
        found = self.logbook.store.similar_incidents(self.logbook.project, symptom)
        self.app.call_from_thread(self._show_earlier, found)

    def _show_earlier(self, found: list[tuple[Entry, str]]) -> None:
        panel = self.query_one("#seen-before", Static)
        lines = [messages.SEEN_BEFORE, *(messages.seen_line(e, why) for e, why in found)] if found else []
        panel.update(Text(printable("\n".join(lines))))  # earlier incidents' words: text, not markup
        panel.set_class(bool(found), "-shown")

    # -- drafts -------------------------------------------------------------------

    def _save_draft(self) -> None:
        if self._saving or not self._dirty:
            return
        self._write_draft(self.values())

    def _write_draft(self, values: dict[str, str]) -> Worker[None]:
        self._draft_version += 1
        version = self._draft_version
        return self.run_worker(
            lambda: self._write_draft_in_thread(values, version),
            thread=True,
            group="draft",
            exit_on_error=False,
        )

    def _write_draft_in_thread(self, values: dict[str, str], version: int) -> None:
        """Write one version of the form; an older version never lands after a newer one."""
        store = self.logbook.store
        with self._draft_lock:
            if version <= self._draft_written:
                return
            self._draft_written = version
            if not any(v.strip() for v in values.values()):
                if self.draft_id:
                    store.delete_draft(self.draft_id)
                    self.draft_id = None
                return
            self.draft_id = store.save_draft(
                self.logbook.project,
                self.kind,
                values,
                draft_id=self.draft_id,
                supersedes=self.follows.id if self.follows else None,
            )

    async def keep_draft(self) -> None:
        """Write the draft now (the app is quitting or the form is being left)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
        if self._saving or not self._dirty:
            return
        worker = self._write_draft(self.values())
        await worker.wait()

    # -- leaving and saving ---------------------------------------------------

    async def action_leave(self) -> None:
        kept = self._dirty and self._has_text()
        await self.keep_draft()
        if kept:
            self.notify(messages.DRAFT_KEPT)
        self.dismiss(False)

    def action_save(self, allow_duplicate: bool = False) -> None:
        if self._saving:
            return
        values = self.values()
        fields = {k: v for k, v in values.items() if k != "tags"}
        _, problems = clean_fields(self.kind, fields)
        _, tag_problems = clean_tags([values["tags"]])
        problems += tag_problems
        for spec in FIELDS[self.kind]:
            self._show_error(spec.name, "")
        self._show_error("tags", "")
        if problems:
            for problem in problems:
                self._show_error(problem.field, problem.message)
            first = problems[0].field
            self.query_one(f"#field-{first}").focus()
            self.query_one("#form-error", Static).update(messages.FORM_REFUSED)
            self.notify(messages.FORM_REFUSED, severity="error")
            return
        self.query_one("#form-error", Static).update("")
        self._saving = True
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._save(fields, values["tags"].split(), allow_duplicate)

    @work(thread=True, group="save", exclusive=True)
    def _save(self, fields: dict[str, str], tags: list[str], allow_duplicate: bool) -> None:
        from storage.errors import DuplicateEntry, Refused
        from storage.project import git_context

        store = self.logbook.store
        try:
            result = store.add(
                self.logbook.project,
                self.kind,
                fields,
                tags=tags,
                source="tui",
                allow_duplicate=allow_duplicate,
                supersedes=self.follows.id if self.follows else None,
                context=git_context(Path(self.logbook.project)),
            )
        except DuplicateEntry as duplicate:
            self.app.call_from_thread(self._duplicate, duplicate.existing, duplicate.similarity)
            return
        except Refused as refused:
            self.app.call_from_thread(self._refused, refused.problems)
            return
        with self._draft_lock:  # the entry is saved: no draft write may land after this
            self._draft_written = sys.maxsize
            if self.draft_id:
                store.delete_draft(self.draft_id)
        self.app.call_from_thread(self._saved, result)

    def _saved(self, result: Saved) -> None:
        severity = "warning" if result.mirror_error else "information"
        # It names the mirror file, and an OS error quotes its path: "[/]" in it is not markup.
        self.notify(messages.saved(result), severity=severity, timeout=6, markup=False)
        self.dismiss(result)

    def _refused(self, problems: list[object]) -> None:
        self._saving = False
        for problem in problems:
            self._show_error(problem.field, problem.message)  # type: ignore[attr-defined]
        self.notify(messages.FORM_REFUSED, severity="error")

    def _duplicate(self, existing: Entry, similarity: float) -> None:
        from tui.screens.modals import DuplicateScreen

        self._saving = False
        self.app.push_screen(
            DuplicateScreen(existing, similarity, self.logbook.zone), self._duplicate_answered
        )

    def _duplicate_answered(self, save_anyway: bool | None) -> None:
        if save_anyway:
            self.action_save(allow_duplicate=True)


def _label(spec: FieldSpec) -> str:
    return f"{spec.label} *" if spec.required else spec.label


def _live_problem(value: str) -> str:
    """What can be said while typing (missing fields wait for the save)."""
    bad = find_forbidden_char(value)
    if bad:
        return f"contains {bad}"
    placeholder = find_placeholder(value)
    if placeholder:
        return f"still holds the template placeholder {placeholder!r}; write what actually happened"
    return ""
