"""A mirror file that cannot be written: the CLI says so clearly, the entry stays in the store,
`logbook mirror check` reports it pending, and `logbook mirror repair` finishes it once the
problem is gone. The mirror file is left exactly as it was while it cannot be written.

Faults are real where the kernel makes that possible as any user, root included (a mirror
that is a directory, a symlink to /dev/full, an immutable file, a deleted project), and
injected into storage.mirror's view of ``os`` otherwise (disk full half-way through the
line, a read-only file system, permission denied, an fsync that fails).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import storage.mirror
from storage.store import Store
from tests.reliability.invariants import ZONE, audit

HANDOFF = "HANDOFF.md"
USERS_LINE = "my own line, kept by hand"


class FaultyOs:
    """``os`` as storage.mirror sees it, with one call made to fail."""

    def __init__(self, **overrides: Callable[..., Any]) -> None:
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(os, name)


def _is_mirror(path: object) -> bool:
    return str(path).endswith((".md",))


def disk_full_mid_line() -> Callable[..., Any]:
    """os.write that writes the first 10 bytes, then fails: No space left on device."""

    def write(fd: int, data: bytes) -> int:
        if os.fstat(fd).st_size > 0 and len(data) > 10:
            return os.write(fd, data[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return write


def refuse_open(code: int) -> Callable[..., Any]:
    def open_(path: object, flags: int, *args: Any) -> int:
        if _is_mirror(path) and flags & os.O_RDWR:
            raise OSError(code, os.strerror(code), str(path))
        return os.open(path, flags, *args)  # type: ignore[arg-type]

    return open_


def failing_fsync(fd: int) -> None:
    raise OSError(errno.EIO, os.strerror(errno.EIO))


@contextmanager
def injected(monkeypatch: pytest.MonkeyPatch, **overrides: Callable[..., Any]) -> Iterator[None]:
    with monkeypatch.context() as patch:
        patch.setattr(storage.mirror, "os", FaultyOs(**overrides))
        yield


@contextmanager
def mirror_is_a_directory(project: Path) -> Iterator[None]:
    path = project / HANDOFF
    saved = path.read_bytes()
    path.unlink()
    path.mkdir()
    (path / "stray.txt").write_text("someone's file\n")
    yield
    shutil.rmtree(path)
    path.write_bytes(saved)


@contextmanager
def mirror_is_dev_full(project: Path) -> Iterator[None]:
    """A real ENOSPC from the kernel: every write to /dev/full fails with it."""
    path = project / HANDOFF
    saved = path.read_bytes()
    path.unlink()
    path.symlink_to("/dev/full")
    yield
    path.unlink()
    path.write_bytes(saved)


@contextmanager
def mirror_is_immutable(project: Path) -> Iterator[None]:
    """chattr +i: the kernel refuses to open it for writing, even to root."""
    path = project / HANDOFF
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("chattr +i is not permitted here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


FAULTS: dict[str, tuple[str, Callable[[pytest.MonkeyPatch, Path], Any]]] = {
    # name: (what the user must be told, how to make it happen)
    "disk full mid-line": (
        "No space left on device",
        lambda mp, _: injected(mp, write=disk_full_mid_line()),
    ),
    "disk full (/dev/full)": ("No space left on device", lambda _, p: mirror_is_dev_full(p)),
    "fsync fails (EIO)": ("Input/output error", lambda mp, _: injected(mp, fsync=failing_fsync)),
    "read-only file system": (
        "Read-only file system",
        lambda mp, _: injected(mp, open=refuse_open(errno.EROFS)),
    ),
    "permission denied": ("Permission denied", lambda mp, _: injected(mp, open=refuse_open(errno.EACCES))),
    "immutable file (chattr +i)": ("Operation not permitted", lambda _, p: mirror_is_immutable(p)),
    "mirror path is a directory": ("is a directory", lambda _, p: mirror_is_a_directory(p)),
}


def entry_ids(db_path: Path, project: Path) -> list[str]:
    with Store.open(db_path, zone=ZONE) as store:
        return [e.id for e in store.iter_entries(str(project))]


@pytest.mark.parametrize("fault", list(FAULTS))
def test_unwritable_mirror_keeps_the_entry_and_repair_finishes(
    fault: str, cli, project: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch, figures
) -> None:
    message, make = FAULTS[fault]
    assert cli("add", "note", "the first note, written before anything broke").code == 0
    path = project / HANDOFF
    with path.open("a", encoding="utf-8") as handle:
        handle.write(USERS_LINE + "\n")
    before = path.read_bytes()

    with make(monkeypatch, project):
        added = cli("add", "note", "written while the mirror could not be")
        assert added.code == 0, added  # the entry is saved: only its line waits
        assert message.lower() in added.err.lower(), added.err
        assert "HANDOFF.md could not be written" in added.err
        assert "logbook mirror repair" in added.err
        [_, new_id] = entry_ids(db_path, project)
        check = cli("mirror", "check")
        assert check.code == 1
        assert f"HANDOFF.md: pending {new_id}" in check.out
        assert message.lower() in check.out.lower()
        failed = cli("mirror", "repair")  # still broken: says so, changes nothing
        assert failed.code == 1 and message.lower() in failed.err.lower(), failed
        assert cli("--json", "mirror", "check").json()[0]["pending"]
        if path.is_file():  # checked while the fault holds (/dev/full and a directory are not files)
            assert path.read_bytes() == before  # a failed append leaves no partial line behind

    repaired = cli("mirror", "repair")
    assert repaired.code == 0, repaired
    assert "HANDOFF.md: appended 1 entry missing from it." in repaired.out
    after = path.read_bytes()
    assert after.startswith(before)
    assert after.count(new_id.encode()) == 1
    again = cli("mirror", "check")
    assert again.code == 0 and "HANDOFF.md: in sync (2 entries)" in again.out
    with Store.open(db_path, zone=ZONE) as store:
        result = audit(store, project, users_lines={USERS_LINE})
    assert result.ok, str(result)
    figures.record("disk faults", "faults survived", 1)
    figures.record("disk faults", "entries lost", result.lost, must_be=0)
    figures.record("disk faults", "files left unparseable", result.unparseable, must_be=0)


def test_deleted_project_directory(cli, tmp_path: Path, db_path: Path, figures) -> None:
    """The checkout was deleted (rm -rf, a worktree removed) while logbook was pointed at it."""
    gone = tmp_path / "checkout"
    gone.mkdir()
    where = ("--project", str(gone))
    assert cli("add", "note", "written while the checkout existed", *where).code == 0
    shutil.rmtree(gone)
    added = cli("add", "note", "written after the checkout was deleted", *where)
    assert added.code == 0
    assert f"the project directory {gone} does not exist" in added.err
    assert "logbook mirror repair" in added.err
    assert len(entry_ids(db_path, gone)) == 2
    check = cli("mirror", "check", *where)
    assert check.code == 1 and "pending" in check.out and "does not exist" in check.out
    gone.mkdir()  # cloned again: the files are back, empty
    repaired = cli("mirror", "repair", *where)
    assert repaired.code == 0, repaired
    assert cli("mirror", "check", *where).code == 0
    with Store.open(db_path, zone=ZONE) as store:
        result = audit(store, gone)
    assert result.ok and result.entries == 2, str(result)
    figures.record("disk faults", "faults survived", 1)
    figures.record("disk faults", "entries lost", result.lost, must_be=0)


def test_working_directory_deleted_under_the_shell(tmp_path: Path, db_path: Path) -> None:
    """`logbook add` in a shell whose directory was deleted: a clear message, not a traceback."""
    gone = tmp_path / "gone"
    gone.mkdir()
    script = "import os, sys; os.rmdir(os.getcwd()); from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", script, "add", "note", "typed in a deleted directory"],
        cwd=gone,
        env={**os.environ, "LOGBOOK_DB": str(db_path), "PYTHONPATH": str(Path(__file__).parents[2])},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1 and "--project" in done.stderr, done.stderr
