"""Writing to a terminal safely: no raw escape sequences, optional colour."""

from __future__ import annotations

import os
import re
import sys
from typing import TextIO

from storage.fts import MARK_END, MARK_START

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Control characters (ESC, bidi overrides...) shown as visible escapes, never sent raw."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


class Style:
    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self.enabled = use_colour(stream)

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)

    def marked(self, text: str) -> str:
        """Turn search-highlight markers into bold yellow (or nothing, when not a terminal)."""
        start, end = ("\x1b[1;33m", "\x1b[0m") if self.enabled else ("", "")
        pieces = re.split(f"({MARK_START}|{MARK_END})", text)
        return "".join(
            start if piece == MARK_START else end if piece == MARK_END else printable(piece)
            for piece in pieces
        )


def plain_marks(text: str) -> str:
    """Search-highlight markers as [[brackets]] for JSON output."""
    return text.replace(MARK_START, "[[").replace(MARK_END, "]]")


def one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"
