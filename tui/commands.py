"""What each ``logbook`` command does: thin glue between arguments and the store."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO, cast

from storage.clock import format_local
from storage.errors import AmbiguousId, DuplicateEntry, NoProject, NotFound, Refused
from storage.kinds import FIELDS, Kind, field_names
from storage.records import Entry
from storage.schema import SchemaTooNew
from storage.store import Store
from tui import messages
from tui.cli import EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED
from tui.terminal import Style, one_line, plain_marks, printable


class OutputLost(OSError):
    """Standard output could not be written (a full disk, an I/O error). What the command did
    to the store is done (or undone) as usual; only what it printed is lost."""


class _Output:
    """Standard output for a command: a write that fails raises OutputLost (a reader that went
    away still raises BrokenPipeError: ``logbook list | head`` stops quietly)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        with _lost_when_failing():
            return self._stream.write(text)

    def flush(self) -> None:
        with _lost_when_failing():
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def _lost_when_failing() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OutputLost(error.errno, error.strerror) from error


class Context:
    """The resolved options every command shares: store, project, output mode."""

    def __init__(
        self, args: argparse.Namespace, out: TextIO, err: TextIO, kept: list[object] | None = None
    ) -> None:
        self.args = args
        self.json: bool = getattr(args, "json", False)
        self.out = out
        self.err = err
        self.style = Style(out)
        self._kept = kept

    def keep_until_exit(self, made: object) -> None:
        """Hold what a command made until the process ends, when the process ends without
        freeing it (see ``tui.cli.console_main``): freeing a 50 MB import's 180,000 parsed
        entries took 0.1-0.15 s after its report was printed. Freed as usual otherwise."""
        if self._kept is not None:
            self._kept.append(made)

    @cached_property
    def db_path(self) -> Path | None:
        db = getattr(self.args, "db", None)
        return Path(db).expanduser() if db else None

    @cached_property
    def project(self) -> str:
        from storage.project import find_project_root

        given = getattr(self.args, "project", None)
        if given:
            return str(Path(given).expanduser().resolve())
        return str(find_project_root())

    @cached_property
    def store(self) -> Store:
        return Store.open(self.db_path)

    def emit(self, data: Any) -> None:
        # (json.dumps: json.dump encodes in Python, a piece at a time; 4x slower here.)
        self.out.write(json.dumps(data, ensure_ascii=False) + "\n")

    def say(self, text: str) -> None:
        """A message for the person: stdout normally, stderr when stdout is JSON."""
        print(printable(text) if not self.json else text, file=self.err if self.json else self.out)

    def warn(self, text: str) -> None:
        print(text, file=self.err)

    def when(self, entry: Entry) -> str:
        return format_local(entry.created_at, self.store.zone)


def _lazy(module: str, name: str) -> Callable[[Context], int]:
    def call(ctx: Context) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(ctx)  # type: ignore[no-any-return]

    return call


def run(
    args: argparse.Namespace, parser: argparse.ArgumentParser, kept: list[object] | None = None
) -> int:
    """Run the command ``args`` names; ``kept``: see :meth:`Context.keep_until_exit`."""
    ctx = Context(args, cast(TextIO, _Output(sys.stdout)), sys.stderr, kept)
    handlers: dict[str, Callable[[Context], int]] = {
        "add": cmd_add,
        "list": cmd_list,
        "show": cmd_show,
        "search": cmd_search,
        "incident": cmd_incident,
        "export": cmd_export,
        "import": cmd_import,
        "sync": cmd_sync,
        "init": cmd_init,
        "mirror": cmd_mirror,
        "session": _lazy("tui.cli_reports", "cmd_session"),
        "run": _lazy("tui.cli_run", "cmd_run"),
        "verify": _lazy("tui.cli_run", "cmd_verify"),
    }
    try:
        return handlers[args.command](ctx)
    except DuplicateEntry as error:
        return _refuse(ctx, error.problems, duplicate=error)
    except Refused as error:
        return _refuse(ctx, error.problems)
    except AmbiguousId as error:
        ctx.warn(messages.AMBIGUOUS.format(prefix=error.prefix, candidates=", ".join(error.candidates)))
        if ctx.json:
            ctx.emit({"ok": False, "error": "ambiguous", "candidates": error.candidates})
        return EXIT_REFUSED
    except NotFound as error:
        ctx.warn(messages.NOT_FOUND.format(id=str(error)))
        if ctx.json:
            ctx.emit({"ok": False, "error": "not_found", "id": str(error)})
        return EXIT_NOT_FOUND
    except (SchemaTooNew, NoProject) as error:
        ctx.warn(str(error))
        return EXIT_REFUSED
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            ctx.warn(messages.STORE_LOCKED)
            return EXIT_REFUSED
        raise
    except KeyboardInterrupt:
        ctx.warn(messages.INTERRUPTED)
        return EXIT_REFUSED
    finally:
        if "store" in ctx.__dict__:
            ctx.store.close()


def _refuse(ctx: Context, problems: list[Any], duplicate: DuplicateEntry | None = None) -> int:
    if duplicate is not None:
        ctx.warn(messages.duplicate(duplicate.existing, ctx.when(duplicate.existing), duplicate.similarity))
    else:
        ctx.warn(messages.refused(problems))
    if ctx.json:
        data: dict[str, Any] = {
            "ok": False,
            "error": "duplicate" if duplicate else "refused",
            "problems": [{"field": p.field, "message": p.message} for p in problems],
        }
        if duplicate is not None:
            data["duplicate_of"] = duplicate.existing.to_dict()
        ctx.emit(data)
    return EXIT_REFUSED


# -- adding -------------------------------------------------------------------


def cmd_add(ctx: Context) -> int:
    kind = Kind(ctx.args.kind)
    fields = {name: getattr(ctx.args, name, None) for name in field_names(kind)}
    if interactive(ctx) and _missing(kind, fields):
        fields = _ask_missing(ctx, kind, fields)
    from storage.project import git_context

    result = ctx.store.add(
        ctx.project,
        kind,
        fields,
        tags=ctx.args.tag,
        source="cli",
        allow_duplicate=ctx.args.allow_duplicate,
        supersedes=ctx.args.supersedes,
        context=git_context(Path(ctx.project)),
    )
    if ctx.json:
        ctx.emit(
            {
                "ok": True,
                "entry": result.entry.to_dict(),
                "mirror": _mirror_json(result),
                "masked": list(result.masked),
            }
        )
        if result.masked:
            ctx.warn(messages.masked(result.masked))
    if result.mirror_error:
        ctx.warn(messages.saved(result))
    elif not ctx.json:
        ctx.say(messages.saved(result))
    return EXIT_OK


def _mirror_json(result: Any) -> dict[str, Any]:
    return {
        "file": str(result.mirror_file),
        "written": result.mirror_error is None,
        "error": result.mirror_error,
    }


def interactive(ctx: Context) -> bool:
    """Whether to ask for what is missing: a person at a terminal, not --json, not --yes."""
    return not ctx.json and not getattr(ctx.args, "yes", False) and sys.stdin.isatty() and sys.stdout.isatty()


def _missing(kind: Kind, fields: dict[str, str | None]) -> list[str]:
    return [s.name for s in FIELDS[kind] if s.required and not (fields.get(s.name) or "").strip()]


def _ask_missing(ctx: Context, kind: Kind, fields: dict[str, str | None]) -> dict[str, str | None]:
    """Ask for each missing required field in turn, re-asking when an answer breaks a rule."""
    from storage.validation import find_forbidden_char, find_placeholder

    ctx.say(messages.PROMPT_INTRO)
    for spec in FIELDS[kind]:
        if spec.name not in _missing(kind, fields):
            continue
        optional = kind is Kind.INCIDENT and spec.name == "fix"
        while True:
            answer = input(messages.ask_field(spec.label, spec.help, optional)).strip()
            problem = (find_forbidden_char(answer) and f"contains {find_forbidden_char(answer)}") or (
                find_placeholder(answer) and f"still holds the placeholder {find_placeholder(answer)!r}"
            )
            if problem:
                ctx.warn(messages.answer_refused(spec.label, problem))
            elif answer or optional:
                fields[spec.name] = answer
                break
            else:
                ctx.warn(messages.answer_required(spec.label))
    return fields


# -- reading ------------------------------------------------------------------


def _row(ctx: Context, entry: Entry, summary: str | None = None) -> str:
    style = ctx.style
    marks = ""
    if entry.kind is Kind.INCIDENT:
        bits = [b for b in (entry.severity, entry.status) if b]
        colour = (
            style.red
            if entry.status == "open"
            else style.yellow
            if entry.status == "mitigated"
            else style.green
        )
        marks = colour(f"[{', '.join(bits)}]") + " "
    tags = style.dim(" #" + " #".join(entry.tags)) if entry.tags else ""
    text = summary if summary is not None else printable(one_line(entry.summary, 100))
    return (
        f"{style.bold(entry.short_id)}  {style.dim(ctx.when(entry))}  "
        f"{entry.kind.value:<8}  {marks}{text}{tags}"
    )


def cmd_list(ctx: Context) -> int:
    kind = Kind(ctx.args.kind) if ctx.args.kind else None
    entries = ctx.store.entries(ctx.project, kind=kind, limit=max(0, ctx.args.limit))
    if ctx.json:
        ctx.emit([entry.to_dict() for entry in entries])
        return EXIT_OK
    if not entries:
        ctx.say(messages.NO_ENTRIES.format(project=ctx.project))
    for entry in entries:
        print(_row(ctx, entry), file=ctx.out)
    return EXIT_OK


def cmd_show(ctx: Context) -> int:
    entry = ctx.store.get(ctx.args.id, ctx.project)
    events = ctx.store.events(entry.id)
    followups = ctx.store.followups(entry.id)
    if ctx.json:
        ctx.emit(
            {
                **entry.to_dict(),
                "events": [event.to_dict() for event in events],
                "followups": [f.id for f in followups],
            }
        )
        return EXIT_OK
    style = ctx.style
    print(_row(ctx, entry), file=ctx.out)
    meta = (
        f"id {entry.id} · {entry.author or '?'} · branch {entry.branch or '-'} · "
        f"commit {(entry.commit or '-')[:12]} · via {entry.source}"
    )
    print(style.dim(printable(meta)), file=ctx.out)
    from storage.mirror import mirror_file_for

    print(style.dim(f"mirrored in {Path(entry.project) / mirror_file_for(entry.kind)}"), file=ctx.out)
    for spec in FIELDS[entry.kind]:
        value = entry.fields.get(spec.name)
        if value:
            print(
                f"\n{style.bold(spec.label)}:\n  " + printable(value).replace("\n", "\n  "),
                file=ctx.out,
            )
    if entry.supersedes:
        print(f"\nFollows up {entry.supersedes[:8]}.", file=ctx.out)
    for followup in followups:
        print(f"\nSuperseded by {followup.short_id}: {printable(followup.summary)}", file=ctx.out)
    if events:
        from storage.mirror_format import change_detail, describe_change

        print(f"\n{style.bold('History')}:", file=ctx.out)
        for event in events:
            change = describe_change(event.type, event.data, ctx.store.zone)
            detail = change_detail(event.data)
            when = format_local(event.created_at, ctx.store.zone)
            print(printable(f"  {when} — {change}" + (f" — {detail}" if detail else "")), file=ctx.out)
    if entry.raw:  # taken in from a hand-kept log: the words as they were written
        where = f" ({entry.origin})" if entry.origin else ""
        print(f"\n{style.bold('As written' + printable(where))}:", file=ctx.out)
        print("  " + printable(entry.raw).replace("\n", "\n  "), file=ctx.out)
    return EXIT_OK


def cmd_search(ctx: Context) -> int:
    kind = Kind(ctx.args.kind) if ctx.args.kind else None
    query = " ".join(ctx.args.query)
    hits = ctx.store.search(ctx.project, query, kind=kind, limit=max(0, ctx.args.limit))
    if ctx.json:
        ctx.emit(
            [
                {
                    **hit.entry.to_dict(),
                    "rank": hit.rank,
                    "match": plain_marks(hit.snippet_marked),
                }
                for hit in hits
            ]
        )
        return EXIT_OK
    if not hits:
        ctx.say(messages.NO_MATCHES.format(query=query))
    for hit in hits:
        print(_row(ctx, hit.entry, ctx.style.marked(hit.summary_marked)), file=ctx.out)
        snippet = " ".join(hit.snippet_marked.split())
        if snippet and snippet != " ".join(hit.summary_marked.split()):
            print("    " + ctx.style.marked(snippet), file=ctx.out)
    return EXIT_OK


# -- incidents ----------------------------------------------------------------


def cmd_incident(ctx: Context) -> int:
    from storage.project import git_context

    entry = ctx.store.get(ctx.args.id, ctx.project)
    context = git_context(Path(ctx.project))
    action = ctx.args.action
    if action == "status":
        result = ctx.store.set_status(entry.id, ctx.args.status, note=ctx.args.note, context=context)
        message = messages.status_changed(result)
    else:
        event_type = {"lesson": f"lesson-{getattr(ctx.args, 'went', '')}"}.get(action, action)
        at = ctx.store.typed_time(ctx.args.at) if action == "event" and ctx.args.at else None
        result = ctx.store.add_incident_event(
            entry.id,
            "timeline" if action == "event" else event_type,
            getattr(ctx.args, "text", ""),
            at=at,
            number=getattr(ctx.args, "number", None),
            context=context,
        )
        message = messages.incident_event(result)
    if ctx.json:
        ctx.emit(
            {
                "ok": True,
                "entry": result.entry.to_dict(),
                "event": result.event.to_dict() if result.event else None,
                "mirror": _mirror_json(result),
                "masked": list(result.masked),
            }
        )
    else:
        ctx.say(message)
    if result.masked:
        ctx.warn(messages.masked(result.masked))
    return EXIT_OK


# -- export / import ----------------------------------------------------------


def cmd_export(ctx: Context) -> int:
    if ctx.args.format == "jsonl":
        return _export_jsonl(ctx)
    from tui.cli_reports import export_report

    return export_report(ctx)


def write_output(ctx: Context, text: str) -> None:
    """To -o FILE (atomically: a temporary file, fsynced, then renamed) or to stdout."""
    if not ctx.args.output:
        ctx.out.write(text)
        return
    from storage.files import write_atomically

    target = Path(ctx.args.output)
    write_atomically(target, [text])
    ctx.warn(messages.WROTE.format(target=target))


def _export_jsonl(ctx: Context) -> int:
    store = ctx.store
    count = 0

    def lines() -> Iterator[str]:
        nonlocal count
        batch: list[Entry] = []
        for entry in store.iter_entries(ctx.project):
            batch.append(entry)
            if len(batch) == 500:
                yield from _jsonl_records(store, batch)
                count += len(batch)
                batch = []
        yield from _jsonl_records(store, batch)
        count += len(batch)

    if ctx.args.output:
        from storage.files import write_atomically

        target = Path(ctx.args.output)
        write_atomically(target, lines())
        ctx.warn(messages.EXPORTED.format(entries=messages.entries(count), target=target))
    else:
        for line in lines():
            ctx.out.write(line)
    return EXIT_OK


def _jsonl_records(store: Store, entries: list[Entry]) -> Iterator[str]:
    """One JSON line per entry, with its events (read for the whole batch at once)."""
    events = store.events_for([entry.id for entry in entries]) if entries else {}
    for entry in entries:
        record = entry.to_dict()
        record["events"] = [event.to_dict() for event in events.get(entry.id, [])]
        yield json.dumps(record, ensure_ascii=False) + "\n"


def cmd_import(ctx: Context) -> int:
    paths = [Path(name) for name in ctx.args.files]
    for path in paths:
        if not path.is_file():
            raise NotFound(str(path))
    code = EXIT_OK
    reports: list[dict[str, Any]] = []
    for path in paths:
        if path.suffix == ".jsonl":
            code = max(code, _import_jsonl(ctx, path, reports))
            continue
        from storage.importing import import_file

        report = import_file(ctx.store, ctx.project, path, dry_run=ctx.args.dry_run)
        ctx.keep_until_exit(report)
        reports.append(report.to_dict())
        if not ctx.json:
            _print_import(ctx, report.to_dict())
        if report.refused:
            code = EXIT_REFUSED
    if ctx.json:
        ctx.emit(reports)
    return code


def _print_import(ctx: Context, report: dict[str, Any]) -> None:
    lines = messages.import_report(report)
    ctx.say(ctx.style.bold(lines[0]))
    for line in lines[1:]:
        ctx.say(line)


def _import_jsonl(ctx: Context, path: Path, reports: list[dict[str, Any]]) -> int:
    from storage.jsonl_import import import_export

    report = import_export(ctx.store, ctx.project, path, dry_run=ctx.args.dry_run)
    for number, reason in report.bad:
        ctx.warn(f"{path}:{number}: {reason}")
    for refusal in report.refusals:
        ctx.warn(refusal)
    for error in report.mirror_errors:
        ctx.warn(error)
    for line in messages.restore_report(report.to_dict()):
        if ctx.json:
            ctx.warn(line)
        else:
            ctx.say(line)
    if ctx.json:
        reports.append(report.to_dict())
    return EXIT_OK if report.ok else EXIT_REFUSED


def cmd_sync(ctx: Context) -> int:
    from storage.importing import sync

    reports = sync(ctx.store, ctx.project)
    ctx.keep_until_exit(reports)
    if ctx.json:
        ctx.emit([report.to_dict() for report in reports])
        return EXIT_OK
    if not any(report.added or report.events_added for report in reports):
        ctx.say(messages.SYNC_NOTHING)
    for report in reports:
        if report.added or report.events_added or report.log.duplicates or report.log.placeholders:
            _print_import(ctx, report.to_dict())
    return EXIT_OK


def cmd_init(ctx: Context) -> int:
    from storage.importing import init_project, sync

    added = init_project(ctx.project)
    reports = sync(ctx.store, ctx.project)
    ctx.keep_until_exit(reports)
    imported = sum(len(report.added) for report in reports)
    if ctx.json:
        ctx.emit({"gitattributes_added": added, "imported": imported})
        return EXIT_OK
    if added:
        ctx.say(messages.INIT_GITATTRIBUTES.format(rules=", ".join(added)))
    else:
        ctx.say(messages.INIT_ALREADY)
    ctx.say(messages.INIT_IMPORTED.format(entries=messages.entries(imported)))
    return EXIT_OK


# -- the mirror ---------------------------------------------------------------


def cmd_mirror(ctx: Context) -> int:
    store = ctx.store
    if ctx.args.action == "repair":
        before = store.mirror_check(ctx.project)
        results = store.mirror_repair(ctx.project)
        errors = [r.error for r in results if r.error]
        counts = {Path(r.file).name: r.written for r in results}
        if ctx.json:
            ctx.emit({"ok": not errors, "appended": counts, "errors": errors})
        else:
            for name, written in counts.items():
                if written:
                    ctx.say(messages.MIRROR_REPAIRED.format(file=name, entries=messages.entries(written)))
            if not any(counts.values()):
                ctx.say(messages.MIRROR_NOTHING_TO_REPAIR)
        for report in before:
            for problem in report.problems:
                ctx.warn(f"{Path(report.file).name}: {problem} ({messages.LEFT_AS_IS})")
        for error in errors:
            ctx.warn(error)
        return EXIT_REFUSED if errors else EXIT_OK
    reports = store.mirror_check(ctx.project)
    if ctx.json:
        ctx.emit(
            [
                {
                    "file": r.file,
                    "clean": r.clean,
                    "present": r.present,
                    "missing": [e.id for e in r.missing],
                    "pending": r.pending,
                    "problems": r.problems,
                }
                for r in reports
            ]
        )
    else:
        for report in reports:
            name = Path(report.file).name
            if report.clean:
                ctx.say(messages.mirror_clean(name, report.present))
            for entry in report.missing:
                summary = one_line(entry.summary, 70)
                ctx.say(messages.mirror_missing(name, entry.short_id, ctx.when(entry), summary))
            for item in report.pending:
                ctx.say(messages.mirror_pending_item(name, item))
            for problem in report.problems:
                ctx.say(f"{name}: {problem} ({messages.LEFT_AS_IS})")
    return EXIT_OK if all(r.clean for r in reports) else EXIT_REFUSED
