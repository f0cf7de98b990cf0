"""How fast this machine runs Python just now: a fixed piece of work, timed.

Shared machines drift (here by 10-25% within an hour). A benchmark's result read
next to this figure, taken just before and just after it, tells a slower build
from a slower hour. The work uses nothing of logbook, so it stays the same from
build to build: lines of text split, searched with regular expressions, hashed
and counted, as an import does.
Run: `.venv/bin/python -m bench.machine`.
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
import time
from collections import Counter

_LINE = re.compile(r"^- (\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}) (\w+) (.*)$")
_LABEL = re.compile(r"[\s.;,](?:cause|fix|verified|next)\s*:", re.IGNORECASE)
_WORDS = ("build", "pool", "migration", "port", "cause", "fix", "Verified", "passed", "api", "db", "next")


def _text(lines: int = 50_000) -> list[str]:
    rng = random.Random(7)
    text = []
    for _ in range(lines):
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        stamp = f"2025-{month:02d}-{day:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        words = (rng.choice(_WORDS) + ":" * (rng.random() < 0.1) for _ in range(24))
        text.append(f"- {stamp} MSK {' '.join(words)}")
    return text


def _work(lines: list[str]) -> int:
    counts: Counter[str] = Counter()
    for line in lines:
        match = _LINE.match(line)
        if match is None:
            continue
        body = match.group(7)
        counts.update(body.lower().split())
        counts["labels"] += len(_LABEL.findall(f" {body}"))
        counts[hashlib.blake2b(" ".join(body.split()).encode(), digest_size=8).hexdigest()[:1]] += 1
    return len(counts)


def reference_seconds(repeat: int = 3) -> float:
    """The fastest of ``repeat`` timings of the fixed work (one core; lower is faster)."""
    lines = _text()
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        _work(lines)
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    print(f"machine reference: {reference_seconds():.3f} s (the same work in every build; lower is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
