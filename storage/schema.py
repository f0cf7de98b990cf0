"""The database schema, one numbered step at a time.

``PRAGMA user_version`` records how many steps a database has had; opening a
database runs the steps it is missing, each in its own transaction. A step is
never edited once released: change the schema by appending a step (and a test
that opens a database made by the previous one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

V1 = """
CREATE TABLE entry (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('handoff', 'incident', 'decision', 'note')),
    created_at TEXT NOT NULL,
    author TEXT,
    branch TEXT,
    git_commit TEXT,
    source TEXT NOT NULL CHECK (source IN ('tui', 'cli', 'import', 'sync', 'run')),
    tags TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    supersedes TEXT REFERENCES entry(id),
    raw TEXT,
    what TEXT, why TEXT, verify TEXT, expected TEXT, now TEXT, next TEXT,
    symptom TEXT, cause TEXT, fix TEXT, severity TEXT, status TEXT,
    decision TEXT, consequences TEXT, text TEXT
);
CREATE INDEX entry_by_time ON entry(project, created_at DESC, seq DESC);
CREATE INDEX entry_by_kind_time ON entry(project, kind, created_at DESC, seq DESC);
CREATE INDEX entry_by_fingerprint ON entry(project, kind, fingerprint);
CREATE INDEX entry_by_supersedes ON entry(supersedes) WHERE supersedes IS NOT NULL;

CREATE VIRTUAL TABLE entry_fts USING fts5(
    summary, body, tags, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER entry_fts_insert AFTER INSERT ON entry BEGIN
    INSERT INTO entry_fts(rowid, summary, body, tags)
    VALUES (new.seq, new.summary,
        coalesce(new.what || char(10), '') ||
        coalesce(new.why || char(10), '') ||
        coalesce(new.verify || char(10), '') ||
        coalesce(new.expected || char(10), '') ||
        coalesce(new.now || char(10), '') ||
        coalesce(new.next || char(10), '') ||
        coalesce(new.symptom || char(10), '') ||
        coalesce(new.cause || char(10), '') ||
        coalesce(new.fix || char(10), '') ||
        coalesce(new.decision || char(10), '') ||
        coalesce(new.consequences || char(10), '') ||
        coalesce(new.text || char(10), '') ||
        coalesce(new.raw || char(10), ''),
        new.tags);
END;
CREATE TRIGGER entry_fts_delete AFTER DELETE ON entry BEGIN
    DELETE FROM entry_fts WHERE rowid = old.seq;
END;

CREATE TABLE event (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    entry_id TEXT NOT NULL REFERENCES entry(id),
    type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    at TEXT,
    author TEXT,
    source TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX event_by_entry ON event(entry_id, type, seq DESC);

CREATE TABLE draft (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    kind TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '{}',
    supersedes TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX draft_by_project ON draft(project, updated_at DESC);

CREATE TABLE mirror_outbox (
    seq INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    file TEXT NOT NULL,
    item_id TEXT NOT NULL,
    line TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'writing', 'done')),
    file_offset INTEGER,
    error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX mirror_outbox_pending ON mirror_outbox(project, state) WHERE state != 'done';
"""

V2 = """
ALTER TABLE entry ADD COLUMN origin TEXT;
CREATE TABLE sync_state (
    project TEXT NOT NULL,
    file TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (project, file)
);
DROP TRIGGER entry_fts_insert;
"""
"""Where imported entries came from (file and line), and how far each mirror file was read.

The full-text index is no longer filled by a per-row trigger: the store fills it with
FTS_FILL in the same transaction, one statement per batch. Row by row, FTS5 flushed its
pending terms for every entry, which made a bulk import 2.5x slower (2.39 s against 0.94 s
for 48k entries); it also stops copying an imported entry's raw text, whose words its
fields already hold."""

FTS_FILL = """
INSERT INTO entry_fts(rowid, summary, body, tags)
SELECT seq, summary,
    coalesce(what || char(10), '') ||
    coalesce(why || char(10), '') ||
    coalesce(verify || char(10), '') ||
    coalesce(expected || char(10), '') ||
    coalesce(now || char(10), '') ||
    coalesce(next || char(10), '') ||
    coalesce(symptom || char(10), '') ||
    coalesce(cause || char(10), '') ||
    coalesce(fix || char(10), '') ||
    coalesce(decision || char(10), '') ||
    coalesce(consequences || char(10), '') ||
    coalesce(text || char(10), ''),
    tags
FROM entry WHERE seq > ? AND seq <= ?
"""
"""Index the entries with ``seq`` in (first, last]: called by every write that adds entries."""

V3 = """
CREATE TABLE work_session (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    title TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    explicit INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX work_session_by_project ON work_session(project, started_at DESC);
ALTER TABLE entry ADD COLUMN session_id TEXT REFERENCES work_session(id);
ALTER TABLE entry ADD COLUMN signature TEXT;
CREATE INDEX entry_by_session ON entry(session_id, created_at);
CREATE INDEX entry_by_signature ON entry(project, signature) WHERE signature IS NOT NULL;
"""


def _v3(connection: sqlite3.Connection) -> None:
    """Sessions and error signatures; existing entries are put in sessions by 2-hour gaps."""
    import os
    from datetime import datetime, timedelta

    from storage.signature import error_signature

    for statement in _statements(V3):
        connection.execute(statement)
    gap = timedelta(hours=2)  # frozen here: a later change of the default must not change this step
    projects = [row[0] for row in connection.execute("SELECT DISTINCT project FROM entry")]
    for project in projects:
        rows = connection.execute(
            "SELECT seq, created_at FROM entry WHERE project = ? ORDER BY created_at, seq", (project,)
        ).fetchall()
        times = [datetime.fromisoformat(created) for _, created in rows]
        start = 0
        for index in range(1, len(rows) + 1):
            if index < len(rows) and times[index] - times[index - 1] <= gap:
                continue
            session_id = os.urandom(8).hex()
            first, last = rows[start][1], rows[index - 1][1]
            connection.execute(
                "INSERT INTO work_session (id, project, title, started_at, ended_at) VALUES (?, ?, ?, ?, ?)",
                (session_id, project, f"Session of {times[start]:%Y-%m-%d %H:%M}", first, last),
            )
            connection.executemany(
                "UPDATE entry SET session_id = ? WHERE seq = ?",
                [(session_id, seq) for seq, _ in rows[start:index]],
            )
            start = index
    incidents = connection.execute("SELECT seq, symptom FROM entry WHERE kind = 'incident'").fetchall()
    connection.executemany(
        "UPDATE entry SET signature = ? WHERE seq = ?",
        [(error_signature(symptom or ""), seq) for seq, symptom in incidents],
    )


V4 = """
ALTER TABLE mirror_outbox ADD COLUMN check_first INTEGER NOT NULL DEFAULT 0;
"""
"""Mirror lines that may already be in the file (a restore, a repair) are checked for before
they are appended; a fresh entry's line cannot be there, so its append does not read the file."""

V5 = """
DROP INDEX entry_by_fingerprint;
CREATE INDEX entry_by_fingerprint ON entry(fingerprint);
DROP INDEX entry_by_signature;
CREATE INDEX entry_by_signature ON entry(signature) WHERE signature IS NOT NULL;

DROP TRIGGER entry_fts_delete;
DROP TABLE entry_fts;
CREATE VIEW entry_fts_source AS
    SELECT seq, summary,
        coalesce(what || char(10), '') ||
        coalesce(why || char(10), '') ||
        coalesce(verify || char(10), '') ||
        coalesce(expected || char(10), '') ||
        coalesce(now || char(10), '') ||
        coalesce(next || char(10), '') ||
        coalesce(symptom || char(10), '') ||
        coalesce(cause || char(10), '') ||
        coalesce(fix || char(10), '') ||
        coalesce(decision || char(10), '') ||
        coalesce(consequences || char(10), '') ||
        coalesce(text || char(10), '') AS body,
        tags
    FROM entry;
CREATE VIRTUAL TABLE entry_fts USING fts5(
    summary, body, tags, content = 'entry_fts_source', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO entry_fts(entry_fts) VALUES ('rebuild');
CREATE TRIGGER entry_fts_delete AFTER DELETE ON entry BEGIN
    INSERT INTO entry_fts(entry_fts, rowid, summary, body, tags)
    VALUES ('delete', old.seq, old.summary,
        coalesce(old.what || char(10), '') ||
        coalesce(old.why || char(10), '') ||
        coalesce(old.verify || char(10), '') ||
        coalesce(old.expected || char(10), '') ||
        coalesce(old.now || char(10), '') ||
        coalesce(old.next || char(10), '') ||
        coalesce(old.symptom || char(10), '') ||
        coalesce(old.cause || char(10), '') ||
        coalesce(old.fix || char(10), '') ||
        coalesce(old.decision || char(10), '') ||
        coalesce(old.consequences || char(10), '') ||
        coalesce(old.text || char(10), ''),
        old.tags);
END;
"""
"""Digest indexes without the project path and kind in every index row: a digest alone
finds its one or two rows (the queries still check project and kind), and the smaller
indexes take 0.9 s off storing a 50 MB import (SQLite's part: 5.98 s -> 5.12 s).

The full-text index no longer keeps its own copy of every entry's words: it reads them
from the entry table (through a view that joins the fields into the body it indexes)
when it highlights a hit. A 50 MB import's database is 50 MB smaller and stored
0.3 s sooner. Still filled by FTS_FILL, in the transaction that adds the entries."""

STEPS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (V1, V2, _v3, V4, V5)
"""STEPS[n] brings a database from version n to version n + 1: SQL, or a function for
steps that must compute (grouping old entries into sessions)."""

SCHEMA_VERSION = len(STEPS)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer logbook than this one."""


def schema_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def upgrade(connection: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Run the missing steps up to ``target``; return the version the database had."""
    found = schema_version(connection)
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"this database has schema version {found}; this logbook knows up to "
            f"{SCHEMA_VERSION}: upgrade logbook"
        )
    for version in range(found, target):
        connection.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have upgraded while we waited for the lock.
            if schema_version(connection) > version:
                connection.execute("COMMIT")
                continue
            step = STEPS[version]
            if callable(step):
                step(connection)
            else:
                for statement in _statements(step):
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return found


def _statements(script: str) -> list[str]:
    """Split a script on ';' at statement ends, keeping trigger bodies whole."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
