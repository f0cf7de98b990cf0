"""Store.held_transaction: a big import's rows written as they come, committed in thousands."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.kinds import Kind
from storage.store import NewEntry, Store
from storage.writing import prepare_row
from tests.conftest import FakeClock

START = datetime(2025, 12, 14, 9, 0, tzinfo=UTC)


def _rows(project: str, first: int, count: int) -> list[tuple[object, ...]]:
    rows = []
    for number in range(first, first + count):
        item = NewEntry(
            Kind.HANDOFF,
            {"what": f"Moved table {number} to the new schema"},
            created_at=START + timedelta(minutes=number),
            id=f"{number:016x}",
        )
        row = prepare_row(project, item, "import", strict=False, clock=lambda: START).row
        assert row is not None
        rows.append(row)
    return rows


def _stored_elsewhere(path: Path) -> int:
    """What another process sees (committed rows only)."""
    with sqlite3.connect(path) as other:
        return int(other.execute("SELECT count(*) FROM entry").fetchone()[0])


def _can_write_elsewhere(path: Path) -> bool:
    """True when another process could take the write lock now (no transaction held)."""
    other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def test_writes_join_one_transaction_until_it_is_committed(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "logbook.db", clock=FakeClock())
    project = str(tmp_path)
    with store.held_transaction() as commit:
        store.write_rows(project, _rows(project, 0, 3), mirror=False)
        store.write_rows(project, _rows(project, 3, 2), mirror=False)
        assert store.count(project) == 5  # this connection sees its own rows...
        assert _stored_elsewhere(store.path) == 0  # ...no one else does yet
        assert not _can_write_elsewhere(store.path)
        commit()
        assert _stored_elsewhere(store.path) == 5
        assert _can_write_elsewhere(store.path)  # the lock is let go of between commits
        store.write_rows(project, _rows(project, 5, 1), mirror=False)
        assert _stored_elsewhere(store.path) == 5
    assert _stored_elsewhere(store.path) == 6  # committed when the block ends
    assert _can_write_elsewhere(store.path)
    store.write_rows(project, _rows(project, 6, 1), mirror=False)  # outside: committed at once
    assert _stored_elsewhere(store.path) == 7


def test_a_failure_rolls_back_what_was_written_since_the_last_commit(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "logbook.db", clock=FakeClock())
    project = str(tmp_path)
    with pytest.raises(OSError), store.held_transaction() as commit:
        store.write_rows(project, _rows(project, 0, 3), mirror=False)
        commit()
        store.write_rows(project, _rows(project, 3, 4), mirror=False)
        raise OSError(28, "No space left on device")
    assert _stored_elsewhere(store.path) == store.count(project) == 3
    assert _can_write_elsewhere(store.path)
    store.write_rows(project, _rows(project, 3, 4), mirror=False)  # writes commit again as usual
    assert _stored_elsewhere(store.path) == 7


def test_a_write_that_fails_takes_the_uncommitted_writes_with_it_and_nothing_is_torn(
    tmp_path: Path,
) -> None:
    # A caller that goes on after a failed write: nothing of that write is stored, nor what
    # was written since the last commit (never a part of a write), and later writes are.
    store = Store.open(tmp_path / "logbook.db", clock=FakeClock())
    project = str(tmp_path)
    with store.held_transaction() as commit:
        store.write_rows(project, _rows(project, 0, 1), mirror=False)
        commit()
        store.write_rows(project, _rows(project, 1, 2), mirror=False)
        broken = _rows(project, 3, 2)
        broken[1] = (*broken[1][:2], "not a kind", *broken[1][3:])  # the CHECK on kind fails
        with pytest.raises(sqlite3.IntegrityError):
            store.write_rows(project, broken, mirror=False)
        assert _can_write_elsewhere(store.path)
        store.write_rows(project, _rows(project, 5, 1), mirror=False)
    with sqlite3.connect(store.path) as other:
        ids = [row[0] for row in other.execute("SELECT id FROM entry ORDER BY id")]
    assert ids == [f"{n:016x}" for n in (0, 5)]
