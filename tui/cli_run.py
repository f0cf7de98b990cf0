"""`logbook run -- CMD` and `logbook verify`: verification that is run, not claimed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.errors import NotFound, Refused
from storage.kinds import Kind
from tui import messages
from tui.cli import EXIT_OK, EXIT_REFUSED
from tui.commands import interactive
from tui.terminal import printable

if TYPE_CHECKING:
    from storage.records import Entry
    from storage.runner import RunResult
    from tui.commands import Context


def timeout_for(ctx: Context) -> float:
    from storage.runner import run_timeout

    return run_timeout(getattr(ctx.args, "timeout", None))


def _execute(ctx: Context, command: list[str] | str, shell: bool) -> RunResult:
    from storage.runner import run_command

    stream = sys.stderr if ctx.json else sys.stdout
    # Output is streamed as the command writes it; control bytes are shown, not executed.

    def echo(chunk: bytes) -> None:
        stream.write(printable(chunk.decode("utf-8", errors="replace")))
        stream.flush()

    return run_command(command, cwd=Path(ctx.project), timeout=timeout_for(ctx), shell=shell, on_output=echo)


def cmd_run(ctx: Context) -> int:
    from storage.project import git_context
    from storage.runner import expected_result, failure_symptom

    argv = list(ctx.args.cmd)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        from storage.validation import Problem

        raise Refused([Problem("command", "give the command after --, e.g. logbook run -- pytest -q")])
    command: list[str] | str = " ".join(argv) if ctx.args.shell else argv
    result = _execute(ctx, command, ctx.args.shell)
    context = git_context(Path(ctx.project))
    store = ctx.store
    record: dict[str, Any] = {
        "command": result.command,
        "exit_code": result.exit_code,
        "timed_out": result.timed_out,
        "duration": round(result.duration, 3),
    }
    if result.passed:
        expected = ctx.args.expect or expected_result(result.output_tail)
        what = ctx.args.what
        if not what and interactive(ctx):
            what = input(messages.RUN_ASK_WHAT).strip()
        if not what:
            what = f"`{result.command}` passes"
        saved = store.add(
            ctx.project,
            Kind.HANDOFF,
            {"what": what, "verify": result.command, "expected": expected},
            source="run",
            context=context,
            allow_duplicate=True,
        )
        store.record_run(saved.entry.id, result, source="run", context=context)
        record |= {"recorded": "handoff", "entry": store.get(saved.entry.id).to_dict()}
        if not ctx.json:
            ctx.say(messages.run_passed(result.duration, expected, saved))
    else:
        symptom = failure_symptom(result, timeout_for(ctx))
        seen = store.similar_incidents(ctx.project, symptom)
        if seen and not ctx.json:
            ctx.say(messages.SEEN_BEFORE)
            for earlier, why in seen:
                ctx.say(messages.seen_line(earlier, why))
        fields = {"symptom": symptom, "cause": "", "fix": "", "verify": result.command, "status": "open"}
        if interactive(ctx):
            fields["cause"] = input(messages.RUN_ASK_CAUSE).strip() or "unknown"
            fields["fix"] = input(messages.RUN_ASK_FIX).strip()
            if fields["fix"] and fields["cause"] != "unknown":
                fields["status"] = "resolved"
            saved = store.add(
                ctx.project, Kind.INCIDENT, fields, source="run", context=context, allow_duplicate=True
            )
            record |= {"recorded": "incident", "entry": saved.entry.to_dict()}
            ctx.say(messages.saved(saved))
        else:
            draft_id = store.save_draft(ctx.project, Kind.INCIDENT, fields)
            record |= {"recorded": "draft", "draft": draft_id, "fields": fields}
            if not ctx.json:
                ctx.say(messages.RUN_DRAFT)
        record["seen_before"] = [
            {"id": e.id, "why": why, "cause": e.fields.get("cause"), "fix": e.fields.get("fix")}
            for e, why in seen
        ]
    if ctx.json:
        ctx.emit(record)
    if result.timed_out:
        return 124
    return result.exit_code if result.exit_code is not None else EXIT_REFUSED


def verify_entry(ctx: Context, entry: Entry, *, quiet: bool) -> dict[str, Any]:
    """Re-run ``entry``'s verification command; store and return the result."""
    from storage.project import git_context
    from storage.runner import command_from_line

    command = entry.fields.get("verify")
    if not command:
        return {"id": entry.id, "result": "none", "reason": "no verification command"}
    argv, shell = command_from_line(command)
    if quiet:
        from storage.runner import run_command

        result = run_command(argv, cwd=Path(ctx.project), timeout=timeout_for(ctx), shell=shell)
    else:
        result = _execute(ctx, argv, shell)
    context = git_context(Path(ctx.project))
    event = ctx.store.record_run(entry.id, result, context=context).event
    assert event is not None
    passed, seen = event.data["result"] == "pass", event.data["expected_seen"]
    return {
        "id": entry.id,
        "command": command,
        "result": "pass" if passed else "fail",
        "exit_code": result.exit_code,
        "expected_seen": seen,
        "duration": round(result.duration, 3),
        "commit": context.commit,
        "timed_out": result.timed_out,
    }


def cmd_verify(ctx: Context) -> int:
    store = ctx.store
    if ctx.args.id:
        entries = [store.get(ctx.args.id, ctx.project)]
    elif ctx.args.all:
        entries = [
            e for e in store.iter_entries(ctx.project) if e.fields.get("verify") and not e.superseded_by
        ]
    elif ctx.args.session:
        current = store.current_session(ctx.project) or next(iter(store.sessions(ctx.project, 1)), None)
        if current is None:
            raise NotFound("session")
        entries = [
            e for e in store.session_entries(current.id) if e.fields.get("verify") and not e.superseded_by
        ]
    else:
        from storage.validation import Problem

        raise Refused([Problem("verify", "give an entry id, --session or --all")])
    rows = []
    single = len(entries) == 1
    for index, entry in enumerate(entries, start=1):
        if not single and not ctx.json:
            ctx.say(messages.verify_progress(index, len(entries), entry))
        rows.append(verify_entry(ctx, entry, quiet=not single))
    if ctx.json:
        ctx.emit(rows)
    else:
        for row in rows:
            ctx.say(messages.verify_row(row))
    return EXIT_OK if all(row["result"] in ("pass", "none") for row in rows) else EXIT_REFUSED
