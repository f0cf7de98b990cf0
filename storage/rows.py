"""Reading entry rows with plain sqlite3: the SQL and the row -> Entry mapping."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from storage.clock import from_db
from storage.kinds import TEXT_FIELDS, Kind, field_names
from storage.records import Draft, Entry, Event

_FIELD_COLUMNS = TEXT_FIELDS

# An entry's status and last verification are those of its latest event in time, not the
# last one stored: sync and restore append events made earlier elsewhere.

ENTRY_SELECT = (
    "SELECT e.id, e.project, e.kind, e.created_at, e.author, e.branch, e.git_commit, "
    "e.source, e.tags, e.summary, e.supersedes, e.raw, e.origin, e.session_id, "
    + ", ".join(f"e.{name}" for name in _FIELD_COLUMNS)
    + ", (SELECT json_extract(v.data, '$.status') FROM event v"
    "    WHERE v.entry_id = e.id AND v.type = 'status' ORDER BY v.created_at DESC, v.seq DESC LIMIT 1)"
    ", (SELECT f.id FROM entry f WHERE f.supersedes = e.id ORDER BY f.seq DESC LIMIT 1)"
    ", (SELECT v.data FROM event v"
    "    WHERE v.entry_id = e.id AND v.type = 'verification' ORDER BY v.created_at DESC, v.seq DESC LIMIT 1)"
    " FROM entry e"
)


def entry_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Entry:
    kind = Kind(row[2])
    values = dict(zip(_FIELD_COLUMNS, row[14 : 14 + len(_FIELD_COLUMNS)], strict=True))
    fields = {name: values[name] for name in field_names(kind) if values.get(name) is not None}
    derived = row[14 + len(_FIELD_COLUMNS) :]
    return Entry(
        id=row[0],
        project=row[1],
        kind=kind,
        created_at=from_db(row[3]),
        author=row[4],
        branch=row[5],
        commit=row[6],
        source=row[7],
        tags=tuple(row[8].split()) if row[8] else (),
        summary=row[9],
        supersedes=row[10],
        raw=row[11],
        origin=row[12],
        session_id=row[13],
        fields=fields,
        status=derived[0] or fields.get("status"),
        superseded_by=derived[1],
        **_verification(derived[2]),
    )


def _verification(data: str | None) -> dict[str, Any]:
    if not data:
        return {}
    parsed = json.loads(data)
    return {"verification": parsed.get("result"), "verified_commit": parsed.get("commit")}


def entry_columns(entry_fields: Mapping[str, Any]) -> dict[str, str | None]:
    """The per-field columns of an entry row (absent fields as NULL)."""
    return {name: entry_fields.get(name) for name in _FIELD_COLUMNS}


EVENT_SELECT = "SELECT id, entry_id, type, created_at, at, author, source, data FROM event"


def event_from_row(row: tuple[Any, ...]) -> Event:
    return Event(
        id=row[0],
        entry_id=row[1],
        type=row[2],
        created_at=from_db(row[3]),
        at=from_db(row[4]) if row[4] else None,
        author=row[5],
        source=row[6],
        data=json.loads(row[7] or "{}"),
    )


DRAFT_SELECT = "SELECT id, project, kind, fields, updated_at, supersedes FROM draft"


def draft_from_row(row: tuple[Any, ...]) -> Draft:
    return Draft(
        id=row[0],
        project=row[1],
        kind=Kind(row[2]),
        fields=json.loads(row[3] or "{}"),
        updated_at=from_db(row[4]),
        supersedes=row[5],
    )
