"""Mirror lines reach the file exactly once, even after crashes and write errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.kinds import Kind
from storage.store import Store
from tests.sqlite_rows import raw_connection

HANDOFF = {
    "what": "Implemented GET /requests/{id}",
    "verify": "python -m pytest -q",
    "expected": "4 passed",
}


def outbox_states(db_path: Path) -> list[tuple[str, str]]:
    with raw_connection(db_path) as connection:
        return connection.execute("SELECT item_id, state FROM mirror_outbox ORDER BY seq").fetchall()


def test_unwritable_mirror_keeps_the_entry_pending_and_repair_finishes(
    store: Store, project: Path, db_path: Path
) -> None:
    (project / "HANDOFF.md").mkdir()  # a directory where the file should be
    saved = store.add(str(project), Kind.HANDOFF, HANDOFF)
    assert saved.mirror_error and "directory" in saved.mirror_error
    assert store.get(saved.entry.id).summary == HANDOFF["what"]
    [report, _] = store.mirror_check(str(project))
    assert report.pending and saved.entry.id in report.pending[0]
    assert any("directory" in p for p in report.problems)
    (project / "HANDOFF.md").rmdir()
    results = store.mirror_repair(str(project))
    assert sum(r.written for r in results) == 1
    assert (project / "HANDOFF.md").read_text().count(saved.entry.id) == 1
    assert all(r.clean for r in store.mirror_check(str(project)))


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root writes read-only files; tests/reliability/test_disk_faults.py fails writes for root",
)
def test_read_only_mirror_is_reported_not_lost(store: Store, project: Path) -> None:
    path = project / "HANDOFF.md"
    path.write_text("# mine\n")
    path.chmod(0o444)
    try:
        saved = store.add(str(project), Kind.HANDOFF, HANDOFF)
    finally:
        path.chmod(0o644)
    assert saved.mirror_error
    assert path.read_text() == "# mine\n"


def pretend_crashed_while_writing(db_path: Path, project: Path, entry_id: str, offset: int) -> None:
    """Put back the outbox row a writer killed between its append and its bookkeeping leaves."""
    line = next(text for text in (project / "HANDOFF.md").read_text().splitlines() if entry_id in text)
    with raw_connection(db_path) as connection:
        connection.execute(
            "INSERT INTO mirror_outbox (project, file, item_id, line, state, file_offset, created_at)"
            " VALUES (?, 'HANDOFF.md', ?, ?, 'writing', ?, '2025-12-13T20:49:00.000000Z')",
            (str(project), entry_id, line, offset),
        )


def test_crash_after_append_before_done_is_not_written_twice(
    store: Store, project: Path, db_path: Path
) -> None:
    path = project / "HANDOFF.md"
    path.write_text("# mine\n")
    saved = store.add(str(project), Kind.HANDOFF, HANDOFF)
    pretend_crashed_while_writing(db_path, project, saved.entry.id, len("# mine\n"))
    store.flush_mirror(str(project))
    assert path.read_text().count(saved.entry.id) == 1
    assert outbox_states(db_path) == []


def test_torn_append_is_cut_back_and_rewritten(store: Store, project: Path, db_path: Path) -> None:
    path = project / "HANDOFF.md"
    path.write_text("# mine\n- teammate line\n")
    offset = path.stat().st_size
    saved = store.add(str(project), Kind.HANDOFF, HANDOFF)
    full = path.read_bytes()
    pretend_crashed_while_writing(db_path, project, saved.entry.id, offset)
    path.write_bytes(full[: offset + 25])  # the writer died half-way through its line
    store.flush_mirror(str(project))
    assert path.read_bytes() == full
    assert outbox_states(db_path) == []


def test_deleted_project_directory_keeps_the_entry(store: Store, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    saved = store.add(str(gone), Kind.NOTE, {"text": "written after the checkout was deleted"})
    assert saved.mirror_error and "does not exist" in saved.mirror_error
    assert store.count(str(gone)) == 1
    assert store.pending_mirror(str(gone)) == 1


def test_check_finds_truncation_and_repair_appends_in_order(store: Store, project: Path) -> None:
    first = store.add(str(project), Kind.NOTE, {"text": "alpha"})
    second = store.add(str(project), Kind.NOTE, {"text": "bravo charlie"})
    path = project / "HANDOFF.md"
    kept = path.read_text().split("- ")[0]
    path.write_text(kept + "my own text\n")  # truncated from outside (say, a bad merge)
    handoff_report = store.mirror_check(str(project))[0]
    assert [e.id for e in handoff_report.missing] == [first.entry.id, second.entry.id]
    store.mirror_repair(str(project))
    text = path.read_text()
    assert text.startswith(kept + "my own text\n")
    assert text.index(first.entry.id) < text.index(second.entry.id)
    assert store.mirror_check(str(project))[0].clean
