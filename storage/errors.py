"""What the store refuses, and why; the CLI and the TUI turn these into messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.records import Entry
    from storage.validation import Problem


class LogbookError(Exception):
    """Base of everything the store raises on purpose."""


class Refused(LogbookError):
    """The entry breaks a rule; nothing was written anywhere."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class DuplicateEntry(Refused):
    """A nearly identical entry of the same kind was made within 24 hours."""

    def __init__(self, existing: Entry, similarity: float) -> None:
        from storage.validation import Problem

        self.existing = existing
        self.similarity = similarity
        super().__init__(
            [
                Problem(
                    existing.kind.value,
                    f"nearly the same as entry {existing.short_id} ({existing.summary[:80]!r}, "
                    f"{similarity:.0%} alike)",
                )
            ]
        )


class NotFound(LogbookError):
    """No entry has that id (or id prefix)."""


class AmbiguousId(LogbookError):
    """More than one entry starts with that id prefix."""

    def __init__(self, prefix: str, candidates: list[str]) -> None:
        self.prefix = prefix
        self.candidates = candidates
        super().__init__(f"{prefix!r} matches {len(candidates)} entries: {', '.join(candidates)}")


class NoProject(LogbookError):
    """The working directory is gone (deleted or moved away under the shell)."""

    def __init__(self) -> None:
        super().__init__("the working directory no longer exists: cd into the project, or pass --project DIR")
