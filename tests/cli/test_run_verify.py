"""`logbook run` and `logbook verify` with real commands: the claim "40 passed" is checked."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tests.conftest import git
from tests.sqlite_rows import raw_connection

PY = sys.executable


def script(project: Path, name: str, body: str) -> str:
    path = project / name
    path.write_text(body)
    return str(path)


def events(db_path: Path, kind: str = "verification") -> list[tuple]:
    with raw_connection(db_path) as connection:
        return connection.execute(
            "SELECT entry_id, type, data FROM event WHERE type = ? ORDER BY seq", (kind,)
        ).fetchall()


def test_run_passing_command_records_a_verified_handoff(cli, project: Path, db_path: Path) -> None:
    ok = script(project, "ok.py", "print('collected 40 items')\nprint('===== 40 passed in 0.12s =====')\n")
    result = cli("run", "--json", "--what", "Recipients API green", "--", PY, ok)
    assert result.code == 0
    record = result.json()
    entry = record["entry"]
    assert (entry["kind"], entry["what"], entry["expected"], entry["verification"]) == (
        "handoff",
        "Recipients API green",
        "40 passed",
        "pass",
    )
    assert entry["verify"].endswith("ok.py") and entry["source"] == "run"
    [(entry_id, _, data)] = events(db_path)
    assert entry_id == entry["id"] and '"result": "pass"' in data and '"expected_seen": true' in data
    assert "Recipients API green" in (project / "HANDOFF.md").read_text()


def test_run_failing_command_keeps_an_incident_draft(cli, project: Path, db_path: Path) -> None:
    bad = script(
        project,
        "bad.py",
        "import sys\nprint('starting')\nraise ModuleNotFoundError(\"No module named 'app'\")\n",
    )
    result = cli("run", "--json", "--yes", "--", PY, bad)
    assert result.code == 1  # the command's exit code
    record = result.json()
    assert record["recorded"] == "draft"
    assert record["fields"]["symptom"] == "ModuleNotFoundError: No module named 'app'"
    with raw_connection(db_path) as connection:
        [(fields,)] = connection.execute("SELECT fields FROM draft").fetchall()
    assert "No module named 'app'" in fields and '"status": "open"' in fields


def test_run_times_out_a_hanging_command(cli, project: Path) -> None:
    hang = script(project, "hang.py", "import time\nprint('waiting', flush=True)\ntime.sleep(60)\n")
    started = time.monotonic()
    result = cli("run", "--json", "--yes", "--timeout", "1", "--", PY, hang)
    assert time.monotonic() - started < 20
    assert result.code == 124
    assert "did not finish within 1 s" in result.json()["fields"]["symptom"]


def test_run_caps_what_a_huge_output_leaves_in_the_store(cli, project: Path, db_path: Path) -> None:
    loud = script(
        project, "loud.py", "import sys\nsys.stdout.write('x' * 10_000_000)\nprint()\nprint('1 passed')\n"
    )
    result = cli("run", "--json", "--what", "survives 10 MB of output", "--", PY, loud)
    assert result.code == 0 and result.json()["entry"]["expected"] == "1 passed"
    [(_, _, data)] = events(db_path)
    assert len(data) < 10_000  # the tail, not the 10 MB
    assert db_path.stat().st_size < 2_000_000


def test_verify_records_pass_then_fail_and_stale(cli, project: Path, db_path: Path) -> None:
    check = script(project, "check.py", "print('5 passed')\n")
    entry = cli(
        "add",
        "handoff",
        "--what",
        "five tests",
        "--verify",
        f"{PY} {check}",
        "--expected",
        "5 passed",
        "--json",
    ).json()["entry"]
    assert cli("verify", entry["id"][:8]).code == 0
    assert cli("show", entry["id"], "--json").json()["verification"] == "pass"
    Path(check).write_text("print('4 passed, 1 failed')\nraise SystemExit(1)\n")
    result = cli("verify", entry["id"][:8], "--json")
    assert result.code == 1
    assert result.json()[0]["result"] == "fail"
    assert cli("show", entry["id"], "--json").json()["verification"] == "fail"
    Path(check).write_text("print('5 passed')\n")
    assert cli("verify", entry["id"][:8]).code == 0
    git(project, "commit", "-q", "--allow-empty", "-m", "later")
    from storage.store import Store

    with Store.open(db_path) as store:
        stored = store.get(entry["id"])
    assert stored.badge(git(project, "rev-parse", "HEAD")) == "stale"  # verified against an older commit
    assert [e[2].count('"result": "pass"') for e in events(db_path)] == [1, 0, 1]


def test_verify_all_prints_a_table(cli, project: Path) -> None:
    ok = script(project, "ok.py", "print('ok')\n")
    cli("add", "handoff", "--what", "a", "--verify", f"{PY} {ok}", "--expected", "ok")
    cli(
        "add",
        "handoff",
        "--what",
        "b entirely different",
        "--verify",
        f'{PY} -c "raise SystemExit(3)"',
        "--expected",
        "ok",
    )
    result = cli("verify", "--all")
    assert result.code == 1
    assert "[############............] 1/2" in result.out
    assert "PASS" in result.out and "FAIL  exit 3" in result.out


def test_known_error_is_recognised_with_paths_and_numbers_changed(cli, project: Path) -> None:
    earlier = cli(
        "add",
        "incident",
        "--symptom",
        "File \"/home/ada/b2b/backend/tests/test_api.py\", line 12: ModuleNotFoundError: No module named 'app'",
        "--cause",
        "PYTHONPATH missing at the repo root",
        "--fix",
        "run pytest from backend/",
        "--json",
    ).json()["entry"]
    bad = script(project, "other.py", "raise ModuleNotFoundError(\"No module named 'app'\")\n")
    result = cli("run", "--yes", "--", PY, bad)
    assert "Seen before:" in result.out
    assert earlier["id"][:8] in result.out and "run pytest from backend/" in result.out
    as_json = cli("run", "--yes", "--json", "--", PY, bad).json()
    assert as_json["seen_before"][0]["id"] == earlier["id"]
    assert as_json["seen_before"][0]["why"] == "the same error"


def test_a_run_with_coloured_output_comes_back_from_an_export(cli, project: Path, tmp_path: Path) -> None:
    """A verification's output is what the command printed (colours, a progress bar redrawn
    with CR): exported and imported into another store, the run must come back, not be refused."""
    coloured = script(
        project,
        "coloured.py",
        "import sys\nsys.stdout.write(' 10%\\r100%\\r\\n\\x1b[32m===== 2 passed in 0.1s =====\\x1b[0m\\n')\n",
    )
    assert cli("run", "--json", "--what", "colours survive", "--", PY, coloured).code == 0
    export = tmp_path / "all.jsonl"
    assert cli("export", "--format", "jsonl", "-o", str(export)).code == 0
    [record] = [json.loads(line) for line in export.read_text().splitlines()]
    assert [event["type"] for event in record["events"]] == ["verification"]
    other_db = tmp_path / "other.db"
    result = cli("--db", str(other_db), "import", str(export), "--json")
    assert result.code == 0, result.err
    [report] = result.json()
    assert (report["added"], report["events_added"], report["refused"], report["events_refused"]) == (
        1,
        1,
        0,
        0,
    )
    [(_, _, data)] = events(other_db)
    assert "\x1b" not in data and "\\u001b" not in data and "\\r" not in data
    assert "2 passed" in json.loads(data)["output_tail"]
