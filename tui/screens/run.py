"""Run a command and watch its output: record the result as a handoff or an incident,
or re-verify an entry (its verification command, stored as a verification event)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Log, Static

from storage.kinds import Kind
from tui import messages
from tui.terminal import printable

if TYPE_CHECKING:
    from storage.records import Entry
    from storage.runner import RunResult
    from tui.app import LogbookApp


class RunScreen(ModalScreen[object]):
    """Dismisses with what was saved (truthy) or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "record", "Record the result", id="run.record", priority=True),
        Binding("escape", "close", "Close", id="run.close"),
    ]

    def __init__(self, verify: Entry | None = None) -> None:
        super().__init__()
        self.verify = verify
        self.result: RunResult | None = None
        self.command = ""
        self._seen: list[tuple[Entry, str]] = []
        self._summary: dict[str, Any] = {}

    @property
    def logbook(self) -> LogbookApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="run-dialog", classes="dialog"):
            title = messages.RUN_TITLE if self.verify is None else messages.verify_title(self.verify)
            yield Static(Text(printable(title)), classes="dialog-title")  # it quotes the command
            if self.verify is None:
                yield Input(placeholder=messages.RUN_PLACEHOLDER, id="run-command")
            yield Log(id="run-output", max_lines=2000, auto_scroll=True)
            yield Static("", id="run-result")

    def on_mount(self) -> None:
        if self.verify is None:
            command = self.query_one("#run-command", Input)
            command.focus()
        else:
            self._start(self.verify.fields.get("verify", ""))

    @on(Input.Submitted, "#run-command")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() and self.result is None:
            self._start(event.value.strip())

    def _start(self, command: str) -> None:
        self.command = command
        running = messages.RUNNING.format(command=command)
        self.query_one("#run-result", Static).update(Text(printable(running)))
        self._run(command)

    @work(thread=True, exclusive=True, group="run")
    def _run(self, command: str) -> None:
        from storage.project import git_context
        from storage.runner import (
            command_from_line,
            expected_result,
            failure_symptom,
            run_command,
            run_timeout,
        )
        from storage.signature import strip_ansi
        from tui.terminal import printable

        log = self.query_one("#run-output", Log)

        def show(chunk: bytes) -> None:
            # Colours and cursor moves are dropped, other control characters shown as text.
            text = printable(strip_ansi(chunk.decode("utf-8", errors="replace")).replace("\r", "\n"))
            self.app.call_from_thread(log.write, text)

        argv, shell = command_from_line(command)
        timeout = run_timeout()
        project = Path(self.logbook.project)
        result = run_command(argv, cwd=project, timeout=timeout, shell=shell, on_output=show)
        store = self.logbook.store
        summary: dict[str, Any] = {"expected": expected_result(result.output_tail)}
        if self.verify is not None:
            context = git_context(project)
            saved = store.record_run(self.verify.id, result, source="tui", context=context)
            summary["expected_seen"] = saved.event.data["expected_seen"] if saved.event else None
        elif not result.passed:
            summary["error"] = failure_symptom(result, timeout)
            self._seen = store.similar_incidents(self.logbook.project, summary["error"])
        self.app.call_from_thread(self._finished, result, summary)

    def _finished(self, result: RunResult, summary: dict[str, Any]) -> None:
        self.result = result
        self._summary = summary
        text = messages.run_result(result, summary, self._seen, self.verify)
        # Text, not markup: it quotes what the command printed and earlier incidents' words.
        self.query_one("#run-result", Static).update(Text(printable(text)))

    def action_record(self) -> None:
        from tui.screens.form import EntryForm

        if self.result is None or self.verify is not None:
            return
        if self.result.passed:
            prefill = {"verify": self.command, "expected": self._summary["expected"]}
            form = EntryForm(Kind.HANDOFF, prefill=prefill)
        else:
            prefill = {"symptom": self._summary["error"], "verify": self.command, "status": "open"}
            form = EntryForm(Kind.INCIDENT, prefill=prefill)
        self.app.push_screen(form, self._recorded)

    def _recorded(self, saved: object) -> None:
        if not saved:
            return
        if self.result is not None and self.result.passed:
            self._verify_saved(saved)  # the run that prompted the handoff is its first verification
        else:
            self.dismiss(saved)

    @work(thread=True, group="run-verified")
    def _verify_saved(self, saved: Any) -> None:
        from storage.project import git_context

        assert self.result is not None
        context = git_context(Path(self.logbook.project))
        self.logbook.store.record_run(saved.entry.id, self.result, source="tui", context=context)
        self.app.call_from_thread(self.dismiss, saved)  # the list reloads with the badge

    def action_close(self) -> None:
        self.dismiss(self.result if self.verify is not None else None)
