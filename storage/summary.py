"""The session summary: what someone (or a coding assistant in a new chat) resumes from.

:class:`SessionSummary` is the documented, versioned JSON form
(``logbook export --format json``; ``logbook export --schema`` prints its JSON
Schema); :func:`to_markdown` is the text to paste into a chat: one screen for
a typical session, condensed to counts and the most important items when the
session is long.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, tzinfo
from typing import Literal

from pydantic import BaseModel, Field

from storage.clock import format_local
from storage.files import home_relative
from storage.kinds import Kind
from storage.records import Entry, Event, WorkSession

SCHEMA_VERSION = 1
MAX_DONE = 8
MAX_RESOLVED_INCIDENTS = 5
MAX_OPEN_INCIDENTS = 10
MAX_DECISIONS = 5
MAX_ACTIONS = 8
MAX_CHECKS = 6


class Done(BaseModel):
    """A handoff: what changed and how to check it."""

    id: str
    when: datetime
    what: str
    verify: str | None = None
    expected: str | None = None
    verification: str | None = Field(None, description="latest re-run: pass, fail, or null (never re-run)")


class IncidentItem(BaseModel):
    id: str
    when: datetime
    symptom: str
    cause: str | None = None
    fix: str | None = None
    severity: str | None = None
    status: str
    open: bool = Field(description="true while the incident is not resolved")


class DecisionItem(BaseModel):
    id: str
    when: datetime
    decision: str
    why: str | None = None


class ActionItem(BaseModel):
    incident: str
    number: int
    text: str


class Check(BaseModel):
    """A command to run to confirm the project is still green."""

    command: str
    expected: str | None = None
    times: int = Field(1, description="how many entries of the session verify with it")


class Counts(BaseModel):
    entries: int
    handoffs: int
    incidents: int
    open_incidents: int
    decisions: int
    notes: int


class SessionSummary(BaseModel):
    """Everything the markdown summary says, for tools (schema_version 1)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    title: str
    project: str
    session_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_minutes: int = 0
    branches: list[str] = []
    first_commit: str | None = None
    last_commit: str | None = None
    counts: Counts
    done: list[Done] = []
    done_not_shown: int = 0
    incidents: list[IncidentItem] = []
    incidents_not_shown: int = 0
    decisions: list[DecisionItem] = []
    decisions_not_shown: int = 0
    open_actions: list[ActionItem] = []
    now: str | None = None
    next: str | None = None
    checks: list[Check] = []


def build(
    entries: list[Entry],
    events: dict[str, list[Event]],
    *,
    project: str,
    title: str,
    session: WorkSession | None = None,
) -> SessionSummary:
    """The summary of ``entries`` (oldest first), with each entry's events."""
    live = [e for e in entries if not e.superseded_by]  # a follow-up replaces what it supersedes
    by_kind: dict[Kind, list[Entry]] = {kind: [e for e in live if e.kind is kind] for kind in Kind}
    incidents = by_kind[Kind.INCIDENT]
    open_incidents = [e for e in incidents if e.status != "resolved"]
    started = entries[0].created_at if entries else (session.started_at if session else None)
    ended = entries[-1].created_at if entries else None
    if session is not None and session.ended_at:
        ended = session.ended_at
    commits = [e.commit for e in entries if e.commit]
    handoffs = by_kind[Kind.HANDOFF]
    done = handoffs[-MAX_DONE:]
    resolved = [e for e in incidents if e.status == "resolved"]
    shown_incidents = open_incidents[:MAX_OPEN_INCIDENTS] + resolved[-MAX_RESOLVED_INCIDENTS:]
    latest_with = {
        name: next((e.fields[name] for e in reversed(handoffs) if e.fields.get(name)), None)
        for name in ("now", "next")
    }
    return SessionSummary(
        title=title,
        project=project,
        session_id=session.id if session else None,
        started_at=started,
        ended_at=ended,
        duration_minutes=int((ended - started).total_seconds() // 60) if started and ended else 0,
        branches=list(dict.fromkeys(e.branch for e in entries if e.branch)),
        first_commit=commits[0] if commits else None,
        last_commit=commits[-1] if commits else None,
        counts=Counts(
            entries=len(entries),
            handoffs=len(handoffs),
            incidents=len(incidents),
            open_incidents=len(open_incidents),
            decisions=len(by_kind[Kind.DECISION]),
            notes=len(by_kind[Kind.NOTE]),
        ),
        done=[
            Done(
                id=e.id,
                when=e.created_at,
                what=e.fields.get("what", e.summary),
                verify=e.fields.get("verify"),
                expected=e.fields.get("expected"),
                verification=e.verification,
            )
            for e in reversed(done)
        ],
        done_not_shown=len(handoffs) - len(done),
        incidents=[
            IncidentItem(
                id=e.id,
                when=e.created_at,
                symptom=e.fields.get("symptom", e.summary),
                cause=e.fields.get("cause"),
                fix=e.fields.get("fix"),
                severity=e.severity,
                status=e.status or "open",
                open=e.status != "resolved",
            )
            for e in shown_incidents
        ],
        incidents_not_shown=len(incidents) - len(shown_incidents),
        decisions=[
            DecisionItem(
                id=e.id,
                when=e.created_at,
                decision=e.fields.get("decision", e.summary),
                why=e.fields.get("why"),
            )
            for e in by_kind[Kind.DECISION][-MAX_DECISIONS:]
        ],
        decisions_not_shown=max(0, len(by_kind[Kind.DECISION]) - MAX_DECISIONS),
        open_actions=_open_actions(incidents, events)[:MAX_ACTIONS],
        now=latest_with["now"],
        next=latest_with["next"],
        checks=_checks(live),
    )


def _open_actions(incidents: list[Entry], events: dict[str, list[Event]]) -> list[ActionItem]:
    actions: list[ActionItem] = []
    for incident in incidents:
        history = events.get(incident.id, [])
        done = {e.data.get("number") for e in history if e.type == "action-done"}
        actions += [
            ActionItem(incident=incident.id, number=int(e.data["number"]), text=str(e.data.get("text", "")))
            for e in history
            if e.type == "action" and e.data.get("number") not in done
        ]
    return actions


def _checks(entries: list[Entry]) -> list[Check]:
    """The verification commands of the session, the most used first, with the latest result."""
    counted: Counter[str] = Counter()
    expected: dict[str, str | None] = {}
    for entry in entries:
        command = entry.fields.get("verify")
        if not command or (entry.kind is Kind.INCIDENT and entry.status != "resolved"):
            continue
        counted[command] += 1
        expected[command] = entry.fields.get("expected") or expected.get(command)
    return [Check(command=c, expected=expected[c], times=n) for c, n in counted.most_common(MAX_CHECKS)]


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _more(count: int, what: str) -> str:
    return f"- … and {count} more {what}" if count else ""


def to_markdown(summary: SessionSummary, zone: tzinfo) -> str:
    """The summary to paste into a chat: one screen, counts when the session is long."""

    def when(moment: datetime | None) -> str:
        return format_local(moment, zone) if moment else "?"

    counts = summary.counts
    lines = [f"# {summary.title}", ""]
    span = f"{when(summary.started_at)} → {when(summary.ended_at)}"
    hours, minutes = divmod(summary.duration_minutes, 60)
    lines.append(f"- **When**: {span} ({hours} h {minutes:02d} min)")
    lines.append(f"- **Project**: `{home_relative(summary.project)}`")
    if summary.branches:
        commits = ""
        if summary.first_commit:
            commits = f", commits `{summary.first_commit[:8]}`"
            if summary.last_commit and summary.last_commit != summary.first_commit:
                commits += f"..`{summary.last_commit[:8]}`"
        lines.append(f"- **Branch**: {', '.join(f'`{b}`' for b in summary.branches)}{commits}")
    lines.append(
        f"- **Entries**: {counts.entries} — {counts.handoffs} done, {_n(counts.incidents, 'incident')} "
        f"({counts.open_incidents} open), {_n(counts.decisions, 'decision')}, {_n(counts.notes, 'note')}"
    )
    if summary.done:
        lines += ["", "## Done"]
        for item in summary.done:
            check = (
                f" — verify: `{item.verify}`" + (f" → {item.expected}" if item.expected else "")
                if item.verify
                else ""
            )
            badge = {"pass": " ✓", "fail": " ✗ (verification failed)"}.get(item.verification or "", "")
            lines.append(f"- {item.what}{check}{badge}")
        if more := _more(summary.done_not_shown, "handoffs"):
            lines.append(more)
    if summary.incidents:
        lines += ["", "## Incidents"]
        for incident in summary.incidents:
            mark = "**OPEN** " if incident.open else ""
            state = ", ".join(p for p in (incident.severity, incident.status) if p)
            chain = " → ".join(
                part
                for part in (
                    incident.symptom,
                    incident.cause and f"cause: {incident.cause}",
                    incident.fix and f"fix: {incident.fix}",
                )
                if part
            )
            lines.append(f"- {mark}[{state}] {chain}")
        if more := _more(summary.incidents_not_shown, "resolved incidents"):
            lines.append(more)
    if summary.decisions:
        lines += ["", "## Decisions"]
        lines += [f"- {d.decision}" + (f" (why: {d.why})" if d.why else "") for d in summary.decisions]
        if more := _more(summary.decisions_not_shown, "decisions"):
            lines.append(more)
    if summary.open_actions:
        lines += ["", "## Open action items"]
        lines += [f"- [ ] {a.text} (incident {a.incident[:8]}, #{a.number})" for a in summary.open_actions]
    if summary.now or summary.next:
        lines += ["", "## Where things stand"]
        if summary.now:
            lines.append(f"- **Now**: {summary.now}")
        if summary.next:
            lines.append(f"- **Next**: {summary.next}")
    if summary.checks:
        lines += ["", "## Check it is still green", "", "```sh"]
        for check in summary.checks:
            lines.append(check.command + (f"   # expect: {check.expected}" if check.expected else ""))
        lines.append("```")
    return "\n".join(_one_line(line) for line in lines) + "\n"


def _one_line(line: str, limit: int = 220) -> str:
    """A list item on one line (a multi-line field condensed), cut when very long."""
    if not line.startswith("- "):
        return line
    text = " ".join(line.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
