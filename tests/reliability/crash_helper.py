"""A writer process to kill: adds entries with ``Store.add`` in a loop, for kill -9 tests.

Run as a script it is a small fork server ("zygote"): it imports logbook once, then
for each ``fork`` command on stdin forks a child that opens the store and adds entries
until it is killed (or has added ``count``). Forking keeps each of the many kills cheap
(no interpreter start-up per kill) while every child is still a real process that
dies by a real SIGKILL, with its file lock and SQLite transaction in whatever state
the signal found them.

``die_at`` makes the child SIGKILL itself at a chosen step of its ``after``-th add
(0-based), by patching logbook's modules *in the child only* (nothing here is in the
product code):

- ``in-transaction``: inside the entry's write transaction, rows inserted, not committed;
- ``commit``: at the COMMIT statement of that transaction;
- ``committed``: committed, before the mirror flush starts;
- ``marked``: outbox rows marked ``writing``, before a byte is appended;
- ``torn``: part of the line appended (a seeded cut), then killed;
- ``torn-before-anchor``: all of the line but its anchor appended (it reads like a
  hand-written entry), then killed;
- ``torn-mid-text``: the line appended up to the middle of its first text, then killed;
- ``unsynced``: the whole line written, killed before its fsync;
- ``written``: appended and fsynced, killed before the outbox rows are deleted.

The entries a child writes are a pure function of (life, n): see :func:`planned`.
"""

from __future__ import annotations

import os
import random
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storage.kinds import Kind  # noqa: E402

DIE_STEPS = (
    "in-transaction",
    "commit",
    "committed",
    "marked",
    "torn",
    "torn-before-anchor",
    "torn-mid-text",
    "unsynced",
    "written",
)

_WORDS = (
    "alembic pytest uvicorn redis celery postgres docker nginx gunicorn sqlite fastapi "
    "migration schema worker queue cache socket port lock timeout retry backoff index"
).split()


def planned(life: int, n: int) -> tuple[Kind, dict[str, str], tuple[str, ...]]:
    """The entry child ``life`` adds as its ``n``-th: kind, fields and tags."""
    rng = random.Random(life * 100_003 + n)
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 12)))
    marker = f"life{life}n{n}"
    kind = (Kind.HANDOFF, Kind.INCIDENT, Kind.DECISION, Kind.NOTE)[rng.randrange(4)]
    if kind is Kind.HANDOFF:
        fields = {
            "what": f"{marker} shipped {words}",
            "verify": f"python -m pytest -q -k {rng.choice(_WORDS)}",
            "expected": f"{rng.randint(1, 99)} passed",
            "next": f"multi-line\nhandoff {words}" if rng.random() < 0.3 else "",
        }
    elif kind is Kind.INCIDENT:
        fields = {
            "symptom": f"{marker} failed: {words}",
            "cause": f"the {rng.choice(_WORDS)} was misconfigured",
            "fix": f"reconfigured {rng.choice(_WORDS)} — `make restart` -> ok",
            "severity": rng.choice(["SEV1", "SEV2", "SEV3", "SEV4"]),
        }
    elif kind is Kind.DECISION:
        fields = {"decision": f"{marker} use {words}", "why": "because " * rng.randint(1, 60)}
    else:
        fields = {"text": f"{marker} note: {words}" + " with a long tail" * rng.randint(0, 30)}
    tags = tuple(rng.sample(["ci", "db", "api", "infra"], rng.randint(0, 2)))
    return kind, {k: v for k, v in fields.items() if v}, tags


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(die_at: str, after: int, seed: int) -> None:
    """Patch logbook, in this child only, to SIGKILL itself at ``die_at`` of add number ``after``."""
    from storage import mirror, outbox
    from storage import store as store_module

    state = {"adds": -1}
    original_add = store_module.Store.add

    def add(self: object, *args: object, **kwargs: object) -> object:
        state["adds"] += 1
        return original_add(self, *args, **kwargs)  # type: ignore[arg-type]

    store_module.Store.add = add  # type: ignore[method-assign]

    def armed() -> bool:
        return state["adds"] == after

    if die_at in ("in-transaction", "commit"):
        from storage import db

        original_connect = db.connect
        wanted = "INSERT INTO entry_fts" if die_at == "in-transaction" else "COMMIT"

        def connect(path: Path) -> object:
            connection = original_connect(path)

            def trace(statement: str) -> None:
                if armed() and statement.lstrip().upper().startswith(wanted.upper()):
                    _die()

            connection.set_trace_callback(trace)
            return connection

        store_module.connect = connect  # type: ignore[assignment]
    elif die_at == "committed":
        original_flush = outbox.flush

        def flush(*args: object, **kwargs: object) -> object:
            if armed():
                _die()
            return original_flush(*args, **kwargs)  # type: ignore[arg-type]

        outbox.flush = flush  # type: ignore[assignment]
    elif die_at in ("marked", "torn", "torn-before-anchor", "torn-mid-text", "unsynced"):
        original_write = mirror.Appender.write
        rng = random.Random(seed)

        def write(self: mirror.Appender, offset: int, data: bytes) -> None:
            if not armed():
                return original_write(self, offset, data)
            if die_at == "marked":
                _die()
            if die_at == "torn":
                os.write(self._fd, data[: rng.randrange(1, len(data))])
            elif die_at == "torn-before-anchor":
                os.write(self._fd, data[: data.rindex(b" <!-- logbook:")])
            elif die_at == "torn-mid-text":
                sep = " — ".encode()
                first = data.rindex(b"\n- ", 0, len(data) - 1) + 1 if offset == 0 else 0
                start = data.index(sep, first) + len(sep)
                end = data.find(sep, start)
                os.write(self._fd, data[: (start + (end if end > 0 else len(data))) // 2])
            else:
                os.write(self._fd, data)
            _die()
            return None

        mirror.Appender.write = write  # type: ignore[method-assign]
    elif die_at == "written":
        original_mark = outbox._mark

        def mark(connection: object, seqs: list[int], state_: str, offset: int | None) -> None:
            if armed() and state_ == "done":
                _die()
            original_mark(connection, seqs, state_, offset)  # type: ignore[arg-type]

        outbox._mark = mark  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown die_at {die_at!r}")


def child(db: str, project: str, life: int, count: int, die_at: str, after: int, seed: int) -> None:
    from storage.store import Store

    if die_at != "-":
        _arm(die_at, after, seed)
    store = Store.open(Path(db))
    for n in range(count):
        kind, fields, tags = planned(life, n)
        store.add(project, kind, fields, tags=tags, allow_duplicate=True)
    store.close()


def serve() -> None:
    """The fork server: ``fork DB PROJECT LIFE COUNT DIE_AT AFTER SEED`` -> pid; ``wait PID`` -> status."""
    import storage.store
    import storage.writing  # noqa: F401

    __import__("sqlmodel")
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "fork":
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    db, project, life, count, die_at, after, seed = args
                    child(db, project, int(life), int(count), die_at, int(after), int(seed))
                except BaseException as error:  # reported through the exit status
                    print(f"child error: {error!r}", file=sys.stderr, flush=True)
                    code = 3
                finally:
                    os._exit(code)
            print(pid, flush=True)
        elif command == "wait":
            _, status = os.waitpid(int(args[0]), 0)
            print(status, flush=True)
        elif command == "quit":
            return


if __name__ == "__main__":
    serve()
