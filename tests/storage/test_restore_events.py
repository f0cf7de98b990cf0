"""Events restored from an export: checked and masked like typed ones, once each, never orphaned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.kinds import Kind
from storage.store import NewEvent, Store

WHEN = datetime(2025, 12, 14, 10, 0, tzinfo=UTC)


def incident(store: Store, project: Path) -> str:
    saved = store.add(
        str(project), Kind.INCIDENT, {"symptom": "db down", "cause": "disk full", "fix": "rotated"}
    )
    return saved.entry.id


def test_events_go_to_their_entry_once_and_are_mirrored_once(store: Store, project: Path) -> None:
    entry_id = incident(store, project)
    events = [
        NewEvent("00000000000000a1", entry_id, "status", WHEN, {"status": "mitigated", "previous": "open"}),
        NewEvent("00000000000000a2", entry_id, "timeline", WHEN, {"text": "paged the on-call"}),
    ]
    first = store.add_events(events)
    assert (first.added, first.skipped, first.refused) == (["00000000000000a1", "00000000000000a2"], [], [])
    again = store.add_events(events)
    assert (again.added, again.skipped) == ([], ["00000000000000a1", "00000000000000a2"])
    assert [e.type for e in store.events(entry_id)] == ["status", "timeline"]
    assert store.get(entry_id).status == "mitigated"
    mirror = (project / "INCIDENTS.md").read_text(encoding="utf-8")
    assert mirror.count("00000000000000a1") == 1 and mirror.count("00000000000000a2") == 1


def test_bad_events_are_refused_by_position_and_write_nothing(store: Store, project: Path) -> None:
    entry_id = incident(store, project)
    before = (project / "INCIDENTS.md").read_bytes()
    result = store.add_events(
        [
            NewEvent("00000000000000b1", entry_id, "rename", WHEN, {"text": "x"}),
            NewEvent("00000000000000b2", entry_id, "timeline", WHEN, {"text": "bell \x1b[31m"}),
            NewEvent("00000000000000b3", "ffffffffffffffff", "timeline", WHEN, {"text": "orphan"}),
            NewEvent("00000000000000b4", entry_id, "status", WHEN, {}),
        ]
    )
    assert result.added == []
    reasons = {position: " ".join(str(p) for p in problems) for position, problems in result.refused}
    assert sorted(reasons) == [1, 2, 3, 4]
    assert "'rename' is not one of" in reasons[1]
    assert "escape" in reasons[2]
    assert "no entry ffffffffffffffff" in reasons[3]
    assert "incomplete status event" in reasons[4]
    assert store.events(entry_id) == []
    assert (project / "INCIDENTS.md").read_bytes() == before


def test_a_secret_in_a_restored_event_is_masked(store: Store, project: Path) -> None:
    entry_id = incident(store, project)
    secret = "postgres://app:hunter2hunter2@db.internal:5432/app"
    result = store.add_events(
        [
            NewEvent(
                "00000000000000c1", entry_id, "impact", WHEN, {"text": secret}, author="Mallory \x1b]0;x\x07"
            )
        ]
    )
    assert result.added == ["00000000000000c1"] and result.masked
    [event] = store.events(entry_id)
    assert "hunter2hunter2" not in str(event.data)
    assert event.author is not None and "\x1b" not in event.author and "Mallory" in event.author
    assert "hunter2hunter2" not in (project / "INCIDENTS.md").read_text(encoding="utf-8")


def test_a_restored_verification_keeps_its_terminal_output_without_escapes(
    store: Store, project: Path
) -> None:
    """record_run keeps what the command printed (colours, progress bars redrawn with CR); an
    export of it must restore, with the output as a terminal showed it and nothing raw."""
    entry_id = incident(store, project)
    tail = "collecting\r\n\x1b[32m3 passed\x1b[0m in 0.1s\r\n 10%\r 50%\r100%\n\x1b]0;title\x07done\x07\n"
    result = store.add_events(
        [
            NewEvent(
                "00000000000000d1",
                entry_id,
                "verification",
                WHEN,
                {"result": "pass", "command": "pytest", "exit_code": 0, "output_tail": tail},
            )
        ]
    )
    assert (result.added, result.refused) == (["00000000000000d1"], [])
    [event] = store.events(entry_id)
    assert event.data["output_tail"] == "collecting\n3 passed in 0.1s\n100%\ndone\n"
    assert store.get(entry_id).verification == "pass"


def test_an_older_verification_restored_later_does_not_replace_the_newer_one(
    store: Store, project: Path
) -> None:
    entry_id = incident(store, project)
    newer = {"result": "pass", "command": "pytest", "commit": "bbbbbbb", "output_tail": ""}
    older = {"result": "fail", "command": "pytest", "commit": "aaaaaaa", "output_tail": ""}
    store.add_events([NewEvent("00000000000000f1", entry_id, "verification", WHEN, newer)])
    store.add_events(
        [NewEvent("00000000000000f2", entry_id, "verification", WHEN - timedelta(days=1), older)]
    )
    entry = store.get(entry_id)
    assert (entry.verification, entry.verified_commit) == ("pass", "bbbbbbb")


def test_a_timeline_time_must_say_its_zone_and_is_stored_in_utc(store: Store, project: Path) -> None:
    """A naive "at" used to be stored as it was, and the postmortem then failed comparing times."""
    from storage import postmortem

    entry_id = incident(store, project)
    result = store.add_events(
        [
            NewEvent(
                "00000000000000e1", entry_id, "timeline", WHEN, {"text": "naive", "at": "2025-12-14T09:30:00"}
            ),
            NewEvent("00000000000000e2", entry_id, "timeline", WHEN, {"text": "not a time", "at": "at noon"}),
            NewEvent(
                "00000000000000e3",
                entry_id,
                "timeline",
                WHEN,
                {"text": "paged", "at": "2025-12-14T12:30+03:00"},
            ),
            NewEvent(
                "00000000000000e4", entry_id, "impact", WHEN.replace(tzinfo=None), {"text": "naive event"}
            ),
        ]
    )
    reasons = {position: " ".join(str(p) for p in problems) for position, problems in result.refused}
    assert sorted(reasons) == [1, 2, 4]
    assert "at: '2025-12-14T09:30:00' has no time zone" in reasons[1]
    assert "at: 'at noon' is not a time" in reasons[2]
    assert "created_at" in reasons[4] and "no time zone" in reasons[4]
    [event] = store.events(entry_id)
    assert event.data["at"] == "2025-12-14T09:30:00.000000Z"
    report = postmortem.to_markdown(store.get(entry_id), store.events(entry_id), [], store.zone)
    assert "2025-12-14 12:30 MSK — paged" in report


def test_restored_events_must_make_sense_for_their_entry(store: Store, project: Path) -> None:
    """A status no incident can have, an incident's event on a note, an action item done that was
    never added: each is refused with its reason, as typing them would be."""
    entry_id = incident(store, project)
    note_id = store.add(str(project), Kind.NOTE, {"text": "deploys freeze on Fridays"}).entry.id
    check = {"result": "pass", "command": "true", "output_tail": ""}
    result = store.add_events(
        [
            NewEvent("0000000000000011", entry_id, "status", WHEN, {"status": "done", "previous": "open"}),
            NewEvent("0000000000000012", note_id, "status", WHEN, {"status": "resolved", "previous": "open"}),
            NewEvent("0000000000000013", note_id, "timeline", WHEN, {"text": "on a note"}),
            NewEvent("0000000000000014", entry_id, "action-done", WHEN, {"number": 1, "text": "x"}),
            NewEvent("0000000000000015", entry_id, "action", WHEN, {"number": 1, "text": "alert on disk"}),
            NewEvent("0000000000000016", entry_id, "action-done", WHEN, {"number": 2, "text": "x"}),
            NewEvent(
                "0000000000000017", entry_id, "action-done", WHEN, {"number": 1, "text": "alert on disk"}
            ),
            NewEvent(
                "0000000000000018", entry_id, "status", WHEN, {"status": "Mitigated", "previous": "open"}
            ),
            NewEvent("0000000000000019", note_id, "verification", WHEN, check),
        ]
    )
    reasons = {position: " ".join(str(p) for p in problems) for position, problems in result.refused}
    assert sorted(reasons) == [1, 2, 3, 4, 6]
    assert "status: 'done' is not one of open, mitigated, resolved" in reasons[1]
    assert "is a note, not an incident" in reasons[2] and "is a note, not an incident" in reasons[3]
    assert "has no action item 1" in reasons[4] and "has no action item 2" in reasons[6]
    assert result.added == ["0000000000000015", "0000000000000017", "0000000000000018", "0000000000000019"]
    assert [(e.type, e.data.get("status")) for e in store.events(entry_id)] == [
        ("action", None),
        ("action-done", None),
        ("status", "mitigated"),
    ]
    assert store.get(entry_id).status == "mitigated" and store.get(note_id).verification == "pass"


def test_events_are_in_time_order_however_late_they_arrive(store: Store, project: Path) -> None:
    """A status synced from a teammate or restored from an export can reach the store after a
    newer one: the history and the postmortem used to take them in the order they arrived."""
    from storage import postmortem

    entry_id = store.add(
        str(project), Kind.INCIDENT, {"symptom": "db down", "cause": "unknown", "status": "open"}
    ).entry.id
    reported = store.get(entry_id).created_at
    mitigated = {"status": "mitigated", "previous": "open", "note": "failed over"}
    resolved = {"status": "resolved", "previous": "mitigated", "note": "disk replaced"}
    later = NewEvent("00000000000000g2", entry_id, "status", reported + timedelta(hours=2), resolved)
    earlier = NewEvent("00000000000000g1", entry_id, "status", reported + timedelta(hours=1), mitigated)
    assert store.add_events([later]).added == ["00000000000000g2"]
    assert store.add_events([earlier]).added == ["00000000000000g1"]  # the older one, arriving last
    in_time_order = ["00000000000000g1", "00000000000000g2"]
    assert [e.id for e in store.events(entry_id)] == in_time_order
    assert [e.id for e in store.events_for([entry_id])[entry_id]] == in_time_order
    assert store.get(entry_id).status == "resolved"
    report = postmortem.to_markdown(store.get(entry_id), store.events(entry_id), [], store.zone)
    assert "- Time to mitigate: 1 h 0 min" in report  # the first mitigation by time, not by arrival
    assert "- Time to resolve: 2 h 0 min" in report


def test_an_export_restores_an_action_done_dated_before_its_action(
    store: Store, project: Path, cli, tmp_path: Path
) -> None:
    """A teammate's line is dated to the minute: their "done" taken in by sync can be older than
    the action it closes. An export lists events by time, and its restore refused that "done"."""
    entry_id = incident(store, project)
    added = store.get(entry_id).created_at + timedelta(minutes=5)
    action = NewEvent("00000000000000h1", entry_id, "action", added, {"number": 1, "text": "alert on disk"})
    done = NewEvent(
        "00000000000000h2", entry_id, "action-done", added - timedelta(seconds=30), {"number": 1, "text": ""}
    )
    assert store.add_events([action]).added == ["00000000000000h1"]
    assert store.add_events([done]).added == ["00000000000000h2"]
    assert [e.type for e in store.events(entry_id)] == ["action-done", "action"]
    export = tmp_path / "all.jsonl"
    assert cli("export", "--format", "jsonl", "-o", str(export)).code == 0
    [record] = [json.loads(line) for line in export.read_text().splitlines()]
    assert [e["type"] for e in record["events"]] == ["action-done", "action"]
    # A "done" of an action the incident never had, first: still refused, and said to be event 1.
    never = {**record["events"][0], "id": "00000000000000h0", "number": 2}
    record["events"].insert(0, never)
    export.write_text(json.dumps(record) + "\n")
    restored = cli("--db", str(tmp_path / "new.db"), "import", str(export), "--json")
    assert (restored.json()[0]["events_added"], restored.json()[0]["events_refused"]) == (2, 1)
    assert "event 1: action: incident" in restored.err and "has no action item 2" in restored.err
    with Store.open(tmp_path / "new.db") as new:
        assert [e.id for e in new.events(entry_id)] == ["00000000000000h2", "00000000000000h1"]
