"""The ``logbook`` command: argument parsing and dispatch, nothing else.

Kept light on purpose: ``logbook --version`` and ``--help`` import only the
standard library. Each command's work lives in :mod:`tui.commands`, loaded
when that command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from tui import __version__

KINDS = ("handoff", "incident", "decision", "note")

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_NOT_FOUND = 2
EXIT_OUTPUT_LOST = 120
"""Standard output could not be written (a full disk): what Python itself exits with then."""


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1 ("invalid"); 2 is kept for "not found"."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_REFUSED, f"{self.prog}: error: {message}\n")


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("where")
    group.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="the store file (default: $LOGBOOK_DB, else the user data dir)",
    )
    group.add_argument(
        "--project",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="the project directory (default: the git top level of the working directory)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="machine-readable output on stdout (messages go to stderr)",
    )
    return common


def _add_entry_parsers(add: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    def entry_parser(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = add.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.add_argument("--tag", "-t", action="append", default=[], metavar="TAG", help="a tag (repeatable)")
        sub.add_argument(
            "--allow-duplicate",
            action="store_true",
            help="save even when a nearly identical entry was made within 24 hours",
        )
        sub.add_argument("--supersedes", metavar="ID", help="this entry follows up (and supersedes) entry ID")
        sub.set_defaults(kind=name)
        return sub

    handoff = entry_parser("handoff", "something done and verified")
    handoff.add_argument("--what", help="what changed (required)")
    handoff.add_argument("--why", help="why it was changed")
    handoff.add_argument("--verify", metavar="CMD", help="the exact command that verifies it (required)")
    handoff.add_argument("--expected", help="what that command prints (required)")
    handoff.add_argument("--now", help="the state things are in now")
    handoff.add_argument("--next", help="the next step")

    incident = entry_parser("incident", "something broke")
    incident.add_argument("--symptom", help="what was seen (required)")
    incident.add_argument("--cause", help='the root cause (required; "unknown" while open)')
    incident.add_argument("--fix", help="the fix or mitigation (required unless --status open)")
    incident.add_argument("--verify", metavar="CMD", help="the command that shows it is fixed")
    incident.add_argument("--expected", help="what that command prints")
    incident.add_argument("--severity", help="SEV1 (worst) .. SEV4; P1-P4 accepted")
    incident.add_argument("--status", help="open, mitigated or resolved")

    decision = entry_parser("decision", "a decision and its reasons")
    decision.add_argument("--decision", help="what was decided (required)")
    decision.add_argument("--why", help="the reasons")
    decision.add_argument("--consequences", help="what follows from it")

    note = entry_parser("note", "a plain note")
    note.add_argument("text", nargs="?", help="the note (required)")


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(
        prog="logbook",
        description=(
            "A terminal logbook of what worked (handoffs) and what broke (incidents), "
            "kept in SQLite and mirrored to HANDOFF.md / INCIDENTS.md. "
            "Run with no command to open the TUI."
        ),
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"logbook {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    add = commands.add_parser("add", parents=[common], help="add an entry", description="Add an entry.")
    add_kinds = add.add_subparsers(dest="kind", metavar="KIND", required=True, parser_class=_Parser)
    _add_entry_parsers(add_kinds, common)

    listing = commands.add_parser(
        "list",
        parents=[common],
        help="list entries, newest first",
        description="List entries, newest first.",
    )
    listing.add_argument("--kind", "-k", choices=KINDS)
    listing.add_argument("--limit", "-n", type=int, default=20)

    show = commands.add_parser(
        "show",
        parents=[common],
        help="show one entry in full",
        description="Show one entry in full.",
    )
    show.add_argument("id", help="the entry id or a unique prefix of it")

    search = commands.add_parser(
        "search",
        parents=[common],
        help="full-text search, best matches first",
        description="Full-text search over every field, best matches first.",
    )
    search.add_argument("query", nargs="+")
    search.add_argument("--kind", "-k", choices=KINDS)
    search.add_argument("--limit", "-n", type=int, default=20)

    incident = commands.add_parser(
        "incident",
        parents=[common],
        help="change an incident (a new event; the entry is never edited)",
        description="Record a change to an incident as a new, mirrored event.",
    )
    incident.add_argument("id", help="the incident id or a unique prefix of it")
    incident_actions = incident.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    status = incident_actions.add_parser(
        "status", parents=[common], help="set the status: open, mitigated, resolved"
    )
    status.add_argument("status", help="open, mitigated or resolved")
    status.add_argument("--note", default="", help="what changed (the cause, if it was unknown)")
    event = incident_actions.add_parser("event", parents=[common], help="add a timeline event")
    event.add_argument("text", help="what happened")
    event.add_argument(
        "--at", metavar="TIME", help='when it happened ("2025-12-14 12:41", "12:41"; default now)'
    )
    action = incident_actions.add_parser("action", parents=[common], help="add an action item")
    action.add_argument("text", help="what should be done")
    done = incident_actions.add_parser("action-done", parents=[common], help="mark action item N done")
    done.add_argument("number", type=int, help="the action item's number (see `logbook show ID`)")
    impact = incident_actions.add_parser("impact", parents=[common], help="record the impact")
    impact.add_argument("text", help="who or what was affected, and how much")
    lesson = incident_actions.add_parser("lesson", parents=[common], help="a lesson learned")
    lesson.add_argument("went", choices=("wrong", "right"), help="what went wrong, or what went right")
    lesson.add_argument("text")

    session = commands.add_parser(
        "session",
        parents=[common],
        help="work sessions: start, end, list",
        description=(
            "Entries belong to work sessions. A session starts by itself on the first entry after an "
            "idle gap ($LOGBOOK_SESSION_GAP, default 2h), or explicitly here."
        ),
    )
    session_actions = session.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    start = session_actions.add_parser("start", parents=[common], help="start a new session now")
    start.add_argument("title", nargs="*", help="what the session is about")
    session_actions.add_parser("end", parents=[common], help="end the current session")
    session_list = session_actions.add_parser("list", parents=[common], help="the project's sessions")
    session_list.add_argument("--limit", "-n", type=int, default=20)

    export = commands.add_parser(
        "export",
        parents=[common],
        help="write a session summary, a postmortem, the troubleshooting guide, or every entry",
        description=(
            "`logbook export` writes the summary of the current session (else the last one) to hand the "
            "work over. `export postmortem ID` writes an incident's postmortem; `export guide` the common "
            "errors of the project; `export --format jsonl` every entry (for backups and `logbook import`)."
        ),
    )
    export.add_argument(
        "report",
        nargs="?",
        default="summary",
        choices=("summary", "postmortem", "guide"),
        help="what to write",
    )
    export.add_argument("id", nargs="?", help="the incident (postmortem)")
    scope = export.add_mutually_exclusive_group()
    scope.add_argument("--session", metavar="ID", help="summarise this session")
    scope.add_argument(
        "--since", metavar="DATE", help='summarise everything since DATE ("2025-12-14", "2025-12-14 09:00")'
    )
    scope.add_argument("--all", action="store_true", help="summarise every entry of the project")
    export.add_argument(
        "--format", choices=("md", "json", "jsonl"), default=None, help="md (default), json, jsonl"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export.add_argument("--schema", action="store_true", help="print the JSON Schema of the json summary")

    run = commands.add_parser(
        "run",
        parents=[common],
        help="run a command and record the result (a handoff, or an incident)",
        description=(
            "Run CMD in the project directory, stream its output, and record a handoff when it succeeds "
            "(verify = the command, expected = --expect or the result line it printed) or an open "
            "incident when it fails. The exit code is the command's."
        ),
    )
    run.add_argument("--what", help="what the command verifies (asked in a terminal when missing)")
    run.add_argument(
        "--expect", metavar="TEXT", help="the expected result (default: the result line printed)"
    )
    run.add_argument("--yes", "-y", action="store_true", help="ask nothing: record what can be recorded")
    run.add_argument("--shell", action="store_true", help="run CMD (one string) through the shell")
    run.add_argument(
        "--timeout", type=float, default=None, help="seconds (default $LOGBOOK_RUN_TIMEOUT, else 600)"
    )
    run.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD ARGS", help="the command")

    verify = commands.add_parser(
        "verify",
        parents=[common],
        help="re-run entries' verification commands and record the results",
        description="Re-run the verification command of an entry (or of a session, or of all entries).",
    )
    verify.add_argument("id", nargs="?", help="the entry")
    verify_scope = verify.add_mutually_exclusive_group()
    verify_scope.add_argument(
        "--session", action="store_true", help="every verification of the current session"
    )
    verify_scope.add_argument("--all", action="store_true", help="every verification of the project")
    verify.add_argument("--timeout", type=float, default=None, help="seconds per command")

    importing = commands.add_parser(
        "import",
        parents=[common],
        help="take in hand-kept logs (HANDOFF.md, INCIDENTS.md...) or a jsonl export",
        description=(
            "Take in hand-kept HANDOFF.md / INCIDENTS.md style logs (dated bullets, dated paragraphs, "
            "## datetime blocks), repairing BOMs, mojibake and glued lines, and reporting templates and "
            "repeated entries instead of importing them; or a `logbook export --format jsonl` file. "
            "Importing the same file twice adds nothing."
        ),
    )
    importing.add_argument("files", nargs="+", metavar="FILE")
    importing.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be imported, repaired and skipped; write nothing",
    )

    commands.add_parser(
        "sync",
        parents=[common],
        help="take in what teammates appended to HANDOFF.md / INCIDENTS.md",
        description=(
            "Import entries that someone else appended to the project's HANDOFF.md / INCIDENTS.md "
            "(by hand, or pulled with git). Nothing is rewritten in the files. The TUI does this on start."
        ),
    )
    commands.add_parser(
        "init",
        parents=[common],
        help="set the project up: union merges for the mirror files, then sync",
        description=(
            "Add `HANDOFF.md merge=union` and `INCIDENTS.md merge=union` to .gitattributes, so two "
            "branches that both append never conflict, then take in the existing logs."
        ),
    )

    mirror = commands.add_parser(
        "mirror",
        parents=[common],
        help="compare or repair HANDOFF.md / INCIDENTS.md",
        description=("Compare the mirror files with the store (check) or append what is missing (repair)."),
    )
    mirror.add_argument("action", choices=("check", "repair"))

    commands.add_parser(
        "tui",
        parents=[common],
        help="open the TUI (the same as no command)",
        description="Open the TUI.",
    )
    return parser


def launch_tui(args: argparse.Namespace) -> int:
    """Open the TUI, reading the store in the background while Textual loads."""
    from pathlib import Path

    from storage.clock import user_zone
    from tui.startup import Prefetch

    db = getattr(args, "db", None)
    db_path = Path(db).expanduser() if db else None
    given = getattr(args, "project", None)
    if given:
        project = str(Path(given).expanduser().resolve())
    else:
        from storage.errors import NoProject
        from storage.project import find_project_root

        try:
            project = str(find_project_root())
        except NoProject as error:
            print(f"logbook: {error}", file=sys.stderr)
            return EXIT_REFUSED
    zone = user_zone()
    prefetch = Prefetch(db_path, project, zone)
    prefetch.start()
    from tui.app import make_app

    app = make_app(db_path=db_path, project=project, zone=zone, prefetch=prefetch)
    app.run()
    return app.return_code or EXIT_OK


def _tui_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The options of a bare `logbook [--db P] [--project D]`, or None for anything else.

    Opening the TUI is the common case: it skips building every subcommand's parser.
    """
    if any(arg in ("-h", "--help", "--version") for arg in argv):
        return None
    args, rest = _common().parse_known_args(argv)
    if rest:
        return None
    args.command = None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``logbook ARGV`` (the TUI, or a command) and return its exit code."""
    return _main(argv)[0]


def _main(argv: Sequence[str] | None, kept: list[object] | None = None) -> tuple[int, bool]:
    """(exit code, True when the TUI ran); ``kept``: what the command made and the process
    will not free (see console_main)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    tui_args = _tui_args(argv)
    if tui_args is not None:
        return launch_tui(tui_args), True
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "tui"):
        return launch_tui(args), True
    from tui.commands import OutputLost, run

    try:
        return run(args, parser, kept), False
    except OutputLost:
        return EXIT_OUTPUT_LOST, False  # (said by the exit code, as Python does: no traceback)
    except BrokenPipeError:
        # The reader went away (`logbook list | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK, False


def console_main() -> None:
    """The ``logbook`` program (see pyproject.toml)."""
    kept: list[object] = []
    code, ran_tui = _main(None, kept)
    if not ran_tui and _no_threads_left():
        # A command has written, flushed and closed what it opened: exit without freeing
        # what it made (``kept`` too), as mypy does.
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:
            pass  # the reader went away (`logbook list | head`), as in main()
        except OSError:
            os._exit(EXIT_OUTPUT_LOST)
        os._exit(code)
    sys.exit(code)


def _no_threads_left() -> bool:
    """True when no thread but this one is left that interpreter shutdown would wait for."""
    if "threading" not in sys.modules:
        return True
    import threading

    return all(thread.daemon or thread is threading.current_thread() for thread in threading.enumerate())


if __name__ == "__main__":  # pragma: no cover
    console_main()
