"""HANDOFF.md / INCIDENTS.md on disk: locked, newline-safe, durable appends, and scans.

Bytes already in a mirror file are never changed. Every append takes an
exclusive lock on the file, adds a line break first when the file does not
end with one (no glued entries), writes UTF-8 without a BOM with LF line
endings, and fsyncs before the lock is released. A file that someone else
converted (CRLF, UTF-16) is appended to in its own encoding and line endings,
so the append never leaves it mixed and unreadable.
"""

from __future__ import annotations

import errno
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from storage.kinds import Kind
from storage.mirror_format import parse_line

HANDOFF_FILE = "HANDOFF.md"
INCIDENTS_FILE = "INCIDENTS.md"
MIRROR_FILES = (HANDOFF_FILE, INCIDENTS_FILE)


def mirror_file_for(kind: Kind) -> str:
    """Incidents go to INCIDENTS.md; handoffs, decisions and notes to HANDOFF.md."""
    return INCIDENTS_FILE if kind is Kind.INCIDENT else HANDOFF_FILE


HEADERS = {
    INCIDENTS_FILE: (
        "# INCIDENTS.md\n"
        "\n"
        "## Rules (owned here)\n"
        "- Log problems/failures here (append-only).\n"
        "- Format: datetime TZ — [severity, status] symptom — root cause — fix/mitigation"
        " — verification: `command` -> expected.\n"
        "- 1–3 lines per entry, no long stacktraces.\n"
        "- Kept by logbook (`logbook add incident`); the invisible `<!-- logbook:ID -->`"
        " anchor identifies each entry. Lines appended by hand are picked up too.\n"
        "\n"
        "## Entries (append-only)\n"
    ),
    HANDOFF_FILE: (
        "# HANDOFF.md\n"
        "\n"
        "## Rules (owned here)\n"
        "- Success -> this file (append-only, with the exact verification command).\n"
        "- Failure -> INCIDENTS.md (symptom / root cause / fix / verification).\n"
        "- Format: datetime TZ — what changed — Verify: `command` -> expected result"
        " — Now: … — Next: …\n"
        "- Kept by logbook (`logbook add handoff`); the invisible `<!-- logbook:ID -->`"
        " anchor identifies each entry. Lines appended by hand are picked up too.\n"
        "\n"
        "## Progress log (append-only)\n"
    ),
}


_GLUED = re.compile(r"\S- \d{4}-\d{2}-\d{2} \d{2}:?\d{2}")
_ANCHOR_OPEN = rb"<!--(?:[ \t]+|[ \t]*\r?\n[ \t]*)logbook:"
_ANCHOR_LINE = re.compile(_ANCHOR_OPEN + rb"([0-9a-f]{8,32})(?:\s+[a-z]+:[^\s]+)*\s+-->[ \t\r\f\v]*(?:\n|\Z)")
"""An anchor that ends its line, in the bytes of a UTF-8 file. Like ANCHOR_RE, but a
markdown formatter may have wrapped it: ``logbook:ID``, its ``data:`` part or its ``-->``
on the next line."""
_ANCHOR_TEXT = re.compile(_ANCHOR_LINE.pattern.decode())


class MirrorWriteError(OSError):
    """A mirror file could not be appended to; the entry stays in the store, pending."""


@dataclass(frozen=True)
class FileStyle:
    encoding: str = "utf-8"
    newline: str = "\n"
    ends_with_newline: bool = True


@dataclass
class MirrorScan:
    """What a mirror file holds, as far as logbook is concerned."""

    path: Path
    exists: bool
    anchors: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    text: str = ""


@contextmanager
def _locked(path: Path) -> Iterator[int]:
    """Open ``path`` for appending (creating it) and hold an exclusive lock on it."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o644)
        except IsADirectoryError as error:
            raise MirrorWriteError(errno.EISDIR, f"{path} is a directory, not a file") from error
        except OSError as error:
            raise MirrorWriteError(error.errno, f"cannot open {path}: {error.strerror}") from error
        try:
            _lock(fd)
            # A checkout may have replaced the file while we waited: lock the one on disk.
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield fd
                return
        finally:
            _unlock(fd)
            os.close(fd)


def _lock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _style(fd: int, size: int) -> FileStyle:
    head = os.pread(fd, 2, 0)
    if head == b"\xff\xfe":
        encoding = "utf-16-le"
    elif head == b"\xfe\xff":
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"
    tail_bytes = os.pread(fd, 4096, max(0, size - 4096))
    if encoding != "utf-8" and (size - len(tail_bytes)) % 2:
        tail_bytes = tail_bytes[1:]
    tail = tail_bytes.decode(encoding, errors="replace")
    crlf = tail.count("\r\n")
    newline = "\r\n" if crlf and crlf == tail.count("\n") else "\n"
    return FileStyle(encoding, newline, ends_with_newline=size == 0 or tail.endswith("\n"))


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Appender:
    """Holds a mirror file's lock; appends whole lines durably while held."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    def size(self) -> int:
        return os.fstat(self._fd).st_size

    def read_from(self, offset: int) -> bytes:
        size = self.size()
        return os.pread(self._fd, max(0, size - offset), offset) if offset < size else b""

    def truncate(self, offset: int) -> None:
        """Cut a torn write of our own (bytes past ``offset``) back off."""
        os.ftruncate(self._fd, offset)
        os.fsync(self._fd)

    def encode(self, lines: list[str]) -> tuple[int, bytes]:
        size = self.size()
        style = _style(self._fd, size)
        text = ""
        if size == 0:
            text += HEADERS.get(self.path.name, f"# {self.path.name}\n\n")
        elif not style.ends_with_newline:
            text += "\n"
        text += "".join(f"{line}\n" for line in lines)
        if style.newline != "\n":
            text = text.replace("\n", style.newline)
        return size, text.encode(style.encoding)

    def write(self, offset: int, data: bytes) -> None:
        """Append ``data`` (made by :meth:`encode` at ``offset``) and fsync it.

        On failure (disk full, I/O error) the bytes already written are cut off
        again, so the file is left exactly as it was.
        """
        try:
            written = 0
            while written < len(data):
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError as error:
            with suppress(OSError):
                self.truncate(offset)
            raise MirrorWriteError(error.errno, f"cannot write {self.path}: {error.strerror}") from error
        if offset == 0:
            _fsync_dir(self.path.parent)

    def append(self, lines: list[str]) -> int:
        """Append whole lines; return the offset they start at."""
        offset, data = self.encode(lines)
        self.write(offset, data)
        return offset

    def holds(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` already end a line of the file with their anchor.

        A line promised again for an entry the file already shows (an export restored
        into a new store for the same checkout, a repair queued while the file could not
        be read) must not be appended a second time.
        """
        size = self.size()
        if not ids or size == 0:
            return set()
        data = os.pread(self._fd, size, 0)
        encoding = _style(self._fd, size).encoding
        if encoding != "utf-8":
            return set(anchors_in(data.decode(encoding, errors="replace"))) & set(ids)
        if len(ids) > 16:  # many: read every anchor once
            return {m.group(1).decode() for m in _ANCHOR_LINE.finditer(data)} & set(ids)
        found = set()
        for entry_id in ids:
            needle = f"logbook:{entry_id}".encode()
            at = data.find(needle)
            while at >= 0:
                opening = data.rfind(b"<!--", max(0, at - 64), at)  # "<!--", a line break, an indent
                match = _ANCHOR_LINE.match(data, opening) if opening >= 0 else None
                if match and match.group(1) == entry_id.encode():
                    found.add(entry_id)
                    break
                at = data.find(needle, at + 1)
        return found

    def newline_bytes(self) -> bytes:
        return "\n".encode(_style(self._fd, self.size()).encoding)


@contextmanager
def open_for_append(path: Path) -> Iterator[Appender]:
    if not path.parent.is_dir():
        raise MirrorWriteError(errno.ENOENT, f"the project directory {path.parent} does not exist")
    with _locked(path) as fd:
        yield Appender(path, fd)


def scan(path: Path) -> MirrorScan:
    """Read a mirror file: the anchors it holds and anything wrong with it."""
    result = MirrorScan(path=path, exists=path.is_file())
    if path.is_dir():
        result.problems.append(f"{path} is a directory, not a file")
        return result
    if not result.exists:
        return result
    try:
        data = path.read_bytes()
    except OSError as error:
        result.problems.append(f"cannot read {path}: {error.strerror}")
        return result
    text, _, problems = decode_mirror(data)
    result.problems += problems
    result.text = text
    result.anchors.update(anchors_in(text))
    doubled = sorted(entry_id for entry_id, count in result.anchors.items() if count > 1)
    if doubled:
        result.problems.append(f"{len(doubled)} entries appear more than once: {', '.join(doubled[:5])}")
    return result


def anchors_shown(path: Path) -> set[str]:
    """The ids whose anchor ends a line of the mirror file ``path`` (none when it cannot be
    read): :func:`scan`'s anchors, without looking for anything else."""
    try:
        data = path.read_bytes()
    except OSError:
        return set()
    text, _, _ = decode_mirror(data, count_glued=False)
    return set(anchors_in(text))


def anchors_in(text: str) -> list[str]:
    """The id of every anchor that ends a line of ``text`` (once per line it ends)."""
    return [match.group(1) for match in _ANCHOR_TEXT.finditer(text)]


def decode_mirror(data: bytes, *, count_glued: bool = True) -> tuple[str, str, list[str]]:
    """Text of a mirror file, the encoding it is in, and what an editor did to it.

    ``count_glued=False`` leaves out looking for glued entries (an importer splits
    them itself, and counting them took 0.4 s of a 50 MB import).
    """
    problems: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        problems.append(f"the file was converted to UTF-16 ({encoding}); logbook writes UTF-8")
        text = data[2:].decode(encoding, errors="replace")
    else:
        encoding = "utf-8"
        if data.startswith(b"\xef\xbb\xbf"):
            problems.append("the file starts with a UTF-8 byte-order mark (BOM)")
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(f"bytes that are not UTF-8 at offset {error.start}")
            text = data.decode("utf-8", errors="replace")
    crlf = text.count("\r\n") if "\r" in text else 0  # (finding no CR is 15x faster than counting)
    if crlf:
        problems.append(f"{crlf} lines end in CRLF; logbook writes LF")
    glued = 0
    for match in _GLUED.finditer(text) if count_glued else ():
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        if parse_line(text[start : end if end >= 0 else len(text)]) is None:
            glued += 1  # (in a line logbook wrote, that is just what a field says)
    if glued:
        problems.append(f"{glued} entries are glued onto the end of the line before them")
    return text, encoding, problems
