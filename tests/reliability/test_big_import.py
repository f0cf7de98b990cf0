"""A big log (read in pieces by worker processes) imported twice at once, or killed half-way
and imported again: the store and the mirror end as after one clean import.

The log is someone else's file (``old-log.md``), so every entry taken is also appended to
the project's HANDOFF.md / INCIDENTS.md: a doubled import would show as doubled lines.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.seed_logs import write_log
from storage import parallel_import
from storage.markdown_import import PARALLEL_FROM_BYTES
from storage.mirror import scan
from storage.store import Store
from tests.sqlite_rows import raw_connection
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(
    not parallel_import.can_read_in_pieces(), reason="reading in pieces needs fork and two CPUs"
)

LOGBOOK = str(Path(sys.executable).with_name("logbook"))
Clean = tuple[dict[str, object], list[tuple[object, ...]], dict[str, int]]
"""One clean import's report, stored rows and mirror lines per entry id."""


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("log") / "old-log.md"
    write_log(path, PARALLEL_FROM_BYTES * 1.2 / 1e6)  # just big enough to be read in pieces
    return path


def _import(db: Path, project: Path, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [LOGBOOK, "--db", str(db), "--project", str(project), "--json", "import", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    [report] = json.loads(out)
    return report


def _state(db: Path, project: Path) -> tuple[list[tuple[object, ...]], dict[str, int]]:
    """Every stored entry (its id and words), and how many mirror lines each id has."""
    with raw_connection(db) as connection:
        rows = connection.execute("SELECT id, kind, created_at, raw FROM entry ORDER BY id").fetchall()
    lines: dict[str, int] = {}
    for name in ("HANDOFF.md", "INCIDENTS.md"):
        for entry_id, count in scan(project / name).anchors.items():
            lines[entry_id] = lines.get(entry_id, 0) + count
    return rows, lines


@pytest.fixture(scope="module")
def one_clean_import(
    big_log: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, object], list[tuple[object, ...]], dict[str, int]]:
    root = tmp_path_factory.mktemp("clean")
    (root / "project").mkdir()
    report = _finished(_import(root / "logbook.db", root / "project", big_log))
    rows, lines = _state(root / "logbook.db", root / "project")
    assert report["added"] == len(rows) > 10_000  # (more than one batch, more than one piece)
    assert set(lines.values()) == {1} and lines.keys() == {row[0] for row in rows}
    return report, rows, lines


def _empty(root: Path) -> tuple[Path, Path]:
    """A project directory and a new store (its schema made before the imports race)."""
    (root / "project").mkdir()
    Store.open(root / "logbook.db").close()
    return root / "project", root / "logbook.db"


def test_two_imports_of_one_big_log_at_once_store_it_once(
    big_log: Path, tmp_path: Path, one_clean_import: Clean
) -> None:
    _, clean_rows, clean_lines = one_clean_import
    project, db = _empty(tmp_path)
    reports = [_finished(process) for process in [_import(db, project, big_log) for _ in range(2)]]
    rows, lines = _state(db, project)
    assert rows == clean_rows
    assert lines == clean_lines  # every entry's line once: none lost, none doubled
    assert sum(int(str(report["added"])) for report in reports) == len(clean_rows)


def test_an_import_killed_half_way_then_run_again_ends_as_one_clean_import(
    big_log: Path, tmp_path: Path, one_clean_import: Clean
) -> None:
    _, clean_rows, clean_lines = one_clean_import
    project, db = _empty(tmp_path)
    first = _import(db, project, big_log)

    def stored() -> int:
        with raw_connection(db) as connection:
            return int(connection.execute("SELECT count(*) FROM entry").fetchone()[0])

    wait_until(lambda: stored() > 0 or first.poll() is not None, "a first batch stored")
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    half = stored()
    assert 0 < half < len(clean_rows), "killed after the first batch, before the last"

    again = _finished(_import(db, project, big_log))
    assert again["added"] == len(clean_rows) - half
    assert again["already_in_store"] == half
    rows, lines = _state(db, project)
    assert rows == clean_rows
    assert lines == clean_lines
