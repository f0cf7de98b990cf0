"""`?`: every key binding of every screen, in one place."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from tui.render import escape


def _rows(bindings: list[BindingType]) -> list[str]:
    rows = []
    for binding in bindings:
        if not isinstance(binding, Binding) or binding.system:
            continue
        keys = ", ".join(binding.key_display or key for key in binding.key.split(","))
        description = binding.description or binding.action
        if binding.group is not None:
            description = f"{binding.group.description}: {description}"
        rows.append(f"| `{keys}` | {escape(description)} |")
    return rows


def help_markdown() -> str:
    from tui.app import LogbookApp
    from tui.screens.detail import DetailScreen
    from tui.screens.form import EntryForm
    from tui.screens.main import MainScreen
    from tui.widgets.entry_list import EntryList

    sections = [
        (
            "Everywhere",
            [*LogbookApp.BINDINGS, Binding("ctrl+p", "command_palette", "Command palette: every action")],
        ),
        ("The list", MainScreen.BINDINGS + EntryList.BINDINGS),
        ("An entry", DetailScreen.BINDINGS),
        (
            "A new entry",
            [*EntryForm.BINDINGS, Binding("tab,shift+tab", "focus", "Next / previous field")],
        ),
    ]
    lines = ["# Keys", ""]
    for title, bindings in sections:
        lines += [f"## {title}", "", "| key | does |", "|---|---|", *_rows(bindings), ""]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Markdown(help_markdown(), id="help")

    def on_mount(self) -> None:
        self.query_one("#help-dialog").focus()

    def action_close(self) -> None:
        self.dismiss(None)
