"""SQLModel tables: the typed, validated write side of the store.

Importing SQLModel (and SQLAlchemy under it) costs about 0.3 s, more than a
bare Textual app needs to draw its first frame, so this module is imported
only when something is written. Reads that must be instant (the list, search,
``--version``) go through :mod:`storage.db` directly.

The tables here describe the *latest* schema; :mod:`storage.schema` holds the
steps that build it, and a test checks that the two agree.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, create_engine


class EntryRow(SQLModel, table=True):
    __tablename__ = "entry"

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True)
    project: str
    kind: str
    created_at: str
    author: str | None = None
    branch: str | None = None
    git_commit: str | None = None
    source: str
    tags: str = ""
    summary: str
    fingerprint: str
    supersedes: str | None = Field(default=None, foreign_key="entry.id")
    raw: str | None = None
    origin: str | None = None
    session_id: str | None = Field(default=None, foreign_key="work_session.id")
    signature: str | None = None
    what: str | None = None
    why: str | None = None
    verify: str | None = None
    expected: str | None = None
    now: str | None = None
    next: str | None = None
    symptom: str | None = None
    cause: str | None = None
    fix: str | None = None
    severity: str | None = None
    status: str | None = None
    decision: str | None = None
    consequences: str | None = None
    text: str | None = None


class EventRow(SQLModel, table=True):
    __tablename__ = "event"

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True)
    entry_id: str = Field(foreign_key="entry.id")
    type: str
    created_at: str
    at: str | None = None
    author: str | None = None
    source: str
    data: str = "{}"


class DraftRow(SQLModel, table=True):
    __tablename__ = "draft"

    id: str = Field(primary_key=True)
    project: str
    kind: str
    fields: str = "{}"
    supersedes: str | None = None
    updated_at: str


class OutboxRow(SQLModel, table=True):
    """A mirror line promised in the same transaction as its entry."""

    __tablename__ = "mirror_outbox"

    seq: int | None = Field(default=None, primary_key=True)
    project: str
    file: str
    item_id: str
    line: str
    state: str = "pending"
    file_offset: int | None = None
    error: str | None = None
    created_at: str
    check_first: int = 0


class WorkSessionRow(SQLModel, table=True):
    """A work session: entries made without a long idle gap, or between session start/end."""

    __tablename__ = "work_session"

    id: str = Field(primary_key=True)
    project: str
    title: str | None = None
    started_at: str
    ended_at: str | None = None
    explicit: int = 0


class SyncStateRow(SQLModel, table=True):
    """How much of a mirror file ``logbook sync`` has read (size, mtime, digest of that prefix)."""

    __tablename__ = "sync_state"

    project: str = Field(primary_key=True)
    file: str = Field(primary_key=True)
    size: int
    mtime_ns: int
    digest: str


def make_engine(connect: Callable[[], sqlite3.Connection]) -> Engine:
    """An engine over connections made by ``connect``; every transaction is IMMEDIATE.

    Taking the write lock when the transaction begins (not at its first write)
    is what makes check-then-insert safe between processes: two ``logbook add``
    runs cannot both see "no duplicate" and both insert.
    """
    engine = create_engine("sqlite://", creator=connect)

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: object) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]

    return engine
