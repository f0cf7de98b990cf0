"""kill -9 while adding: the store and the mirror hold either nothing or the whole entry,
and the next start (Store.open + flush_mirror) finishes any interrupted append.

Writers are real processes (forked from a fork server, see crash_helper.py) killed by a
real SIGKILL: at every step of an add through a hook in the child, then at many seeded
random moments.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.importing import sync
from storage.mirror import MIRROR_FILES, mirror_file_for
from storage.store import Store
from tests.reliability.crash_helper import DIE_STEPS, planned
from tests.reliability.invariants import ZONE, Audit, audit, reopen_and_flush
from tests.sqlite_rows import raw_connection

HELPER = Path(__file__).with_name("crash_helper.py")
ROOT = Path(__file__).resolve().parents[2]


class Zygote:
    """The fork server of crash_helper.py, driven over its stdin/stdout."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HELPER)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self._read() == "ready"

    def _read(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def _send(self, *words: object) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(" ".join(str(w) for w in words) + "\n")
        self.process.stdin.flush()
        return self._read()

    def fork(
        self, db: Path, project: Path, life: int, count: int, die_at: str = "-", after: int = 0, seed: int = 0
    ) -> int:
        return int(self._send("fork", db, project, life, count, die_at, after, seed))

    def wait(self, pid: int) -> int:
        return int(self._send("wait", pid))

    def close(self) -> None:
        if self.process.poll() is None:
            self._send_quit()
        self.process.wait(timeout=30)

    def _send_quit(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()


@pytest.fixture
def zygote() -> Iterator[Zygote]:
    server = Zygote()
    yield server
    server.close()


def killed_by_sigkill(status: int) -> bool:
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def outbox(db_path: Path, project: Path) -> list[tuple[str, str, str]]:
    with raw_connection(db_path) as connection:
        return connection.execute(
            "SELECT file, item_id, state FROM mirror_outbox WHERE project = ? ORDER BY seq", (str(project),)
        ).fetchall()


def stored_lives(store: Store, project: Path) -> dict[int, list[int]]:
    """For each writer life, the numbers of its entries the store holds (in order)."""
    lives: dict[int, list[int]] = {}
    for entry in store.iter_entries(str(project)):
        marker = entry.summary.split()[0]
        life, n = marker.removeprefix("life").split("n")
        lives.setdefault(int(life), []).append(int(n))
    return lives


def check_complete(store: Store, project: Path, result: Audit) -> None:
    """Every stored entry is whole (exactly what its writer meant) and no writer's entry is missing."""
    lives = stored_lives(store, project)
    for life, numbers in lives.items():
        if sorted(numbers) != list(range(len(numbers))):  # the writer adds 0, 1, 2...: no gaps
            result.lost += 1
            result.details.append(f"life {life}: stored {sorted(numbers)}")
        if len(set(numbers)) != len(numbers):
            result.doubled += 1
    for entry in store.iter_entries(str(project)):
        life, n = entry.summary.split()[0].removeprefix("life").split("n")
        kind, fields, tags = planned(int(life), int(n))
        expected = {k: v.strip() for k, v in fields.items()}
        if entry.kind is not kind or entry.fields != {**expected, **_derived(entry)} or entry.tags != tags:
            result.torn += 1
            result.details.append(f"{entry.id}: stored {entry.fields} not {fields}")


def _derived(entry: object) -> dict[str, str]:
    """Fields the store derives (an incident's status) rather than takes."""
    fields = entry.fields  # type: ignore[attr-defined]
    return {"status": fields["status"]} if "status" in fields else {}


def test_kill_at_every_step_of_an_add(zygote: Zygote, tmp_path: Path, figures) -> None:
    """A deterministic SIGKILL at each step, on a fresh file and on one with entries already."""
    db = tmp_path / "store.db"
    Store.open(db).close()
    life = 0
    totals = Audit()
    reached: dict[str, int] = {}
    for step in DIE_STEPS:
        for fresh in (True, False):
            project = tmp_path / f"{step}-{'fresh' if fresh else 'used'}"
            project.mkdir()
            after = 0
            if not fresh:  # someone wrote here before: the crash happens mid-file
                life += 1
                assert zygote.wait(zygote.fork(db, project, life, 3)) == 0
                after = 2
            life += 1
            # The add that dies must go to a file; pick the life so both files get crashes.
            status = zygote.wait(zygote.fork(db, project, life, after + 3, step, after, seed=life))
            assert killed_by_sigkill(status), (step, status)
            kind = planned(life, after)[0]
            path = project / mirror_file_for(kind)
            rows = outbox(db, project)
            with Store.open(db, zone=ZONE) as before:
                numbers = stored_lives(before, project).get(life, [])
            # The kill landed where it was meant to (else the hook never fired and this proves nothing).
            if step in ("in-transaction", "commit"):
                assert numbers == list(range(after)), (step, numbers)
                assert rows == []
            else:
                assert numbers == list(range(after + 1)), (step, numbers)
                assert [state for _, _, state in rows] == ["pending" if step == "committed" else "writing"]
                text = path.read_bytes() if path.exists() else b""
                if step.startswith("torn"):
                    assert not text.endswith(b"\n")
                elif step in ("unsynced", "written"):
                    assert text.endswith(b"-->\n") and rows[0][1].encode() in text.splitlines()[-1]
            reached[step] = reached.get(step, 0) + 1
            before_bytes = {n: (project / n).read_bytes() for n in MIRROR_FILES if (project / n).exists()}
            with reopen_and_flush(db, project) as store:
                result = audit(store, project)
                check_complete(store, project, result)
                assert result.ok, f"{step} fresh={fresh}: {result}"
                assert outbox(db, project) == []
                for name, old in before_bytes.items():  # what was there stays (a torn line of ours aside)
                    new = (project / name).read_bytes()
                    keep = (
                        old
                        if not step.startswith("torn") or name != path.name
                        else old[: old.rfind(b"\n") + 1]
                    )
                    assert new.startswith(keep), (step, name)
            totals.entries += result.entries
            for name in ("lost", "doubled", "torn", "unparseable"):
                setattr(totals, name, getattr(totals, name) + getattr(result, name))
    assert reached == {step: 2 for step in DIE_STEPS}
    figures.record("kill -9 (every step)", "kills", sum(reached.values()), must_be=2 * len(DIE_STEPS))
    figures.record("kill -9 (every step)", "entries written", totals.entries, at_least=1)
    figures.record("kill -9 (every step)", "lost", totals.lost, must_be=0)
    figures.record("kill -9 (every step)", "doubled", totals.doubled, must_be=0)
    figures.record("kill -9 (every step)", "torn or glued lines", totals.torn, must_be=0)
    figures.record("kill -9 (every step)", "files left unparseable", totals.unparseable, must_be=0)


RANDOM_KILLS = 40


def snapshot(paths: list[Path]) -> dict[Path, bytes | None]:
    return {path: path.read_bytes() if path.exists() else None for path in paths}


def restore(saved: dict[Path, bytes | None]) -> None:
    """Put files back as they were (nobody has them open: the writer is dead, the store closed)."""
    for path, data in saved.items():
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)


def test_kill_at_random_moments(zygote: Zygote, tmp_path: Path, figures) -> None:
    """Writers killed at seeded random moments, one after another on the same files.

    After every kill the test is "the next start" (reopen, flush, audit). Half the time it
    then puts the store and the files back as the kill left them, so that the next writer
    finds the interrupted append and finishes it as part of its first add (and may be
    killed while doing so).
    """
    rng = random.Random(20251216)
    db = tmp_path / "store.db"
    project = tmp_path / "proj"
    project.mkdir()
    Store.open(db).close()
    files = [db, Path(f"{db}-wal"), *(project / name for name in MIRROR_FILES)]
    # Kill moments are spread over the time a writer here takes to open the store and add
    # 20 entries (0.25 s at the least): on a loaded machine the window grows with it, so
    # the kills still land across opening, transactions and appends, not all before them.
    calibration = tmp_path / "calibration"
    calibration.mkdir()
    started = time.monotonic()
    assert zygote.wait(zygote.fork(calibration / "store.db", calibration, 0, 20)) == 0
    window = max(0.25, time.monotonic() - started)
    in_window = 0
    left_to_the_next = 0
    totals = Audit()
    for life in range(1, RANDOM_KILLS + 1):
        pid = zygote.fork(db, project, life, 100_000)
        time.sleep(rng.uniform(0.0, window))
        os.kill(pid, signal.SIGKILL)
        status = zygote.wait(pid)
        assert killed_by_sigkill(status) or status == 0
        if outbox(db, project):  # killed between the store's commit and the end of the append
            in_window += 1
        leave = rng.random() < 0.5 and life < RANDOM_KILLS
        saved = snapshot(files) if leave else {}
        with reopen_and_flush(db, project) as store:
            result = audit(store, project)
            check_complete(store, project, result)
        assert result.ok, f"after life {life}: {result}"
        for name in ("lost", "doubled", "torn", "unparseable"):
            setattr(totals, name, getattr(totals, name) + getattr(result, name))
        totals.entries = result.entries
        if leave:
            restore({**saved, Path(f"{db}-shm"): None})  # SQLite rebuilds the WAL index on open
            left_to_the_next += 1
    figures.record(
        "kill -9 (random)", "kills (each followed by an audit)", RANDOM_KILLS, must_be=RANDOM_KILLS
    )
    figures.record("kill -9 (random)", "kills between commit and mirror append", in_window)
    figures.record("kill -9 (random)", "kills left for the next writer to recover", left_to_the_next)
    figures.record("kill -9 (random)", "entries written", totals.entries, at_least=RANDOM_KILLS // 4)
    figures.record("kill -9 (random)", "lost", totals.lost, must_be=0)
    figures.record("kill -9 (random)", "doubled", totals.doubled, must_be=0)
    figures.record("kill -9 (random)", "torn or glued lines", totals.torn, must_be=0)
    figures.record("kill -9 (random)", "files left unparseable", totals.unparseable, must_be=0)


@pytest.mark.parametrize(
    "step",
    [
        "torn-mid-text",
        "torn-before-anchor",
        "written",
        "marked",
    ],
)
def test_sync_right_after_a_crash_takes_in_no_phantom(zygote: Zygote, tmp_path: Path, step: str) -> None:
    """`logbook sync` run right after a crash, before anything finished the interrupted append,
    must not take a half-written line of ours in as a hand-written entry (it did: sync now
    finishes our appends first and reads under the mirror lock)."""
    db = tmp_path / "store.db"
    project = tmp_path / "proj"
    project.mkdir()
    Store.open(db).close()
    assert zygote.wait(zygote.fork(db, project, 1, 2)) == 0
    life = 2
    while planned(life, 0)[0] is not planned(1, 0)[0]:  # crash in a file that has entries
        life += 1
    assert killed_by_sigkill(zygote.wait(zygote.fork(db, project, life, 3, step, 0, seed=7)))
    with Store.open(db, zone=ZONE) as store:
        sync(store, str(project))
    with reopen_and_flush(db, project) as store:
        result = audit(store, project)
        check_complete(store, project, result)
        assert store.count(str(project)) == 3
        assert result.ok, str(result)


@pytest.mark.parametrize("step", ["marked", "torn", "torn-before-anchor", "written"])
def test_text_the_user_adds_after_a_crash_is_never_cut(zygote: Zygote, tmp_path: Path, step: str) -> None:
    """After a crash, someone appends to the file by hand (an editor that adds no final line
    break); the next start finishes the interrupted append without cutting their text."""
    db = tmp_path / "store.db"
    project = tmp_path / "proj"
    project.mkdir()
    Store.open(db).close()
    assert zygote.wait(zygote.fork(db, project, 1, 2)) == 0
    life = 2
    while planned(life, 0)[0] is not planned(1, 0)[0]:
        life += 1
    assert killed_by_sigkill(zygote.wait(zygote.fork(db, project, life, 3, step, 0, seed=3)))
    path = project / mirror_file_for(planned(life, 0)[0])
    with path.open("ab") as handle:
        handle.write(b"my own words, typed after the crash")
    before = path.read_bytes()
    with reopen_and_flush(db, project) as store:
        after = path.read_bytes()
        assert b"my own words, typed after the crash" in after
        assert after.startswith(before)
        result = audit(store, project, allow_problems=True, hand_written=1 if step.startswith("torn") else 0)
        assert (result.lost, result.doubled, result.foreign) == (0, 0, 0), str(result)
