"""Reading the times people write in logs: "2025-12-14 00:05–00:24 MSK", "2025-12-14 0016 MSK".

Zone abbreviations are mapped to IANA zones where they have daylight saving
rules (ET, PT, CET...), so "EST" in July and "ET" in July both mean what the
writer meant; numeric offsets ("+03:00", "UTC+3") are honoured as written; a
time with no zone is read in the zone the caller gives (the project's).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from storage.clock import parse_zone

# Fixed-offset abbreviations: they name one offset whatever the date.
_FIXED_HOURS = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "MSK": 3,
    "MSD": 4,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "WEST": 1,
    "BST": 1,
    "IST": 5.5,
    "JST": 9,
    "KST": 9,
    "HKT": 8,
    "SGT": 8,
    "AEST": 10,
    "AEDT": 11,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "SAMT": 4,
    "YEKT": 5,
    "NOVT": 7,
    "KRAT": 7,
    "VLAT": 10,
}
# Generic abbreviations: the offset depends on the date (daylight saving time).
_RULES = {
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
}
_FIXED_ZONES = {
    word: timezone(timedelta(hours=hours)) if hours else UTC for word, hours in _FIXED_HOURS.items()
}
"""Made once: an import reads a zone for each of its 180,000 entries."""
ZONE_WORDS = "|".join(sorted({*_FIXED_HOURS, *_RULES}, key=len, reverse=True))

TIME_RE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[ T]"
    r"(?P<hour>[01]?\d|2[0-3]):?(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?"
    # A range: "00:05–00:24", "00:05 — 00:24", "00:05-00:24" (but "09:00 -05:30" is an offset).
    r"(?:(?:\s*[–—]\s*|-)(?P<end>(?:[01]?\d|2[0-3]):?[0-5]\d)\b)?"
    rf"(?:\s*(?P<zone>(?:UTC|GMT)?[+-]\d{{1,2}}(?::?\d{{2}})?|(?:{ZONE_WORDS})\b))?"
    rf"(?:\s+(?:{ZONE_WORDS})\b)?"  # "MSK MSK": a zone written twice
)


def zone_for(word: str | None, when: datetime, default: tzinfo) -> tzinfo:
    """The zone a written abbreviation or offset stands for on ``when``'s date."""
    if not word:
        return default
    key = word.upper()
    if key in _FIXED_ZONES:
        return _FIXED_ZONES[key]
    if key in _RULES:
        return parse_zone(_RULES[key])
    return parse_zone(word)


def read_time(match: re.Match[str], default_zone: tzinfo) -> datetime:
    """The moment a TIME_RE match names, in UTC (the start of a time range)."""
    date, hour, minute, second, zone_word = match.group("date", "hour", "minute", "second", "zone")
    year, month, day = date.split("-")
    naive = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    zone = zone_for(zone_word, naive, default_zone)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def read_typed_time(text: str, zone: tzinfo, now: datetime) -> datetime | None:
    """A time a person typed, in UTC: "2025-12-14 12:41 [MSK]", "2025-12-14", or "12:41" (today).

    None when it is not a time. A time with no zone is read in ``zone``;
    "today" is ``now``'s date in ``zone``.
    """
    text = text.strip()
    match = TIME_RE.fullmatch(text)
    try:
        if match is not None:
            return read_time(match, zone)
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=zone).astimezone(UTC)
    except ValueError:  # no such day ("2025-13-01"), or not a date at all
        pass
    clock = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text)
    if clock is None:
        return None
    today = now.astimezone(zone)
    return today.replace(hour=int(clock[1]), minute=int(clock[2]), second=0, microsecond=0).astimezone(UTC)
