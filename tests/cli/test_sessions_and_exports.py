"""Work sessions and everything `logbook export` writes, through the command line.

Golden files under tests/golden/ hold the expected exports; after an intended
change run with UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import itertools
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from storage.clock import parse_zone
from storage.kinds import Kind
from storage.records import GitContext
from storage.store import Store
from tests.conftest import FakeClock

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
MSK = parse_zone("Europe/Moscow")


def golden(name: str, text: str, project: Path) -> None:
    text = text.replace(str(project), "<project>")
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1 to accept)"


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = itertools.count(1)

    def next_id() -> str:
        n = next(counter)
        return f"{n:04x}{n:012x}"  # distinct short ids (the first 8 hex digits)

    monkeypatch.setattr("storage.store.new_id", next_id)


@pytest.fixture
def session_store(db_path: Path, project: Path, fixed_ids: None) -> Path:
    """One realistic session (times fixed), written through the store as the CLI would."""
    clock = FakeClock(datetime(2025, 12, 14, 9, 0, tzinfo=UTC))
    ctx = GitContext(branch="feature/recipients", commit="4be1f3c9d2a7aaaa", author="Ada")
    with Store.open(db_path, clock=clock, zone=MSK) as store:
        p = str(project)
        store.add(
            p,
            Kind.HANDOFF,
            {
                "what": "Wired PUT /recipients (replace-all)",
                "verify": "python -m pytest -q",
                "expected": "40 passed",
                "now": "recipients API green",
                "next": "blacklist by INN",
            },
            context=ctx,
        )
        clock.advance(minutes=20)
        incident = store.add(
            p,
            Kind.INCIDENT,
            {
                "symptom": "uvicorn could not bind 0.0.0.0:8000 (WinError 10048)",
                "cause": "unknown",
                "severity": "SEV2",
            },
            context=ctx,
        )
        store.add_incident_event(
            incident.entry.id,
            "timeline",
            "first failed bind seen in CI",
            at=datetime(2025, 12, 14, 9, 10, tzinfo=UTC),
        )
        store.add_incident_event(incident.entry.id, "action", "add a port-free check to the dev script")
        store.add_incident_event(incident.entry.id, "action", "document netsh reset")
        store.add_incident_event(incident.entry.id, "impact", "local API down for 25 minutes; CI green")
        store.add_incident_event(incident.entry.id, "lesson-wrong", "nobody knew the phantom listener trick")
        store.add_incident_event(incident.entry.id, "lesson-right", "port 8002 fallback kept work going")
        clock.advance(minutes=10)
        store.set_status(incident.entry.id, "mitigated", note="running on 8002")
        store.add_incident_event(incident.entry.id, "action-done", number=2)
        clock.advance(minutes=5)
        store.add(
            p,
            Kind.DECISION,
            {"decision": "New API schemas use snake_case", "why": "the contract says so"},
            context=ctx,
        )
        store.add(
            p,
            Kind.INCIDENT,
            {
                "symptom": "pytest failed: ModuleNotFoundError: No module named 'app'",
                "cause": "PYTHONPATH missing at repo root",
                "fix": "run from backend/",
                "verify": "cd backend && python -m pytest -q",
                "expected": "40 passed",
            },
            context=ctx,
        )
        clock.advance(minutes=30)
        store.add(
            p,
            Kind.HANDOFF,
            {
                "what": "Blacklist by INN endpoints",
                "verify": "python -m pytest -q -k blacklist",
                "expected": "6 passed",
                "next": "send use case",
            },
            context=ctx,
        )
        clock.advance(hours=5)  # an idle gap: a new session
        store.add(p, Kind.NOTE, {"text": "next morning: staging is read-only"}, context=ctx)
    return db_path


def test_sessions_start_by_idle_gap_and_explicitly(cli, session_store: Path) -> None:
    sessions = cli("session", "list", "--json").json()
    assert [s["entries"] for s in sessions] == [1, 5]
    assert cli("session", "start", "release", "prep").out.startswith("Started session")
    cli("add", "note", "cutting the release branch")
    listed = cli("session", "list", "--json").json()
    assert listed[0]["title"] == "release prep" and listed[0]["entries"] == 1 and listed[0]["current"]
    assert cli("session", "end").code == 0
    assert cli("session", "end").code == 1  # nothing open any more


def test_summary_of_a_session_has_every_section(cli, session_store: Path, project: Path) -> None:
    sessions = cli("session", "list", "--json").json()
    result = cli("export", "--session", sessions[1]["id"][:8])
    assert result.code == 0
    text = result.out
    for section in (
        "# Session of 2025-12-14 12:00",
        "- **When**: 2025-12-14 12:00 MSK → 2025-12-14 13:05 MSK",
        "**Branch**: `feature/recipients`",
        "## Done",
        "## Incidents",
        "**OPEN** [SEV2, mitigated]",
        "## Decisions",
        "## Open action items",
        "- [ ] add a port-free check",
        "## Where things stand",
        "**Now**: recipients API green",
        "**Next**: send use case",
        "## Check it is still green",
        "python -m pytest -q   # expect: 40 passed",
    ):
        assert section in text, section
    assert "document netsh reset" not in text  # done action items are not open
    golden("session-summary.md", text, project)


def test_summary_json_is_valid_against_its_schema(cli, session_store: Path, project: Path) -> None:
    sessions = cli("session", "list", "--json").json()
    schema = json.loads(cli("export", "--schema").out)
    data = json.loads(cli("export", "--session", sessions[1]["id"], "--format", "json").out)
    jsonschema.validate(data, schema)
    assert data["schema_version"] == 1
    assert data["counts"] == {
        "entries": 5,
        "handoffs": 2,
        "incidents": 2,
        "open_incidents": 1,
        "decisions": 1,
        "notes": 0,
    }
    assert [a["text"] for a in data["open_actions"]] == ["add a port-free check to the dev script"]
    golden("session-summary.json", json.dumps(data, indent=2) + "\n", project)
    golden("session-summary.schema.json", json.dumps(schema, indent=2) + "\n", project)


def test_default_export_is_the_last_session_and_scopes(cli, session_store: Path) -> None:
    assert "next morning: staging is read-only" not in cli("export").out  # notes are counted, not listed
    assert "1 note" in cli("export").out
    assert "**Entries**: 6" in cli("export", "--all").out
    since = cli("export", "--since", "2025-12-14 13:00").out
    assert "Blacklist by INN" in since and "Wired PUT" not in since


def test_postmortem_has_the_standard_sections(cli, session_store: Path, project: Path) -> None:
    incident = next(
        e for e in cli("list", "--kind", "incident", "--json").json() if "uvicorn" in e["summary"]
    )
    text = cli("export", "postmortem", incident["id"][:8]).out
    for section in (
        "# Postmortem:",
        "## Summary",
        "## Severity and duration",
        "## Timeline",
        "## Root cause",
        "## Impact",
        "## Resolution and verification",
        "## Lessons learned",
        "## Action items",
        "## Metrics",
        "first failed bind seen in CI",
        "- [x] 2. document netsh reset",
        "- [ ] 1. add a port-free check",
        "Time to detect: 10 min",
        "Time to mitigate: 20 min",
        "Time to resolve: not yet",
        "local API down for 25 minutes",
    ):
        assert section in text, section
    golden("postmortem.md", text, project)


def test_guide_groups_incidents_by_error_signature(
    cli, session_store: Path, db_path: Path, project: Path
) -> None:
    clock = FakeClock(datetime(2025, 12, 20, 9, 0, tzinfo=UTC))
    with Store.open(db_path, clock=clock, zone=MSK) as store:
        store.add(
            str(project),
            Kind.INCIDENT,
            {
                "symptom": "pytest failed: ModuleNotFoundError: No module named 'app'",
                "cause": "ran from D:\\b2b instead of backend",
                "fix": "cd backend first",
            },
        )
    text = cli("export", "guide").out
    assert text.count("## ") == 2  # two distinct errors, not three incidents
    assert "seen 2 times" in text and "- **Solution**: cd backend first" in text
    assert "nobody knew the phantom listener trick" in text and "add a port-free check" in text
    golden("guide.md", text, project)


def test_long_session_is_summarised_within_one_screen(cli, db_path: Path, project: Path) -> None:
    clock = FakeClock(datetime(2025, 12, 14, 9, 0, tzinfo=UTC))
    with Store.open(db_path, clock=clock, zone=MSK) as store:
        for n in range(500):
            kind = (Kind.HANDOFF, Kind.INCIDENT, Kind.DECISION, Kind.NOTE)[n % 4]
            fields = {
                Kind.HANDOFF: {
                    "what": f"step {n} shipped",
                    "verify": f"pytest -q -k case{n % 7}",
                    "expected": f"{n} passed",
                },
                Kind.INCIDENT: {
                    "symptom": f"flake {n} in worker {n % 3}",
                    "cause": "race",
                    "fix": f"lock {n}",
                },
                Kind.DECISION: {"decision": f"choice {n}"},
                Kind.NOTE: {"text": f"note {n}"},
            }[kind]
            store.add(str(project), kind, fields, allow_duplicate=True)
            clock.advance(minutes=1)
    text = cli("export").out
    lines = text.splitlines()
    assert len(lines) <= 60, len(lines)  # one screen
    assert "**Entries**: 500 — 125 done, 125 incidents" in text
    assert "… and 117 more handoffs" in text and "… and 120 more resolved incidents" in text
    assert max(len(line) for line in lines) <= 220
