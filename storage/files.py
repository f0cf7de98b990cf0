"""Files written whole (exports, reports: the mirror files are only ever appended to) and paths as shown."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def home_relative(path: str | Path) -> str:
    """~/src/app rather than /home/ada/src/app: shorter to read and paste, and no user name in it."""
    try:
        return f"~/{Path(path).relative_to(Path.home())}"
    except (ValueError, RuntimeError):
        return str(path)


def write_atomically(target: Path, chunks: Iterable[str]) -> None:
    """``target`` holds all of ``chunks`` or is left as it was: a temporary file, fsynced, renamed."""
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
