"""Looking into a store file directly with sqlite3, as a test checks what is on disk."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def raw_connection(path: Path | str) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection, committed and closed at the end of the block.

    ``with sqlite3.connect(...)`` only commits: the connection stays open until the
    garbage collector finds it, keeping SQLite's shared-memory index of the file
    mapped in this process. A test that then puts the files back as a crash left
    them (tests/reliability/test_kill9.py) had its later connections read through
    that stale index and "lose" committed entries.
    """
    connection = sqlite3.connect(path)
    try:
        with connection:
            yield connection
    finally:
        connection.close()
