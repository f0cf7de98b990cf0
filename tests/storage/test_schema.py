"""Schema versioning: every older database opens, upgrades and keeps its entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import connect
from storage.kinds import Kind
from storage.schema import SCHEMA_VERSION, STEPS, SchemaTooNew, schema_version, upgrade
from storage.store import Store
from tests.sqlite_rows import raw_connection


def test_new_database_records_the_current_version(store: Store) -> None:
    assert schema_version(store._read()) == SCHEMA_VERSION


@pytest.mark.parametrize("old_version", range(1, SCHEMA_VERSION + 1))
def test_database_from_an_older_schema_upgrades_keeping_entries(tmp_path: Path, old_version: int) -> None:
    path = tmp_path / "old.db"
    connection = connect(path)
    upgrade(connection, target=old_version)
    assert schema_version(connection) == old_version
    connection.execute(
        "INSERT INTO entry (id, project, kind, created_at, source, summary, fingerprint, text)"
        " VALUES ('00000000000000aa', '/p', 'note', '2025-12-13T20:49:00.000000Z', 'cli', 'old', 'f', 'old')"
    )
    connection.close()
    with Store.open(path) as store:
        assert schema_version(store._read()) == SCHEMA_VERSION
        [entry] = store.entries("/p")
        assert (entry.id, entry.kind, entry.fields) == (
            "00000000000000aa",
            Kind.NOTE,
            {"text": "old"},
        )


def test_database_from_a_newer_logbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with raw_connection(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNew, match="upgrade logbook"):
        Store.open(path)


def test_every_step_is_applied_once(tmp_path: Path) -> None:
    connection = connect(tmp_path / "x.db")
    assert upgrade(connection) == 0
    assert upgrade(connection) == len(STEPS)  # second open: nothing left to do


def test_sqlmodel_tables_match_the_migrated_schema(store: Store) -> None:
    from storage.orm import DraftRow, EntryRow, EventRow, OutboxRow

    connection = store._read()
    for model in (EntryRow, EventRow, DraftRow, OutboxRow):
        table = model.__tablename__
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        assert columns == set(model.model_fields), table


def test_step_5_digest_indexes_still_find_repeats_and_known_errors(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from storage.signature import error_signature
    from storage.similarity import fingerprint

    path = tmp_path / "v4.db"
    connection = connect(path)
    upgrade(connection, target=4)
    symptom = "ModuleNotFoundError: No module named 'app'"
    fields = {"symptom": symptom, "cause": "PYTHONPATH unset", "fix": "set it"}
    connection.execute(
        "INSERT INTO entry (id, project, kind, created_at, source, summary, fingerprint, signature,"
        " symptom, cause, fix, status)"
        " VALUES ('00000000000000bb', '/p', 'incident', '2025-12-13T20:49:00.000000Z', 'cli', ?, ?, ?,"
        " ?, ?, ?, 'resolved')",
        (symptom, fingerprint(Kind.INCIDENT, fields), error_signature(symptom), *fields.values()),
    )
    connection.close()
    with Store.open(path) as store:
        indexes = dict(store._read().execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
        assert indexes["entry_by_fingerprint"].endswith("ON entry(fingerprint)")
        assert "ON entry(signature)" in indexes["entry_by_signature"]
        repeat = store.find_repeat("/p", Kind.INCIDENT, fields, datetime(2025, 12, 13, 21, 0, tzinfo=UTC))
        assert repeat is not None and repeat.id == "00000000000000bb"
        [(known, why)] = store.similar_incidents("/p", symptom.upper())
        assert known.id == "00000000000000bb" and why


def test_new_database_gets_big_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    from storage.db import PAGE_SIZE

    with Store.open(tmp_path / "new.db") as store:
        assert store._read().execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 8192
    with raw_connection(tmp_path / "old.db") as connection:
        connection.execute("CREATE TABLE kept (x)")
    with Store.open(tmp_path / "old.db") as store:
        assert store._read().execute("PRAGMA page_size").fetchone()[0] == 4096
        assert store._read().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_step_5_full_text_index_reads_words_from_the_entries_and_stays_whole(tmp_path: Path) -> None:
    """Entries of a version-4 store are found (and highlighted) after the upgrade; entries
    added and removed later keep the index and the entries in step."""
    path = tmp_path / "v4.db"
    connection = connect(path)
    upgrade(connection, target=4)
    connection.execute(
        "INSERT INTO entry (id, project, kind, created_at, source, summary, fingerprint, text)"
        " VALUES ('00000000000000cc', '/p', 'note', '2025-12-13T20:49:00.000000Z', 'cli',"
        " 'Rotated the staging certificate', 'f', 'Rotated the staging certificate')"
    )
    connection.execute(
        "INSERT INTO entry_fts(rowid, summary, body, tags) SELECT seq, summary, text, tags FROM entry"
    )
    connection.close()
    with Store.open(path) as store:
        [hit] = store.search("/p", "certificate")
        assert hit.entry.id == "00000000000000cc" and "certificate" in hit.summary_marked
        store.add("/p", Kind.NOTE, {"text": "Renewed the certificate for the docs site"})
        assert len(store.search("/p", "certificate")) == 2
        db = store._read()
        size = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'entry_fts_content'").fetchone()[0]
        assert size == 0  # (no second copy of the words)
        db.execute("DELETE FROM entry WHERE id = '00000000000000cc'")
        db.execute("INSERT INTO entry_fts(entry_fts, rank) VALUES ('integrity-check', 1)")
        assert [hit.entry.fields["text"] for hit in store.search("/p", "certificate")] == [
            "Renewed the certificate for the docs site"
        ]
