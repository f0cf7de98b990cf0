"""Plain objects the store hands out: no database handles inside, safe to keep."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.kinds import Kind, field_names

SHORT_ID_CHARS = 8


@dataclass(frozen=True)
class GitContext:
    """Where an entry was written: branch, commit, and who to credit."""

    branch: str | None = None
    commit: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class Entry:
    id: str
    project: str
    kind: Kind
    created_at: datetime
    fields: dict[str, str]
    summary: str
    tags: tuple[str, ...] = ()
    author: str | None = None
    branch: str | None = None
    commit: str | None = None
    source: str = "cli"
    supersedes: str | None = None
    raw: str | None = None
    origin: str | None = None
    session_id: str | None = None
    # Derived from events at read time; the entry row itself is never edited.
    status: str | None = None
    superseded_by: str | None = None
    verification: str | None = None
    """The latest re-run of the verification command: "pass", "fail", or None (never)."""
    verified_commit: str | None = None

    def badge(self, head: str | None) -> str:
        """verified / failed / stale (verified at another commit than ``head``) / never."""
        if self.verification == "fail":
            return "failed"
        if self.verification == "pass":
            return "stale" if head and self.verified_commit and self.verified_commit != head else "verified"
        return "never"

    @property
    def short_id(self) -> str:
        return self.id[:SHORT_ID_CHARS]

    @property
    def severity(self) -> str | None:
        return self.fields.get("severity")

    def field(self, name: str) -> str:
        return self.fields.get(name, "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of an entry (``--json`` and ``export --format jsonl``)."""
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.value,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "project": self.project,
            "summary": self.summary,
            "tags": list(self.tags),
            "author": self.author,
            "branch": self.branch,
            "commit": self.commit,
            "source": self.source,
            "supersedes": self.supersedes,
        }
        for name in field_names(self.kind):
            if name in self.fields:
                data[name] = self.fields[name]
        if self.kind is Kind.INCIDENT:
            data["status"] = self.status or self.fields.get("status")
        if self.superseded_by:
            data["superseded_by"] = self.superseded_by
        if self.verification:
            data["verification"] = self.verification
        if self.raw:
            data["raw"] = self.raw
        if self.origin:
            data["origin"] = self.origin
        if self.session_id:
            data["session"] = self.session_id
        return data


@dataclass(frozen=True)
class Event:
    id: str
    entry_id: str
    type: str
    created_at: datetime
    at: datetime | None
    data: dict[str, Any] = field(default_factory=dict)
    author: str | None = None
    source: str = "cli"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entry_id": self.entry_id,
            "type": self.type,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "at": self.at.isoformat().replace("+00:00", "Z") if self.at else None,
            "author": self.author,
            "source": self.source,
            **self.data,
        }


@dataclass(frozen=True)
class WorkSession:
    """Entries made together: what ``logbook export`` summarises by default."""

    id: str
    project: str
    title: str
    started_at: datetime
    ended_at: datetime | None
    explicit: bool
    entries: int = 0
    last_at: datetime | None = None

    @property
    def short_id(self) -> str:
        return self.id[:SHORT_ID_CHARS]

    def to_dict(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat().replace("+00:00", "Z") if moment else None

        return {
            "id": self.id,
            "title": self.title,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "last_at": iso(self.last_at),
            "entries": self.entries,
            "explicit": self.explicit,
        }


@dataclass(frozen=True)
class Draft:
    id: str
    project: str
    kind: Kind
    fields: dict[str, str]
    updated_at: datetime
    supersedes: str | None = None


@dataclass(frozen=True)
class SearchHit:
    entry: Entry
    rank: float
    summary_marked: str
    snippet_marked: str


@dataclass(frozen=True)
class MirrorDrift:
    """What ``mirror check`` found for one mirror file.

    ``missing`` and ``pending`` are drift (``repair`` appends them); ``problems``
    are what an editor or a merge did to the file (BOM, CRLF, glued lines):
    reported, never rewritten, and no reason to fail a check on their own.
    """

    file: str
    present: int
    missing: list[Entry]
    pending: list[str]
    problems: list[str]

    @property
    def clean(self) -> bool:
        return not (self.missing or self.pending)
