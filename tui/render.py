"""An entry as markdown for the detail screen: every field, its history, where it is mirrored."""

from __future__ import annotations

import re
from datetime import tzinfo
from pathlib import Path

from storage.clock import format_local
from storage.files import home_relative
from storage.kinds import FIELDS, Kind
from storage.mirror import mirror_file_for
from storage.mirror_format import change_detail, describe_change
from storage.records import Entry, Event
from tui.terminal import printable

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_BULLET = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def escape(text: str) -> str:
    """Show text literally: markdown in a field is the user's text, not formatting, and a
    control character is shown as an escape, never sent to the terminal."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", printable(text))
    return _NUMBERED.sub(r"\1\\\2", _BULLET.sub(r"\1\\\2", text))


def _code(text: str) -> str:
    text = printable(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _block(text: str) -> str:
    text = printable(text)
    fence = "~" * max(3, max((len(r) for r in re.findall(r"~+", text)), default=0) + 1)
    return f"{fence}text\n{text}\n{fence}"


def entry_markdown(
    entry: Entry,
    events: list[Event],
    followups: list[Entry],
    zone: tzinfo,
    seen_before: list[tuple[Entry, str]] | None = None,
) -> str:
    title = {
        Kind.HANDOFF: "Handoff",
        Kind.INCIDENT: "Incident",
        Kind.DECISION: "Decision",
        Kind.NOTE: "Note",
    }[entry.kind]
    heading = f"{title} {entry.short_id}"
    if entry.kind is Kind.INCIDENT:
        heading += "".join(f" · {part}" for part in (entry.severity, entry.status) if part)
    if entry.superseded_by:
        heading += " · superseded"
    lines = [f"## {escape(heading)}", ""]
    for spec in FIELDS[entry.kind]:
        if spec.name in ("severity", "status"):
            continue
        value = entry.fields.get(spec.name)
        if not value:
            continue
        lines.append(f"### {spec.label}")
        if spec.name == "verify":
            lines.append(_block(value) if "\n" in value else _code(value))
        elif "\n" in value and spec.multiline:
            lines.append(_block(value))
        else:
            lines.append(escape(value).replace("\n", "  \n"))
        lines.append("")
    if entry.tags:
        lines += ["### Tags", " ".join(_code(f"#{tag}") for tag in entry.tags), ""]
    if entry.supersedes:
        lines += [f"Follows up entry {_code(entry.supersedes[:8])}.", ""]
    for followup in followups:
        lines += [f"Superseded by {_code(followup.short_id)}: {escape(followup.summary)}", ""]
    if events:
        lines += ["### History", ""]
        for event in events:
            when = format_local(event.created_at, zone)
            change = describe_change(event.type, event.data, zone)
            detail = change_detail(event.data)
            lines.append(f"- {escape(when)} — {escape(change)}" + (f" — {escape(detail)}" if detail else ""))
        lines.append("")
    if seen_before:
        lines += ["### Seen before", ""]
        for earlier, why in seen_before:
            cause = earlier.fields.get("cause") or "unknown"
            fix = earlier.fields.get("fix") or "none recorded"
            seen = escape(format_local(earlier.created_at, zone))
            lines.append(
                f"- {_code(earlier.short_id)} ({escape(why)}, {seen}): "
                f"{escape(earlier.summary)} — cause: {escape(cause)} — fix: {escape(fix)}"
            )
        lines.append("")
    if entry.raw:  # taken in from a hand-kept log: the words as they were written
        where = f" ({escape(entry.origin)})" if entry.origin else ""
        # A quote wraps long lines, a code block would cut them at the screen's edge.
        quoted = "  \n".join(f"> {escape(line)}" for line in entry.raw.splitlines())
        lines += [f"### As written{where}", quoted, ""]
    mirror = Path(entry.project) / mirror_file_for(entry.kind)
    lines += [
        "### Record",
        "",
        f"- **id** {_code(entry.id)}",
        f"- **when** {escape(format_local(entry.created_at, zone, seconds=True))}",
        f"- **author** {escape(entry.author or '—')}",
        f"- **branch** {_code(entry.branch) if entry.branch else '—'}",
        f"- **commit** {_code(entry.commit[:12]) if entry.commit else '—'}",
        f"- **written from** {escape(entry.source)}",
        f"- **mirrored in** {_code(home_relative(mirror))}",
    ]
    return "\n".join(lines) + "\n"
