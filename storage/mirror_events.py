"""Reading back the mirror line of a change to an entry (a status, a timeline event...).

:func:`storage.mirror_format.render_event_line` writes them; a teammate's logbook
appends them to the shared HANDOFF.md / INCIDENTS.md, and ``logbook sync`` takes
them in, so that an incident resolved on one machine is resolved on the other.

The line is the whole record (it has no compressed payload): text cut to one line
comes back as the line shows it. Verification lines are not read back: the run's
output and full commit are not in them.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import Any

from storage.clock import to_db
from storage.timeparse import TIME_RE, read_time

_LINE = re.compile(
    r"^-? ?\d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+ — (?:\[[^\]]*\] )?update of [0-9a-f]+: (?P<what>.*?)"
    r" <!--\s+logbook:[^>]*-->\s*$"
)
_STATUS = re.compile(r"^status (?P<previous>\S+) → (?P<status>[a-z]+)(?: — (?P<text>.*))?$")
_TIMELINE = re.compile(r"^timeline(?: at (?P<at>\d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+))?(?: — (?P<text>.*))?$")
_ACTION = re.compile(r"^action item (?P<number>\d+)(?P<done> done)?(?: — (?P<text>.*))?$")
_IMPACT = re.compile(r"^impact(?: — (?P<text>.*))?$")
_LESSON = re.compile(r"^lesson \(went (?P<how>wrong|right)\)(?: — (?P<text>.*))?$")


def read_event_line(line: str, zone: tzinfo) -> tuple[str, dict[str, Any]] | None:
    """(event type, data) of a change line logbook wrote; None for any other line."""
    match = _LINE.match(line.strip())
    if match is None:
        return None
    what = match["what"]
    if status := _STATUS.match(what):
        previous = status["previous"]
        return "status", {
            "status": status["status"],
            "previous": None if previous == "?" else previous,
            "note": status["text"] or "",
        }
    if timeline := _TIMELINE.match(what):
        data: dict[str, Any] = {"text": timeline["text"] or ""}
        at = TIME_RE.match(timeline["at"] or "")
        if at is not None:
            data["at"] = to_db(read_time(at, zone))
        return "timeline", data
    if action := _ACTION.match(what):
        kind = "action-done" if action["done"] else "action"
        return kind, {"number": int(action["number"]), "text": action["text"] or ""}
    if impact := _IMPACT.match(what):
        return "impact", {"text": impact["text"] or ""}
    if lesson := _LESSON.match(what):
        return f"lesson-{lesson['how']}", {"text": lesson["text"] or ""}
    return None
