"""Reading hand-kept HANDOFF.md / INCIDENTS.md files into entries (no database here).

The formats are the ones people actually use (see ../shared/seeds):

- dated bullets: ``- 2025-12-13 23:49 MSK — symptom — root cause: … — fix: … — verification: …``
- dated paragraphs: ``2025-12-13 23:11 MSK Added … Verified: `cmd` -> result``
- ``## 2025-12-15 00:06:35 MSK`` blocks of ``- What:`` / ``- Why:`` / ``- Verify:`` /
  ``- Expected:`` / ``- Now:`` / ``- Next:`` lines
- a bullet with indented ``Symptom:`` / ``Root cause:`` / ``Fix/Mitigation:`` /
  ``Verification:`` lines under it
- logbook's own lines (``<!-- logbook:ID -->``), read back exactly

On the way in it repairs what hand-keeping breaks (a BOM, UTF-16, CRLF,
mojibake, two entries glued onto one line) and it reports instead of
importing: unfilled templates, and entries that repeat an earlier one.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from storage import mojibake
from storage.kinds import Kind, field_names, normalize_severity
from storage.mirror import decode_mirror
from storage.mirror_format import ANCHOR_RE, parse_line
from storage.secrets import mask_secrets
from storage.similarity import NEAR_DUPLICATE_SCORE, REPEAT_WINDOW, Words, key_text, normalize
from storage.timeparse import TIME_RE, read_time

REWORDED_WINDOW = timedelta(hours=1)
_REWORDED_SECONDS = REWORDED_WINDOW.total_seconds()
RECENT_ENTRIES = 30
SAME_MINUTE_SCORE = 0.3
"""Two entries written in the same minute are one entry appended twice when their words
overlap this much; the seeds' reworded repeats score 0.33-0.91 (tests/storage/test_import_seeds.py)."""

_DATED = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<bullet>[-*+]\s+)?(?=\d{4}-\d{2}-\d{2}[ T]\d)", re.M)
_HEADING_DATED = re.compile(r"^#{1,6}\s+(?=\d{4}-\d{2}-\d{2}[ T]\d)", re.M)
_GLUED = re.compile(r"(?<=\S)(?=- \d{4}-\d{2}-\d{2}[ T]\d{1,2}:?\d{2})")
_LEAD = re.compile(r"^[\s:;,.—–\-\ufffd]+")
_KIND_MARK = re.compile(
    r"(?P<decision>Decision\b[\s:—–\-\ufffd]*)"
    r"|(?P<note>(?:Process\s+)?Note\s*:\s*)"
    r"|(?P<incident>(?:INCIDENT|FAILED|FAILURE|BROKEN)\b[\s:—–\-\ufffd]*)",
    re.IGNORECASE,
)
"""What makes a dated line a decision, a note or an incident (matched at its start)."""
_MARKED_KINDS = {"decision": Kind.DECISION, "note": Kind.NOTE, "incident": Kind.INCIDENT}
_CITATION = re.compile(r"\s*\[file:\d+\]")
_ARROW = re.compile(r"\s*(?:->|=>|→)\s*")
_TEMPLATE_TOKEN = re.compile(r"<\s*[A-Za-z][\w /|-]*>")
_TEMPLATE_FILLER = re.compile(r"->|=>|[\s.;:,]+")
_QUOTES = "`'\""
_LONE_OPENING_QUOTES = re.compile(r"^[`'\"]+(?=[^`'\"]*$)")
_VERIFIED_WITH = re.compile(r"^(?:with|via|by)\s+", re.IGNORECASE)
_PROSE_BEFORE_COLON = re.compile(r"^[A-Za-z][A-Za-z ,']{2,40}:\s+(?=\S)")
_COMMAND_SPAN = re.compile(r"^`([^`]+)`\s*")
_SYMPTOM_LABEL = re.compile(r"^Symptom\s*:\s*", re.IGNORECASE)
_FIELD_LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?P<label>What|Why|Verify|Verification|Expected|Now|Next|Symptom|"
    r"Root\s*cause|Cause|Fix\s*/\s*Mitigation|Fix|Mitigation|Decision|Consequences?|Severity|Status)"
    r"\s*:\s*(?P<value>.*)$",
    re.IGNORECASE,
)

# Labels inside a one-line entry, in the words the seeds use.
_LABELS: tuple[tuple[str, str], ...] = (
    ("symptom", r"symptom"),
    ("cause", r"root[\s-]*cause|cause"),
    ("fix", r"fix\s*/\s*mitigation|fix|mitigation|workaround"),
    ("verification", r"verification|verified|verify"),
    ("expected", r"expected(?:\s+result)?"),
    ("why", r"why|reason"),
    ("now", r"now"),
    ("next", r"next(?:\s+step)?"),
    ("decision", r"decision"),
    ("consequences", r"consequences?|consequence"),
)


def _by_first_letter(labels: tuple[tuple[str, str], ...]) -> tuple[str, dict[str, str]]:
    """The labels as one alternation arranged by first letters ("c(?:(?P<cause_1c>ause)|...)"),
    and the field each of its groups names. ``re`` tries each branch of an alternation in
    turn; arranged so, it tries one letter, then only the labels that start with it (the
    order of the labels sharing a letter is kept: the same matches)."""
    by_first: dict[str, list[tuple[str, list[str]]]] = {}
    fields: dict[str, str] = {}
    for index, (name, pattern) in enumerate(labels):
        for alternative in pattern.split("|"):
            first, rest = alternative[0], alternative[1:]
            group = f"{name}_{index}{first}"
            branches = by_first.setdefault(first, [])
            if branches and branches[-1][0] == group:
                branches[-1][1].append(rest)
            else:
                branches.append((group, [rest]))
            fields[group] = name
    alternation = "|".join(
        first + "(?:" + "|".join(f"(?P<{group}>" + "|".join(rests) + ")" for group, rests in branches) + ")"
        for first, branches in by_first.items()
    )
    return alternation, fields


_LABEL_ALTERNATION, _LABEL_FIELDS = _by_first_letter(_LABELS)
_LABEL_PATTERN = (
    # Matched with the character before the label (a text is searched with a space put
    # before it): ``re`` finds where a pattern that starts with a set of characters may
    # match in C, and a look-behind at its start was tried at every position (the labels
    # of the bench log's 183,088 entries: 2.36 s -> 1.75 s). A "verified" label keeps the
    # space after it out of the match: the next label may start right there.
    # The label is the one group that matches (its name says the field: ``m.lastgroup``),
    # and ends where the label does.
    r"[\s.;,(—–\ufffd](?=[cdefmnrsvw])(?:"
    + _LABEL_ALTERNATION
    + r")(?:\s*\([^)]{1,40}\))?\s*(?::|(?<=verified)(?=\s+(?:with\b|via\b|by\b|[\w.\\/`$\"'-])))"
)
_LABEL_RE = re.compile(_LABEL_PATTERN, re.IGNORECASE)
_LOWER_LABEL_RE = re.compile(_LABEL_PATTERN)
"""For ASCII text lower-cased first: the same matches (not so for all text: ignoring case,
"ſ" is an "s"), and ``re`` compares characters as they are. With the letters arranged, the
labels of an entry of the bench log are found in 3.8 us, not 5.4."""


def _label(text: str, match: re.Match[str]) -> str:
    """The label's words, as written ("Root cause")."""
    return text[match.start() + 1 : match.end(match.lastindex or 0)]


_KINDS = {kind.value: kind for kind in Kind}
"""A kind by its value (a dict lookup: calling the enum costs 10x as much)."""


@dataclass(slots=True)
class ParsedEntry:
    """One dated entry found in a file."""

    line: int
    kind: Kind
    created_at: datetime
    when: str
    fields: dict[str, str]
    raw: str
    tags: tuple[str, ...] = ()
    entry_id: str | None = None
    logbook_line: bool = False
    event_of: str | None = None
    placeholder: str | None = None
    duplicate_of: ParsedEntry | None = None
    key: str = ""
    """The entry's main words, normalised (what repeats are recognised by)."""
    uid: str = ""
    """The id a hand-written entry is stored under (see :meth:`content_id`)."""

    def __post_init__(self) -> None:
        if not self.key:
            self.key = normalize(key_text(self.kind, self.fields))
        if not self.uid:
            self.uid = self.content_id()

    @property
    def store_id(self) -> str:
        """The id in the store: logbook's own id, else the one made from the entry's text."""
        return self.entry_id or self.uid

    @property
    def imported(self) -> bool:
        """True when this entry is to be stored (not a template, not a repeat, not an event)."""
        return self.placeholder is None and self.duplicate_of is None and self.event_of is None

    def content_id(self) -> str:
        """A stable id for a hand-written entry: the same line gives the same id in every clone.

        Made from the minute and the words of the line (case and spacing aside), so a
        line that reaches a file twice (a union merge, a copy) is one entry.
        """
        raw = self.raw
        # A printable text holds no blank but the space (every other one is unprintable):
        # with no two spaces together and none at its ends, it is its words already.
        one_line = raw.isprintable() and "  " not in raw and raw[:1] != " " and raw[-1:] != " "
        words = (raw if one_line else " ".join(raw.split())).casefold()
        moment = self.created_at
        # isoformat's first 16 characters are "%Y-%m-%dT%H:%M" for four-digit years, 5x faster.
        minute = moment.isoformat()[:16] if moment.year >= 1000 else f"{moment:%Y-%m-%dT%H:%M}"
        digest = hashlib.blake2b(f"{minute}|{words}".encode(), digest_size=8)
        return digest.hexdigest()

    def to_tuple(self) -> tuple[Any, ...]:
        """Cheap to pickle (the parallel reader sends entries between processes)."""
        return (
            self.line,
            self.kind.value,
            self.created_at.timestamp(),
            self.when,
            self.fields,
            self.raw,
            self.tags,
            self.entry_id,
            self.logbook_line,
            self.event_of,
            self.placeholder,
            self.key,
            self.uid,
        )

    @classmethod
    def from_tuple(cls, data: tuple[Any, ...]) -> ParsedEntry:
        line, kind, stamp, when, fields, raw, tags, entry_id, ours, event_of, template, key, uid = data
        # (Positional, in the order the fields are declared: 30% faster than by keyword,
        # 180,000 times in a big import.)
        return cls(
            line,
            _KINDS[kind],
            datetime.fromtimestamp(stamp, UTC),
            when,
            fields,
            raw,
            tags,
            entry_id,
            ours,
            event_of,
            template,
            None,  # duplicate_of: marked in the importing process
            key,
            uid,
        )


@dataclass
class ParsedLog:
    """What a file holds, and what was done to read it."""

    name: str
    entries: list[ParsedEntry] = field(default_factory=list)
    repairs: Counter[str] = field(default_factory=Counter)
    not_understood: list[tuple[int, str]] = field(default_factory=list)

    @property
    def fresh(self) -> list[ParsedEntry]:
        return [e for e in self.entries if e.imported]

    @property
    def duplicates(self) -> list[ParsedEntry]:
        return [e for e in self.entries if e.duplicate_of is not None]

    @property
    def placeholders(self) -> list[ParsedEntry]:
        return [e for e in self.entries if e.placeholder is not None]

    def by_kind(self) -> Counter[str]:
        return Counter(e.kind.value for e in self.fresh)


def decode(data: bytes) -> tuple[str, Counter[str]]:
    """Text of a file with BOM, UTF-16 and CRLF undone, and a count of each repair."""
    repairs: Counter[str] = Counter()
    text, _, problems = decode_mirror(data, count_glued=False)
    for problem in problems:
        if "UTF-16" in problem:
            repairs["utf-16 converted to utf-8"] += 1
        elif "byte-order mark" in problem:
            repairs["byte-order mark removed"] += 1
        elif "not UTF-8" in problem:
            repairs["bytes that were not UTF-8 replaced"] += 1
    if "\r" in text:  # (most files have none: a 50 MB log is not counted through twice)
        crlf = text.count("\r\n")
        if crlf:
            repairs["CRLF line endings"] += crlf
            text = text.replace("\r\n", "\n")
        if "\r" in text:
            repairs["CR line endings"] += text.count("\r")
            text = text.replace("\r", "\n")
    return text, repairs


def _repair_line(line: str, repairs: Counter[str]) -> list[str]:
    """A hand-written line with mojibake decoded and glued entries split apart.

    A line logbook wrote (it ends with its anchor) is left exactly as it is:
    its text was validated when written, and whatever a field held ("Ã©" on
    purpose, "x- 2025-01-01 …") must read back the same, not be "repaired".
    """
    if "logbook:" in line and ANCHOR_RE.search(line):
        stripped = line.lstrip()
        if stripped[:2] in ("* ", "+ "):  # a formatter changed the bullet
            stripped = f"- {stripped[2:]}"
        if parse_line(stripped) is not None:
            return [line]
    line, fixed = mojibake.repair(line)
    if fixed:
        repairs["mojibake sequences decoded"] += fixed
    pieces = _split_glued(line) if line.find("- 20", 1) != -1 else [line]
    if len(pieces) > 1:
        repairs["entries glued onto the line before, split"] += len(pieces) - 1
    return pieces


def _split_glued(line: str) -> list[str]:
    """``_GLUED.split(line)``, 5x faster: candidates are found by their literal "- " (a
    pattern that starts with a look-behind is tried at every position of every line)."""
    cuts = [
        match.start()
        for match in _GLUED_AT.finditer(line)
        if match.start() > 0 and not line[match.start() - 1].isspace()
    ]
    if not cuts:
        return [line]
    bounds = [0, *cuts, len(line)]
    return [line[start:end] for start, end in pairwise(bounds)]


_GLUED_AT = re.compile(r"- (?=\d{4}-\d{2}-\d{2}[ T]\d{1,2}:?\d{2})")


PARALLEL_FROM_BYTES = 4_000_000
"""Files at least this big are read by several processes at once (a chunk each)."""


def parse_log(data: bytes | str, *, name: str, default_zone: tzinfo) -> ParsedLog:
    """Every dated entry of a hand-kept log, with templates and repeats marked."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    text, repairs = decode(data)
    log = ParsedLog(name=name, repairs=repairs)
    kind = default_kind(name, text)
    chunks = _chunks(text) if len(data) >= PARALLEL_FROM_BYTES else [(0, text)]
    if len(chunks) > 1:
        parts = _parse_in_processes(chunks, kind, default_zone)
    else:
        parts = [parse_piece(text, kind, default_zone, 0, False)]
    seen_entry = False
    for index, (entries, part_repairs, not_understood) in enumerate(parts):
        log.entries += entries
        log.repairs.update(part_repairs)
        # Lines before the first entry are the file's preamble (title, rules), not mistakes:
        # the first piece left them out itself (a dated line it could not read is kept); a
        # later piece was read as if entries came before it, so it counts once one did.
        log.not_understood += not_understood if (index == 0 or seen_entry or entries) else []
        seen_entry = seen_entry or bool(entries)
    _mark_duplicates(log.entries)
    return log


_TITLE = re.compile(r"^#\s+(?P<title>HANDOFF|INCIDENTS?)\b", re.IGNORECASE | re.MULTILINE)


def default_kind(name: str, text: str) -> Kind:
    """What an entry with no mark of its own is: the file's title says (``# INCIDENTS``,
    ``# HANDOFF``), else its name (a file called ``*incident*`` holds incidents)."""
    title = _TITLE.search(text, 0, 4000)
    if title is not None:
        return Kind.HANDOFF if title["title"].upper() == "HANDOFF" else Kind.INCIDENT
    return Kind.INCIDENT if "incident" in name.lower() else Kind.HANDOFF


def _chunks(text: str) -> list[tuple[int, str]]:
    """The text cut at entry starts into one piece per CPU, with each piece's first line number."""
    workers = min(os.cpu_count() or 1, 8)
    return [(line, text[start:end]) for start, end, line in piece_bounds(text, workers)]


def piece_bounds(text: str, count: int) -> list[tuple[int, int, int]]:
    """``text`` cut at entry starts into about ``count`` pieces of about the same size:
    (start, end, the number of lines before start) for each."""
    if count < 2:
        return [(0, len(text), 0)]
    size = len(text) // count
    pieces: list[tuple[int, int, int]] = []
    start, line = 0, 0
    for _ in range(count - 1):
        cut = text.find("\n", start + size)
        while cut != -1 and not _starts_entry(text, cut + 1):
            cut = text.find("\n", cut + 1)
        if cut == -1:
            break
        pieces.append((start, cut + 1, line))
        line += text.count("\n", start, cut + 1)
        start = cut + 1
    pieces.append((start, len(text), line))
    return pieces


def _starts_entry(text: str, position: int) -> bool:
    return bool(_DATED.match(text, position) or _HEADING_DATED.match(text, position))


def _parse_in_processes(
    chunks: list[tuple[int, str]], kind: Kind, zone: tzinfo
) -> list[tuple[list[ParsedEntry], Counter[str], list[tuple[int, str]]]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return [
            parse_piece(text, kind, zone, offset, index > 0) for index, (offset, text) in enumerate(chunks)
        ]
    # The first piece is read here while other processes read the rest: this process
    # would wait anyway, and its own piece needs no sending back.
    with ProcessPoolExecutor(len(chunks) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_parse_packed, text, kind, zone, offset, True) for offset, text in chunks[1:]]
        offset, text = chunks[0]
        first = parse_piece(text, kind, zone, offset, False)
        results = [future.result() for future in futures]
    return [first] + [
        ([ParsedEntry.from_tuple(t) for t in packed], repairs, nu) for packed, repairs, nu in results
    ]


def _parse_packed(
    text: str, kind: Kind, zone: tzinfo, offset: int, after_entries: bool
) -> tuple[list[tuple[Any, ...]], Counter[str], list[tuple[int, str]]]:
    entries, repairs, not_understood = parse_piece(text, kind, zone, offset, after_entries)
    return [entry.to_tuple() for entry in entries], repairs, not_understood


def parse_piece(
    text: str, default_kind: Kind, default_zone: tzinfo, line_offset: int, after_entries: bool
) -> tuple[list[ParsedEntry], Counter[str], list[tuple[int, str]]]:
    """The entries of one piece of a file (repeats are marked later, over the whole file)."""
    log = ParsedLog(name="")
    current: list[str] | None = None
    start = 0
    block = False
    for number, line in enumerate(text.split("\n"), start=line_offset + 1):
        # Most lines need no repair: plain ASCII with no second entry glued on (no call made;
        # a bullet's own "- 20" starts the line).
        pieces = (line,) if line.isascii() and line.find("- 20", 1) == -1 else _repair_line(line, log.repairs)
        for piece in pieces:
            heading = _HEADING_DATED.match(piece) if piece[:1] == "#" else None
            dated = _DATED.match(piece)
            if heading or dated:
                _finish(log, current, start, default_kind, default_zone, block)
                body = piece[heading.end() :] if heading else piece[dated.end() :]
                current, start, block = [body], number, bool(heading)
            elif (
                current is not None
                and piece.strip()
                and (piece[:1] in " \t" or (block and _FIELD_LINE.match(piece)))
            ):
                current.append(piece)
            elif not piece.strip():
                if not block:
                    _finish(log, current, start, default_kind, default_zone, block)
                    current = None
            else:
                if current is not None:
                    _finish(log, current, start, default_kind, default_zone, block)
                    current = None
                if (after_entries or log.entries) and not piece.lstrip().startswith("#"):
                    log.not_understood.append((number, piece))
    _finish(log, current, start, default_kind, default_zone, block)
    return log.entries, log.repairs, log.not_understood


def _finish(
    log: ParsedLog,
    lines: list[str] | None,
    number: int,
    default_kind: Kind,
    zone: tzinfo,
    block: bool,
) -> None:
    if not lines:
        return
    first = lines[0]
    match = TIME_RE.match(first)
    try:
        created = read_time(match, zone) if match is not None else None
    except ValueError:  # "2025-13-45 10:00": shaped like a time, but no such day
        created = None
    if match is None or created is None:  # a date that is not a time we can read: say so
        log.not_understood.append((number, first))
        return
    raw = "\n".join(lines).strip()
    when = match.group().strip()
    # A line of ours, possibly re-wrapped by a formatter (its anchor on the last line), or
    # followed by indented lines someone added under it (reported, not taken as ours).
    # (Most lines of a hand-kept log are not; most entries are one line.)
    ours = "logbook:" in first if len(lines) == 1 else any("logbook:" in line for line in lines)
    candidates = ((" ".join(line.strip() for line in lines), []), (first.strip(), lines[1:])) if ours else ()
    for candidate, added in candidates:
        parsed = parse_line(f"- {candidate}") if ANCHOR_RE.search(candidate) else None
        if parsed is not None:
            log.entries.append(
                ParsedEntry(
                    line=number,
                    kind=parsed.kind,
                    created_at=created,
                    when=when,
                    fields=parsed.fields,
                    raw=candidate,
                    tags=parsed.tags,
                    entry_id=parsed.entry_id,
                    logbook_line=True,
                    event_of=parsed.event_of,
                )
            )
            log.not_understood += [(number + i, text) for i, text in enumerate(added, start=1)]
            return
    if len(lines) > 1:
        # Mask credentials while the line breaks are still there: a private key's body
        # is recognised line by line, and the fields below join the lines with spaces.
        masked, found = mask_secrets("\n".join(lines))
        if found:
            lines = masked.split("\n")
            first, raw = lines[0], masked.strip()
            match = TIME_RE.match(first) or match
            log.repairs.update(f"{finding.label} masked" for finding in found)
    body = first[match.end() :]
    rest = [line.strip() for line in lines[1:]]
    kind, fields = _block_fields(body, rest) if block else _line_fields(body, rest, default_kind)
    entry = ParsedEntry(line=number, kind=kind, created_at=created, when=when, fields=fields, raw=raw)
    if "<" in raw:  # (every template token starts with it, and the fields are taken from raw)
        entry.placeholder = _template(fields)
    log.entries.append(entry)


def _clean(text: str) -> str:
    if text[:1].isalnum() and text[-1:].isalnum() and "[file:" not in text and "\u200b" not in text:
        return text  # (nothing below would change it: most values, and values cleaned already)
    if "[file:" in text:  # (a substring test is 10x cheaper than the regex finding nothing)
        text = _CITATION.sub("", text)
    text = text.replace("\u200b", "").strip()
    if text[:1] in _QUOTES:
        text = _LONE_OPENING_QUOTES.sub("", text)
    return text.strip().strip(";,").rstrip(".").strip()


def _split_verification(text: str) -> tuple[str, str]:
    """`cmd` -> result: the command and what it printed."""
    text = _clean(text)
    if text[:1] in "wWvVbB":
        text = _VERIFIED_WITH.sub("", text)
    # "Verified backend tests are green: CMD -> result": the words before the colon are prose.
    if ":" in text[:42]:  # (where the colon must be for the pattern to match)
        text = _PROSE_BEFORE_COLON.sub("", text)
    span = _COMMAND_SPAN.match(text)
    if span and not _ARROW.search(span.group(1)):
        rest = _ARROW.sub(" ", text[span.end() :], count=1).strip()
        return span.group(1).strip(), _clean(rest.strip("`"))
    parts = _ARROW.split(text, maxsplit=1)
    command = parts[0].strip().strip("`").strip()
    expected = parts[1].strip().strip("`").strip() if len(parts) > 1 else ""
    return command, _clean(expected)


def _segments(body: str) -> tuple[str, list[tuple[str, str]]]:
    """Split "head. Label: value; Label2: value" into the head and labelled values."""
    padded = f" {body}"  # (a label at the start has a character before it too)
    # ("Verified" first is the start of a sentence, not a label.)
    ascii_text = padded.isascii()
    matches = _LOWER_LABEL_RE.finditer(padded.lower()) if ascii_text else _LABEL_RE.finditer(padded)
    labels = [m for m in matches if m.start() or _label(padded, m).lower() != "verified"]
    if not labels:
        return body, []
    head = padded[1 : labels[0].start() + 1]
    found: list[tuple[str, str]] = []
    for index, match in enumerate(labels):
        end = labels[index + 1].start() + 1 if index + 1 < len(labels) else len(padded)
        found.append((_LABEL_FIELDS[match.lastgroup or ""], padded[match.end() : end]))
    return head, found


def _line_fields(body: str, rest: list[str], default_kind: Kind) -> tuple[Kind, dict[str, str]]:
    body = _LEAD.sub("", body)
    kind = default_kind
    mark = _KIND_MARK.match(body)
    if mark is not None:
        kind, body = _MARKED_KINDS[mark.lastgroup or ""], body[mark.end() :]
    text = " ".join([body, *rest]) if rest else body
    if not text.isascii():  # (the three dashes are not ASCII)
        text = text.replace(" — ", " ; ").replace(" – ", " ; ").replace(" \ufffd ", " ; ")
    head, segments = _segments(text)
    fields: dict[str, str] = {}
    for name, value in segments:
        value = _clean(value)
        if not value:
            continue
        if name == "verification":
            command, expected = _split_verification(value)
            fields.setdefault("verify", command)
            if expected:
                fields.setdefault("expected", expected)
        elif name == "decision" and kind is Kind.DECISION:
            head = f"{_clean(head)}. {value}" if _clean(head) else value
        elif name in fields:
            fields[name] += f"; {value}"
        else:
            fields[name] = value
    head = _clean(head)
    if kind is Kind.INCIDENT:
        head = _SYMPTOM_LABEL.sub("", head)
        symptom = fields.pop("symptom", "")
        fields["symptom"] = f"{head}; {symptom}" if head and symptom else head or symptom
        return kind, _only(kind, fields)
    if kind is Kind.DECISION:
        fields["decision"] = head
        consequences = [fields.pop(k) for k in ("verify", "expected", "consequences") if k in fields]
        if consequences:
            fields["consequences"] = " -> ".join(consequences)
        return kind, _only(kind, fields)
    if kind is Kind.NOTE:
        return kind, {"text": _clean(text)}
    fields["what"] = head
    return kind, _only(kind, fields)


def _block_fields(body: str, rest: list[str]) -> tuple[Kind, dict[str, str]]:
    """A ``## datetime`` block: one ``Label: value`` per line."""
    fields: dict[str, str] = {}
    for line in rest:
        match = _FIELD_LINE.match(line)
        if not match:
            continue
        label = " ".join(match["label"].lower().split())
        value = _clean(match["value"])
        name = {
            "verification": "verify",
            "root cause": "cause",
            "rootcause": "cause",
            "fix / mitigation": "fix",
            "fix/mitigation": "fix",
            "mitigation": "fix",
            "consequence": "consequences",
        }.get(label.replace(" / ", "/"), label)
        if name == "verify":
            command, expected = _split_verification(value)
            fields["verify"] = command
            if expected and "expected" not in fields:
                fields["expected"] = expected
        elif value:
            fields[name] = value
    if "symptom" in fields:
        return Kind.INCIDENT, _only(Kind.INCIDENT, fields)
    if "decision" in fields and "what" not in fields:
        return Kind.DECISION, _only(Kind.DECISION, fields)
    if "what" not in fields and body.strip():
        fields["what"] = _clean(body)
    return Kind.HANDOFF, _only(Kind.HANDOFF, fields)


def _only(kind: Kind, fields: dict[str, str]) -> dict[str, str]:
    allowed = field_names(kind)
    result = {name: value for name, value in fields.items() if name in allowed and value}
    if "severity" in result:
        try:
            result["severity"] = normalize_severity(result["severity"])
        except ValueError:
            del result["severity"]
    return result


def _template(fields: dict[str, str]) -> str | None:
    """The template token when the entry is an unfilled template (``<symptom>``...)."""
    templated = [
        value
        for value in fields.values()
        if "<" in value  # (every token starts with it: most values need no regex)
        and _TEMPLATE_TOKEN.search(value)
        and not _TEMPLATE_FILLER.sub("", _TEMPLATE_TOKEN.sub("", value))
    ]
    main = fields.get("symptom") or fields.get("what") or fields.get("decision") or fields.get("text") or ""
    if templated and (main in templated or len(templated) * 2 >= len(fields)):
        shown = main if main in templated else templated[0]
        return _TEMPLATE_TOKEN.search(shown).group()  # type: ignore[union-attr]
    return None


def _mark_duplicates(entries: list[ParsedEntry]) -> None:
    """Link repeats to the first entry (see :class:`RepeatMarker`), over a whole file."""
    RepeatMarker(entries).mark(entries)


class RepeatMarker:
    """Links repeats to the first entry: appended twice, or reworded soon after.

    The same text within 24 hours is a repeat (found through a dict, at any
    file size), and so is the first part of a line logbook wrote (a line cut
    by a bad merge, then appended whole again); a reworded repeat is looked for
    among the entries just before it, as people re-append within minutes: nearly
    the same words within an hour, or a fair part of them within the same minute.

    Entries are given in file order, all at once or a piece at a time; ``ours``
    are the file's lines written by logbook, all of them, known before the first
    piece (a cut line comes before the whole one).
    """

    def __init__(self, ours: list[ParsedEntry]) -> None:
        self.by_text: dict[tuple[Kind, str], ParsedEntry] = {}
        self.by_anchor: dict[str, ParsedEntry] = {}
        self.recent: list[tuple[ParsedEntry, Words, float]] = []
        self.descents = 0
        """How often a time in ``recent`` is earlier than the one before it (0: in time order)."""
        self.ours: dict[datetime, list[ParsedEntry]] = {}
        for entry in ours:
            if entry.logbook_line:
                self.ours.setdefault(entry.created_at, []).append(entry)

    def mark(self, entries: list[ParsedEntry]) -> None:
        """Set ``duplicate_of`` on the repeats among ``entries`` (the file's next ones)."""
        by_text, by_anchor, recent, ours = self.by_text, self.by_anchor, self.recent, self.ours
        for entry in entries:
            if entry.placeholder or entry.event_of:
                continue
            if entry.entry_id:
                first = by_anchor.setdefault(entry.entry_id, entry)
                if first is not entry:
                    entry.duplicate_of = first
                continue
            # The first part of one of our lines (cut by a bad merge, or a crash) is that line.
            raw = entry.raw
            whole = (
                [e for e in ours.get(entry.created_at, ()) if e.raw.startswith(raw) and e.raw != raw]
                if ours  # (most files have no line of ours)
                else None
            )
            if whole:
                entry.duplicate_of = whole[0]
                continue
            text = entry.key
            key = (entry.kind, text)
            first = by_text.get(key)
            if first is not None and abs(entry.created_at - first.created_at) <= REPEAT_WINDOW:
                entry.duplicate_of = first
                continue
            entry_words = Words.of_key(text)
            # Times as seconds: this loop runs up to thirty times per entry of a big file. When
            # the recent entries are in time order (most logs), it stops at the first one more
            # than the window before this entry: every one before that is earlier still.
            stamp, kind, numbers = entry.created_at.timestamp(), entry.kind, entry_words.numbers
            in_order = not self.descents
            for earlier, earlier_words, earlier_stamp in reversed(recent):
                if in_order and stamp - earlier_stamp > _REWORDED_SECONDS:
                    break
                if earlier.kind is not kind:
                    continue
                gap = abs(stamp - earlier_stamp)
                if gap > _REWORDED_SECONDS:
                    continue
                earlier_numbers = earlier_words.numbers
                if not (numbers <= earlier_numbers or earlier_numbers <= numbers):
                    # Each has a number the other has not: not the same entry (Words.similarity
                    # says 0). (Subset tests: no set is made, 180,000 x a few times.)
                    continue
                score = entry_words.similarity(earlier_words)
                if score >= NEAR_DUPLICATE_SCORE or (gap < 60 and score >= SAME_MINUTE_SCORE):
                    entry.duplicate_of = earlier
                    break
            if entry.duplicate_of is None:
                by_text[key] = entry  # the latest copy: a third one a day later repeats the second
                if recent and stamp < recent[-1][2]:
                    self.descents += 1
                recent.append((entry, entry_words, stamp))
                if len(recent) > RECENT_ENTRIES:
                    if recent[1][2] < recent[0][2]:
                        self.descents -= 1
                    del recent[0]


def our_lines(text: str, default_kind: Kind, zone: tzinfo) -> list[ParsedEntry]:
    """The lines of ``text`` that logbook wrote (with an anchor), read as the whole file's
    reading would read them, without reading the rest: what a :class:`RepeatMarker`
    needs before a big file is read in pieces."""
    found: dict[int, ParsedEntry] = {}
    line_number, counted_to = 1, 0
    position = text.find("logbook:")
    while position != -1:
        line_start = text.rfind("\n", 0, position) + 1
        line_end = text.find("\n", position)
        line_end = len(text) if line_end == -1 else line_end
        start = line_start
        # A formatter may have wrapped the line: its entry starts a few lines up.
        for _ in range(_WRAPPED_LINES):
            if start == 0 or _starts_entry(text, start):
                break
            previous = text.rfind("\n", 0, start - 1) + 1
            if not text[previous : start - 1].strip():
                break  # a blank line: no entry goes on across it
            start = previous
        if start >= counted_to:
            line_number += text.count("\n", counted_to, start)
        else:
            line_number -= text.count("\n", start, counted_to)
        counted_to = start
        if _starts_entry(text, start):
            entries, _, _ = parse_piece(text[start:line_end], default_kind, zone, line_number - 1, False)
            for entry in entries:
                if entry.logbook_line:
                    found.setdefault(entry.line, entry)
        position = text.find("logbook:", line_end)
    return list(found.values())


_WRAPPED_LINES = 20
