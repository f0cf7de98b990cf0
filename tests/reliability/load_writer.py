"""One of several processes running `logbook add` over and over on the same store and project.

Each add is a whole ``logbook add`` command (``tui.cli.main``): it opens the store, adds,
appends the mirror line, closes, as separate `logbook` runs do, without paying for a new
interpreter each time. What logbook prints goes to this process's stdout and stderr, which
the test reads: any "database is locked" a user would have seen is there.

Usage: load_writer.py DB PROJECT NAME COUNT GO_FILE
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORDS = "alembic pytest uvicorn redis celery postgres docker nginx sqlite fastapi worker cache".split()


def arguments(name: str, n: int) -> list[str]:
    """The `logbook add` arguments of this writer's n-th entry (a pure function of name and n)."""
    rng = random.Random(f"{name}-{n}")
    words = " ".join(rng.sample(WORDS, 4))
    marker = f"{name}-{n:03d}"
    kind = ("handoff", "incident", "decision", "note")[n % 4]
    if kind == "handoff":
        return ["handoff", "--what", f"{marker} shipped {words}", "--verify", "pytest -q", "--expected", "ok"]
    if kind == "incident":
        return ["incident", "--symptom", f"{marker} failed: {words}", "--cause", "load", "--fix", "retry"]
    if kind == "decision":
        return ["decision", "--decision", f"{marker} use {words}", "--why", "measured"]
    return ["note", f"{marker} {words}"]


def main() -> int:
    from tui.cli import main as logbook

    db, project, name, count, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), Path(sys.argv[5])
    Path(f"{go}.{name}.ready").touch()
    give_up = time.monotonic() + 120
    while not go.exists():
        if time.monotonic() > give_up:
            return 3  # the test gave up on us; do not write into a later run
        time.sleep(0.005)
    failures = 0
    for n in range(count):
        code = logbook(["--db", db, "--project", project, "add", *arguments(name, n), "--allow-duplicate"])
        if code != 0:
            failures += 1
            print(f"{name}: add {n} exited {code}", file=sys.stderr, flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
