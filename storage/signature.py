"""Recognise the same error again: a text normalised down to what does not change between runs.

Replaced by placeholders (they differ from machine to machine or run to run):

- absolute and relative file paths, POSIX and Windows -> ``<path>/`` + the file
  name, which is kept: ``main.py`` and ``models.py`` failing are different errors,
  ``/home/x/proj`` and ``D:\\proj`` are the same one;
- URLs: scheme kept, ``user:password@host:port`` -> ``<host>``, the URL path
  kept (``/api/v1/user/attachments`` and ``/api/v1/userattachments`` are two
  different contract mistakes) with its numbers and ids replaced;
- IPv4 (with port), IPv6, ``localhost`` and dotted host names with
  a well-known suffix (``db.internal``, ``api.example.com``) -> ``<host>``;
- UUIDs -> ``<uuid>``; ``0x...`` addresses -> ``<hex>``; hex runs of 7+
  characters holding a digit and a letter (git shas, alembic revisions like
  ``be4136aa1c68``) -> ``<id>``;
- dates (``2025-12-14 12:41:03,512``, ``Dec 14 12:41:03``) and ``HH:MM:SS``
  -> ``<time>``; ``0.12s``, ``30 seconds`` -> ``<duration>``; every other
  free-standing number (line numbers, ports, PIDs, counts) -> ``<n>``.

Kept, because they change the fix:

- quoted identifiers: ``No module named 'app'`` (PYTHONPATH) and ``'fastapi'``
  (a missing dependency) are different errors; so are ``KeyError: 'id'`` and
  ``KeyError: 'email'``. Quote styles are unified, so ``"app"`` equals ``'app'``;
- error codes right after errno / WinError / error / code / status / sqlstate
  / http: ``WinError 10048`` (port in use) is not ``WinError 10013`` (forbidden);
- the exception's class name, without its module (``sqlalchemy.exc.IntegrityError``
  and ``IntegrityError`` are the same class, printed by Python and by a person).

Everything is then case-folded and whitespace collapsed.
"""

from __future__ import annotations

import functools
import hashlib
import re

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_QUOTES = str.maketrans({"\u201c": "'", "\u201d": "'", "\u2018": "'", "\u2019": "'", "`": "'", '"': "'"})

_PATH_CHAR = r"[\w.\-+@~$%]"
_NOT_AFTER_PATH = r"(?<![\w.\-+@~$%/\\:<>])"
_HOST_SUFFIXES = "com|net|org|io|internal|local|localdomain|lan|corp|cloud|svc|intra"
_VOLATILE: tuple[tuple[str, str], ...] = (
    ("uuid", r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f])"),
    (
        "time",
        r"(?<![\w:.])(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?|\d{1,2}:\d{2}:\d{2}"
        r"|(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
        r"\.?\s+\d{1,2}(?:,?\s+\d{4})?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)"
        r"(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?(?![\w:])",
    ),
    (
        "ip",
        r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])"
        r"|\[[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*\](?::\d{1,5})?"
        r"|(?<![\w:])(?=[0-9A-Fa-f:]*\d)(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])",
    ),
    (
        "hex",
        r"(?<![0-9A-Za-z])(?:0[xX][0-9A-Fa-f]+|(?=[0-9A-Fa-f]*[A-Fa-f])(?=[0-9A-Fa-f]*\d)[0-9A-Fa-f]{7,})"
        r"(?![0-9A-Za-z])",
    ),
    (
        "duration",
        r"(?<![\w.])\d+(?:\.\d+)?(?:\s?(?:ms|us|µs|ns|secs?|seconds?|mins?|minutes?|hours?)|[smh])\b",
    ),
    ("code", r"(?i:(?<![a-z])(?:errno|winerror|error|code|status|sqlstate|http))\W{0,3}\d+"),
    ("number", r"(?<!\w)\d+(?:[.,]\d+)*(?!\w)"),
)
_AFTER_A_WORD = ("uuid", "ip", "hex", "code")
"""The only parts whose look-behind lets a word character come before them (every other
part, and every part of _EVERYTHING_PARTS below, starts with one that does not)."""


def _volatile_parts(prefix: str, names: tuple[str, ...] | None = None) -> str:
    return "|".join(
        f"(?P<{prefix}{name}>{pattern})" for name, pattern in _VOLATILE if names is None or name in names
    )


_VOLATILE_PARTS = _volatile_parts("")
_EVERYTHING_PARTS = (
    r"(?P<url>(?<![\w+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^\s'<>()\[\]]*[^\s'<>()\[\].,;:!?])"
    r"|(?P<tbfile>\bFile '(?P<tbpath>[^'\n]+)')"
    rf"|(?P<winpath>(?<![\w\\/])(?:[A-Za-z]:|\\\\{_PATH_CHAR}+)(?:[\\/]{_PATH_CHAR}*)+)"
    rf"|(?P<relwin>{_NOT_AFTER_PATH}(?:\.{{1,2}}|[\w\-+@~$%]{_PATH_CHAR}*)(?:\\{_PATH_CHAR}+)+)"
    rf"|(?P<abspath>{_NOT_AFTER_PATH}(?:~|\.{{1,2}})?(?:/{_PATH_CHAR}+)+/?)"
    rf"|(?P<relpath>{_NOT_AFTER_PATH}{_PATH_CHAR}+(?:/{_PATH_CHAR}+)+)"
    rf"|(?P<host>(?<![\w.\-])(?:localhost|(?:[A-Za-z0-9](?:[\w\-]*[A-Za-z0-9])?\.)+(?:{_HOST_SUFFIXES}))"
    r"(?::\d{1,5})?(?!\.?[\w\-]))"
    rf"|{_volatile_parts('v_')}"
)


def _split_at_words(parts: str, after_a_word: str) -> str:
    """``parts`` arranged so that ``re`` tries fewer of them: all of them only where no
    word character comes before (every part's look-behind was tried at every letter of
    every word), else only those that may follow one, and only at a character they can
    start with. Same matches (tests/storage/test_signature.py), signatures 1.2x faster."""
    return rf"(?<!\w)(?:{parts})|(?<=\w)(?i:(?=[0-9a-f\[ewcsh]))(?:{after_a_word})"


_VOLATILE_RE = _split_at_words(_VOLATILE_PARTS, _volatile_parts("w_", _AFTER_A_WORD))
_EVERYTHING_RE = _split_at_words(_EVERYTHING_PARTS, _volatile_parts("w_", _AFTER_A_WORD))
_PLACEHOLDERS = {
    "uuid": "<uuid>",
    "time": "<time>",
    "ip": "<host>",
    "hex": "<id>",
    "duration": "<duration>",
    "number": "<n>",
}
_URL_PARTS = re.compile(r"(?P<scheme>[^:]+://)(?P<netloc>[^/?#]*)(?P<rest>.*)")
_FILE_NAME = re.compile(r"\.[A-Za-z]\w{0,9}$")
_SPACE = re.compile(r"\s+")

_EXCEPTION = re.compile(
    r"(?<![\w.])(?P<name>(?:[A-Za-z_]\w*\.)*[A-Z]\w*"
    r"(?:Error|Exception|Exit|Interrupt|Failure|Violation|Timeout|Iteration|Refused|Denied))"
    r"(?::\s*(?P<message>.*)|\s*$)"
)
_SOURCE_CONTEXT = re.compile(
    r"\b(?:except|raise|import|class|def|return|assert|isinstance)\b[\s(]*$|[(,]\s*$"
)
ERROR_WORD = re.compile(r"error|fail|fatal|exception|panic", re.IGNORECASE)
"""A line that mentions a failure (when no exception line says what it was)."""


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """The two big patterns are compiled on first use: importing this module stays cheap."""
    return re.compile(pattern)


def strip_ansi(text: str) -> str:
    """The text without terminal escape sequences (colours, cursor moves, titles)."""
    return _ANSI.sub("", text)


def _volatile(text: str) -> str:
    """Numbers, ids, times, hosts and the like replaced; used inside URLs and file names."""
    return _compiled(_VOLATILE_RE).sub(lambda m: _placeholder(m.lastgroup or "", m.group()), text)


def _placeholder(group: str, matched: str) -> str:
    name = group.removeprefix("v_").removeprefix("w_")
    if name == "code":
        return matched
    if name == "hex" and matched[:2] in ("0x", "0X"):
        return "<hex>"
    return _PLACEHOLDERS[name]


def _path(matched: str) -> str:
    """``<path>/`` and the file name (itself stripped of volatile parts)."""
    name = re.split(r"[\\/]", matched.rstrip("/\\"))[-1].rstrip(".")
    return f"<path>/{_volatile(name)}" if name else "<path>"


def _url(matched: str) -> str:
    parts = _URL_PARTS.match(matched)
    if parts is None:
        return matched
    netloc = "<host>" if parts["netloc"] else ""
    return f"{parts['scheme']}{netloc}{_volatile(parts['rest'])}"


def _replace(match: re.Match[str]) -> str:
    group = match.lastgroup or ""
    matched = match.group()
    if group == "url":
        return _url(matched)
    if group == "tbfile":
        return f"File '{_path(match['tbpath'])}'"
    if group in ("winpath", "relwin", "abspath"):
        return _path(matched)
    if group == "relpath":
        # a relative path counts as a file path only when it names a file ("app/main.py"),
        # not for "created_at/updated_at" or "GET/POST"
        return _path(matched) if _FILE_NAME.search(matched) else _volatile(matched)
    if group == "host":
        return "<host>"
    return _placeholder(group, matched)


def normalize_error(text: str) -> str:
    """The error with volatile parts replaced by placeholders, case-folded, on one line.

    ``File "D:\\b2b\\app\\main.py", line 42`` -> ``file '<path>/main.py', line <n>``.
    """
    text = strip_ansi(text).translate(_QUOTES)
    text = _compiled(_EVERYTHING_RE).sub(_replace, text)
    return _SPACE.sub(" ", text.casefold()).strip().rstrip(".;:,").rstrip()


def error_line(text: str) -> str:
    """The line of ``text`` that identifies the error.

    The first Python exception found (its class name without the module, and
    its message: the root cause when exceptions are chained; written by Python
    or quoted by a person, "failed with ModuleNotFoundError: no module named
    'app'"), else the first line mentioning error/fail/fatal/exception/panic,
    else the first non-empty line.
    """
    lines = [line.strip() for line in strip_ansi(text).splitlines()]
    lines = [line for line in lines if line]
    for line in lines:
        for match in _EXCEPTION.finditer(line):
            if _SOURCE_CONTEXT.search(line[: match.start()]):
                continue
            name = match["name"].rsplit(".", 1)[-1]
            message = (match["message"] or "").strip()
            return f"{name}: {message}" if message else name
    for line in lines:
        if ERROR_WORD.search(line) and not line.startswith("Traceback"):
            return line
    return lines[0] if lines else ""


def error_signature(text: str) -> str:
    """16 hex digits, equal for errors that differ only in the parts ``normalize_error`` replaces.

    Blank text has no signature: "" (so blank symptoms never count as one error).
    """
    normalized = normalize_error(error_line(text))
    if not normalized:
        return ""
    return hashlib.blake2b(normalized.encode(), digest_size=8).hexdigest()
