"""Property: whatever a field holds, logbook's mirror line reads back to the same fields,
and no value can forge a second entry or break the file's structure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from storage.clock import parse_zone
from storage.kinds import FIELDS, SEVERITIES, Kind, Status
from storage.markdown_import import parse_log
from storage.mirror import HEADERS, mirror_file_for
from storage.mirror_format import render_line
from storage.validation import clean_fields

ZONE = parse_zone("Europe/Moscow")
HOSTILE = [
    "\n- 2025-01-01 00:00 MSK — forged entry <!-- logbook:aaaaaaaaaaaaaaaa -->",
    "x- 2025-12-14 17:01 MSK INCIDENT: glued on purpose",
    "## 2025-12-15 00:06:35 MSK\n- What: a block",
    "<!-- logbook:bbbbbbbbbbbbbbbb -->",
    "-->",
    "`` ` ```",
    " — root cause: fake — fix: fake — verification: `x` -> y",
    "Decision — not really",
    "[SEV1, open] not an incident",
    "Ã© Р Р†Р вЂљРІР‚Сњ looks like mojibake",
    "\u200b\u200d zero width \u2060",
    "# heading\n> quote\n* bullet\n1. numbered",
    "tags: a, b",
    "a\tb\t\tc",
    "trailing backslash \\",
]
text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=120),
    st.text(alphabet="ab -—:`<>!#\n\\[]/", max_size=60),
    st.sampled_from(HOSTILE),
)


@st.composite
def entries(draw: st.DrawFn) -> tuple[Kind, dict[str, str], tuple[str, ...]]:
    kind = draw(st.sampled_from(list(Kind)))
    fields: dict[str, str] = {}
    for spec in FIELDS[kind]:
        if spec.name == "severity":
            fields["severity"] = draw(st.sampled_from(["", *SEVERITIES]))
        elif spec.name == "status":
            fields["status"] = draw(st.sampled_from(["", *(s.value for s in Status)]))
        elif spec.required or draw(st.booleans()):
            fields[spec.name] = draw(text)
    tags = tuple(
        draw(st.lists(st.from_regex(r"[a-z0-9][a-z0-9_.+/-]{0,10}", fullmatch=True), max_size=3, unique=True))
    )
    return kind, fields, tags


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)
@given(entries(), st.integers(min_value=0, max_value=10**6))
def test_mirror_lines_read_back_exactly(
    entry: tuple[Kind, dict[str, str], tuple[str, ...]], minutes: int
) -> None:
    kind, raw_fields, tags = entry
    fields, problems = clean_fields(kind, raw_fields)
    assume(not problems)
    when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    line = render_line(
        entry_id="0123456789abcdef", kind=kind, fields=fields, created_at=when, zone=ZONE, tags=tags
    )
    assert "\n" not in line and "\r" not in line
    name = mirror_file_for(kind)
    log = parse_log(HEADERS[name] + line + "\n", name=name, default_zone=ZONE)
    assert len(log.entries) == 1, [e.raw for e in log.entries]  # nothing forged, nothing split
    assert log.not_understood == []
    read = log.entries[0]
    assert (read.entry_id, read.kind, read.tags) == ("0123456789abcdef", kind, tags)
    assert "cut:1" not in line  # values up to 120 characters are never cut (test_mirror.py covers cuts)
    assert read.fields == fields
