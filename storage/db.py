"""Opening the SQLite file: WAL, a busy timeout, foreign keys (the schema is upgraded by storage.schema)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_MS = 15_000
"""How long a writer waits for another process's transaction before giving up."""
CACHE_KIB = 32_768
"""Page cache per connection: bulk imports touch the entry table, four indexes and the
full-text index at once, and the default 2 MB made them thrash (3x slower)."""


def default_db_path() -> Path:
    """``LOGBOOK_DB``, else ``<user data dir>/logbook/logbook.db``."""
    override = os.environ.get("LOGBOOK_DB")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("logbook", appauthor=False)) / "logbook.db"


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: transactions are begun explicitly."""
    connection = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return connection


PAGE_SIZE = 8192
"""Bytes per page of a new database (an existing one keeps its own): entries with their
raw text run to a kilobyte, and 8 KiB pages took 10% off storing a 50 MB import."""


def enable_wal(connection: sqlite3.Connection) -> str:
    """Switch the file to write-ahead logging (persistent); return the mode in force.

    A database not yet written gets PAGE_SIZE first (only possible before WAL)."""
    connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    return str(connection.execute("PRAGMA journal_mode = WAL").fetchone()[0])


@contextmanager
def immediate(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``connection`` in one IMMEDIATE transaction (the write lock taken at once): committed
    when the block ends, rolled back when it fails."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
