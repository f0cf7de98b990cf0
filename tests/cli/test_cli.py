"""The command line, run as a user would, against a real store and a real git project."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import logbook_bin
from tests.sqlite_rows import raw_connection
from tui.cli import EXIT_REFUSED, build_parser

ANCHOR = re.compile(r"<!-- logbook:[0-9a-f]{16}")
HANDOFF = [
    "add",
    "handoff",
    "--what",
    "Implemented GET /requests/{id}",
    "--verify",
    "python -m pytest -q",
    "--expected",
    "4 passed",
]
INCIDENT = [
    "add",
    "incident",
    "--symptom",
    "uvicorn bind fails with WinError 10048",
    "--cause",
    "another process listens on 8000",
    "--fix",
    "run on 8002",
    "--severity",
    "P2",
]


def entry_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    with raw_connection(db_path) as connection:
        return connection.execute("SELECT count(*) FROM entry").fetchone()[0]


def _all_command_paths() -> list[list[str]]:
    paths: list[list[str]] = [[]]

    def walk(parser: object, prefix: list[str]) -> None:
        for action in getattr(parser, "_actions", []):
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):
                for name, sub in choices.items():
                    paths.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(build_parser(), [])
    return paths


@pytest.mark.parametrize("path", _all_command_paths(), ids=lambda p: " ".join(p) or "logbook")
def test_every_command_has_help(cli, path: list[str]) -> None:
    result = cli(*path, "--help")
    assert result.code == 0
    assert result.out.startswith("usage: logbook")


def test_version(cli) -> None:
    from tui import __version__

    assert cli("--version").out == f"logbook {__version__}\n"


def test_add_each_kind_then_list(cli, project: Path, db_path: Path) -> None:
    assert cli(*HANDOFF).code == 0
    assert cli(*INCIDENT, "--tag", "windows").code == 0
    assert cli("add", "decision", "--decision", "snake_case for new schemas", "--why", "SSoT").code == 0
    result = cli("add", "note", "ports 8000-8002 are ours")
    assert result.code == 0
    assert "appended it to" in result.out and "HANDOFF.md" in result.out
    assert entry_count(db_path) == 4
    listed = cli("list", "--json").json()
    assert [e["kind"] for e in listed] == ["note", "decision", "incident", "handoff"]
    assert listed[2]["severity"] == "SEV2" and listed[2]["tags"] == ["windows"]
    assert [e["kind"] for e in cli("list", "--kind", "incident", "--json").json()] == ["incident"]
    assert len(cli("list", "--limit", "2", "--json").json()) == 2
    assert len(ANCHOR.findall((project / "HANDOFF.md").read_text())) == 3
    assert len(ANCHOR.findall((project / "INCIDENTS.md").read_text())) == 1
    human = cli("list").out.splitlines()
    assert "incident  [SEV2, resolved] uvicorn bind fails" in human[2]


def test_refused_add_exits_1_and_writes_nothing(cli, project: Path, db_path: Path) -> None:
    result = cli("add", "incident", "--symptom", "<symptom>", "--cause", "<root_cause>", "--fix", "f")
    assert result.code == 1
    assert "Not saved" in result.err and "<symptom>" in result.err
    assert entry_count(db_path) == 0
    assert not (project / "INCIDENTS.md").exists()
    result = cli("add", "handoff", "--what", "x", "--json")  # not a terminal: no prompting
    assert result.code == 1
    payload = result.json()
    assert payload["ok"] is False
    assert {p["field"] for p in payload["problems"]} == {"verify", "expected"}


def test_usage_error_exits_1(cli) -> None:
    assert cli("add", "bogus").code == 1
    assert cli("list", "--limit", "many").code == 1


def test_near_duplicate_is_refused_unless_allowed(cli, db_path: Path) -> None:
    first = cli(*HANDOFF, "--json").json()["entry"]["id"]
    again = cli(
        "add",
        "handoff",
        "--what",
        "Implemented GET /requests/{id}.",
        "--verify",
        "pytest",
        "--expected",
        "4 passed",
        "--json",
    )
    assert again.code == 1
    assert again.json()["duplicate_of"]["id"] == first
    assert first[:8] in again.err
    assert (
        cli(
            "add",
            "handoff",
            "--what",
            "Implemented GET /requests/{id}.",
            "--verify",
            "pytest",
            "--expected",
            "4 passed",
            "--allow-duplicate",
        ).code
        == 0
    )
    assert entry_count(db_path) == 2


def test_show_by_prefix_and_not_found(cli) -> None:
    entry_id = cli(*INCIDENT, "--json").json()["entry"]["id"]
    shown = cli("show", entry_id[:6], "--json").json()
    assert shown["id"] == entry_id and shown["symptom"].startswith("uvicorn")
    human = cli("show", entry_id[:6]).out
    assert "Root cause:" in human and "INCIDENTS.md" in human and "branch main" in human
    assert cli("show", "ffffffff").code == 2
    assert cli("show", "ffffffff", "--json").json()["error"] == "not_found"


def test_search_json_and_highlight(cli) -> None:
    cli(*INCIDENT)
    cli(*HANDOFF)
    hits = cli("search", "WinError", "--json").json()
    assert [h["kind"] for h in hits] == ["incident"]
    assert "[[WinError]]" in hits[0]["match"]
    assert cli("search", "nothing-like-this").out.startswith("Nothing matches")


def test_incident_status_change(cli, project: Path) -> None:
    entry_id = cli("add", "incident", "--symptom", "flaky test", "--cause", "unknown", "--json").json()[
        "entry"
    ]["id"]
    result = cli("incident", entry_id[:8], "status", "mitigated", "--note", "retry added", "--json")
    assert result.code == 0
    assert result.json()["entry"]["status"] == "mitigated"
    assert "status open → mitigated" in (project / "INCIDENTS.md").read_text()


def test_export_says_how_many_entries_it_wrote(cli, tmp_path: Path) -> None:
    assert cli(*HANDOFF).code == 0
    out = tmp_path / "one.jsonl"
    exported = cli("export", "--format", "jsonl", "-o", str(out))
    assert exported.code == 0
    assert f"Exported 1 entry to {out}" in exported.err


def test_export_then_import_into_another_store(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything comes back: an incident's status changes, timeline and verification too."""
    assert cli(*HANDOFF, "--tag", "api").code == 0
    incident = cli(*INCIDENT, "--json").json()["entry"]["id"]
    assert cli("incident", incident, "status", "mitigated", "--note", "retry added").code == 0
    assert cli("incident", incident, "event", "paged the on-call", "--at", "10:05").code == 0
    assert cli("incident", incident, "action", "add a retry test").code == 0
    out = tmp_path / "all.jsonl"
    assert cli("export", "--format", "jsonl", "-o", str(out)).code == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sum(len(r["events"]) for r in records) == 3
    other_db = tmp_path / "other.db"
    result = cli("--db", str(other_db), "import", str(out), "--json")
    assert result.json() == [
        {
            "file": str(out),
            "dry_run": False,
            "ok": True,
            "added": 2,
            "skipped": 0,
            "refused": 0,
            "events_added": 3,
            "events_skipped": 0,
            "events_refused": 0,
            "masked": {},
        }
    ]
    again = cli("import", str(out), "--db", str(other_db), "--json")
    assert again.json()[0]["added"] == 0 and again.json()[0]["skipped"] == 2
    assert again.json()[0]["events_added"] == 0 and again.json()[0]["events_skipped"] == 3
    shown = cli("--db", str(other_db), "show", incident[:8], "--json").json()
    assert shown["status"] == "mitigated"
    exported = [
        json.loads(line)
        for line in cli("--db", str(other_db), "export", "--format", "jsonl").out.splitlines()
    ]
    assert [{k: v for k, v in r.items() if k != "source"} for r in exported] == [
        {k: v for k, v in r.items() if k != "source"} for r in records
    ]


@pytest.mark.parametrize("wrapped", ["<!--\n  logbook:", "<!--\n\tlogbook:", "<!--   logbook:"])
def test_an_anchor_wrapped_after_its_opening_is_still_the_entrys_line(
    cli, project: Path, tmp_path: Path, wrapped: str
) -> None:
    """A formatter may break the line between `<!--` and `logbook:`: the entry is still there,
    so check finds nothing missing, and neither repair nor a restore appends it a second time."""
    entry = cli(*HANDOFF, "--json").json()["entry"]["id"]
    mirror = project / "HANDOFF.md"
    text = mirror.read_text()
    assert text.count(f"<!-- logbook:{entry}") == 1
    mirror.write_bytes(text.replace(f"<!-- logbook:{entry}", f"{wrapped}{entry}").encode())
    before = mirror.read_bytes()
    assert cli("mirror", "check").code == 0
    assert cli("mirror", "repair").code == 0
    assert mirror.read_bytes() == before
    export = tmp_path / "all.jsonl"
    assert cli("export", "--format", "jsonl", "-o", str(export)).code == 0
    assert cli("--db", str(tmp_path / "new.db"), "import", str(export)).code == 0  # same checkout, new store
    assert mirror.read_bytes() == before
    assert mirror.read_text().count(entry) == 1


def test_import_reports_bad_lines(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "note"}\nnot json\n')
    result = cli("import", str(bad))
    assert result.code == 1
    assert "bad.jsonl:1" in result.err and "bad.jsonl:2" in result.err
    assert cli("import", str(tmp_path / "missing.jsonl")).code == 2


def test_import_reports_times_without_a_zone_as_bad_lines(cli, tmp_path: Path) -> None:
    """An export always says its zone; "10:00" alone could be any of 24 moments: say so, do not guess
    (it used to crash the import with a traceback)."""
    naive = tmp_path / "naive.jsonl"
    records = [
        {"id": "00000000000000a1", "kind": "note", "created_at": "2025-12-14T10:00:00Z", "text": "kept"},
        {"id": "00000000000000a2", "kind": "note", "created_at": "2025-12-14T10:00:00", "text": "naive"},
        {
            "id": "00000000000000a3",
            "kind": "incident",
            "created_at": "2025-12-14T10:00:00+03:00",
            "symptom": "db down",
            "cause": "disk full",
            "events": [
                {"id": "00000000000000a4", "type": "impact", "created_at": "2025-12-14T10:05:00", "text": "x"}
            ],
        },
    ]
    naive.write_text("".join(json.dumps(record) + "\n" for record in records))
    result = cli("import", str(naive))
    assert result.code == 1
    assert "Traceback" not in result.err
    assert (
        "naive.jsonl:2: not a logbook entry" in result.err
        and "naive.jsonl:3: not a logbook entry" in result.err
    )
    assert result.err.count("has no time zone") == 2
    assert "Imported 1 entry (0 already present, 2 refused)." in result.out
    with raw_connection(Path(os.environ["LOGBOOK_DB"])) as connection:
        assert connection.execute("SELECT id FROM entry").fetchall() == [("00000000000000a1",)]


def test_restoring_an_export_says_what_it_masks(cli, tmp_path: Path) -> None:
    """Someone else's export may hold a secret their logbook never masked: a preview says it will
    be masked, the import says it was (an impact's text, restored as an event, included)."""
    theirs = tmp_path / "theirs.jsonl"
    record = {
        "id": "00000000000000a1",
        "kind": "incident",
        "created_at": "2025-12-14T10:00:00Z",
        "symptom": "login fails for postgres://app:hunter2hunter2@db.internal:5432/app",
        "cause": "rotated password",
        "fix": "new password deployed",
        "events": [
            {
                "id": "00000000000000a2",
                "type": "impact",
                "created_at": "2025-12-14T10:05:00Z",
                "text": "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked in logs",
            }
        ],
    }
    theirs.write_text(json.dumps(record) + "\n")
    dry = cli("import", "--dry-run", str(theirs))
    assert dry.code == 0
    assert "Would mask 2 secrets before saving: a password in a URL, a GitHub token." in dry.out
    done = cli("import", str(theirs), "--json")
    assert done.code == 0
    assert done.json()[0]["masked"] == {"a password in a URL": 1, "a GitHub token": 1}
    assert "Masked 2 secrets before saving" in done.err  # with --json, the words go to stderr


def test_import_counts_refused_events_apart_from_refused_entries(cli, tmp_path: Path) -> None:
    """An entry that went in with one of its events refused is not "1 refused" entry."""
    incident = cli(*INCIDENT, "--json").json()["entry"]["id"]
    assert cli("incident", incident, "action", "add a retry test").code == 0
    out = tmp_path / "all.jsonl"
    assert cli("export", "--format", "jsonl", "-o", str(out)).code == 0
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    record["events"].append({**record["events"][0], "id": "00000000000000e1", "type": "rename"})
    out.write_text(json.dumps(record) + "\n")
    other_db = tmp_path / "other.db"
    result = cli("--db", str(other_db), "import", str(out))
    assert result.code == 1
    assert "Imported 1 entry (0 already present, 0 refused)." in result.out
    assert (
        "Restored 1 event (statuses, timelines, verifications); 0 already present, 1 refused." in result.out
    )
    assert "event 2: event: 'rename' is not one of" in result.err
    [report] = cli("--db", str(other_db), "import", str(out), "--json").json()
    assert (report["refused"], report["events_skipped"], report["events_refused"]) == (0, 1, 1)


def test_mirror_check_and_repair(cli, project: Path) -> None:
    cli(*HANDOFF)
    assert cli("mirror", "check").code == 0
    (project / "HANDOFF.md").write_text("# HANDOFF.md\n")
    check = cli("mirror", "check", "--json")
    assert check.code == 1
    handoff_report = check.json()[0]
    assert len(handoff_report["missing"]) == 1
    repaired = cli("mirror", "repair")
    assert repaired.code == 0 and "appended 1" in repaired.out
    assert cli("mirror", "check").code == 0


def test_project_and_db_options(cli, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = tmp_path / "x" / "given.db"
    assert cli("--db", str(db), "--project", str(elsewhere), "add", "note", "somewhere else").code == 0
    assert (elsewhere / "HANDOFF.md").exists()
    assert entry_count(db) == 1
    assert cli("list", "--db", str(db), "--json").json() == []  # the cwd project has none
    assert len(cli("list", "--db", str(db), "--project", str(elsewhere), "--json").json()) == 1


def test_installed_script_runs_and_asks_for_missing_fields(project: Path, db_path: Path) -> None:
    """In a terminal, `logbook add incident` asks for what is missing, one field at a time."""
    import os
    import pty
    import select
    import time

    env = {**os.environ, "LOGBOOK_DB": str(db_path)}
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(project)
        os.execve(logbook_bin(), [logbook_bin(), "add", "incident", "--fix", "restart"], env)
    answers = iter([b"<symptom>\r", b"pytest hangs on CI\r", b"a leaked thread\r"])
    seen = b""
    give_up = time.monotonic() + 60
    while True:
        assert time.monotonic() < give_up, f"no answer from logbook within 60 s: {seen!r}"
        if not select.select([fd], [], [], 1.0)[0]:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if seen.rstrip().endswith(b":"):
            os.write(fd, next(answers))
            seen += b"\n"
    _, status = os.waitpid(pid, 0)
    text = seen.decode()
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "Symptom" in text and "placeholder" in text and "Root cause" in text
    assert "pytest hangs on CI" in (project / "INCIDENTS.md").read_text()


def test_version_needs_no_heavy_imports() -> None:
    code = "import sys; from tui.cli import main; main(['--version'])"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=False,
    )
    imported = done.stderr
    for heavy in ("sqlmodel", "sqlalchemy", "textual", "pydantic", "platformdirs"):
        assert f" {heavy}\n" not in imported and f" {heavy}." not in imported, heavy


def test_show_gives_the_history_in_words_and_an_imported_entrys_own_text(cli, project: Path) -> None:
    (project / "old.md").write_text(
        "# INCIDENTS\n- 2025-12-14 12:41 MSK Uvicorn failed to bind 0.0.0.0:8000 — root cause: another"
        " process — fix: run on 8002 — verification: `curl :8002/health` -> 200\n",
        encoding="utf-8",
    )
    assert cli("import", str(project / "old.md")).code == 0
    [entry] = cli("list", "--json").json()
    assert cli("incident", entry["id"], "status", "mitigated", "--note", "moved to 8002").code == 0
    shown = cli("show", entry["id"]).out
    assert (
        "As written (old.md:2):\n  2025-12-14 12:41 MSK Uvicorn failed to bind 0.0.0.0:8000 — root cause"
        in shown
    )
    assert "History:\n" in shown and "— status resolved → mitigated — moved to 8002" in shown


def test_the_program_prints_everything_and_keeps_its_exit_code(project: Path, db_path: Path) -> None:
    # The `logbook` program ends a command without freeing what it made (os._exit): what
    # it printed must still all arrive through a pipe, with the command's exit code.
    lines = [
        f"- 2025-12-{day:02d} 10:{minute:02d} MSK Moved table {day * 100 + minute} to the new schema"
        for day in range(1, 29)
        for minute in range(0, 60, 3)
    ]
    (project / "old.md").write_text("# HANDOFF\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    env["LOGBOOK_DB"] = str(db_path)  # (and stdout buffered, as on most machines)
    program = [logbook_bin(), "--project", str(project), "--json"]
    imported = subprocess.run(
        [*program, "import", str(project / "old.md")], capture_output=True, text=True, env=env, check=False
    )
    assert imported.returncode == 0 and json.loads(imported.stdout)[0]["added"] == len(lines) == 560
    listed = subprocess.run(
        [*program, "list", "--limit", "1000"], capture_output=True, text=True, env=env, check=False
    )
    assert len(listed.stdout) > 64_000  # more than a pipe holds, and than one buffer
    assert len(json.loads(listed.stdout)) == 560
    refused = subprocess.run(
        [*program, "add", "incident", "--fix", "restart"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert refused.returncode == EXIT_REFUSED and refused.stderr
    for limit in ("1", "1000"):  # the last flush fails; the output fills its buffer and fails before
        with open("/dev/full", "w") as full:  # a disk with no room left: the output cannot be written
            lost = subprocess.run(
                [*program, "list", "--limit", limit], stdout=full, stderr=subprocess.PIPE, env=env, check=False
            )
        assert lost.returncode == 120 and not lost.stderr  # as Python itself exits when it cannot flush


def test_the_program_keeps_an_import_until_it_exits_and_main_frees_it(
    project: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The program exits without freeing (os._exit), so what an import made is held to the end
    # instead of being freed when the command returns; called as a library (main), nothing is
    # held after the call.
    import gc
    import weakref

    from storage import importing
    from tui import cli

    made: list[weakref.ref[importing.ImportReport]] = []
    real_import_file = importing.import_file

    def import_file(*args: object, **kwargs: object) -> importing.ImportReport:
        report = real_import_file(*args, **kwargs)  # type: ignore[arg-type]
        made.append(weakref.ref(report))
        return report

    monkeypatch.setattr(importing, "import_file", import_file)
    monkeypatch.setenv("LOGBOOK_DB", str(db_path))
    log = project / "old.md"
    log.write_text("# HANDOFF\n\n- 2025-12-01 10:00 MSK Moved the table to the new schema\n", encoding="utf-8")
    argv = ["--project", str(project), "--json", "import", str(log)]
    kept: list[object] = []
    assert cli._main(argv, kept) == (0, False)
    assert [type(held).__name__ for held in kept] == ["ImportReport"] and made[0]() is kept[0]
    assert cli.main(argv) == 0
    gc.collect()
    assert made[1]() is None
