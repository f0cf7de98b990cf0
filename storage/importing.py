"""Taking hand-kept logs into the store: `logbook import FILE`, and `logbook sync`.

``import_log`` stores what :mod:`storage.markdown_import` read, idempotently:
an entry written by logbook keeps its id, a hand-written entry gets an id made
from its time and words (the same line gives the same id in every clone, so
two teammates importing one file never double it). Entries read from the
project's own HANDOFF.md / INCIDENTS.md are not appended there again.

``sync`` reads only what was appended to the mirror files since the last
sync (a digest of the part already read tells an append from a rewrite), so
running it on every TUI start costs nothing when nobody wrote.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Container
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from storage.markdown_import import PARALLEL_FROM_BYTES, ParsedEntry, ParsedLog, parse_log
from storage.mirror import MIRROR_FILES
from storage.mirror_events import read_event_line
from storage.records import Entry
from storage.similarity import REPEAT_WINDOW
from storage.store import NewEntry, NewEvent, Store


@dataclass
class ImportReport:
    """What importing one file did (or, for a dry run, would do)."""

    path: str
    log: ParsedLog
    dry_run: bool = False
    added: list[ParsedEntry] = field(default_factory=list)
    already: list[ParsedEntry] = field(default_factory=list)
    repeats_of_stored: list[tuple[ParsedEntry, Entry]] = field(default_factory=list)
    refused: list[tuple[ParsedEntry, str]] = field(default_factory=list)
    mirror_errors: list[str] = field(default_factory=list)
    masked: Counter[str] = field(default_factory=Counter)
    """What the store masked in the entries it took (a password in a URL, a token...)."""
    events_added: int = 0
    """Changes to entries (a status, a timeline event...) taken in from the file's change lines."""

    def to_dict(self) -> dict[str, Any]:
        log = self.log
        return {
            "file": self.path,
            "dry_run": self.dry_run,
            "entries": len(log.entries),
            # (Kinds counted, then named: an enum's value is a property, 180,000 times over.)
            "by_kind": {kind.value: n for kind, n in Counter(map(attrgetter("kind"), self.added)).items()},
            "added": len(self.added),
            "already_in_store": len(self.already),
            "duplicates": [
                {"line": e.line, "when": e.when, "duplicate_of_line": e.duplicate_of.line}
                for e in log.duplicates
                if e.duplicate_of is not None
            ]
            + [
                {"line": e.line, "when": e.when, "duplicate_of_id": stored.id}
                for e, stored in self.repeats_of_stored
            ],
            "placeholders": [{"line": e.line, "placeholder": e.placeholder} for e in log.placeholders],
            "repairs": dict(log.repairs),
            "not_understood": [{"line": n, "text": text} for n, text in log.not_understood],
            "refused": [{"line": e.line, "reason": reason} for e, reason in self.refused],
            "mirror_errors": self.mirror_errors,
            "events_added": self.events_added,
            "masked": dict(self.masked),
        }


def _is_own_mirror(path: Path, project: str) -> bool:
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return resolved.parent == Path(project).resolve() and resolved.name in MIRROR_FILES


def import_log(
    store: Store,
    project: str,
    log: ParsedLog,
    *,
    mirror: bool,
    source: str = "import",
    dry_run: bool = False,
    path: str | None = None,
) -> ImportReport:
    """Store the entries of ``log`` that the store does not have yet."""
    report = ImportReport(path=path or log.name, log=log, dry_run=dry_run)
    fresh = unstored(store, project, report, log.fresh)
    changes = changes_in(log, source, store)
    if dry_run:
        report.added = fresh
        from storage.writing import would_mask

        report.masked.update(would_mask((entry.fields, _raw(entry)) for entry in fresh))
        known = store.known_event_ids([event.id for _, event in changes])
        report.events_added = len({event.id for _, event in changes} - known)
        return report
    file_name = Path(report.path).name
    items = [new_entry(entry, file_name) for entry in fresh]
    result = store.add_many(project, items, source=source, strict=False, mirror=mirror)
    added = set(result.added)
    report.added = [entry for entry in fresh if entry.store_id in added]
    by_position = {position: reason for position, reason in result.refused}
    report.refused = [
        (fresh[position - 1], "; ".join(str(p) for p in problems))
        for position, problems in by_position.items()
    ]
    report.mirror_errors = result.mirror_errors
    report.masked.update(result.masked)
    take_changes(store, report, changes, mirror=mirror)
    return report


def unstored(
    store: Store,
    project: str,
    report: ImportReport,
    entries: list[ParsedEntry],
    *,
    up_to_seq: int | None = None,
    added_here: Container[str] = (),
) -> list[ParsedEntry]:
    """The entries the store does not have yet; the others go into ``report``.

    ``up_to_seq``: the store as it was before this import began (a big import stores
    a batch at a time, and its own earlier batches are not "already in the store");
    ``added_here``: ids this import has stored, repeated later in the file.
    """
    known = store.known_ids([entry.store_id for entry in entries])
    fresh: list[ParsedEntry] = []
    for entry in entries:
        if entry.store_id not in known:
            fresh.append(entry)
        elif entry.store_id not in added_here:
            report.already.append(entry)
    # Hand-written entries may repeat an entry the store got another way (typed in the
    # TUI, then also written by hand): same rules as adding one, against the store.
    hand_written = [entry for entry in fresh if not entry.logbook_line]
    if hand_written and store.count_between(
        project,
        min(entry.created_at for entry in hand_written) - REPEAT_WINDOW,
        max(entry.created_at for entry in hand_written) + REPEAT_WINDOW,
        up_to_seq=up_to_seq,
    ):
        kept = []
        for entry in fresh:
            stored = (
                None
                if entry.logbook_line
                else store.find_repeat(
                    project, entry.kind, entry.fields, entry.created_at, up_to_seq=up_to_seq
                )
            )
            if stored is not None:
                report.repeats_of_stored.append((entry, stored))
            else:
                kept.append(entry)
        fresh = kept
    return fresh


def new_entry(entry: ParsedEntry, file_name: str) -> NewEntry:
    """What the store is given for an entry read from ``file_name``."""
    return NewEntry(
        kind=entry.kind,
        fields=entry.fields,
        tags=entry.tags,
        created_at=entry.created_at,
        id=entry.store_id,
        raw=_raw(entry),
        origin=f"{file_name}:{entry.line}",
        key=entry.key,
    )


def take_changes(
    store: Store, report: ImportReport, changes: list[tuple[ParsedEntry, NewEvent]], *, mirror: bool
) -> None:
    """Store the file's change lines (after its entries: a change may be to one just added)."""
    if not changes:
        return
    taken = store.add_events([event for _, event in changes], mirror=mirror)
    report.events_added = len(taken.added)
    report.refused += [
        (changes[position - 1][0], "; ".join(str(problem) for problem in problems))
        for position, problems in taken.refused
    ]
    report.mirror_errors += taken.mirror_errors


def _raw(entry: ParsedEntry) -> str | None:
    """The text kept as written: a hand-written entry's (a line of ours is its fields)."""
    return None if entry.logbook_line else entry.raw


def changes_in(log: ParsedLog, source: str, store: Store) -> list[tuple[ParsedEntry, NewEvent]]:
    """The file's change lines (statuses, timeline events...) as events, with their lines."""
    found = []
    for entry in log.entries:
        if not (entry.event_of and entry.entry_id):
            continue
        change = read_event_line(entry.raw, store.zone)
        if change is not None:
            event_type, data = change
            found.append(
                (
                    entry,
                    NewEvent(
                        entry.entry_id, entry.event_of, event_type, entry.created_at, data, source=source
                    ),
                )
            )
    return found


def import_file(
    store: Store, project: str, path: Path, *, dry_run: bool = False, source: str = "import"
) -> ImportReport:
    """Read a hand-kept log and store what is new in it (nothing, when ``dry_run``)."""
    data = path.read_bytes()
    own = _is_own_mirror(path, project)
    from storage import parallel_import

    if not dry_run and len(data) >= PARALLEL_FROM_BYTES and parallel_import.can_read_in_pieces():
        report = parallel_import.import_in_pieces(store, project, path, data, mirror=not own, source=source)
    else:
        log = parse_log(data, name=path.name, default_zone=store.zone)
        report = import_log(
            store, project, log, mirror=not own, source=source, dry_run=dry_run, path=str(path)
        )
    if own and not dry_run:  # what sync would read next time has just been read
        store.save_sync_state(project, path.name, len(data), path.stat().st_mtime_ns, _digest(data))
    return report


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def sync(store: Store, project: str) -> list[ImportReport]:
    """Take in what others appended to the project's mirror files since the last sync.

    Our own interrupted appends are finished first (a torn line of ours must not be
    taken for a hand-written entry), and each file is read under its append lock, so
    no logbook process is half-way through a line while it is read.
    """
    from storage import parallel_import
    from storage.mirror import MirrorWriteError, open_for_append

    store.flush_mirror(project)
    reports = []
    for name in MIRROR_FILES:
        path = Path(project) / name
        try:
            stat = path.stat()
        except OSError:
            continue
        if not path.is_file():
            continue
        state = store.sync_state(project, name)
        if state is not None and state["size"] == stat.st_size and state["mtime_ns"] == stat.st_mtime_ns:
            continue  # untouched since the last sync: not even read
        try:
            with open_for_append(path) as locked:
                data = locked.read_from(0)
        except MirrorWriteError:
            # A file we may not write (read-only, immutable) can still be read: nobody
            # appends to it, so there is no line to catch half-written.
            try:
                data = path.read_bytes()
            except OSError:
                continue
        start = 0
        if (
            state is not None
            and len(data) >= state["size"]
            and _digest(data[: state["size"]]) == state["digest"]
        ):
            start = state["size"]  # only appended to: read the new part
        offset = data[:start].count(b"\n")
        if len(data) - start >= PARALLEL_FROM_BYTES and parallel_import.can_read_in_pieces():
            # A fresh clone's first sync of a long mirror: as fast as `logbook import`.
            report = parallel_import.import_in_pieces(
                store, project, path, data[start:], mirror=False, source="sync", lines_before=offset
            )
        else:
            log = parse_log(data[start:], name=name, default_zone=store.zone)
            for entry in log.entries:
                entry.line += offset
            log.not_understood = [(n + offset, text) for n, text in log.not_understood]
            report = import_log(store, project, log, mirror=False, source="sync", path=str(path))
        store.save_sync_state(project, name, len(data), stat.st_mtime_ns, _digest(data))
        reports.append(report)
    return reports


GITATTRIBUTES_RULES = ("HANDOFF.md merge=union", "INCIDENTS.md merge=union")


def init_project(project: str) -> list[str]:
    """Add the union-merge rules to .gitattributes (append-only); return the lines added."""
    path = Path(project) / ".gitattributes"
    existing = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    missing = [rule for rule in GITATTRIBUTES_RULES if rule not in (line.strip() for line in existing)]
    if missing:
        prefix = "" if not existing or path.read_bytes().endswith(b"\n") else "\n"
        with path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(prefix + "".join(f"{rule}\n" for rule in missing))
    return missing
