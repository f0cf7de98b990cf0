"""The rules that refuse an entry, checked one by one."""

from __future__ import annotations

import pytest

from storage.kinds import Kind, normalize_severity
from storage.validation import clean_fields, clean_tags, find_placeholder

HANDOFF = {
    "what": "Implemented GET /requests/{id}",
    "verify": "python -m pytest -q",
    "expected": "4 passed",
}
INCIDENT = {"symptom": "pytest failed", "cause": "engine not disposed", "fix": "dispose it"}


def problems_for(kind: Kind, fields: dict[str, str]) -> dict[str, str]:
    _, problems = clean_fields(kind, fields)
    return {p.field: p.message for p in problems}


@pytest.mark.parametrize(
    ("kind", "fields", "missing"),
    [
        (Kind.HANDOFF, {"verify": "x", "expected": "y"}, "what"),
        (Kind.HANDOFF, {"what": "x", "expected": "y"}, "verify"),
        (Kind.HANDOFF, {"what": "x", "verify": "y"}, "expected"),
        (Kind.INCIDENT, {"cause": "c", "fix": "f"}, "symptom"),
        (Kind.INCIDENT, {"symptom": "s", "fix": "f"}, "cause"),
        (Kind.INCIDENT, {"symptom": "s", "cause": "c", "status": "resolved"}, "fix"),
        (Kind.DECISION, {"why": "w"}, "decision"),
        (Kind.NOTE, {}, "text"),
    ],
)
def test_required_field_missing_is_refused(kind: Kind, fields: dict[str, str], missing: str) -> None:
    assert "required" in problems_for(kind, fields)[missing]


@pytest.mark.parametrize("blank", ["", "   ", "\n\t\n"])
def test_blank_counts_as_missing(blank: str) -> None:
    assert "what" in problems_for(Kind.HANDOFF, {**HANDOFF, "what": blank})


def test_complete_entries_pass() -> None:
    assert problems_for(Kind.HANDOFF, HANDOFF) == {}
    assert problems_for(Kind.INCIDENT, INCIDENT) == {}
    assert problems_for(Kind.DECISION, {"decision": "use SQLite"}) == {}
    assert problems_for(Kind.NOTE, {"text": "remember the milk"}) == {}


def test_open_incident_may_have_unknown_cause_and_no_fix() -> None:
    fields, problems = clean_fields(Kind.INCIDENT, {"symptom": "port 8000 busy", "cause": "unknown"})
    assert problems == []
    assert fields["status"] == "open"


def test_unknown_cause_is_refused_once_resolved() -> None:
    found = problems_for(Kind.INCIDENT, {**INCIDENT, "cause": "unknown", "status": "resolved"})
    assert "only while the incident is open" in found["cause"]


def test_status_defaults_from_what_is_known() -> None:
    assert clean_fields(Kind.INCIDENT, INCIDENT)[0]["status"] == "resolved"
    assert clean_fields(Kind.INCIDENT, {**INCIDENT, "fix": ""})[0]["status"] == "open"


# Every placeholder that appears in the seed logs, and the other usual ones.
@pytest.mark.parametrize(
    "value",
    [
        "<symptom>",
        "INCIDENT <symptom>. Root cause: <root_cause>.",
        "<fix_or_mitigation>",
        "<command> -> <expected>",
        "alembic/versions/REPLACE_ME_create_table.py",
        "REPLACE_ME",
        "TBD",
        "todo",
        "TODO.",
        "???",
        "…",
        "{{ symptom }}",
        "<your name>",
        "CHANGEME",
    ],
)
def test_placeholders_are_refused(value: str) -> None:
    assert "placeholder" in problems_for(Kind.NOTE, {"text": value})["text"]


@pytest.mark.parametrize(
    "value",
    [
        'File "<stdin>", line 1, in <module>',
        "List<String> is generic",
        "a <- b and c -> d",
        "<br> is a line break",
        "TODO list cleanup finished",
        "fixed the TBD section of the docs",
        "uses ${HOME}/bin and $PATH",
        "python -m pytest -q -> 40 passed",
    ],
)
def test_real_text_is_not_taken_for_a_placeholder(value: str) -> None:
    assert find_placeholder(value) is None


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("a\x00b", "NUL"),
        ("red \x1b[31mtext", "escape"),
        ("bell\x07", "U+0007"),
        ("c1 \x9b control", "U+009B"),
        ("trojan \u202e source", "bidirectional"),
        ("mid \ufeff bom", "byte-order mark"),
    ],
)
def test_control_characters_are_refused(value: str, what: str) -> None:
    assert what in problems_for(Kind.NOTE, {"text": value})["text"]


def test_newlines_tabs_and_crlf_are_fine_and_normalised() -> None:
    fields, problems = clean_fields(Kind.NOTE, {"text": "\ufeffline one\r\n\tline two\rthree  "})
    assert problems == []
    assert fields["text"] == "line one\n\tline two\nthree"


@pytest.mark.parametrize(
    ("given", "expected"), [("SEV1", "SEV1"), ("p2", "SEV2"), ("sev-3", "SEV3"), ("4", "SEV4")]
)
def test_severity_aliases(given: str, expected: str) -> None:
    assert normalize_severity(given) == expected


def test_bad_severity_and_status_are_refused() -> None:
    found = problems_for(Kind.INCIDENT, {**INCIDENT, "severity": "SEV9", "status": "done-ish"})
    assert "SEV1-SEV4" in found["severity"]
    assert "open, mitigated, resolved" in found["status"]


def test_field_of_another_kind_is_refused() -> None:
    assert "no field" in problems_for(Kind.NOTE, {"text": "x", "symptom": "y"})["symptom"]


def test_tags_are_cleaned_and_bad_ones_refused() -> None:
    tags, problems = clean_tags(["#DB", "db", "windows, ci", "bad tag!"])
    assert tags == ["db", "windows", "ci", "bad"]
    assert [p.message for p in problems] == ["'tag!' is not a tag: use letters, digits, - _ . / +"]
