"""The one-line markdown form of an entry in HANDOFF.md / INCIDENTS.md, both ways.

An entry becomes one bullet in the style people already keep by hand::

    - 2025-12-13 23:49 MSK — [SEV2, resolved] pytest failed with "Event loop is closed"
      — root cause: engine not disposed — fix: lifespan + engine.dispose()
      — verification: `python -m pytest -q` -> 2 passed <!-- logbook:ID -->

(on one line). The trailing HTML comment is invisible when rendered and makes
the line identifiable. Multi-line text is condensed and long text is cut, so
the visible line is not always exact; when it is not (and was not cut), the
anchor also carries the exact fields, compressed, so that re-importing the
line gives back exactly what was stored.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from storage.clock import format_local
from storage.kinds import Kind

SEP = " — "
FIELD_CUT_CHARS = 280
PAYLOAD_MAX_BYTES = 12_000
ELLIPSIS = "…"

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Characters no entry may hold (storage.validation refuses them): text that reaches a
mirror line without that check (an incident's status note) shows them as visible escapes."""

_HANDOFF_LABELS = (("why", "Why"), ("now", "Now"), ("next", "Next"))
_INCIDENT_LABELS = (("cause", "root cause"), ("fix", "fix"))
_DECISION_LABELS = (("why", "Why"), ("consequences", "Consequences"))

_KINDS = {kind.value: kind for kind in Kind}
# "<!--  logbook:": a formatter may have indented (or wrapped) what follows "<!--".
ANCHOR_RE = re.compile(r"<!--\s+logbook:(?P<id>[0-9a-f]{8,32})(?P<attrs>(?: [a-z]+:[^\s]+)*) -->\s*$")
_LINE_RE = re.compile(
    r"^- (?P<date>\d{4}-\d{2}-\d{2} \d{2}:\d{2}) (?P<zone>\S+) — (?P<body>.*?)"
    r"(?: — tags: (?P<tags>[\w.+/\-, ]+))? (?P<anchor><!--\s+logbook:.*-->)\s*$"
)


@dataclass(frozen=True)
class MirrorLine:
    """What a logbook-written line holds, read back."""

    entry_id: str
    kind: Kind
    fields: dict[str, str]
    stamp: str
    zone: str
    tags: tuple[str, ...]
    supersedes: str | None
    cut: bool
    event_of: str | None = None


def condense(value: str, limit: int = FIELD_CUT_CHARS) -> tuple[str, bool]:
    """One line: line breaks become " / ", runs of blanks one space; cut past ``limit``."""
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        # Already one line of single spaces (every line break, other blank and unsafe
        # character is unprintable): most fields, and the summary of every imported entry.
        text = value
    else:
        parts = [" ".join(line.split()) for line in value.splitlines()]
        text = " / ".join(part for part in parts if part)
    text = text.replace("<!--", "&lt;!--")
    if _UNSAFE.search(text):  # never a raw escape sequence in a file people `cat`
        text = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if len(text) > limit:
        return text[: limit - 1].rstrip() + ELLIPSIS, True
    return text, False


def _code(command: str) -> str:
    fence = "``" if "`" in command else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{command}{pad}{fence}"


def _uncode(text: str) -> tuple[str, str]:
    """Split a leading code span off ``text``: (command, rest)."""
    match = re.match(r"^(`+)\s?(.*?)\s?\1(?!`)", text)
    if not match:
        return "", text
    return match.group(2), text[match.end() :]


def render_body(kind: Kind, fields: dict[str, str], status: str | None = None) -> tuple[str, bool]:
    """The visible text between the timestamp and the tags; True when something was cut."""
    cut_any = False

    def part(name: str) -> str:
        nonlocal cut_any
        text, cut = condense(fields.get(name, ""))
        cut_any = cut_any or cut
        return text

    pieces: list[str]
    if kind is Kind.HANDOFF:
        pieces = [part("what")]
        if fields.get("why"):
            pieces.append(f"Why: {part('why')}")
        pieces.append(_verification("Verify", part("verify"), part("expected")))
        pieces += [f"{label}: {part(name)}" for name, label in _HANDOFF_LABELS[1:] if fields.get(name)]
    elif kind is Kind.INCIDENT:
        marks = [m for m in (fields.get("severity"), status or fields.get("status")) if m]
        head = f"[{', '.join(marks)}] " if marks else ""
        pieces = [head + part("symptom")]
        pieces += [f"{label}: {part(name)}" for name, label in _INCIDENT_LABELS if fields.get(name)]
        if fields.get("verify") or fields.get("expected"):
            pieces.append(_verification("verification", part("verify"), part("expected")))
    elif kind is Kind.DECISION:
        pieces = ["Decision", part("decision")]
        pieces += [f"{label}: {part(name)}" for name, label in _DECISION_LABELS if fields.get(name)]
    else:
        pieces = ["Note", part("text")]
    return SEP.join(pieces), cut_any


def _verification(label: str, command: str, expected: str) -> str:
    text = f"{label}:"
    if command:
        text += f" {_code(command)}"
    if expected:
        text += f" -> {expected}"
    return text


def render_line(
    *,
    entry_id: str,
    kind: Kind,
    fields: dict[str, str],
    created_at: datetime,
    zone: tzinfo,
    tags: tuple[str, ...] = (),
    supersedes: str | None = None,
) -> str:
    """The mirror line for an entry, without its line break."""
    body, cut = render_body(kind, fields)
    head = f"- {format_local(created_at, zone)}{SEP}{body}"
    if tags:
        head += f"{SEP}tags: {', '.join(tags)}"
    attrs = f" re:{supersedes}" if supersedes else ""
    line = f"{head} <!-- logbook:{entry_id}{attrs} -->"
    if cut:
        return _cut_line(head, entry_id, attrs, kind, tags)
    parsed = parse_line(line)
    if parsed and parsed.kind is kind and parsed.fields == fields and parsed.tags == tags:
        return line
    payload = _pack({"k": kind.value, "f": fields, "t": list(tags)})
    if len(payload) > PAYLOAD_MAX_BYTES:
        return _cut_line(head, entry_id, attrs, kind, tags)
    return f"{head} <!-- logbook:{entry_id}{attrs} data:{payload} -->"


def _cut_line(head: str, entry_id: str, attrs: str, kind: Kind, tags: tuple[str, ...]) -> str:
    """A line whose text was cut (no exact copy in the anchor). It still says its kind and
    tags when its text alone would read otherwise (a handoff whose text starts "Decision — ",
    a field that ends in " — tags: a, b")."""
    line = f"{head} <!-- logbook:{entry_id}{attrs} cut:1 -->"
    parsed = parse_line(line)
    extra = ""
    if parsed is None or parsed.kind is not kind:
        extra += f" kind:{kind.value}"
    if parsed is None or parsed.tags != tags:
        extra += f" tags:{','.join(tags) or ','}"
    return f"{head} <!-- logbook:{entry_id}{attrs} cut:1{extra} -->" if extra else line


def render_event_line(
    *,
    event_id: str,
    entry: Any,
    event_type: str,
    data: dict[str, Any],
    created_at: datetime,
    zone: tzinfo,
) -> str:
    """The mirror line for a change to an entry (status, timeline, action...)."""
    text = f"update of {entry.short_id}: {describe_change(event_type, data, zone)}"
    if event_type == "status":
        marks = [m for m in (entry.severity, data["status"]) if m]
        text = f"[{', '.join(marks)}] {text}"
    detail = change_detail(data)
    if detail:
        text += SEP + condense(detail)[0]
    return f"- {format_local(created_at, zone)}{SEP}{text} <!-- logbook:{event_id} of:{entry.id} -->"


def describe_change(event_type: str, data: dict[str, Any], zone: tzinfo) -> str:
    """What a change to an entry did, in words: "status open → mitigated", "action item 2 done"..."""
    if event_type == "status":
        return f"status {data.get('previous') or '?'} → {data['status']}"
    if event_type == "verification":
        result = "verified" if data.get("result") == "pass" else "verification FAILED"
        commit = f" at {str(data['commit'])[:12]}" if data.get("commit") else ""
        command = _code(str(data.get("command", "")))
        return f"{result}{commit}: {command} -> exit {data.get('exit_code')}"
    label = {
        "timeline": "timeline",
        "action": f"action item {data.get('number')}",
        "action-done": f"action item {data.get('number')} done",
        "impact": "impact",
        "lesson-wrong": "lesson (went wrong)",
        "lesson-right": "lesson (went right)",
    }.get(event_type, event_type)
    if event_type == "timeline" and data.get("at"):
        label += f" at {format_local(datetime.fromisoformat(str(data['at'])), zone)}"
    return label


def change_detail(data: dict[str, Any]) -> str:
    """The words that came with a change (a status note, a timeline event's text)."""
    return " ".join(str(v) for k, v in data.items() if k in ("note", "text") and v)


def _pack(data: dict[str, object]) -> str:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def _unpack(text: str) -> dict[str, object] | None:
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        data = json.loads(raw)
    except (ValueError, zlib.error):
        return None
    return data if isinstance(data, dict) else None


def parse_anchor(line: str) -> tuple[str, dict[str, str]] | None:
    """(entry id, attributes) of a line's trailing logbook anchor, if it has one."""
    match = ANCHOR_RE.search(line)
    if not match:
        return None
    attrs = dict(item.split(":", 1) for item in match.group("attrs").split())
    return match.group("id"), attrs


def parse_line(line: str) -> MirrorLine | None:
    """Read back a line logbook wrote; None when the line is not in that form."""
    match = _LINE_RE.match(line.rstrip("\r\n"))
    if not match:
        return None
    anchor = parse_anchor(match.group("anchor"))
    if anchor is None:
        return None
    entry_id, attrs = anchor
    tags = tuple(t.strip() for t in (match.group("tags") or "").split(",") if t.strip())
    if "tags" in attrs:  # a cut line whose text alone would give other tags
        tags = tuple(t for t in attrs["tags"].split(",") if t)
    kind, fields = _parse_body(match.group("body"), _KINDS.get(attrs.get("kind", "")))
    if "data" in attrs:
        data = _unpack(attrs["data"])
        if data is None or not isinstance(data.get("f"), dict):
            return None
        kind = Kind(str(data["k"]))
        fields = {str(k): str(v) for k, v in data["f"].items()}
        if isinstance(data.get("t"), list):
            tags = tuple(str(tag) for tag in data["t"])
    return MirrorLine(
        entry_id=entry_id,
        kind=kind,
        fields=fields,
        stamp=match.group("date"),
        zone=match.group("zone"),
        tags=tags,
        supersedes=attrs.get("re"),
        cut="cut" in attrs,
        event_of=attrs.get("of"),
    )


def _split_labels(text: str, labels: tuple[tuple[str, str], ...]) -> tuple[str, dict[str, str]]:
    """Split "head — Label: value — Label2: value" into head and labelled values."""
    prefixes = {f"{label}: ": name for name, label in labels}
    pieces = text.split(SEP)
    head = [pieces[0]]
    found: dict[str, list[str]] = {}
    current = head
    for piece in pieces[1:]:
        for prefix, name in prefixes.items():
            if piece.startswith(prefix) and name not in found:
                current = found[name] = [piece[len(prefix) :]]
                break
        else:
            current.append(piece)
    return SEP.join(head), {name: SEP.join(parts) for name, parts in found.items()}


def _parse_verification(text: str) -> tuple[str, str]:
    command, rest = _uncode(text.strip())
    rest = rest.strip()
    if rest.startswith("->"):
        return command, rest[2:].strip()
    if not command:
        return "", rest
    return command, rest


def _parse_body(body: str, kind: Kind | None = None) -> tuple[Kind, dict[str, str]]:
    """The kind and fields a line's visible text holds (``kind``: when the anchor says it)."""
    if kind in (None, Kind.DECISION) and body.startswith(f"Decision{SEP}"):
        head, fields = _split_labels(body[len("Decision") + len(SEP) :], _DECISION_LABELS)
        return Kind.DECISION, {"decision": head, **fields}
    if kind in (None, Kind.NOTE) and body.startswith(f"Note{SEP}"):
        return Kind.NOTE, {"text": body[len("Note") + len(SEP) :]}
    marks = re.match(r"^\[(?P<marks>[^\]]*)\] ", body)
    if kind in (None, Kind.INCIDENT) and marks:
        labels = (*_INCIDENT_LABELS, ("verification", "verification"))
        head, fields = _split_labels(body[marks.end() :], labels)
        result = {"symptom": head}
        for name in ("cause", "fix"):
            if name in fields:
                result[name] = fields[name]
        if "verification" in fields:
            command, expected = _parse_verification(fields["verification"])
            if command:
                result["verify"] = command
            if expected:
                result["expected"] = expected
        for mark in (m.strip() for m in marks.group("marks").split(",")):
            if re.fullmatch(r"SEV[1-4]", mark):
                result["severity"] = mark
            elif mark:
                result["status"] = mark
        return Kind.INCIDENT, result
    labels = (("why", "Why"), ("verify", "Verify"), ("now", "Now"), ("next", "Next"))
    head, fields = _split_labels(body, labels)
    result = {"what": head}
    if "why" in fields:
        result["why"] = fields["why"]
    if "verify" in fields:
        command, expected = _parse_verification(fields["verify"])
        if command:
            result["verify"] = command
        if expected:
            result["expected"] = expected
    for name in ("now", "next"):
        if name in fields:
            result[name] = fields[name]
    return Kind.HANDOFF, result
