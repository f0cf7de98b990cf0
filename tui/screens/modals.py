"""Small dialogs: a near-duplicate, an incident's new status, the drafts to reopen."""

from __future__ import annotations

from datetime import tzinfo
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from storage.clock import format_local
from storage.kinds import Status
from storage.records import Draft, Entry
from tui import messages
from tui.terminal import printable


class DuplicateScreen(ModalScreen[bool]):
    """Shows the earlier entry; True saves anyway, False goes back to the form."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save_anyway", "Save anyway", id="duplicate.save", priority=True),
        Binding("escape", "cancel", "Back to the form", id="duplicate.cancel"),
    ]

    def __init__(self, existing: Entry, similarity: float, zone: tzinfo) -> None:
        super().__init__()
        self.existing = existing
        self.similarity = similarity
        self.zone = zone

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -warning"):
            yield Static(messages.DUPLICATE_TITLE, classes="dialog-title")
            # Text, not markup: the earlier entry's summary is the user's ("[/]" in it is text).
            text = messages.duplicate_tui(
                self.existing, format_local(self.existing.created_at, self.zone), self.similarity
            )
            yield Static(Text(printable(text)), id="duplicate-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(messages.SAVE_ANYWAY, id="save-anyway", variant="warning")
                yield Button(messages.BACK_TO_FORM, id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#save-anyway")
    def action_save_anyway(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class StatusScreen(ModalScreen[tuple[str, str] | None]):
    """Pick an incident's new status and say what changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Record", id="status.apply", priority=True),
        Binding("escape", "cancel", "Cancel", id="status.cancel"),
    ]

    def __init__(self, entry: Entry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        choices = [(s.value, s.value) for s in Status if s.value != self.entry.status]
        with Vertical(id="dialog", classes="dialog"):
            yield Static(
                f"Incident {self.entry.short_id} is {self.entry.status}. New status:",
                classes="dialog-title",
            )
            yield Select(choices, value=choices[0][1], allow_blank=False, id="new-status")
            yield Label(messages.STATUS_NOTE_LABEL)
            yield Input(placeholder=messages.STATUS_NOTE_HELP, id="status-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button(messages.RECORD, id="apply", variant="primary")
                yield Button(messages.CANCEL, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#new-status", Select).focus()

    @on(Button.Pressed, "#apply")
    @on(Input.Submitted, "#status-note")
    def action_apply(self) -> None:
        status = str(self.query_one("#new-status", Select).value)
        self.dismiss((status, self.query_one("#status-note", Input).value.strip()))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class DraftsScreen(ModalScreen[Draft | None]):
    """Unsaved forms from earlier: Enter reopens one, Esc leaves them for later."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "later", "Later", id="drafts.later"),
    ]

    def __init__(self, drafts: list[Draft], zone: tzinfo) -> None:
        super().__init__()
        self.drafts = drafts
        self.zone = zone

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(messages.drafts_title(len(self.drafts)), classes="dialog-title")
            yield OptionList(
                *[
                    # Text, not a string: a draft's "[b]" is not markup, its escapes are shown.
                    Option(
                        Text(printable(messages.draft_line(d, format_local(d.updated_at, self.zone)))),
                        id=d.id,
                    )
                    for d in self.drafts
                ],
                id="draft-list",
            )
            yield Static(messages.DRAFTS_HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#draft-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#draft-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(next(d for d in self.drafts if d.id == event.option.id))

    def action_later(self) -> None:
        self.dismiss(None)


class IncidentEventScreen(ModalScreen[tuple[str, str, str] | None]):
    """What to add to an incident's postmortem: (event type, text, time or "")."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Record", id="event.apply", priority=True),
        Binding("escape", "cancel", "Cancel", id="event.cancel"),
    ]
    CHOICES = (
        ("Timeline event (something that happened)", "timeline"),
        ("Action item (to do)", "action"),
        ("Action item done (give its number)", "action-done"),
        ("Impact", "impact"),
        ("Lesson: what went wrong", "lesson-wrong"),
        ("Lesson: what went right", "lesson-right"),
    )

    def __init__(self, entry: Entry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(messages.EVENT_TITLE.format(id=self.entry.short_id), classes="dialog-title")
            yield Select(self.CHOICES, value="timeline", allow_blank=False, id="event-type")
            yield Label(messages.EVENT_TEXT_LABEL)
            yield Input(id="event-text")
            yield Label(messages.EVENT_WHEN_LABEL)
            yield Input(id="event-at")
            with Horizontal(classes="dialog-buttons"):
                yield Button(messages.RECORD, id="apply", variant="primary")
                yield Button(messages.CANCEL, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#event-type", Select).focus()

    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        kind = str(self.query_one("#event-type", Select).value)
        text = self.query_one("#event-text", Input).value.strip()
        at = self.query_one("#event-at", Input).value.strip()
        self.dismiss((kind, text, at))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
