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
