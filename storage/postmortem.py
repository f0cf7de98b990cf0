"""A postmortem report of one incident, from the incident and its events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from storage.clock import format_local
from storage.records import Entry, Event


@dataclass(frozen=True)
class Durations:
    """From the timeline: how long until the problem was seen, contained, and fixed."""

    started: datetime
    detected: datetime
    mitigated: datetime | None
    resolved: datetime | None

    @property
    def to_detect(self) -> timedelta:
        return self.detected - self.started

    @property
    def to_mitigate(self) -> timedelta | None:
        return self.mitigated - self.started if self.mitigated else None

    @property
    def to_resolve(self) -> timedelta | None:
        return self.resolved - self.started if self.resolved else None


def event_time(event: Event) -> datetime:
    at = event.data.get("at")
    return datetime.fromisoformat(str(at)) if at else event.created_at


def durations(incident: Entry, events: list[Event]) -> Durations:
    """Start: the earliest timeline event (or the report); detection: the report."""
    times = [event_time(e) for e in events if e.type == "timeline"]
    started = min([incident.created_at, *times])
    mitigated = resolved = None
    if incident.fields.get("status") == "resolved":
        resolved = incident.created_at
    for event in events:
        if event.type != "status":
            continue
        status = event.data.get("status")
        if status in ("mitigated", "resolved") and mitigated is None:
            mitigated = event.created_at
        if status == "resolved" and resolved is None:
            resolved = event.created_at
    if resolved is not None and mitigated is None:
        mitigated = resolved
    return Durations(started, incident.created_at, mitigated, resolved)


def _span(delta: timedelta | None) -> str:
    if delta is None:
        return "not yet"
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours or days else []
    parts.append(f"{minutes} min")
    return " ".join(parts)


def to_markdown(incident: Entry, events: list[Event], followups: list[Entry], zone: tzinfo) -> str:
    """A report with the sections a standard postmortem has."""

    def when(moment: datetime) -> str:
        return format_local(moment, zone)

    f = incident.fields
    spans = durations(incident, events)
    lines = [f"# Postmortem: {incident.summary}", ""]
    lines += [
        "## Summary",
        "",
        f"{f.get('symptom', '')}",
        "",
        f"Root cause: {f.get('cause', 'unknown')}. Fix: {f.get('fix') or 'none yet'}.",
        "",
        "## Severity and duration",
        "",
        f"- **Severity**: {incident.severity or 'not set'}",
        f"- **Status**: {incident.status}",
        f"- **Started**: {when(spans.started)}; **detected**: {when(spans.detected)}",
        f"- **Mitigated**: {when(spans.mitigated) if spans.mitigated else 'not yet'}; "
        f"**resolved**: {when(spans.resolved) if spans.resolved else 'not yet'}",
        "",
        "## Timeline",
        "",
    ]
    timeline: list[tuple[datetime, str]] = [(incident.created_at, f"Incident recorded: {incident.summary}")]
    for event in events:
        if event.type == "timeline":
            timeline.append((event_time(event), str(event.data.get("text", ""))))
        elif event.type == "status":
            note = f" — {event.data['note']}" if event.data.get("note") else ""
            timeline.append(
                (event.created_at, f"Status {event.data.get('previous')} → {event.data.get('status')}{note}")
            )
        elif event.type == "verification":
            result = "passed" if event.data.get("result") == "pass" else "FAILED"
            timeline.append((event.created_at, f"Verification {result}: `{event.data.get('command')}`"))
    lines += [f"- {when(moment)} — {text}" for moment, text in sorted(timeline, key=lambda item: item[0])]
    impact = [str(e.data.get("text")) for e in events if e.type == "impact"]
    lines += ["", "## Root cause", "", f.get("cause", "unknown"), "", "## Impact", ""]
    lines += impact or ["Not recorded (`logbook incident ID impact TEXT`)."]
    lines += ["", "## Resolution and verification", "", f"Fix / mitigation: {f.get('fix') or 'none yet'}"]
    if f.get("verify"):
        lines.append(
            f"\nVerify with `{f['verify']}`" + (f", expecting {f['expected']}." if f.get("expected") else ".")
        )
    checks = [e for e in events if e.type == "verification"]
    if checks:
        last = checks[-1]
        result, code = last.data.get("result"), last.data.get("exit_code")
        lines.append(f"Last re-run {when(last.created_at)}: {result} (exit {code}).")
    for followup in followups:
        lines.append(f"\nFollowed up by {followup.short_id}: {followup.summary}")
    wrong = [str(e.data.get("text")) for e in events if e.type == "lesson-wrong"]
    right = [str(e.data.get("text")) for e in events if e.type == "lesson-right"]
    lines += ["", "## Lessons learned", "", "What went wrong:"]
    lines += [f"- {text}" for text in wrong] or ["- (none recorded)"]
    lines += ["", "What went right:"]
    lines += [f"- {text}" for text in right] or ["- (none recorded)"]
    done = {e.data.get("number") for e in events if e.type == "action-done"}
    actions = [e for e in events if e.type == "action"]
    lines += ["", "## Action items", ""]
    lines += [
        f"- [{'x' if e.data.get('number') in done else ' '}] {e.data.get('number')}. {e.data.get('text')}"
        for e in actions
    ] or ["- (none recorded)"]
    lines += [
        "",
        "## Metrics",
        "",
        f"- Time to detect: {_span(spans.to_detect)}",
        f"- Time to mitigate: {_span(spans.to_mitigate)}",
        f"- Time to resolve: {_span(spans.to_resolve)}",
        f"- Action items: {len(actions)} ({len([a for a in actions if a.data.get('number') in done])} done)",
    ]
    return "\n".join(lines) + "\n"
