"""A store made by every earlier schema version, with realistic rows in every one of its
tables, opens and upgrades keeping every row; the upgraded database has the same shape as
a new one, finds every old entry by search, and works (old pending mirror lines are
written, new entries are added). A kill -9 in the middle of an upgrade step loses nothing.

The versions come from storage.schema.STEPS, so a new step is covered the day it is added;
a table this file does not know gets a row built from its columns (and the test says so
if that is not possible: then teach ``ROWS`` the new table).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storage.clock import parse_zone
from storage.db import connect
from storage.kinds import Kind, field_names
from storage.schema import FTS_FILL, SCHEMA_VERSION, schema_version, upgrade
from storage.similarity import fingerprint
from storage.store import Store
from tests.reliability.invariants import audit
from tests.sqlite_rows import raw_connection

ZONE = parse_zone("Europe/Moscow")
ROOT = Path(__file__).resolve().parents[2]

# id, project (0 or 1), kind, created_at, fields, tags, source, supersedes, raw, origin
ENTRIES: list[tuple[Any, ...]] = [
    ("a1b2c3d4e5f60001", 0, "handoff", "2025-12-13T19:40:00.000000Z",
     {"what": "Implemented GET /requests/{id} zebrafinch", "why": "the UI needs it",
      "verify": "python -m pytest -q tests/api", "expected": "4 passed", "now": "API up on 8002",
      "next": "wire the list\nthen the detail"}, "api backend", "cli", None, None, None),
    ("a1b2c3d4e5f60002", 0, "incident", "2025-12-13T20:49:00.000000Z",
     {"symptom": 'pytest failed with "Event loop is closed" quetzal', "cause": "engine not disposed",
      "fix": "lifespan + engine.dispose()", "verify": "python -m pytest -q", "expected": "2 passed",
      "severity": "SEV2", "status": "resolved"}, "tests", "tui", None, None, None),
    ("a1b2c3d4e5f60003", 0, "incident", "2025-12-14T01:10:00.000000Z",
     {"symptom": "Uvicorn failed to bind on 0.0.0.0:8000 axolotl", "cause": "unknown",
      "severity": "SEV3", "status": "open"}, "", "cli", None, None, None),
    ("a1b2c3d4e5f60004", 0, "decision", "2025-12-14T01:30:00.000000Z",
     {"decision": "snake_case for new API schemas narwhal", "why": "the contract says so",
      "consequences": "rename two fields"}, "api", "import", None,
     "2025-12-14 04:30 MSK Decision: snake_case for new API schemas narwhal", "HANDOFF.md:12"),
    ("a1b2c3d4e5f60005", 0, "note", "2025-12-14T09:00:00.000000Z",
     {"text": "ports 8000-8002 are ours — ocelot\nask before binding"}, "", "sync", None, None, None),
    ("a1b2c3d4e5f60006", 0, "handoff", "2025-12-14T09:05:00.000000Z",
     {"what": "Follow-up: cursor pagination pangolin", "verify": "make test", "expected": "ok"},
     "api", "cli", "a1b2c3d4e5f60001", None, None),
    ("a1b2c3d4e5f60007", 1, "note", "2025-12-15T12:00:00.000000Z",
     {"text": "the other project: Ünïcödé, emoji 🦉 and `code` wombat"}, "misc", "run", None, None, None),
    ("a1b2c3d4e5f60008", 1, "incident", "2025-12-15T12:30:00.000000Z",
     {"symptom": "ImportError: cannot import name 'x' from 'y' (/srv/app/y.py) capybara",
      "cause": "circular import", "fix": "moved the import", "status": "mitigated"}, "", "cli", None,
     None, None),
]  # fmt: skip
PENDING = "a1b2c3d4e5f60005"
"""An entry whose mirror line the old logbook had promised (outbox) but not written yet."""


def _summary(kind: str, fields: dict[str, str]) -> str:
    main = {"handoff": "what", "incident": "symptom", "decision": "decision", "note": "text"}[kind]
    return " ".join(fields[main].split())[:160]


def rows_for(table: str, projects: list[str]) -> list[dict[str, Any]]:
    """Realistic rows of a table, as an older logbook wrote them (columns of any version)."""
    if table == "entry":
        rows = []
        for id_, project, kind, created, fields, tags, source, supersedes, raw, origin in ENTRIES:
            row = {
                "id": id_,
                "project": projects[project],
                "kind": kind,
                "created_at": created,
                "author": "Ada Lovelace",
                "branch": "main",
                "git_commit": "3f2a9c1e0b7d4e21aa0b1c2d3e4f5a6b7c8d9e0f",
                "source": source,
                "tags": tags,
                "summary": _summary(kind, fields),
                "fingerprint": fingerprint(Kind(kind), fields),
                "supersedes": supersedes,
                "raw": raw,
                "origin": origin,
                "session_id": None,
                "signature": None,
            }
            row.update({name: fields.get(name) for name in field_names(Kind(kind))})
            rows.append(row)
        return rows
    if table == "event":
        data = {"status": "resolved", "previous": "open", "note": "moved to port 8002"}
        return [
            {"id": "e1e2e3e4e5e60001", "entry_id": "a1b2c3d4e5f60002", "type": "status",
             "created_at": "2025-12-13T21:00:00.000000Z", "at": None, "author": "Ada Lovelace",
             "source": "cli", "data": json.dumps(data)},
            {"id": "e1e2e3e4e5e60002", "entry_id": "a1b2c3d4e5f60008", "type": "status",
             "created_at": "2025-12-15T13:00:00.000000Z", "at": "2025-12-15T12:55:00.000000Z",
             "author": "Bob", "source": "tui", "data": json.dumps({"status": "mitigated", "previous": "open"})},
        ]  # fmt: skip
    if table == "draft":
        return [
            {"id": "d1d2d3d4d5d60001", "project": projects[0], "kind": "incident",
             "fields": json.dumps({"symptom": "half typed", "cause": ""}), "supersedes": None,
             "updated_at": "2025-12-14T10:00:00.000000Z"},
            {"id": "d1d2d3d4d5d60002", "project": projects[1], "kind": "handoff",
             "fields": json.dumps({"what": "follow-up in progress"}), "supersedes": "a1b2c3d4e5f60007",
             "updated_at": "2025-12-15T12:10:00.000000Z"},
        ]  # fmt: skip
    if table == "mirror_outbox":
        line = f"- 2025-12-14 12:00 MSK — Note — ports 8000-8002 are ours <!-- logbook:{PENDING} -->"
        return [
            {"project": projects[0], "file": "HANDOFF.md", "item_id": PENDING, "line": line,
             "state": "pending", "file_offset": None, "error": "disk full",
             "created_at": "2025-12-14T09:00:01.000000Z"},
        ]  # fmt: skip
    if table == "sync_state":
        return [
            {"project": projects[0], "file": "INCIDENTS.md", "size": 0, "mtime_ns": 0, "digest": "0" * 32}
        ]
    if table == "work_session":
        return [
            {"id": "5e5e5e5e5e5e0001", "project": projects[1], "title": "Friday afternoon",
             "started_at": "2025-12-15T11:55:00.000000Z", "ended_at": None, "explicit": 1},
        ]  # fmt: skip
    return []


def _generic_row(connection: sqlite3.Connection, table: str) -> dict[str, Any]:
    """A row for a table this file does not know: a value for every column that needs one."""
    row: dict[str, Any] = {}
    for _, name, declared, notnull, default, pk in connection.execute(f"PRAGMA table_info({table})"):
        if pk and declared.upper() == "INTEGER":
            continue
        if notnull or pk or default is None:
            row[name] = 1 if "INT" in declared.upper() else f"{table}-{name}"
    return row


def tables(connection: sqlite3.Connection) -> list[str]:
    """Real tables (not FTS5 internals, not sqlite's own)."""
    names = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return [n for n in names if not n.startswith("entry_fts")]


def make_old_store(path: Path, version: int, projects: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """A database at schema ``version`` holding rows in every table; returns what it holds."""
    connection = connect(path)
    upgrade(connection, target=version)
    assert schema_version(connection) == version
    connection.execute("PRAGMA foreign_keys = OFF")
    connection.execute("BEGIN")
    for table in tables(connection):
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        rows = rows_for(table, projects) or [_generic_row(connection, table)]
        for row in rows:
            kept = {k: v for k, v in row.items() if k in columns}
            marks = ", ".join("?" * len(kept))
            connection.execute(
                f"INSERT INTO {table} ({', '.join(kept)}) VALUES ({marks})", list(kept.values())
            )
        if table == "entry" and "session_id" in columns:
            connection.execute(
                "UPDATE entry SET session_id = '5e5e5e5e5e5e0001' WHERE project = ?", (projects[1],)
            )
    has_trigger = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'entry_fts_insert'"
    ).fetchone()[0]
    if not has_trigger:  # from version 2 on the store fills the full-text index itself
        connection.execute(FTS_FILL, (0, 1 << 62))
    connection.execute("COMMIT")
    snapshot = {
        table: connection.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
        for table in tables(connection)
    }
    assert all(snapshot.values()), {t: len(r) for t, r in snapshot.items()}  # a row in every table
    connection.close()
    return snapshot


def shape(connection: sqlite3.Connection) -> dict[str, Any]:
    """Tables with their columns (name, type, not null, default, pk), indexes and triggers."""
    result: dict[str, Any] = {}
    for kind, name, table in connection.execute(
        "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    ):
        if kind == "table":
            columns = connection.execute(f"PRAGMA table_info({name})").fetchall()
            result[name] = sorted((c[1], c[2].upper(), c[3], c[4], c[5]) for c in columns)
        else:
            result[f"{kind} {name}"] = table
    return result


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_every_older_store_upgrades_keeping_every_row(version: int, tmp_path: Path, figures) -> None:
    projects = [str(tmp_path / "app"), str(tmp_path / "other")]
    for project in projects:
        Path(project).mkdir()
    path = tmp_path / f"v{version}.db"
    before = make_old_store(path, version, projects)

    with Store.open(path, zone=ZONE) as store:
        connection = store._read()
        assert schema_version(connection) == SCHEMA_VERSION
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        # Every row of every old table is still there, every old column holding what it held.
        for table, rows in before.items():
            old_columns = len(rows[0])
            after = connection.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            assert [row[:old_columns] for row in after] == rows, table

        # ... and reads back through the store as the entries, events and drafts they were.
        for id_, project, kind, _, fields, tags, source, supersedes, raw, origin in ENTRIES:
            entry = store.get(id_)
            assert (entry.project, entry.kind.value, entry.source) == (projects[project], kind, source)
            assert entry.fields == {k: v for k, v in fields.items() if v}
            assert entry.tags == tuple(tags.split())
            assert (entry.supersedes, entry.raw, entry.author) == (supersedes, raw, "Ada Lovelace")
            if version >= 2:
                assert entry.origin == origin
            assert [hit.entry.id for hit in store.search(entry.project, fields_word(fields))] == [id_]
            if version < 3:  # the step that made sessions put every older entry in one
                assert entry.session_id, f"{id_} has no work session after the upgrade"
        assert [e.data["status"] for e in store.events("a1b2c3d4e5f60002")] == ["resolved"]
        assert store.get("a1b2c3d4e5f60002").status == "resolved"
        assert [d.fields for d in store.drafts(projects[0])] == [{"symptom": "half typed", "cause": ""}]

        # The upgraded database has exactly the shape of a new one.
        fresh = connect(tmp_path / "fresh.db")
        upgrade(fresh)
        assert shape(connection) == shape(fresh)
        fresh.close()

        # It works: the line the old logbook had promised is written, new entries go in.
        store.flush_mirror(projects[0])
        assert store.pending_mirror(projects[0]) == 0
        saved = store.add(projects[0], Kind.NOTE, {"text": "written after the upgrade"})
        assert saved.mirror_error is None
        store.mirror_repair(projects[0])
        result = audit(store, projects[0])
        assert result.ok, str(result)
        kept = {e.id for p in projects for e in store.iter_entries(p)} & {e[0] for e in ENTRIES}
    with Store.open(path) as again:  # a second open has nothing left to do
        assert upgrade(again._read()) == SCHEMA_VERSION
    figures.record("schema upgrades", "versions upgraded", 1)
    figures.record("schema upgrades", "entries kept", len(kept))
    figures.record("schema upgrades", "entries lost", len(ENTRIES) - len(kept), must_be=0)


def fields_word(fields: dict[str, str]) -> str:
    """The one made-up word each test entry holds (zebrafinch, quetzal...)."""
    words = " ".join(fields.values()).replace("\n", " ").split()
    animals = {"zebrafinch", "quetzal", "axolotl", "narwhal", "ocelot", "pangolin", "wombat", "capybara"}
    return next(w for w in words if w in animals)


KILLER = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
import storage.store as store_module
from storage import db

original = db.connect

def connect(path):
    connection = original(path)
    def trace(statement):
        if statement.startswith("PRAGMA user_version = {target}"):
            os.kill(os.getpid(), signal.SIGKILL)
    connection.set_trace_callback(trace)
    return connection

store_module.connect = connect
store_module.Store.open(Path({path!r}))
"""


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_kill_9_in_the_middle_of_an_upgrade_step(version: int, tmp_path: Path) -> None:
    """Killed after a step's statements ran, before it was recorded: the step is undone whole,
    and the next open runs it again."""
    projects = [str(tmp_path / "app"), str(tmp_path / "other")]
    path = tmp_path / f"v{version}.db"
    before = make_old_store(path, version, projects)
    script = KILLER.format(root=str(ROOT), path=str(path), target=version + 1)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    with raw_connection(path) as connection:
        assert schema_version(connection) == version  # the interrupted step left nothing behind
        assert set(tables(connection)) == set(before)
    with Store.open(path, zone=ZONE) as store:
        assert schema_version(store._read()) == SCHEMA_VERSION
        assert {e.id for p in projects for e in store.iter_entries(p)} == {e[0] for e in ENTRIES}
    assert not os.path.exists(str(path) + "-journal")
