"""Secrets are masked before anything is stored, mirrored or exported, and the user is told."""

from __future__ import annotations

from pathlib import Path

from storage.importing import import_file
from storage.kinds import Kind
from storage.store import Store
from tests.sqlite_rows import raw_connection

URL = "postgresql+asyncpg://b2b_user:hunter2-Secret@127.0.0.1:5432/b2b_platform"
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def everything_written(db_path: Path, project: Path) -> str:
    with raw_connection(db_path) as connection:
        dump = "\n".join(connection.iterdump())
    files = "".join(
        (project / n).read_text() for n in ("HANDOFF.md", "INCIDENTS.md") if (project / n).exists()
    )
    return dump + files


def test_add_masks_fields_and_says_what(store: Store, project: Path, db_path: Path) -> None:
    saved = store.add(
        str(project),
        Kind.INCIDENT,
        {
            "symptom": f"alembic could not connect to {URL}",
            "cause": "wrong role",
            "fix": f"export GITHUB_TOKEN={TOKEN}",
        },
    )
    assert saved.masked == ("a password in a URL", "a GitHub token")
    assert "b2b_user:***@127.0.0.1" in saved.entry.fields["symptom"]
    written = everything_written(db_path, project)
    assert "hunter2-Secret" not in written and TOKEN not in written


def test_drafts_events_and_imports_are_masked(store: Store, project: Path, db_path: Path) -> None:
    store.save_draft(str(project), Kind.NOTE, {"text": f"half typed {URL}"})
    incident = store.add(str(project), Kind.INCIDENT, {"symptom": "db down", "cause": "unknown"})
    store.set_status(incident.entry.id, "mitigated", note=f"rotated to {TOKEN}")
    log = project / "old.md"  # the user's own file: logbook never rewrites it
    log.write_text(f"- 2025-12-14 12:00 UTC — Reset the DB. Verified: psql {URL} -c 'select 1' -> 1\n")
    report = import_file(store, str(project), log)
    assert len(report.added) == 1
    written = everything_written(db_path, project)
    assert "hunter2-Secret" not in written and TOKEN not in written
    assert "b2b_user:***@" in written
