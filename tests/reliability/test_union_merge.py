"""Two clones of one repository append with logbook, merge through git with the union rule,
and each sync: both stores end with the same union of entries, nothing doubled."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from storage.store import Store
from tests.conftest import git
from tui.cli import main


def logbook(cwd: Path, db: Path, *args: str) -> str:
    old = Path.cwd()
    os.chdir(cwd)
    os.environ["LOGBOOK_DB"] = str(db)
    out = io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(io.StringIO()):
            assert main(list(args)) == 0
    finally:
        os.chdir(old)
    return out.getvalue()


def ids(db: Path, project: Path) -> list[str]:
    with Store.open(db) as store:
        return [e.id for e in store.iter_entries(str(project.resolve()))]


def test_two_clones_merge_with_union_and_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGBOOK_TZ", "UTC")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    clones = {}
    for name in ("ada", "bob"):
        clone = tmp_path / name
        git(tmp_path, "clone", "-q", str(origin), str(clone))
        git(clone, "config", "user.name", name)
        git(clone, "config", "user.email", f"{name}@example.com")
        git(clone, "config", "pull.rebase", "false")
        clones[name] = clone
    ada, bob = clones["ada"], clones["bob"]
    db_ada, db_bob = tmp_path / "ada.db", tmp_path / "bob.db"

    logbook(ada, db_ada, "init")
    logbook(ada, db_ada, "add", "note", "the staging database is read-only on Fridays")
    git(ada, "add", "-A")
    git(ada, "commit", "-q", "-m", "logbook set up")
    git(ada, "push", "-q", "origin", "main")
    git(bob, "pull", "-q", "origin", "main")
    logbook(bob, db_bob, "sync")

    # Both append, independently, to the same files.
    for n in range(3):
        logbook(
            ada,
            db_ada,
            "add",
            "handoff",
            "--what",
            f"ada shipped step {n}",
            "--verify",
            "pytest -q",
            "--expected",
            f"{n + 10} passed",
        )
        logbook(
            bob,
            db_bob,
            "add",
            "incident",
            "--symptom",
            f"bob saw flaky test {n}",
            "--cause",
            "a shared tmp dir",
            "--fix",
            f"isolated run {n}",
        )
    with (ada / "HANDOFF.md").open("a") as handle:
        handle.write(
            "- 2025-12-14 12:00 UTC — Reset the staging DB by hand. Verified: psql -c 'select 1' -> 1\n"
        )
    for clone, who in ((ada, "ada"), (bob, "bob")):
        git(clone, "add", "-A")
        git(clone, "commit", "-q", "-m", f"{who}'s entries")
    git(ada, "push", "-q", "origin", "main")
    git(bob, "pull", "-q", "--no-edit", "origin", "main")  # a real merge: both appended
    assert "<<<<<<<" not in (bob / "HANDOFF.md").read_text()  # the union rule: no conflict
    git(bob, "push", "-q", "origin", "main")
    git(ada, "pull", "-q", "origin", "main")

    logbook(ada, db_ada, "sync")
    logbook(bob, db_bob, "sync")
    logbook(bob, db_bob, "sync")  # a second sync changes nothing
    ada_ids, bob_ids = ids(db_ada, ada), ids(db_bob, bob)
    assert len(ada_ids) == len(set(ada_ids)) == 8  # 1 note + 3 handoffs + 3 incidents + 1 by hand
    assert sorted(ada_ids) == sorted(bob_ids)  # the same entries, with the same ids, in both stores
    for clone in (ada, bob):
        assert logbook(clone, db_ada if clone is ada else db_bob, "mirror", "check").count("in sync") == 2


def test_union_merge_doubling_a_line_is_not_doubled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same line reaching a file twice (union keeps both copies) is one entry."""
    monkeypatch.setenv("LOGBOOK_TZ", "UTC")
    project = tmp_path / "p"
    project.mkdir()
    db = tmp_path / "x.db"
    logbook(project, db, "add", "note", "first")
    line = next(
        text
        for text in (project / "HANDOFF.md").read_text().splitlines()
        if "logbook:" in text and "first" in text
    )
    hand = "- 2025-12-14 12:00 UTC — Rotated the CI token by hand. Verified: gh auth status -> ok"
    with (project / "HANDOFF.md").open("a") as handle:
        handle.write(f"{hand}\n{line}\n{hand}\n")  # reordered and doubled, as a merge may leave it
    logbook(project, db, "sync")
    assert len(ids(db, project)) == 2
