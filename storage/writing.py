"""The write side's helpers: rows, mirror lines and duplicate checks for new entries.

Kept apart from :mod:`storage.store` so that opening the store to read (the
TUI's first frame, ``logbook list``) never imports validation, the mirror
code or ``subprocess``; :class:`storage.store.Store` loads this on its first write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple

from storage import outbox
from storage.clock import from_db, to_db
from storage.ids import new_id
from storage.kinds import TEXT_FIELDS, Kind
from storage.mirror import MIRROR_FILES, mirror_file_for, scan
from storage.mirror_format import condense, render_event_line, render_line
from storage.records import Entry, GitContext
from storage.rows import ENTRY_SELECT, entry_columns, entry_from_row
from storage.secrets import mask_secrets, parts_may_hold_secrets
from storage.signature import error_signature
from storage.similarity import NEAR_DUPLICATE_SCORE, Words, fingerprint, fingerprint_of, key_text
from storage.validation import Problem, clean_fields, clean_tags, strip_forbidden

if TYPE_CHECKING:
    from storage.store import NewEntry

__all__ = [
    "MIRROR_FILES",
    "clean_fields",
    "clean_tags",
    "find_duplicate",
    "mask_entry",
    "mask_fields",
    "mask_text",
    "mirror_file_for",
    "outbox",
    "outbox_row",
    "plain",
    "prepare_row",
    "render_event_line",
    "render_line",
    "row_dict",
    "row_values",
    "scan",
    "summarize",
    "would_mask",
]


def mask_fields(fields: dict[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Fields with credentials masked, and what was masked ("a password in a URL", ...)."""
    masked: dict[str, str] = {}
    found: list[str] = []
    for name, value in fields.items():
        masked[name], labels = mask_text(value)
        found.extend(labels)
    return masked, tuple(found)


def mask_entry(fields: dict[str, str], raw: str | None) -> tuple[dict[str, str], str | None, tuple[str, ...]]:
    """An entry's fields and raw text with credentials masked, and what was masked.

    One look at all of it first: most entries hold nothing a detector could match,
    and a bulk import then skips the detectors for each of its fields.
    """
    if not parts_may_hold_secrets(fields.values(), raw or ""):
        return fields, raw, ()
    masked, found = mask_fields(fields)
    masked_raw, raw_found = mask_text(raw)
    return masked, masked_raw, found or raw_found


def would_mask(items: Iterable[tuple[Mapping[str, str | None], str | None]]) -> list[str]:
    """What storing entries with these fields and raw texts would mask (a dry run's report)."""
    found: list[str] = []
    for fields, raw in items:
        found += mask_entry({name: value for name, value in fields.items() if value}, raw)[2]
    return found


def mask_text(text: str | None) -> tuple[str | None, tuple[str, ...]]:
    if not text:
        return text, ()
    masked, findings = mask_secrets(text)
    return masked, tuple(finding.label for finding in findings)


_MAX_SEQ = 2**63 - 1
FUZZY_CANDIDATES = 200
"""How many of the latest entries in the window are compared word by word."""


def summarize(kind: Kind, fields: Mapping[str, str]) -> str:
    """The one line shown in lists: a handoff's what, an incident's symptom..."""
    return condense(fields.get(_SUMMARY_FIELD[kind], ""), 160)[0]


_SUMMARY_FIELD = {
    Kind.HANDOFF: "what",
    Kind.INCIDENT: "symptom",
    Kind.DECISION: "decision",
    Kind.NOTE: "text",
}


ROW_COLUMNS: tuple[str, ...] = (
    "id",
    "project",
    "kind",
    "created_at",
    "author",
    "branch",
    "git_commit",
    "source",
    "tags",
    "summary",
    "fingerprint",
    "supersedes",
    "raw",
    "origin",
    "session_id",
    "signature",
    *TEXT_FIELDS,
)
"""The columns of an entry row, in the order :func:`row_values` gives them and
:meth:`Store.write_rows` takes them."""


def row_dict(values: Sequence[Any]) -> dict[str, Any]:
    """:func:`row_values` by column name."""
    return dict(zip(ROW_COLUMNS, values, strict=True))


def row_values(
    project: str,
    kind: Kind,
    fields: dict[str, str],
    tags: Sequence[str],
    created: datetime,
    source: str,
    context: GitContext,
    supersedes: str | None,
    entry_id: str,
    raw: str | None = None,
    origin: str | None = None,
    key: str | None = None,
    session_id: str | None = None,
) -> tuple[Any, ...]:
    """The values of a new entry row, in ROW_COLUMNS order (``key``: the normalised main
    text, if already known): what ``executemany`` takes, and a third of the cost of a
    dict to send between processes (a bulk import makes 180,000 of them)."""
    get = fields.get
    author, branch, commit = context.author, context.branch, context.commit
    return (
        entry_id,
        project,
        kind._value_,  # (the value property costs a call: a bulk import makes 180,000 rows)
        to_db(created),
        plain(author) if author else author,
        plain(branch) if branch else branch,
        plain(commit) if commit else commit,
        source,
        " ".join(tags),
        summarize(kind, fields),
        fingerprint(kind, fields) if key is None else fingerprint_of(key),
        supersedes,
        raw,
        origin,
        session_id,
        error_signature(get("symptom", "")) if kind is Kind.INCIDENT else None,
        *map(get, TEXT_FIELDS),
    )


class Prepared(NamedTuple):
    """An entry made ready to store: its row, or the rules it breaks; and what was masked."""

    row: tuple[Any, ...] | None
    """The row's values in ROW_COLUMNS order; None when refused."""
    problems: list[Problem]
    masked: tuple[str, ...] = ()


def prepare_row(
    project: str, item: NewEntry, source: str, *, strict: bool, clock: Callable[[], datetime]
) -> Prepared:
    """Check, clean and mask one entry of a bulk write, and make its row (no database here:
    a big import prepares its rows in worker processes)."""
    cleaned, problems = clean_fields(item.kind, item.fields, strict=strict)
    tag_list, tag_problems = clean_tags(list(item.tags))
    if problems or tag_problems:
        return Prepared(None, problems + tag_problems)
    cleaned, raw, found = mask_entry(cleaned, item.raw)
    has_context = item.branch or item.commit or item.author
    context = GitContext(item.branch, item.commit, item.author) if has_context else _NO_GIT
    row = row_values(
        project,
        item.kind,
        cleaned,
        tag_list,
        item.created_at or clock(),
        source,
        context,
        item.supersedes,
        item.id or new_id(),
        raw,
        item.origin,
        None if found else item.key,
        item.session_id,
    )
    return Prepared(row, [], found)


_NO_GIT = GitContext()
"""The context of an entry with none (every entry of an import)."""


def plain(value: str | None) -> str | None:
    """Metadata from outside (git user.name, a jsonl file) without control characters."""
    return strip_forbidden(value) if value else value


def outbox_row(
    row: Mapping[str, Any], zone: tzinfo, now: datetime, *, check_first: bool = False
) -> dict[str, Any]:
    """The pending mirror line for an entry row, committed in the same transaction.

    ``check_first``: the file may already show this entry (a restore, a repair).
    """
    kind = Kind(row["kind"])
    line = render_line(
        entry_id=row["id"],
        kind=kind,
        fields={k: v for k, v in entry_columns(row).items() if v is not None},
        created_at=from_db(row["created_at"]),
        zone=zone,
        tags=tuple(row["tags"].split()),
        supersedes=row["supersedes"],
    )
    return {
        "project": row["project"],
        "file": mirror_file_for(kind),
        "item_id": row["id"],
        "line": line,
        "created_at": to_db(now),
        "check_first": int(check_first),
    }


def find_duplicate(
    connection: sqlite3.Connection,
    project: str,
    kind: Kind,
    fields: dict[str, str],
    created: datetime,
    supersedes: str | None,
    window: timedelta,
    up_to_seq: int | None = None,
) -> tuple[Entry, float] | None:
    """The nearly identical entry within ``window`` of ``created``, and how alike it is.

    Called inside the write transaction, so the check and the insert are one
    step for every other process. Exact matches (after normalising case,
    punctuation and spacing) are found by index at any store size; fuzzy
    matches are looked for among the latest entries of the window.
    """
    low, high = to_db(created - window), to_db(created + window)
    where = (
        " WHERE e.project = ? AND e.kind = ? AND e.created_at BETWEEN ? AND ?"
        " AND e.id IS NOT ? AND e.seq <= ?"
    )
    # up_to_seq: only entries stored before then (a big import's own earlier batches aside).
    args = (project, kind.value, low, high, supersedes, _MAX_SEQ if up_to_seq is None else up_to_seq)
    # By the digest's index, however many entries the window holds (the planner, knowing
    # nothing of the data, would walk the window by time).
    exact = connection.execute(
        f"{ENTRY_SELECT} INDEXED BY entry_by_fingerprint{where} AND e.fingerprint = ? LIMIT 1",
        (*args, fingerprint(kind, fields)),
    ).fetchone()
    if exact:
        return entry_from_row(exact), 1.0
    text = Words.of(key_text(kind, fields))
    rows = connection.execute(
        f"{ENTRY_SELECT}{where} ORDER BY e.created_at DESC LIMIT {FUZZY_CANDIDATES}", args
    )
    best: tuple[Entry, float] | None = None
    for candidate_row in rows:
        candidate = entry_from_row(candidate_row)
        score = text.similarity(Words.of(key_text(kind, candidate.fields)))
        if score >= NEAR_DUPLICATE_SCORE and (best is None or score > best[1]):
            best = (candidate, score)
    return best
