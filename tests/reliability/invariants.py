"""What must hold between a store and a project's mirror files, checked line by line."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from storage.clock import parse_zone
from storage.markdown_import import parse_log
from storage.mirror import MIRROR_FILES, mirror_file_for, scan
from storage.mirror_format import ANCHOR_RE, parse_line
from storage.records import Entry
from storage.store import Store

ZONE = parse_zone("Europe/Moscow")
_OURS = re.compile(r"<!-- logbook:[0-9a-f]")


@dataclass
class Audit:
    """Counts of everything that must be zero, and the details behind them."""

    entries: int = 0
    lost: int = 0
    """Stored entries whose line is in no mirror file."""
    doubled: int = 0
    """Stored entries whose line is in a mirror file more than once."""
    foreign: int = 0
    """Anchored lines that belong to no stored entry (or sit in the wrong file)."""
    torn: int = 0
    """Lines with an anchor that do not read back, lines glued together, files not ending in a newline."""
    unparseable: int = 0
    """Mirror files that do not decode, or that parse_log finds lines it cannot understand in."""
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.foreign or self.torn or self.unparseable)

    def __str__(self) -> str:
        return (
            f"entries={self.entries} lost={self.lost} doubled={self.doubled} foreign={self.foreign} "
            f"torn={self.torn} unparseable={self.unparseable}: " + "; ".join(self.details[:8])
        )


def audit(
    store: Store,
    project: str | Path,
    *,
    allow_problems: bool = False,
    hand_written: int = 0,
    users_lines: Collection[str] = (),
) -> Audit:
    """Compare the store's entries of ``project`` with its HANDOFF.md / INCIDENTS.md.

    ``hand_written``: how many entries without an anchor the files may hold (a torn line
    of ours left behind would read as one). ``users_lines``: lines a person wrote that
    parse_log may not understand (only lines logbook wrote must all read back).
    """
    project = str(project)
    stored = list(store.iter_entries(project))
    result = Audit(entries=len(stored))
    by_file: dict[str, set[str]] = {name: set() for name in MIRROR_FILES}
    for entry in stored:
        by_file[mirror_file_for(entry.kind)].add(entry.id)
    for name in MIRROR_FILES:
        path = Path(project) / name
        anchors: Counter[str] = Counter()
        if path.is_file():
            data = path.read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as error:
                result.unparseable += 1
                result.details.append(f"{name}: not UTF-8 ({error})")
                text = data.decode("utf-8", errors="replace")
            if text and not text.endswith("\n"):
                result.torn += 1
                result.details.append(f"{name}: does not end with a line break: {text[-60:]!r}")
            problems = scan(path).problems
            if problems and not allow_problems:
                result.torn += 1
                result.details.append(f"{name}: {problems}")
            for number, line in enumerate(text.split("\n"), start=1):
                if line.count("<!-- logbook:") > 1:
                    result.torn += 1
                    result.details.append(f"{name}:{number}: two anchors on one line")
                    continue
                if not _OURS.search(line):
                    continue
                match = ANCHOR_RE.search(line)
                parsed = parse_line(line)
                if match is None or parsed is None:
                    result.torn += 1
                    result.details.append(f"{name}:{number}: an anchored line that does not read back")
                    continue
                anchors[parsed.entry_id] += 1
                if parsed.entry_id not in by_file[name] and parsed.event_of is None:
                    result.foreign += 1
                    result.details.append(f"{name}:{number}: {parsed.entry_id} is not a stored entry here")
            log = parse_log(data, name=name, default_zone=ZONE)
            ours = [(n, line) for n, line in log.not_understood if line not in users_lines]
            if ours:
                result.unparseable += 1
                result.details.append(f"{name}: not understood {ours[:3]}")
            hand_written -= sum(1 for e in log.entries if not e.logbook_line)
            read = Counter(e.entry_id for e in log.entries if e.logbook_line and e.event_of is None)
            if read != Counter({k: v for k, v in anchors.items() if k in by_file[name]}):
                result.torn += 1
                result.details.append(f"{name}: parse_log reads other entries than the anchors show")
        for entry_id in by_file[name]:
            if anchors[entry_id] == 0:
                result.lost += 1
                result.details.append(f"{name}: {entry_id} is stored but not mirrored")
            elif anchors[entry_id] > 1:
                result.doubled += 1
                result.details.append(f"{name}: {entry_id} is mirrored {anchors[entry_id]} times")
    if hand_written < 0:
        result.foreign += -hand_written
        result.details.append(f"{-hand_written} lines read as hand-written entries")
    return result


def reopen_and_flush(db_path: Path, project: str | Path) -> Store:
    """What the next `logbook` start does: open the store, finish interrupted mirror appends."""
    store = Store.open(db_path, zone=ZONE)
    results = store.flush_mirror(str(project))
    errors = [r.error for r in results if r.error]
    assert not errors, errors
    return store


def same_entry(entry: Entry, kind: object, fields: dict[str, str], tags: tuple[str, ...]) -> bool:
    """An entry holds exactly what was given (after the store's own cleaning of it)."""
    from storage.validation import clean_fields

    cleaned, problems = clean_fields(entry.kind, fields)
    return not problems and entry.kind is kind and entry.fields == cleaned and entry.tags == tags
