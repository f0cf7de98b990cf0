"""A change a teammate's logbook appended (a status, a timeline event, an action item) is taken in by sync."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from storage.clock import parse_zone
from storage.importing import sync
from storage.kinds import Kind
from storage.store import Store

MSK = parse_zone("Europe/Moscow")


def test_a_teammates_status_change_reaches_my_store_once(tmp_path: Path, project: Path) -> None:
    mine, theirs = Store.open(tmp_path / "mine.db", zone=MSK), Store.open(tmp_path / "theirs.db", zone=MSK)
    try:
        incident = mine.add(str(project), Kind.INCIDENT, {"symptom": "db down", "cause": "disk full"}).entry
        sync(theirs, str(project))  # they pull my incident
        theirs.set_status(incident.id, "mitigated", note="rotated the logs")
        theirs.add_incident_event(incident.id, "timeline", "paged the on-call", at=incident.created_at)
        theirs.add_incident_event(incident.id, "action", "alert on disk usage")
        theirs.add_incident_event(incident.id, "lesson-wrong", "no alert on disk")
        mirror = (project / "INCIDENTS.md").read_bytes()

        [report] = [r for r in sync(mine, str(project)) if r.path.endswith("INCIDENTS.md")]
        assert report.events_added == 4 and report.refused == []
        assert mine.get(incident.id).status == "mitigated"
        events = {e.type: e.data for e in mine.events(incident.id)}
        assert events["status"] == {"status": "mitigated", "previous": "open", "note": "rotated the logs"}
        assert events["timeline"]["text"] == "paged the on-call"
        assert (
            events["timeline"]["at"][:16] == theirs.events(incident.id)[1].data["at"][:16]
        )  # the line shows minutes
        assert events["action"] == {"number": 1, "text": "alert on disk usage"}
        assert events["lesson-wrong"] == {"text": "no alert on disk"}
        assert (project / "INCIDENTS.md").read_bytes() == mirror  # sync appends nothing

        (project / "INCIDENTS.md").write_bytes(mirror + b"\n")  # touched: read again, nothing doubled
        assert sum(r.events_added for r in sync(mine, str(project))) == 0
        assert len(mine.events(incident.id)) == 4
    finally:
        mine.close()
        theirs.close()


def test_a_status_set_earlier_elsewhere_and_synced_later_does_not_undo_a_newer_one(
    tmp_path: Path, project: Path
) -> None:
    """They mitigated at 10:00; I resolved at 11:00 before syncing: the incident stays resolved."""
    from tests.conftest import FakeClock

    start = datetime(2025, 12, 14, 9, 0, tzinfo=UTC)
    my_clock, their_clock = FakeClock(start), FakeClock(start)
    mine = Store.open(tmp_path / "mine.db", zone=MSK, clock=my_clock)
    theirs = Store.open(tmp_path / "theirs.db", zone=MSK, clock=their_clock)
    try:
        incident = mine.add(str(project), Kind.INCIDENT, {"symptom": "db down", "cause": "disk full"}).entry
        sync(theirs, str(project))
        their_clock.advance(hours=1)
        theirs.set_status(incident.id, "mitigated", note="rotated the logs")  # 10:00
        my_clock.advance(hours=2)
        mine.set_status(incident.id, "resolved", note="bigger disk")  # 11:00, not yet synced

        sync(mine, str(project))

        # In time order, not in the order they reached my store.
        assert [e.data["status"] for e in mine.events(incident.id)] == ["mitigated", "resolved"]
        assert mine.get(incident.id).status == "resolved"
        assert [e.status for e in mine.incidents(str(project))] == ["resolved"]
    finally:
        mine.close()
        theirs.close()
