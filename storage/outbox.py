"""Getting promised mirror lines onto disk exactly once, even across crashes.

An entry and its mirror line are committed to the store in one transaction
(the line as a ``pending`` outbox row). Flushing then, under the mirror file's
lock: marks the rows ``writing`` with the offset they go to, appends and
fsyncs, and deletes them (done). A crash between those steps leaves ``writing``
rows, which the next flush (any process, while holding the lock, so nobody is
mid-write) settles by looking at the bytes past the recorded offset: lines
that made it are kept, a torn last line of ours is cut off (only when its
bytes are the start of a line we were writing: text typed there after the
crash is never cut), the rest is written again.
"""

from __future__ import annotations

import sqlite3
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.db import immediate
from storage.mirror import HEADERS, Appender, MirrorWriteError, open_for_append
from storage.mirror_format import ANCHOR_RE


@dataclass(frozen=True)
class FlushResult:
    file: Path
    written: int
    error: str | None = None


def pending_count(connection: sqlite3.Connection, project: str, file: str | None = None) -> int:
    sql = "SELECT count(*) FROM mirror_outbox WHERE project = ? AND state != 'done'"
    args: tuple[str, ...] = (project,)
    if file:
        sql += " AND file = ?"
        args += (file,)
    return int(connection.execute(sql, args).fetchone()[0])


def pending_errors(connection: sqlite3.Connection, project: str) -> list[tuple[str, str, str | None]]:
    """(file, item id, last error) of every line not yet on disk."""
    return connection.execute(
        "SELECT file, item_id, error FROM mirror_outbox WHERE project = ? AND state != 'done' ORDER BY seq",
        (project,),
    ).fetchall()


def flush(connection: sqlite3.Connection, project: str, file: str) -> FlushResult:
    """Append every pending line of ``project``'s ``file``, in the order promised."""
    path = Path(project) / file
    if not pending_count(connection, project, file):
        return FlushResult(path, 0)
    try:
        with open_for_append(path) as appender:
            rows = connection.execute(
                "SELECT seq, item_id, line, state, file_offset, check_first FROM mirror_outbox"
                " WHERE project = ? AND file = ? AND state != 'done' ORDER BY seq",
                (project, file),
            ).fetchall()
            settled = _recover(appender, [r for r in rows if r[3] == "writing"])
            todo = [r for r in rows if r[0] not in settled]
            todo = _not_yet_written(appender, todo)
            if todo:
                offset, data = appender.encode([r[2] for r in todo])
                _mark(connection, [r[0] for r in todo], "writing", offset)
                appender.write(offset, data)
            _mark(connection, [r[0] for r in rows], "done", None)
            return FlushResult(path, len(todo))
    except MirrorWriteError as error:
        message = error.strerror or str(error)
        connection.execute(
            "UPDATE mirror_outbox SET error = ? WHERE project = ? AND file = ? AND state != 'done'",
            (message, project, file),
        )
        return FlushResult(path, 0, message)


def _recover(appender: Appender, writing: list[tuple[int, str, str, str, int]]) -> set[int]:
    """Outbox rows whose lines a crashed writer did get onto disk."""
    if not writing:
        return set()
    start = min(row[4] for row in writing)
    tail = appender.read_from(start)
    newline = appender.newline_bytes()
    end = tail.rfind(newline)
    while end > 0 and len(newline) == 2 and end % 2:
        end = tail.rfind(newline, 0, end)
    complete = tail[: end + len(newline)] if end >= 0 else b""
    encoding = "utf-8" if len(newline) == 1 else ("utf-16-le" if newline[0] else "utf-16-be")
    torn = tail[len(complete) :]
    if torn and _is_ours(torn, [row[2] for row in writing], encoding, appender.path.name, start):
        appender.truncate(start + len(complete))
    present = {
        match.group("id")
        for line in complete.decode(encoding, errors="replace").splitlines()
        if (match := ANCHOR_RE.search(line))
    }
    return {row[0] for row in writing if row[1] in present}


def _not_yet_written(appender: Appender, rows: list[Any]) -> list[Any]:
    """The rows whose line the file does not show yet, one per item: a line is never doubled.

    A row can be promised for an item the file already has: an export restored into a
    new store for the same checkout, a repair queued while the file could not be read.
    Those rows are marked ``check_first`` and only they make the file be read; a new
    entry's line cannot be there, so adding one costs the same at any file size.
    """
    suspects = list(dict.fromkeys(row[1] for row in rows if row[5]))
    written = appender.holds(suspects) if suspects else set()
    todo = []
    for row in rows:
        if row[1] not in written:
            written.add(row[1])
            todo.append(row)
    return todo


def _is_ours(torn: bytes, lines: list[str], encoding: str, name: str, start: int) -> bool:
    """True when ``torn`` (an unfinished last line) is the start of a line a crashed writer
    was appending: only then is it cut. Anything else there was written by someone else
    after the crash (say, an editor that adds no final line break) and is kept."""
    candidates = [f"{line}\r\n" for line in lines]
    if start == 0:  # the header goes in front of the first lines of a new file
        candidates += HEADERS.get(name, "").splitlines(keepends=True)
    return any(candidate.encode(encoding).startswith(torn) for candidate in candidates)


def _mark(connection: sqlite3.Connection, seqs: list[int], state: str, offset: int | None) -> None:
    """Mark the rows in one transaction, committed before this returns (the append that
    follows relies on it). A commit per statement made a mirrored 50 MB import's flush sync
    the disk 793 times (17 now): seconds, where a sync takes milliseconds."""
    with immediate(connection) if not connection.in_transaction else nullcontext():
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            marks = ",".join("?" * len(chunk))
            if state == "done":  # on disk: the row has served its purpose
                connection.execute(f"DELETE FROM mirror_outbox WHERE seq IN ({marks})", chunk)
            else:
                connection.execute(
                    f"UPDATE mirror_outbox SET state = ?, file_offset = ? WHERE seq IN ({marks})",
                    (state, offset, *chunk),
                )
