"""The troubleshooting guide: every incident, grouped by the error it was about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo

from storage.clock import format_local
from storage.records import Entry, Event
from storage.signature import error_line, error_signature


@dataclass
class CommonError:
    signature: str
    incidents: list[Entry] = field(default_factory=list)
    prevention: list[str] = field(default_factory=list)

    @property
    def latest(self) -> Entry:
        return self.incidents[-1]


def group(incidents: list[Entry], events: dict[str, list[Event]]) -> list[CommonError]:
    """Incidents (oldest first) grouped by error signature, the most frequent first."""
    groups: dict[str, CommonError] = {}
    for incident in incidents:
        signature = error_signature(incident.fields.get("symptom", "")) or incident.id
        item = groups.setdefault(signature, CommonError(signature))
        item.incidents.append(incident)
        for event in events.get(incident.id, []):
            if event.type in ("lesson-wrong", "action") and event.data.get("text"):
                item.prevention.append(str(event.data["text"]))
    return sorted(groups.values(), key=lambda g: (-len(g.incidents), -g.latest.created_at.timestamp()))


def to_markdown(groups: list[CommonError], project: str, zone: tzinfo) -> str:
    lines = [f"# Common errors — {project}", ""]
    if not groups:
        return "\n".join([*lines, "No incidents recorded yet."]) + "\n"
    lines.append(f"{sum(len(g.incidents) for g in groups)} incidents, {len(groups)} distinct errors.")
    for item in groups:
        latest = item.latest
        known = [i for i in item.incidents if i.fields.get("cause", "").lower() not in ("", "unknown")]
        fixed = [i for i in item.incidents if i.fields.get("fix")]
        first, last = item.incidents[0].created_at, latest.created_at
        seen = f"seen {len(item.incidents)} time{'s' if len(item.incidents) > 1 else ''}"
        seen += f", {format_local(first, zone)}" + (f" … {format_local(last, zone)}" if last != first else "")
        lines += [
            "",
            f"## {error_line(latest.fields.get('symptom', '')) or latest.summary}",
            "",
            f"- **Error**: {latest.fields.get('symptom', latest.summary)}",
            f"- **Cause**: {known[-1].fields['cause'] if known else 'unknown'}",
            f"- **Solution**: {fixed[-1].fields['fix'] if fixed else 'none recorded'}",
            f"- **Prevention**: {'; '.join(dict.fromkeys(item.prevention)) or 'none recorded'}",
            f"- **Seen**: {seen} ({', '.join(i.short_id for i in item.incidents)})",
        ]
        verify = next((i.fields["verify"] for i in reversed(item.incidents) if i.fields.get("verify")), None)
        if verify:
            lines.append(f"- **Check**: `{verify}`")
    return "\n".join(lines) + "\n"
