"""Rules an entry must pass before anything is written anywhere.

Pure functions over plain strings: no database, no files. The store calls
:func:`clean_fields` first and only writes when it returns no problems.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from storage.kinds import (
    FIELDS,
    Kind,
    Status,
    field_names,
    normalize_severity,
    normalize_status,
)
from storage.secrets import mask_secrets
from storage.signature import strip_ansi

MAX_FIELD_CHARS = 2_000_000
MAX_TAG_CHARS = 40


@dataclass(frozen=True)
class Problem:
    """One reason an entry was refused, tied to the field it concerns."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


# Template words people leave in angle brackets: "<symptom>", "<root_cause>".
_TEMPLATE_WORDS = frozenset(
    """
    symptom symptoms cause root_cause rootcause root fix fix_or_mitigation mitigation
    fix/mitigation verification verify command cmd expected expected_result result output
    what why now next date time datetime timestamp description summary details detail title
    name text value todo tbd placeholder message error reason impact action lessons severity
    status decision consequences note notes file path branch commit id version owner author
    your_name your-name username user password secret token url host port
    """.split()
)
# Angle-bracket words that are real text, never placeholders (Python tracebacks, HTML).
_REAL_ANGLE_WORDS = frozenset(
    """
    stdin stdout stderr module string lambda genexpr listcomp dictcomp setcomp locals
    unknown none br b i u s p em strong code pre kbd sub sup hr li ul ol dl dt dd table tr
    td th div span details summary small mark del ins q tt
    """.split()
)
_ANGLE = re.compile(r"(?<![\w<])<\s*([A-Za-z][A-Za-z0-9_/|.\- ]{0,40}?)\s*>(?!>)")
_MARKERS = re.compile(
    r"\b(REPLACE[_ -]?ME\w*|CHANGE[_ -]?ME|FILL[_ -]?(?:ME|IN)"
    r"|YOUR[_ -]\w+[_ -]HERE|INSERT[_ -]\w+[_ -]HERE)\b",
    re.IGNORECASE,
)
_CURLY = re.compile(r"\{\{\s*[A-Za-z_][\w. ]*\}\}")
_WHOLE_FIELD = frozenset(
    {
        "tbd",
        "tba",
        "todo",
        "fixme",
        "xxx",
        "wip",
        "?",
        "??",
        "???",
        "...",
        "…",
        "placeholder",
        "lorem ipsum",
        "-",
        "--",
        "—",
        "_",
        "___",
        "none yet",
        "to do",
        "to be done",
    }
)
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def find_placeholder(value: str) -> str | None:
    """Return the unfilled template text in ``value``, if any.

    A word that is a credential's value ("ELASTIC_PASSWORD=changeme") is not a template:
    it is masked when stored, and must not be quoted back in a refusal.
    """
    found = _find_placeholder(value)
    if found is not None and _find_placeholder(mask_secrets(value)[0]) is None:
        return None
    return found


def _find_placeholder(value: str) -> str | None:
    stripped = value.strip()
    if stripped.lower().rstrip(".:!") in _WHOLE_FIELD or stripped.lower() in _WHOLE_FIELD:
        return stripped
    for match in _ANGLE.finditer(value):
        word = match.group(1).strip().lower()
        if word in _REAL_ANGLE_WORDS or f"</{word}>" in value.lower():
            continue  # a pasted XML/HTML element (<id>nexus</id>), not a template
        if (
            word in _TEMPLATE_WORDS
            or re.fullmatch(r"[a-z]+(?:_[a-z]+)+", word)
            or word.startswith(("your ", "your_", "your-", "insert ", "enter "))
        ):
            return match.group(0)
    marker = _MARKERS.search(value)
    if marker:
        return marker.group(0)
    curly = _CURLY.search(value)
    if curly:
        return curly.group(0)
    return None


_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17)
)
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff" + _NONCHARACTERS + "]"
)


def strip_forbidden(value: str) -> str:
    """``value`` without the characters no entry may hold (for metadata taken from outside)."""
    return _FORBIDDEN.sub("", value) if has_forbidden(value) else value


def has_forbidden(value: str) -> bool:
    """True when ``value`` holds a character no entry may hold.

    Every such character is unprintable, so ``str.isprintable`` (C speed) clears most
    text at once; only text with line breaks, tabs or the like is searched (5x faster
    over a bulk import's fields).
    """
    return not value.isprintable() and _FORBIDDEN.search(value) is not None


def terminal_output(text: str) -> str:
    """A command's output as its terminal showed it, with nothing a terminal would act on.

    Colours and other escape sequences dropped, each line as its last carriage-return
    redraw left it (a progress bar: its final state), other control characters removed.
    A verification keeps this, not the raw bytes: a restore may then take it back
    (it refuses raw control characters), and no screen ever prints them raw.
    """
    text = strip_ansi(text).replace("\r\n", "\n")
    if "\r" in text:
        text = "\n".join(
            next((part for part in reversed(line.split("\r")) if part), "") for line in text.split("\n")
        )
    return strip_forbidden(text)


def find_forbidden_char(value: str) -> str | None:
    """Describe the first character no entry may hold, or None."""
    match = _FORBIDDEN.search(value)
    if match is None:
        return None
    char, where = match.group(), f"at position {match.start() + 1}"
    code = ord(char)
    if char == "\x00":
        return f"a NUL byte {where}"
    if char == "\x1b":
        return f"a terminal escape sequence (ESC) {where}"
    if code <= 0x9F:
        return f"the control character U+{code:04X} {where}"
    if char in _BIDI_CONTROLS:
        return f"the bidirectional override U+{code:04X} {where}"
    if char == "\ufeff":
        return f"a byte-order mark (U+FEFF) {where}"
    if 0xD800 <= code <= 0xDFFF:
        return f"an unpaired surrogate U+{code:04X} {where}"
    return f"the non-character U+{code:04X} {where}"


def normalize_text(value: str) -> str:
    """Line endings to LF, a pasted leading BOM dropped, outer blank space trimmed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value.startswith("\ufeff"):
        value = value[1:]
    return value.strip()


def clean_tags(tags: list[str] | tuple[str, ...]) -> tuple[list[str], list[Problem]]:
    cleaned: list[str] = []
    problems: list[Problem] = []
    for raw in tags:
        for tag in re.split(r"[,\s]+", raw):
            tag = tag.strip().lstrip("#").lower()
            if not tag:
                continue
            if len(tag) > MAX_TAG_CHARS or not re.fullmatch(r"[\w.+/-]+", tag):
                problems.append(Problem("tags", f"{tag!r} is not a tag: use letters, digits, - _ . / +"))
            elif tag not in cleaned:
                cleaned.append(tag)
    return cleaned, problems


def clean_fields(
    kind: Kind, raw: Mapping[str, str | None], *, strict: bool = True
) -> tuple[dict[str, str], list[Problem]]:
    """Normalise ``raw`` for ``kind`` and list every rule it breaks.

    Returns the cleaned fields (empty optional fields dropped) and the
    problems; the entry may be written only when the list is empty.

    ``strict=False`` is for text people already wrote elsewhere (a hand-kept log
    being imported): what was written is kept as it is, so missing fields and
    a placeholder word in prose ("the REPLACE_ME file") are not refusals, and
    control characters are removed rather than refused.
    """
    if not strict:
        return _clean_written(kind, raw), []
    problems: list[Problem] = []
    allowed = set(field_names(kind))
    fields: dict[str, str] = {}
    for name, value in raw.items():
        if name not in allowed:
            if value:
                problems.append(Problem(name, f"a {kind.value} has no field {name!r}"))
            continue
        text = normalize_text(value or "")
        if text:
            fields[name] = text

    for name, text in fields.items():
        if len(text) > MAX_FIELD_CHARS:
            problems.append(Problem(name, f"is {len(text):,} characters; the limit is {MAX_FIELD_CHARS:,}"))
            continue
        bad_char = find_forbidden_char(text)
        if bad_char:
            problems.append(Problem(name, f"contains {bad_char}; remove it and try again"))
            continue
        placeholder = find_placeholder(text)
        if placeholder:
            problems.append(
                Problem(
                    name,
                    f"still holds the template placeholder {placeholder!r}; write what actually happened",
                )
            )

    if "severity" in fields:
        try:
            fields["severity"] = normalize_severity(fields["severity"])
        except ValueError:
            problems.append(Problem("severity", f"{fields['severity']!r} is not one of SEV1-SEV4 (or P1-P4)"))
    if kind is Kind.INCIDENT:
        _check_incident(fields, problems)

    for spec in FIELDS[kind]:
        if spec.required and spec.name not in fields and not _may_be_empty(kind, spec.name, fields):
            problems.append(Problem(spec.name, "is required and was left blank"))
    return fields, problems


def _clean_written(kind: Kind, raw: Mapping[str, str | None]) -> dict[str, str]:
    """``clean_fields(strict=False)``: keep what was written, minus what no entry may hold.

    The fast path of bulk imports (one call per imported entry).
    """
    fields: dict[str, str] = {}
    for name in field_names(kind):
        value = raw.get(name)
        if not value:
            continue
        if "\r" in value or value.startswith("\ufeff"):
            value = normalize_text(value)
        if has_forbidden(value):
            value = _FORBIDDEN.sub("", value)
        value = value.strip()
        if value:
            fields[name] = value
    if "severity" in fields:
        try:
            fields["severity"] = normalize_severity(fields["severity"])
        except ValueError:
            del fields["severity"]
    if kind is Kind.INCIDENT:
        problems: list[Problem] = []
        _check_incident(fields, problems)
        if any(problem.field == "status" for problem in problems):
            # A status no incident can have ("done"): derived as if none had been written.
            del fields["status"]
            _check_incident(fields, [])
    return fields


def _check_incident(fields: dict[str, str], problems: list[Problem]) -> None:
    if "status" in fields:
        try:
            fields["status"] = normalize_status(fields["status"]).value
        except ValueError:
            problems.append(
                Problem("status", f"{fields['status']!r} is not one of open, mitigated, resolved")
            )
            return
    else:
        known_cause = fields.get("cause", "").lower() not in ("", "unknown")
        fields["status"] = Status.RESOLVED.value if known_cause and fields.get("fix") else Status.OPEN.value
    if fields["status"] != Status.OPEN.value and fields.get("cause", "").lower() == "unknown":
        problems.append(
            Problem(
                "cause",
                f'"unknown" is allowed only while the incident is open, not {fields["status"]}',
            )
        )


def _may_be_empty(kind: Kind, name: str, fields: Mapping[str, str]) -> bool:
    return kind is Kind.INCIDENT and name == "fix" and fields.get("status") == Status.OPEN.value
