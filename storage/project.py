"""Where an entry belongs: the project directory and its git context."""

from __future__ import annotations

import getpass
import os
import subprocess
from pathlib import Path

from storage.errors import NoProject
from storage.records import GitContext

_GIT_TIMEOUT = 5


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def find_project_root(start: Path | None = None) -> Path:
    """The git top level of ``start`` (default: the working directory), else ``start``.

    Raises NoProject when the working directory no longer exists (deleted under the shell).
    """
    try:
        here = (start or Path.cwd()).resolve()
    except FileNotFoundError:
        raise NoProject() from None
    top = _git(here, "rev-parse", "--show-toplevel")
    return Path(top).resolve() if top else here


def login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def git_context(project: Path) -> GitContext:
    """Branch, commit and the author to credit (git user.name, else the login name)."""
    author = _git(project, "config", "user.name") or login_name()
    heads = _git(project, "rev-parse", "HEAD", "--abbrev-ref", "HEAD")
    if heads:
        commit, _, branch = heads.partition("\n")
        return GitContext(branch=None if branch == "HEAD" else branch, commit=commit, author=author)
    # A repository with no commit yet still has a branch.
    return GitContext(branch=_git(project, "symbolic-ref", "--short", "-q", "HEAD"), author=author)
