"""The store: one SQLite file serving many projects, and the only way in or out of it.

Everything the CLI and the TUI do to entries goes through :class:`Store`.
Its methods take and return plain objects (:mod:`storage.records`).

Reads use sqlite3 directly (one connection per thread), so listing and
searching never wait on importing SQLAlchemy. Writes of entries, events and
drafts go through SQLModel sessions (:mod:`storage.orm`), loaded on first use.
For the same reason the write side's helpers (validation, the mirror, ids)
are imported inside the methods that write: the TUI's first frame needs only
the read side, and it is drawn while these would still be loading.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from storage.clock import from_db, to_db, user_zone, utc_now
from storage.db import connect, default_db_path, enable_wal, immediate
from storage.errors import AmbiguousId, DuplicateEntry, NotFound, Refused
from storage.fts import MARK_END, MARK_START, fts_query
from storage.ids import new_id
from storage.kinds import Kind, Status, normalize_status
from storage.records import Draft, Entry, Event, GitContext, MirrorDrift, SearchHit, WorkSession
from storage.rows import (
    DRAFT_SELECT,
    ENTRY_SELECT,
    EVENT_SELECT,
    draft_from_row,
    entry_columns,
    entry_from_row,
    event_from_row,
)
from storage.schema import FTS_FILL, upgrade
from storage.similarity import REPEAT_WINDOW

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from storage.outbox import FlushResult
    from storage.runner import RunResult
    from storage.validation import Problem

INCIDENT_EVENTS = ("timeline", "action", "action-done", "impact", "lesson-wrong", "lesson-right")
EVENT_TYPES = ("status", "verification", *INCIDENT_EVENTS)
VERIFICATION_TAIL_CHARS = 4000
"""How much of a verification's output the event keeps (the runner caps what it reads)."""
SIMILAR_WORDS = 0.45
"""Word likeness (see similarity.similarity) from which an earlier incident is shown as "seen before"."""
_BULK_CHUNK = 5_000
"""Rows per bulk transaction: small enough that writing one overlaps preparing the next."""
SEARCH_WINDOW = 2000


@dataclass(frozen=True)
class Saved:
    """An entry (or event) now in the store, and where its mirror line went."""

    entry: Entry
    mirror_file: Path
    mirror_error: str | None = None
    event: Event | None = None
    masked: tuple[str, ...] = ()
    """What was masked before storing (e.g. "a password in a URL"): say it to the user."""

    @property
    def mirrored(self) -> bool:
        return self.mirror_error is None


class NewEntry(NamedTuple):
    """An entry as given to :meth:`Store.add_many` (an import or a restore).

    A named tuple rather than a frozen dataclass: a big import makes one per entry,
    and a tuple is made 4x faster."""

    kind: Kind
    fields: Mapping[str, str | None]
    tags: Sequence[str] = ()
    created_at: datetime | None = None
    id: str | None = None
    author: str | None = None
    branch: str | None = None
    commit: str | None = None
    supersedes: str | None = None
    raw: str | None = None
    origin: str | None = None
    key: str | None = None
    """The normalised main text, when the caller already has it (see similarity.fingerprint)."""
    session_id: str | None = None
    """Keep this session (a restore); None: sessions are found or made by idle gaps."""


@dataclass(frozen=True)
class NewEvent:
    """An event as given to :meth:`Store.add_events` (a restore from an export)."""

    id: str
    entry_id: str
    type: str
    created_at: datetime
    data: Mapping[str, Any]
    author: str | None = None
    source: str = "import"


@dataclass(frozen=True)
class BulkResult:
    added: list[str]
    skipped: list[str]
    refused: list[tuple[int, list[Problem]]]
    mirror_errors: list[str]
    masked: tuple[str, ...] = ()


def _insert_rows(db: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows with the same keys (one executemany)."""
    columns = list(rows[0])
    marks = ", ".join("?" * len(columns))
    db.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        map(itemgetter(*columns), rows),
    )


def _known_ids(connection: sqlite3.Connection, ids: Sequence[str], table: str = "entry") -> set[str]:
    """Which of ``ids`` the table holds (asked 500 at a time, under SQLite's variable limit)."""
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        found = connection.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk)
        known.update(row[0] for row in found)
    return known


def _known_event_ids(connection: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    return _known_ids(connection, ids, "event")


def _entries_by_id(connection: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = connection.execute(f"{ENTRY_SELECT} WHERE e.id IN ({marks})", chunk)
        found.update((entry.id, entry) for entry in map(entry_from_row, rows))
    return found


def _action_numbers(connection: sqlite3.Connection, entry_ids: Sequence[str]) -> dict[str, set[Any]]:
    """The numbers of the action items each of ``entry_ids`` has."""
    found: dict[str, set[Any]] = {}
    for start in range(0, len(entry_ids), 500):
        chunk = list(entry_ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = connection.execute(
            "SELECT entry_id, json_extract(data, '$.number') FROM event"
            f" WHERE type = 'action' AND entry_id IN ({marks})",
            chunk,
        )
        for entry_id, number in rows:
            found.setdefault(entry_id, set()).add(number)
    return found


def _event_problem(entry: Entry, event_type: str, data: dict[str, Any], actions: set[Any]) -> Problem | None:
    """Why an event given from outside cannot be one of ``entry``'s, as typing it would be refused;
    a status is put in its canonical form (in ``data``)."""
    from storage.validation import Problem

    if event_type != "verification" and entry.kind is not Kind.INCIDENT:
        return Problem(event_type, f"entry {entry.short_id} is a {entry.kind}, not an incident")
    if event_type == "status" and "status" in data:  # (none at all: refused as incomplete)
        try:
            data["status"] = normalize_status(str(data.get("status"))).value
        except ValueError:
            return Problem("status", f"{data.get('status')!r} is not one of open, mitigated, resolved")
    if event_type == "action-done" and (
        isinstance(data.get("number"), bool) or data.get("number") not in actions
    ):
        return Problem("action", f"incident {entry.short_id} has no action item {data.get('number')}")
    return None


def _stored_time(value: object) -> tuple[str | None, str | None]:
    """A time given as text (an event's ``at``) in the store's UTC form, or why it is not one."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None, f"{value!r} is not a time"
    if moment.tzinfo is None:
        return None, f"{value!r} has no time zone"
    return to_db(moment), None


def _writing() -> Any:
    """The write side's helpers, loaded on the first write (see the module docstring)."""
    from storage import writing

    return writing


class Store:
    """Open with :meth:`open`; close with :meth:`close` (or use as a context manager)."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], datetime] = utc_now,
        zone: tzinfo | None = None,
    ) -> None:
        self.path = path
        self.clock = clock
        self.zone = zone or user_zone()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._engine: Engine | None = None

    @classmethod
    def open(cls, path: Path | None = None, **options: Any) -> Store:
        """Open (creating it if needed) the store at ``path`` and bring its schema up to date."""
        path = Path(path) if path else default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(path, **options)
        connection = store._read()
        enable_wal(connection)
        upgrade(connection)
        return store

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections -----------------------------------------------------

    def _read(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = connect(self.path)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _orm(self) -> Engine:
        with self._lock:
            if self._engine is None:
                from storage.orm import make_engine

                self._engine = make_engine(lambda: connect(self.path))
            return self._engine

    @contextmanager
    def _session(self) -> Iterator[Any]:
        """A SQLModel session in one IMMEDIATE transaction, committed on success."""
        from sqlmodel import Session

        with Session(self._orm(), expire_on_commit=False) as session, session.begin():
            session.connection()  # BEGIN IMMEDIATE now: take the write lock before any check
            yield session

    @contextmanager
    def _immediate(self, connection: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        """This thread's connection (or ``connection``) in one IMMEDIATE transaction, committed on success.

        Inside :meth:`held_transaction`, the writes of this thread join its transaction."""
        connection = connection or self._read()
        if getattr(self._local, "held", False) and connection is self._read():
            if not connection.in_transaction:
                connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                # Nothing of a failed write may be committed with the next one: all that was
                # written since the last commit goes with it. (A savepoint per write would keep
                # the rest, but copies every page a write touches first: 2.4% of a 50 MB import.)
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            return
        with immediate(connection):
            yield connection

    @contextmanager
    def held_transaction(self) -> Iterator[Callable[[], None]]:
        """The writes of this thread in the block share one transaction, begun by the first
        of them and committed by calling the function given (the next write begins the next
        one), and when the block ends. A write that fails rolls back all that was written
        since the last commit, itself included. (Writes through the ORM are not for this
        block: they use other connections.)

        For a big import: its rows are stored as soon as they are read, and committed
        thousands at a time (a commit rewrites every index page its rows touched). The write
        lock is let go of at each commit, for other logbook processes."""
        connection = self._read()

        def commit() -> None:
            if connection.in_transaction:
                connection.execute("COMMIT")

        self._local.held = True
        try:
            yield commit
            commit()
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            self._local.held = False

    def warm_up(self) -> None:
        """Load the write side now (from a background thread) so the first save is quick."""
        self._orm()
        import sqlmodel  # noqa: F401

    # -- reads -----------------------------------------------------------

    def count(self, project: str, kind: Kind | None = None, *, session_id: str | None = None) -> int:
        where, args = self._where(project, kind, session_id)
        return int(self._read().execute(f"SELECT count(*) FROM entry e WHERE {where}", args).fetchone()[0])

    def entries(
        self,
        project: str,
        *,
        kind: Kind | None = None,
        limit: int = 50,
        offset: int = 0,
        session_id: str | None = None,
    ) -> list[Entry]:
        """Entries of ``project`` (or of one kind, one session), newest first, from ``offset``."""
        where, args = self._where(project, kind, session_id)
        rows = self._read().execute(
            f"{ENTRY_SELECT} WHERE {where} ORDER BY e.created_at DESC, e.seq DESC LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        return [entry_from_row(row) for row in rows]

    def position(
        self, project: str, entry_id: str, *, kind: Kind | None = None, session_id: str | None = None
    ) -> int | None:
        """Where ``entry_id`` stands in :meth:`entries` (0: the newest); None when it is not there."""
        where, args = self._where(project, kind, session_id)
        connection = self._read()
        found = connection.execute(
            f"SELECT e.created_at, e.seq FROM entry e WHERE {where} AND e.id = ?", (*args, entry_id)
        ).fetchone()
        if found is None:
            return None
        created_at, seq = found
        before = connection.execute(
            f"SELECT count(*) FROM entry e WHERE {where}"
            " AND (e.created_at > ? OR (e.created_at = ? AND e.seq > ?))",
            (*args, created_at, created_at, seq),
        ).fetchone()
        return int(before[0])

    def iter_entries(self, project: str) -> Iterator[Entry]:
        """Every entry of ``project``, oldest first, streamed (exports of any size)."""
        cursor = self._read().execute(
            f"{ENTRY_SELECT} WHERE e.project = ? ORDER BY e.created_at, e.seq",
            (project,),
        )
        for row in cursor:
            yield entry_from_row(row)

    def _where(self, project: str, kind: Kind | None, session_id: str | None = None) -> tuple[str, list[Any]]:
        where = "e.project = ?"
        args: list[Any] = [project]
        if kind:
            where += " AND e.kind = ?"
            args.append(kind.value)
        if session_id:
            where += " AND e.session_id = ?"
            args.append(session_id)
        return where, args

    def get(self, id_or_prefix: str, project: str | None = None) -> Entry:
        """An entry by full id or unique prefix (within ``project`` when given)."""
        entry_id = self.resolve_id(id_or_prefix, project)
        row = self._read().execute(f"{ENTRY_SELECT} WHERE e.id = ?", (entry_id,)).fetchone()
        if row is None:  # pragma: no cover - resolve_id found it a moment ago
            raise NotFound(id_or_prefix)
        return entry_from_row(row)

    def resolve_id(self, id_or_prefix: str, project: str | None = None) -> str:
        prefix = id_or_prefix.strip().lower()
        if not prefix or not all(c in "0123456789abcdef" for c in prefix):
            raise NotFound(id_or_prefix)
        sql = "SELECT id FROM entry WHERE id >= ? AND id < ?"
        args: list[Any] = [prefix, prefix + "g"]
        if project:
            sql += " AND project = ?"
            args.append(project)
        ids = [row[0] for row in self._read().execute(sql + " LIMIT 6", args)]
        if not ids:
            raise NotFound(id_or_prefix)
        if len(ids) > 1 and prefix not in ids:
            raise AmbiguousId(id_or_prefix, [i[:12] for i in ids])
        return prefix if prefix in ids else ids[0]

    def search(
        self,
        project: str,
        text: str,
        *,
        kind: Kind | None = None,
        limit: int = 20,
        prefix_last: bool = False,
    ) -> list[SearchHit]:
        """Full-text search over every field, best matches first.

        Ranks (BM25, the summary weighted 4x) the ``SEARCH_WINDOW`` (2,000) most
        recently added matches: a word found in every tenth entry of a 100k store
        would otherwise cost a ranking of 10,000 rows, and a search should cost the
        same at any store size (bench/cli_speed.py: 5,000 cost 1.3x at 100k entries,
        2,000 cost 1.05x).
        """
        query = fts_query(text, prefix_last=prefix_last)
        if query is None:
            return []
        where, args = self._where(project, kind)
        connection = self._read()
        try:
            # Rank first, touching only the index; build rows and highlights for the top few.
            ranked = connection.execute(
                "SELECT seq, score FROM ("
                "  SELECT entry_fts.rowid AS seq, bm25(entry_fts, 4.0, 1.0, 2.0) AS score"
                "  FROM entry_fts JOIN entry e ON e.seq = entry_fts.rowid"
                f"  WHERE entry_fts MATCH ? AND {where}"
                f"  ORDER BY entry_fts.rowid DESC LIMIT {SEARCH_WINDOW}"
                ") ORDER BY score LIMIT ?",
                (query, *args, limit),
            ).fetchall()
            if not ranked:
                return []
            seqs = [seq for seq, _ in ranked]
            marks = ",".join("?" * len(seqs))
            marked = {
                row[0]: (row[1], row[2])
                for row in connection.execute(
                    f"SELECT rowid, highlight(entry_fts, 0, '{MARK_START}', '{MARK_END}'),"
                    f" snippet(entry_fts, 1, '{MARK_START}', '{MARK_END}', '…', 14)"
                    f" FROM entry_fts WHERE entry_fts MATCH ? AND rowid IN ({marks})",
                    (query, *seqs),
                )
            }
        except sqlite3.OperationalError as error:
            from storage.validation import Problem

            raise Refused([Problem("query", f"cannot search for {text!r}: {error}")]) from error
        entries = {
            row[-1]: entry_from_row(row)
            for row in connection.execute(
                f"{ENTRY_SELECT.replace(' FROM entry e', ', e.seq FROM entry e')} WHERE e.seq IN ({marks})",
                seqs,
            )
        }
        return [
            SearchHit(
                entries[seq],
                rank=score,
                summary_marked=marked[seq][0],
                snippet_marked=marked[seq][1],
            )
            for seq, score in ranked
        ]

    def typed_time(self, text: str) -> datetime:
        """A time a person typed ("2025-12-14 12:41 MSK", "12:41" today), in UTC; refused when it is none."""
        from storage.timeparse import read_typed_time

        moment = read_typed_time(text, self.zone, self.clock())
        if moment is None:
            from storage.validation import Problem

            raise Refused([Problem("time", f"{text.strip()!r} is not a time like 2025-12-14 12:41 or 12:41")])
        return moment

    def known_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` the store already has."""
        return _known_ids(self._read(), ids)

    def known_event_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` (of events: status changes, timeline...) the store already has."""
        return _known_event_ids(self._read(), ids)

    def count_between(
        self, project: str, low: datetime, high: datetime, *, up_to_seq: int | None = None
    ) -> int:
        """How many entries were written between ``low`` and ``high`` (of those stored up to
        ``up_to_seq``, see :meth:`last_seq`)."""
        row = (
            self._read()
            .execute(
                "SELECT count(*) FROM entry WHERE project = ? AND created_at BETWEEN ? AND ? AND seq <= ?",
                (project, to_db(low), to_db(high), 2**63 - 1 if up_to_seq is None else up_to_seq),
            )
            .fetchone()
        )
        return int(row[0])

    def last_seq(self) -> int:
        """Where the entry table ends now: entries stored later have a greater ``seq``."""
        return int(self._read().execute("SELECT coalesce(max(seq), 0) FROM entry").fetchone()[0])

    def find_repeat(
        self,
        project: str,
        kind: Kind,
        fields: Mapping[str, str],
        created_at: datetime,
        *,
        up_to_seq: int | None = None,
    ) -> Entry | None:
        """The stored entry that ``fields`` repeats (same rules as refusing a near-duplicate)."""
        w = _writing()
        cleaned, _ = w.clean_fields(kind, fields, strict=False)
        found = w.find_duplicate(
            self._read(), project, kind, cleaned, created_at, None, REPEAT_WINDOW, up_to_seq
        )
        return found[0] if found else None

    def sync_state(self, project: str, file: str) -> dict[str, Any] | None:
        """How much of a mirror file the last sync read (size, mtime_ns, digest)."""
        row = (
            self._read()
            .execute(
                "SELECT size, mtime_ns, digest FROM sync_state WHERE project = ? AND file = ?",
                (project, file),
            )
            .fetchone()
        )
        return {"size": row[0], "mtime_ns": row[1], "digest": row[2]} if row else None

    def save_sync_state(self, project: str, file: str, size: int, mtime_ns: int, digest: str) -> None:
        # Plain SQL: loading the ORM for one upsert cost every sync and import 0.3 s.
        with self._immediate() as db:
            db.execute(
                "INSERT INTO sync_state (project, file, size, mtime_ns, digest) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (project, file) DO UPDATE SET"
                " size = excluded.size, mtime_ns = excluded.mtime_ns, digest = excluded.digest",
                (project, file, size, mtime_ns, digest),
            )

    def events(self, entry_id: str) -> list[Event]:
        """An entry's events, oldest first: by time, not by arrival (a teammate's synced line,
        or an export restored, may come in after newer ones); same time: as they arrived."""
        rows = self._read().execute(
            f"{EVENT_SELECT} WHERE entry_id = ? ORDER BY created_at, seq", (entry_id,)
        )
        return [event_from_row(row) for row in rows]

    def events_for(self, entry_ids: Sequence[str]) -> dict[str, list[Event]]:
        """Events of many entries at once, oldest first per entry (in ``events``'s order)."""
        found: dict[str, list[Event]] = {}
        for start in range(0, len(entry_ids), 500):
            chunk = list(entry_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._read().execute(
                f"{EVENT_SELECT} WHERE entry_id IN ({marks}) ORDER BY created_at, seq", chunk
            )
            for row in rows:
                event = event_from_row(row)
                found.setdefault(event.entry_id, []).append(event)
        return found

    def incidents(self, project: str) -> list[Entry]:
        rows = self._read().execute(
            f"{ENTRY_SELECT} WHERE e.project = ? AND e.kind = 'incident' ORDER BY e.created_at, e.seq",
            (project,),
        )
        return [entry_from_row(row) for row in rows]

    def similar_incidents(
        self, project: str, text: str, *, exclude: str | None = None, limit: int = 3
    ) -> list[tuple[Entry, str]]:
        """Earlier incidents about the same error: by signature (paths, numbers, ids and hosts
        normalised), then by full-text likeness. Each with why it matched."""
        from storage.signature import error_signature

        found: list[tuple[Entry, str]] = []
        signature = error_signature(text)
        if signature:
            rows = self._read().execute(
                f"{ENTRY_SELECT} WHERE e.project = ? AND e.signature = ? AND e.id IS NOT ?"
                " ORDER BY e.created_at DESC LIMIT ?",
                (project, signature, exclude, limit),
            )
            found = [(entry_from_row(row), "the same error") for row in rows]
        if len(found) < limit:
            words = [w for w in re.findall(r"[A-Za-z][A-Za-z_]{3,}", text)][:12]
            if words:
                seen = {e.id for e, _ in found} | {exclude}
                from storage.similarity import similarity

                for hit in self.search(project, " OR ".join(words), kind=Kind.INCIDENT, limit=limit * 5):
                    symptom = hit.entry.fields.get("symptom", "")
                    if (
                        hit.entry.id in seen
                        or len(found) >= limit
                        or similarity(text, symptom) < SIMILAR_WORDS
                    ):
                        continue
                    found.append((hit.entry, "similar words"))
                    seen.add(hit.entry.id)
        return found

    def followups(self, entry_id: str) -> list[Entry]:
        rows = self._read().execute(f"{ENTRY_SELECT} WHERE e.supersedes = ? ORDER BY e.seq", (entry_id,))
        return [entry_from_row(row) for row in rows]

    # -- writes ----------------------------------------------------------

    def add(
        self,
        project: str,
        kind: Kind,
        fields: Mapping[str, str | None],
        *,
        tags: Sequence[str] = (),
        source: str = "cli",
        allow_duplicate: bool = False,
        supersedes: str | None = None,
        context: GitContext | None = None,
        created_at: datetime | None = None,
    ) -> Saved:
        """Validate, store and mirror one entry.

        Raises :class:`Refused` (with every problem) or :class:`DuplicateEntry`
        and then has written nothing anywhere. A mirror file that cannot be
        written does not lose the entry: it is stored, and the returned
        :class:`Saved` says why the line is still pending.
        """
        w = _writing()
        cleaned, problems = w.clean_fields(kind, fields)
        tag_list, tag_problems = w.clean_tags(list(tags))
        problems += tag_problems
        if problems:
            raise Refused(problems)
        cleaned, masked = w.mask_fields(cleaned)
        if supersedes:
            supersedes = self.resolve_id(supersedes, project)
        context = context or GitContext()
        created = created_at or self.clock()
        row = w.row_dict(
            w.row_values(project, kind, cleaned, tag_list, created, source, context, supersedes, new_id())
        )
        from storage.orm import EntryRow, OutboxRow

        with self._session() as session:
            # The write transaction's own connection: the check and the insert are one step.
            db = session.connection().connection.driver_connection
            if not allow_duplicate:
                duplicate = w.find_duplicate(db, project, kind, cleaned, created, supersedes, REPEAT_WINDOW)
                if duplicate:
                    raise DuplicateEntry(*duplicate)
            row["session_id"] = self._session_for(db, project, created)
            record = EntryRow(**row)
            session.add(record)
            session.add(OutboxRow(**self._outbox_row(row)))
            session.flush()
            session.connection().exec_driver_sql(FTS_FILL, (record.seq - 1, record.seq))
        entry = self.get(row["id"])
        return self._flushed(entry, masked=masked)

    def _flushed(self, entry: Entry, event: Event | None = None, masked: tuple[str, ...] = ()) -> Saved:
        w = _writing()
        result = w.outbox.flush(self._read(), entry.project, w.mirror_file_for(entry.kind))
        return Saved(entry, result.file, result.error, event, masked)

    # -- work sessions ---------------------------------------------------------

    def _session_for(self, db: sqlite3.Connection, project: str, moment: datetime) -> str:
        """The session an entry made at ``moment`` belongs to, started if there is none.

        Called inside the write transaction (``db`` is its connection).
        """
        found = self._open_session_at(db, project, moment)
        if found is not None:
            return found
        return self._new_session(db, project, moment)

    def _open_session_at(self, db: sqlite3.Connection, project: str, moment: datetime) -> str | None:
        """The session open at ``moment`` (its last entry within the idle gap before it)."""
        found = self._joinable_session(db, project, moment, resume=False)
        return found[0] if found else None

    def _joinable_session(
        self, db: sqlite3.Connection, project: str, moment: datetime, *, resume: bool
    ) -> tuple[str, bool] | None:
        """(id, closed by a bulk write) of the session an entry made at ``moment`` joins.

        A bulk write closes a session of old entries at its last entry. ``resume``: such
        a session is joined even after its end, within the idle gap (the next batch of
        an import carries on with it, as one batch would have). A session a person
        started or ended stays as they left it.
        """
        from storage.sessions import session_gap

        row = db.execute(
            "SELECT s.id, s.started_at, s.ended_at, s.explicit,"
            " (SELECT max(e.created_at) FROM entry e WHERE e.session_id = s.id)"
            " FROM work_session s WHERE s.project = ? AND s.started_at <= ?"
            " ORDER BY s.started_at DESC LIMIT 1",
            (project, to_db(moment)),
        ).fetchone()
        if row is None:
            return None
        session_id, started, ended, explicit, last = row
        closed_by_bulk = ended is not None and not explicit and ended == last
        if ended is not None and ended < to_db(moment) and not (resume and closed_by_bulk):
            return None
        if from_db(last or started) < moment - session_gap():
            return None
        return str(session_id), closed_by_bulk

    def _new_session(
        self,
        db: sqlite3.Connection,
        project: str,
        moment: datetime,
        *,
        title: str | None = None,
        explicit: bool = False,
        ended: datetime | None = None,
    ) -> str:
        from storage.sessions import default_title

        session_id = new_id()
        db.execute(
            "INSERT INTO work_session (id, project, title, started_at, ended_at, explicit)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                session_id,
                project,
                title or default_title(moment.astimezone(self.zone)),
                to_db(moment),
                to_db(ended) if ended else None,
                int(explicit),
            ),
        )
        return session_id

    def _assign_sessions(
        self, db: sqlite3.Connection, project: str, rows: list[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        """Imported rows (in writing.ROW_COLUMNS order) with sessions: their own, cut by idle
        gaps, unless one is open then."""
        from storage.sessions import session_gap, split_by_gap

        columns = _writing().ROW_COLUMNS
        at_time, at_session = columns.index("created_at"), columns.index("session_id")
        given: dict[str, list[str]] = {}
        for row in rows:
            if row[at_session]:
                given.setdefault(row[at_session], []).append(row[at_time])
        for session_id, times_given in given.items():  # a restore keeps its sessions
            db.execute(
                "INSERT OR IGNORE INTO work_session (id, project, title, started_at, ended_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, project, f"Session {session_id[:8]}", min(times_given), max(times_given)),
            )
        ordered = sorted(
            (index for index, row in enumerate(rows) if not row[at_session]), key=lambda i: rows[i][at_time]
        )
        times = [from_db(rows[index][at_time]) for index in ordered]
        now = self.clock()
        placed = list(rows)
        for start, end in split_by_gap(times, session_gap()):
            over = times[end - 1] + session_gap() < now
            found = self._joinable_session(db, project, times[start], resume=True)
            if found is None:
                session_id = self._new_session(
                    db, project, times[start], ended=times[end - 1] if over else None
                )
            else:
                session_id, closed_by_bulk = found
                if closed_by_bulk:  # it ends with this group now (or is open again)
                    db.execute(
                        "UPDATE work_session SET ended_at = ? WHERE id = ? AND ended_at < ?",
                        (to_db(times[end - 1]) if over else None, session_id, to_db(times[end - 1])),
                    )
            for index in ordered[start:end]:
                row = rows[index]
                placed[index] = (*row[:at_session], session_id, *row[at_session + 1 :])
        return placed

    def start_session(self, project: str, title: str | None = None) -> WorkSession:
        """End the open session (if any) and start a new one now."""
        now = self.clock()
        with self._immediate() as db:
            db.execute(
                "UPDATE work_session SET ended_at = ? WHERE project = ? AND ended_at IS NULL",
                (to_db(now), project),
            )
            session_id = self._new_session(db, project, now, title=title, explicit=True)
        return self.work_session(session_id)

    def end_session(self, project: str) -> WorkSession | None:
        """End the open session; None when there was none."""
        current = self.current_session(project)
        if current is None:
            return None
        with self._immediate() as db:
            db.execute("UPDATE work_session SET ended_at = ? WHERE id = ?", (to_db(self.clock()), current.id))
        return self.work_session(current.id)

    _SESSION_SELECT = (
        "SELECT s.id, s.project, s.title, s.started_at, s.ended_at, s.explicit,"
        " (SELECT count(*) FROM entry e WHERE e.session_id = s.id),"
        " (SELECT max(e.created_at) FROM entry e WHERE e.session_id = s.id)"
        " FROM work_session s"
    )

    def _work_session(self, row: tuple[Any, ...]) -> WorkSession:
        return WorkSession(
            id=row[0],
            project=row[1],
            title=row[2] or "",
            started_at=from_db(row[3]),
            ended_at=from_db(row[4]) if row[4] else None,
            explicit=bool(row[5]),
            entries=int(row[6]),
            last_at=from_db(row[7]) if row[7] else None,
        )

    def work_session(self, id_or_prefix: str, project: str | None = None) -> WorkSession:
        prefix = id_or_prefix.strip().lower()
        sql = f"{self._SESSION_SELECT} WHERE s.id >= ? AND s.id < ?"
        args: list[Any] = [prefix, prefix + "g"]
        if project:
            sql += " AND s.project = ?"
            args.append(project)
        rows = self._read().execute(sql + " LIMIT 2", args).fetchall()
        if not rows:
            raise NotFound(id_or_prefix)
        if len(rows) > 1 and rows[0][0] != prefix:
            raise AmbiguousId(id_or_prefix, [r[0][:12] for r in rows])
        return self._work_session(rows[0])

    def sessions(self, project: str, limit: int = 50) -> list[WorkSession]:
        """The project's sessions, newest first."""
        rows = self._read().execute(
            f"{self._SESSION_SELECT} WHERE s.project = ? ORDER BY s.started_at DESC LIMIT ?", (project, limit)
        )
        return [self._work_session(row) for row in rows]

    def current_session(self, project: str) -> WorkSession | None:
        """The session still open now (not ended, last entry within the idle gap), if any."""
        session_id = self._open_session_at(self._read(), project, self.clock())
        return self.work_session(session_id) if session_id else None

    def session_entries(self, session_id: str) -> list[Entry]:
        rows = self._read().execute(
            f"{ENTRY_SELECT} WHERE e.session_id = ? ORDER BY e.created_at, e.seq", (session_id,)
        )
        return [entry_from_row(row) for row in rows]

    def entries_since(self, project: str, since: datetime) -> list[Entry]:
        rows = self._read().execute(
            f"{ENTRY_SELECT} WHERE e.project = ? AND e.created_at >= ? ORDER BY e.created_at, e.seq",
            (project, to_db(since)),
        )
        return [entry_from_row(row) for row in rows]

    def _outbox_row(self, row: Mapping[str, Any], *, check_first: bool = False) -> dict[str, Any]:
        return _writing().outbox_row(row, self.zone, self.clock(), check_first=check_first)

    def add_many(
        self,
        project: str,
        items: Iterable[NewEntry],
        *,
        source: str = "import",
        strict: bool = True,
        mirror: bool = True,
    ) -> BulkResult:
        """Store many entries quickly (restores, imports): idempotent by id, then mirrored.

        Entries whose id the store already has (or that repeat an id given
        earlier in ``items``) are skipped; entries that break a rule are refused
        one by one (with their position) and the rest go in. ``strict=False``
        keeps text written elsewhere as it was (see ``clean_fields``);
        ``mirror=False`` is for entries read from the project's own mirror
        files, which are there already.
        """
        added: list[str] = []
        skipped: list[str] = []
        masked: list[str] = []
        refused: list[tuple[int, list[Problem]]] = []
        batch: list[tuple[Any, ...]] = []
        given_ids: set[str] = set()
        connection = self._read()

        def write(batch: list[tuple[Any, ...]]) -> None:
            # A restore's ids may already have lines in the file; new ones cannot.
            taken, known = self._write_rows(connection, project, batch, mirror, given_ids, None)
            added.extend(taken)
            skipped.extend(known)

        # Batches are written by one writer thread while the next is prepared here: SQLite
        # lets go of the GIL while it inserts and indexes, so the two overlap. One batch
        # at a time, in order, each its own transaction (as when written here).
        from concurrent.futures import Future, ThreadPoolExecutor

        pending: Future[None] | None = None
        with ThreadPoolExecutor(1, thread_name_prefix="logbook-bulk") as writer:

            def hand_over(batch: list[tuple[Any, ...]]) -> None:
                nonlocal pending
                if pending is not None:
                    pending.result()
                pending = writer.submit(write, batch) if batch else None

            w = _writing()
            for position, item in enumerate(items, start=1):
                prepared = w.prepare_row(project, item, source, strict=strict, clock=self.clock)
                if prepared.row is None:
                    refused.append((position, prepared.problems))
                    continue
                masked.extend(prepared.masked)
                if item.id:
                    given_ids.add(item.id)
                batch.append(prepared.row)
                if len(batch) >= _BULK_CHUNK:
                    hand_over(batch)
                    batch = []
            hand_over(batch)
            hand_over([])
        errors = [r.error for r in self.flush_mirror(project) if r.error] if mirror else []
        return BulkResult(added, skipped, refused, errors, tuple(masked))

    def write_rows(
        self,
        project: str,
        rows: list[tuple[Any, ...]],
        *,
        mirror: bool,
        check_first: Container[str] = (),
        outbox: Mapping[str, dict[str, Any]] | None = None,
    ) -> tuple[list[str], list[str]]:
        """Store rows made by ``writing.prepare_row`` (in ``writing.ROW_COLUMNS`` order) in one
        transaction: (added ids, ids the store had already, which are skipped). With
        ``mirror``, their mirror lines are queued in the same transaction (``outbox``: lines
        made beforehand, by id; an id in ``check_first`` may be in the file already); the
        caller flushes them."""
        return self._write_rows(self._read(), project, rows, mirror, check_first, outbox)

    def _write_rows(
        self,
        connection: sqlite3.Connection,
        project: str,
        rows: list[tuple[Any, ...]],
        mirror: bool,
        check_first: Container[str],
        outbox: Mapping[str, dict[str, Any]] | None,
    ) -> tuple[list[str], list[str]]:
        if not rows:
            return [], []
        columns = _writing().ROW_COLUMNS
        at_id = columns.index("id")
        # A plain sqlite3 transaction: bulk rows gain nothing from the ORM (its bulk
        # path ran a statement per few rows, and importing it costs 0.3 s per import).
        with self._immediate(connection) as db:
            known = _known_ids(db, [row[at_id] for row in rows])
            fresh, skipped = [], []
            for row in rows:
                if row[at_id] in known:
                    skipped.append(row[at_id])
                else:
                    known.add(row[at_id])
                    fresh.append(row)
            if fresh:
                fresh = self._assign_sessions(db, project, fresh)
                last = db.execute("SELECT coalesce(max(seq), 0) FROM entry").fetchone()[0]
                db.executemany(
                    f"INSERT INTO entry ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    fresh,
                )
                db.execute(FTS_FILL, (last, last + len(fresh)))
                if mirror:
                    lines = outbox or {}
                    queued = [
                        lines.get(row[at_id])
                        or self._outbox_row(
                            dict(zip(columns, row, strict=True)), check_first=row[at_id] in check_first
                        )
                        for row in fresh
                    ]
                    _insert_rows(db, "mirror_outbox", queued)
        return [row[at_id] for row in fresh], skipped

    def add_events(self, items: Sequence[NewEvent], *, mirror: bool = True) -> BulkResult:
        """Store events read from an export (statuses, timelines, verifications...): idempotent
        by id, each to an entry the store has, text checked and masked as when typed.

        Their mirror lines are checked against the file first: a restore into a new store for
        the same checkout finds them there already.
        """
        from storage.validation import Problem, find_forbidden_char, terminal_output

        w = _writing()
        refused: list[tuple[int, list[Problem]]] = []
        masked: list[str] = []
        ready: list[tuple[int, NewEvent, dict[str, Any]]] = []
        for position, item in enumerate(items, start=1):
            problems = []
            if item.type not in EVENT_TYPES:
                problems.append(Problem("event", f"{item.type!r} is not one of {', '.join(EVENT_TYPES)}"))
            if item.created_at.tzinfo is None:
                problems.append(Problem("created_at", f"{item.created_at.isoformat()!r} has no time zone"))
            data: dict[str, Any] = {}
            for key, value in item.data.items():
                if key == "output_tail" and isinstance(value, str):
                    value = terminal_output(value)  # what a command printed, as record_run keeps it
                if key == "at" and value is not None:
                    value, problem = _stored_time(value)  # as add_incident_event stores it
                    if problem:
                        problems.append(Problem(key, problem))
                        continue
                if isinstance(value, str):
                    bad = find_forbidden_char(value)
                    if bad:
                        problems.append(Problem(key, f"contains {bad}; remove it and try again"))
                        continue
                    value, labels = w.mask_text(value)
                    masked.extend(labels)
                data[key] = value
            if problems:
                refused.append((position, problems))
            else:
                ready.append((position, item, data))
        added: list[str] = []
        skipped: list[str] = []
        projects: set[str] = set()
        now = to_db(self.clock())
        with self._immediate() as db:
            known = _known_event_ids(db, [item.id for _, item, _ in ready])
            entries = _entries_by_id(db, sorted({item.entry_id for _, item, _ in ready}))
            actions = _action_numbers(
                db, sorted({i.entry_id for _, i, _ in ready if i.type == "action-done"})
            )
            rows: list[dict[str, Any]] = []
            outbox: list[dict[str, Any]] = []
            for position, item, data in ready:
                entry = entries.get(item.entry_id)
                if item.id in known:
                    skipped.append(item.id)
                    continue
                if entry is None:
                    refused.append((position, [Problem("entry", f"no entry {item.entry_id} in this store")]))
                    continue
                problem = _event_problem(entry, item.type, data, actions.get(entry.id, set()))
                if problem is not None:
                    refused.append((position, [problem]))
                    continue
                if item.type == "action":  # an action-done later in the same restore may name it
                    actions.setdefault(entry.id, set()).add(data.get("number"))
                try:
                    line = w.render_event_line(
                        event_id=item.id,
                        entry=entry,
                        event_type=item.type,
                        data=data,
                        created_at=item.created_at,
                        zone=self.zone,
                    )
                except (KeyError, TypeError, ValueError):
                    refused.append((position, [Problem("event", f"an incomplete {item.type} event")]))
                    continue
                known.add(item.id)
                rows.append(
                    {
                        "id": item.id,
                        "entry_id": item.entry_id,
                        "type": item.type,
                        "created_at": to_db(item.created_at),
                        "author": w.plain(item.author),
                        "source": w.plain(item.source),
                        "data": json.dumps(data, ensure_ascii=False),
                    }
                )
                if mirror:
                    projects.add(entry.project)
                    outbox.append(
                        {
                            "project": entry.project,
                            "file": w.mirror_file_for(entry.kind),
                            "item_id": item.id,
                            "line": line,
                            "created_at": now,
                            "check_first": 1,
                        }
                    )
            if rows:
                _insert_rows(db, "event", rows)
                added = [row["id"] for row in rows]
            if outbox:
                _insert_rows(db, "mirror_outbox", outbox)
        errors = [r.error for project in sorted(projects) for r in self.flush_mirror(project) if r.error]
        return BulkResult(added, skipped, sorted(refused, key=lambda r: r[0]), errors, tuple(masked))

    def set_status(
        self,
        entry_id: str,
        status: str,
        *,
        note: str = "",
        source: str = "cli",
        context: GitContext | None = None,
    ) -> Saved:
        """Record an incident's new status as an event (stored and mirrored)."""
        from storage.validation import Problem, find_forbidden_char

        entry = self.get(entry_id)
        if entry.kind is not Kind.INCIDENT:
            raise Refused([Problem("status", f"entry {entry.short_id} is a {entry.kind}, not an incident")])
        try:
            new_status = normalize_status(status)
        except ValueError:
            raise Refused(
                [Problem("status", f"{status!r} is not one of open, mitigated, resolved")]
            ) from None
        if new_status.value == entry.status:
            raise Refused([Problem("status", f"incident {entry.short_id} is already {new_status}")])
        note = note.replace("\r\n", "\n").strip()
        bad = find_forbidden_char(note)
        if bad:
            raise Refused([Problem("note", f"contains {bad}; remove it and try again")])
        if new_status is not Status.OPEN and entry.field("cause").lower() == "unknown" and not note:
            raise Refused(
                [Problem("cause", 'the root cause is still "unknown": say what it was in the note')]
            )
        note, masked = _writing().mask_text(note)
        data = {"status": new_status.value, "previous": entry.status, "note": note}
        return self._add_event(entry, "status", data, source, context, masked)

    def add_incident_event(
        self,
        entry_id: str,
        event_type: str,
        text: str = "",
        *,
        at: datetime | None = None,
        number: int | None = None,
        source: str = "cli",
        context: GitContext | None = None,
    ) -> Saved:
        """Add to an incident's postmortem: a timeline event, an action item (or its
        completion), the impact, or a lesson (what went wrong / right). Stored as a new
        event and mirrored; the incident entry itself is never edited.
        """
        from storage.validation import Problem, find_forbidden_char, find_placeholder

        entry = self.get(entry_id)
        if entry.kind is not Kind.INCIDENT:
            raise Refused([Problem(event_type, f"entry {entry.short_id} is a {entry.kind}, not an incident")])
        if event_type not in INCIDENT_EVENTS:
            raise Refused([Problem("event", f"{event_type!r} is not one of {', '.join(INCIDENT_EVENTS)}")])
        text = text.strip()
        data: dict[str, Any] = {}
        if event_type == "action-done":
            actions = [e for e in self.events(entry.id) if e.type == "action"]
            if number is None or not 1 <= number <= len(actions):
                raise Refused([Problem("action", f"incident {entry.short_id} has no action item {number}")])
            data = {"number": number, "text": actions[number - 1].data.get("text", "")}
        else:
            problem = (
                ("is empty" if not text else None)
                or (find_forbidden_char(text) and f"contains {find_forbidden_char(text)}")
                or (find_placeholder(text) and f"still holds the placeholder {find_placeholder(text)!r}")
            )
            if problem:
                raise Refused([Problem(event_type, problem)])
            data = {"text": text}
            if event_type == "action":
                data["number"] = sum(1 for e in self.events(entry.id) if e.type == "action") + 1
            if event_type == "timeline":
                data["at"] = to_db(at or self.clock())
        masked: tuple[str, ...] = ()
        if "text" in data:
            data["text"], masked = _writing().mask_text(data["text"])
        return self._add_event(entry, event_type, data, source, context, masked)

    def record_run(
        self, entry_id: str, result: RunResult, *, context: GitContext, source: str = "cli"
    ) -> Saved:
        """Store a run of an entry's verification command as a verification event.

        It passes when the command did and its output still shows the entry's
        expected result (when the entry names one); ``context.commit`` is the
        commit it was run against.
        """
        from storage.validation import terminal_output

        entry = self.get(entry_id)
        expected = entry.fields.get("expected")
        seen = expected in result.output_tail if expected else None
        # Escapes gone before masking: a colour code inside a token would hide it from the detectors.
        output = terminal_output(result.output_tail[-VERIFICATION_TAIL_CHARS:])
        tail, masked = _writing().mask_text(output)
        data = {
            "result": "pass" if result.passed and seen is not False else "fail",
            "command": entry.fields.get("verify") or result.command,
            "exit_code": result.exit_code,
            "duration": round(result.duration, 3),
            "expected_seen": seen,
            "commit": context.commit,
            "output_tail": tail or "",
        }
        return self._add_event(entry, "verification", data, source, context, masked)

    def _add_event(
        self,
        entry: Entry,
        event_type: str,
        data: dict[str, Any],
        source: str,
        context: GitContext | None,
        masked: tuple[str, ...] = (),
    ) -> Saved:
        from storage.orm import EventRow, OutboxRow

        w = _writing()
        created = self.clock()
        event_id = new_id()
        line = w.render_event_line(
            event_id=event_id,
            entry=entry,
            event_type=event_type,
            data=data,
            created_at=created,
            zone=self.zone,
        )
        with self._session() as session:
            session.add(
                EventRow(
                    id=event_id,
                    entry_id=entry.id,
                    type=event_type,
                    created_at=to_db(created),
                    author=(context or GitContext()).author,
                    source=source,
                    data=json.dumps(data, ensure_ascii=False),
                )
            )
            session.add(
                OutboxRow(
                    project=entry.project,
                    file=w.mirror_file_for(entry.kind),
                    item_id=event_id,
                    line=line,
                    created_at=to_db(created),
                )
            )
        event = next(e for e in self.events(entry.id) if e.id == event_id)
        return self._flushed(self.get(entry.id), event, masked)

    # -- drafts ----------------------------------------------------------

    def save_draft(
        self,
        project: str,
        kind: Kind,
        fields: Mapping[str, str],
        *,
        draft_id: str | None = None,
        supersedes: str | None = None,
    ) -> str:
        """Keep a half-typed form; returns its id (pass it back to update the same draft)."""
        from storage.orm import DraftRow

        w = _writing()
        draft_id = draft_id or new_id()
        kept = {name: w.mask_text(value)[0] for name, value in fields.items()}  # secrets never stored
        with self._session() as session:
            session.merge(
                DraftRow(
                    id=draft_id,
                    project=project,
                    kind=kind.value,
                    fields=json.dumps(kept, ensure_ascii=False),
                    supersedes=supersedes,
                    updated_at=to_db(self.clock()),
                )
            )
        return draft_id

    def drafts(self, project: str) -> list[Draft]:
        rows = self._read().execute(f"{DRAFT_SELECT} WHERE project = ? ORDER BY updated_at DESC", (project,))
        return [draft_from_row(row) for row in rows]

    def delete_draft(self, draft_id: str) -> None:
        self._read().execute("DELETE FROM draft WHERE id = ?", (draft_id,))

    # -- the mirror --------------------------------------------------------

    def flush_mirror(self, project: str) -> list[FlushResult]:
        """Write every pending mirror line of ``project`` (also finishes interrupted appends)."""
        if not self.pending_mirror(project):
            return []
        w = _writing()
        return [w.outbox.flush(self._read(), project, file) for file in w.MIRROR_FILES]

    def mirror_check(self, project: str) -> list[MirrorDrift]:
        """Per mirror file: entries the store has but no mirror file shows, and what is wrong with it.

        An entry is present when its anchor is in either file, or, for an entry
        taken in from a hand-written line, when that line is still there.
        """
        from storage.markdown_import import parse_log

        w = _writing()
        pending = w.outbox.pending_errors(self._read(), project)
        scans = {file: w.scan(Path(project) / file) for file in w.MIRROR_FILES}
        present: set[str] = set()
        for file, found in scans.items():
            present.update(found.anchors)
            if found.text:
                log = parse_log(found.text, name=file, default_zone=self.zone)
                present.update(e.uid for e in log.entries if not e.logbook_line)
        by_file: dict[str, list[Entry]] = {file: [] for file in scans}
        for entry in self.iter_entries(project):  # read once for both files
            by_file[w.mirror_file_for(entry.kind)].append(entry)
        report: list[MirrorDrift] = []
        for file, found in scans.items():
            expected = by_file[file]
            pending_here = {item for f, item, _ in pending if f == file}
            missing = [e for e in expected if e.id not in present and e.id not in pending_here]
            problems = list(found.problems)
            if missing and not found.exists and not found.problems:
                problems.append(f"{found.path} does not exist")
            report.append(
                MirrorDrift(
                    file=str(found.path),
                    present=len(expected) - len(missing),
                    missing=missing,
                    pending=[
                        f"{item} ({error or 'not yet written'})" for f, item, error in pending if f == file
                    ],
                    problems=problems,
                )
            )
        return report

    def mirror_repair(self, project: str) -> list[FlushResult]:
        """Append every entry the mirror files lack (in time order), then flush."""
        drift = self.mirror_check(project)
        rows = []
        for report in drift:
            for entry in report.missing:
                row = {
                    "id": entry.id,
                    "project": entry.project,
                    "kind": entry.kind.value,
                    "created_at": to_db(entry.created_at),
                    "tags": " ".join(entry.tags),
                    "supersedes": entry.supersedes,
                    **entry_columns(entry.fields),
                }
                rows.append(self._outbox_row(row, check_first=True))
        if rows:
            with self._immediate() as db:
                _insert_rows(db, "mirror_outbox", rows)
        return self.flush_mirror(project)

    def mirror_line(self, entry: Entry) -> str:
        """The entry's line as it stands in its mirror file (as it would be written, if absent)."""
        w = _writing()
        path = Path(entry.project) / w.mirror_file_for(entry.kind)
        anchor = f"<!-- logbook:{entry.id}"
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    if anchor in line:
                        return line.rstrip("\r\n")
        except OSError:
            pass
        return w.render_line(
            entry_id=entry.id,
            kind=entry.kind,
            fields=entry.fields,
            created_at=entry.created_at,
            zone=self.zone,
            tags=entry.tags,
            supersedes=entry.supersedes,
        )

    def pending_mirror(self, project: str) -> int:
        """Mirror lines promised but not yet on disk (a failed or interrupted append)."""
        from storage.outbox import pending_count

        return pending_count(self._read(), project)
