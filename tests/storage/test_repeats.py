"""Repeats in a big log: RepeatMarker against the rule written out plainly.

The marker stops looking back once the recent entries are in time order and one is more
than the window before the entry; a log that goes back in time must still be checked
against every recent entry. Both are compared here with a marker that always looks at
all thirty, on the bench's log shuffled a little (entries moved back and forth in time).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.seed_logs import write_log
from storage.kinds import Kind
from storage.markdown_import import (
    _REWORDED_SECONDS,
    NEAR_DUPLICATE_SCORE,
    RECENT_ENTRIES,
    REPEAT_WINDOW,
    SAME_MINUTE_SCORE,
    ParsedEntry,
    RepeatMarker,
    parse_piece,
)
from storage.similarity import Words
from tests.storage.test_import_seeds import MSK


def _plain_rule(entries: list[ParsedEntry]) -> None:
    """The rule as the docstring of RepeatMarker says it, for hand-written entries."""
    by_text: dict[tuple[Kind, str], ParsedEntry] = {}
    recent: list[ParsedEntry] = []
    for entry in entries:
        if entry.placeholder or entry.event_of or entry.entry_id:
            continue
        first = by_text.get((entry.kind, entry.key))
        if first is not None and abs(entry.created_at - first.created_at) <= REPEAT_WINDOW:
            entry.duplicate_of = first
            continue
        for earlier in reversed(recent):
            gap = abs((entry.created_at - earlier.created_at).total_seconds())
            if earlier.kind is not entry.kind or gap > _REWORDED_SECONDS:
                continue
            score = Words.of_key(entry.key).similarity(Words.of_key(earlier.key))
            if score >= NEAR_DUPLICATE_SCORE or (gap < 60 and score >= SAME_MINUTE_SCORE):
                entry.duplicate_of = earlier
                break
        if entry.duplicate_of is None:
            by_text[(entry.kind, entry.key)] = entry
            recent = [*recent, entry][-RECENT_ENTRIES:]


def _entries(tmp_path: Path, swaps: int, seed: int) -> list[ParsedEntry]:
    write_log(tmp_path / "log.md", 0.2)
    text = (tmp_path / "log.md").read_text(encoding="utf-8")
    entries = parse_piece(text, Kind.HANDOFF, MSK, 0, False)[0]
    shuffle = random.Random(seed)
    for _ in range(swaps):  # some entries written out of time order
        i = shuffle.randrange(len(entries) - 1)
        j = min(len(entries) - 1, i + shuffle.randrange(1, 6))
        entries[i], entries[j] = entries[j], entries[i]
    return entries


@pytest.mark.parametrize(("swaps", "seed"), [(0, 1), (40, 2), (400, 3)])
def test_the_marker_finds_what_looking_at_every_recent_entry_finds(
    tmp_path: Path, swaps: int, seed: int
) -> None:
    marked, plain = _entries(tmp_path, swaps, seed), _entries(tmp_path, swaps, seed)
    RepeatMarker([]).mark(marked)
    _plain_rule(plain)
    found = [(e.line, e.duplicate_of.line if e.duplicate_of else None) for e in marked]
    assert found == [(e.line, e.duplicate_of.line if e.duplicate_of else None) for e in plain]
    assert sum(1 for _, first in found if first is not None) > 5  # repeats were there to find


def test_a_log_that_goes_back_in_time_is_still_checked_against_every_recent_entry() -> None:
    log = (
        "# HANDOFF\n\n"
        "- 2026-02-01 10:00 MSK — Rotated the staging TLS certificate for api.example.com and reloaded nginx\n"
        "- 2026-02-01 08:00 MSK — Cleaned the build cache on the CI runner\n"  # written later, about earlier work
        "- 2026-02-01 10:20 MSK — Rotated the staging TLS certificate for api.example.com, then reloaded nginx\n"
    )
    marker = RepeatMarker([])
    first, cache, again = entries = parse_piece(log, Kind.HANDOFF, MSK, 0, False)[0]
    marker.mark(entries)
    assert again.duplicate_of is first and cache.duplicate_of is None
    assert marker.descents == 1  # the recent entries are not in time order: no early stop
    later = [
        f"- 2026-02-02 {hour:02d}:{minute:02d} MSK — Moved table {hour * 60 + minute} to the new schema\n"
        for hour in range(9, 12)
        for minute in range(0, 60, 5)
    ]
    marker.mark(parse_piece("".join(later), Kind.HANDOFF, MSK, 10, True)[0])
    assert marker.descents == 0  # the step back in time has left the thirty recent entries
