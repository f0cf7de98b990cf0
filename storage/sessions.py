"""Work sessions: entries made close together belong to one session.

A session starts on the first write after an idle gap (2 hours unless
``LOGBOOK_SESSION_GAP`` says otherwise: "90m", "3h", "45" minutes) or
explicitly (``logbook session start``), and ends explicitly or by the gap.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from storage.clock import format_local
from storage.errors import NotFound

if TYPE_CHECKING:
    from storage.records import Entry, WorkSession
    from storage.store import Store

DEFAULT_GAP = timedelta(hours=2)


def session_gap() -> timedelta:
    """The idle gap that starts a new session (``LOGBOOK_SESSION_GAP``, else 2 hours)."""
    value = os.environ.get("LOGBOOK_SESSION_GAP", "").strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(h|m|min|minutes?|hours?)?", value)
    if not match:
        return DEFAULT_GAP
    amount, unit = float(match.group(1)), match.group(2) or "m"
    return timedelta(hours=amount) if unit.startswith("h") else timedelta(minutes=amount)


def split_by_gap(times: Sequence[datetime], gap: timedelta) -> list[tuple[int, int]]:
    """(start, end) index ranges of ``times`` (sorted) cut wherever two neighbours are ``gap`` apart."""
    groups: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(times)):
        if times[index] - times[index - 1] > gap:
            groups.append((start, index))
            start = index
    if times:
        groups.append((start, len(times)))
    return groups


def default_title(started: datetime) -> str:
    return f"Session of {started:%Y-%m-%d %H:%M}"


def session_scope(
    store: Store,
    project: str,
    *,
    session: str | None = None,
    since: datetime | None = None,
    everything: bool = False,
) -> tuple[str, list[Entry], WorkSession | None]:
    """(title, entries oldest first, session) for a summary: a session, a time, or everything."""
    if everything:
        return f"All of {project}", list(store.iter_entries(project)), None
    if since is not None:
        return f"Since {format_local(since, store.zone)}", store.entries_since(project, since), None
    chosen = store.work_session(session, project) if session else store.current_session(project)
    if chosen is None:
        recent = store.sessions(project, limit=1)
        if not recent:
            raise NotFound("session")
        chosen = recent[0]
    return chosen.title, store.session_entries(chosen.id), chosen
