"""Taking back what `logbook export --format jsonl` wrote: every entry, and every event with it.

A restore (a new machine, a teammate's export) must give back the store that was
exported: an incident's statuses, timeline, action items and verifications are
events, and they come back with their entry, not only the entry.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.kinds import Kind, field_names
from storage.store import NewEntry, NewEvent, Store

_EVENT_COLUMNS = frozenset({"id", "entry_id", "type", "created_at", "author", "source"})
"""An exported event's own keys; the rest is its data (a timeline event's ``at`` among them)."""


@dataclass
class ExportFile:
    """What an export file holds, and the lines that are not logbook entries."""

    entries: list[NewEntry] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class RestoreReport:
    """What importing an export did (or, for a dry run, would do)."""

    path: str
    dry_run: bool
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """One line per refused entry, saying which and why."""
    events_added: int = 0
    events_skipped: int = 0
    events_refused: list[str] = field(default_factory=list)
    """One line per refused event (a status, a verification...), saying which and why."""
    bad: list[tuple[int, str]] = field(default_factory=list)
    mirror_errors: list[str] = field(default_factory=list)
    masked: Counter[str] = field(default_factory=Counter)
    """What was (for a dry run: would be) masked in the entries and events taken."""

    @property
    def ok(self) -> bool:
        return not (self.bad or self.refused or self.events_refused)

    @property
    def refusals(self) -> list[str]:
        """Every refused entry, then every refused event."""
        return self.refused + self.events_refused

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "added": len(self.added),
            "skipped": len(self.skipped),
            "refused": len(self.refused) + len(self.bad),
            "events_added": self.events_added,
            "events_skipped": self.events_skipped,
            "events_refused": len(self.events_refused),
            "masked": dict(self.masked),
        }


def _when(text: str) -> datetime:
    """A time as an export writes it (with its zone); one without a zone is not guessed at."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"the time {text!r} has no time zone")
    return moment


def read_export(path: Path) -> ExportFile:
    """The entries and events of a JSONL export (a BOM is allowed; bad lines are listed)."""
    found = ExportFile()
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                kind = Kind(record["kind"])
                fields = {n: record.get(n) for n in field_names(kind)}
                changes = [e for e in record.get("events") or [] if e.get("type") == "status"]
                if changes and "status" in fields:
                    # The record shows the status its events led to; the entry had the first one.
                    fields["status"] = changes[0].get("previous") or fields["status"]
                entry = NewEntry(
                    kind=kind,
                    fields=fields,
                    tags=record.get("tags") or (),
                    created_at=_when(record["created_at"]),
                    id=record["id"],
                    author=record.get("author"),
                    branch=record.get("branch"),
                    commit=record.get("commit"),
                    supersedes=record.get("supersedes"),
                    raw=record.get("raw"),
                    origin=record.get("origin"),
                    session_id=record.get("session"),
                )
                events = [
                    NewEvent(
                        id=event["id"],
                        entry_id=record["id"],
                        type=event["type"],
                        created_at=_when(event["created_at"]),
                        author=event.get("author"),
                        source=event.get("source") or "import",
                        data={
                            k: v
                            for k, v in event.items()
                            if k not in _EVENT_COLUMNS and not (k == "at" and v is None)
                        },
                    )
                    for event in record.get("events") or []
                ]
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                found.bad.append((number, f"not a logbook entry ({error})"))
                continue
            found.entries.append(entry)
            found.events += events
    return found


def import_export(store: Store, project: str, path: Path, *, dry_run: bool = False) -> RestoreReport:
    """Store the entries and events of an export that the store does not have yet."""
    read = read_export(path)
    report = RestoreReport(path=str(path), dry_run=dry_run, bad=read.bad)
    if dry_run:
        known = store.known_ids([entry.id for entry in read.entries if entry.id])
        from storage.writing import would_mask

        report.added = [e.id for e in read.entries if e.id and e.id not in known]
        report.skipped = sorted(known)
        event_ids = {event.id for event in read.events}
        known_events = store.known_event_ids(sorted(event_ids))
        report.events_added, report.events_skipped = len(event_ids - known_events), len(known_events)
        fresh = [(e.fields, e.raw) for e in read.entries if e.id and e.id not in known]
        fresh += [
            ({k: v for k, v in e.data.items() if isinstance(v, str)}, None)
            for e in read.events
            if e.id not in known_events
        ]
        report.masked.update(would_mask(fresh))
        return report
    result = store.add_many(project, read.entries, source="import")
    report.added, report.skipped = result.added, result.skipped
    report.refused = [_refusal("entry", p, problems) for p, problems in result.refused]
    # An export lists events by time, and a teammate's "done" (its mirror line dated to the
    # minute) can be older than the action it closes: actions go in first, so it finds it.
    order = sorted(range(len(read.events)), key=lambda i: read.events[i].type == "action-done")
    events = store.add_events([read.events[i] for i in order])
    report.events_added, report.events_skipped = len(events.added), len(events.skipped)
    refused = sorted(((order[p - 1] + 1, problems) for p, problems in events.refused), key=lambda r: r[0])
    report.events_refused = [_refusal("event", p, problems) for p, problems in refused]
    report.mirror_errors = result.mirror_errors + events.mirror_errors
    report.masked.update([*result.masked, *events.masked])
    return report


def _refusal(what: str, position: int, problems: list[Any]) -> str:
    return f"{what} {position}: " + "; ".join(str(p) for p in problems)
