"""Work sessions of entries written in bulk (an import stores its rows a batch at a time).

A batch's entries are grouped by idle gaps; a group whose last entry is old is
closed at that entry. The next batch of the same import carries on with that
session when its first entry comes within the gap, as one big batch would have.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.kinds import Kind
from storage.store import NewEntry, Store
from tests.conftest import FakeClock

PROJECT = "/p"
MORNING = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # long before the store's clock: sessions are over


def _entries(*minutes: int) -> list[NewEntry]:
    return [
        NewEntry(
            Kind.NOTE, {"text": f"worked on step {minute}"}, created_at=MORNING + timedelta(minutes=minute)
        )
        for minute in minutes
    ]


def _sessions(store: Store) -> list[tuple[list[str], datetime | None]]:
    """Each session's entry texts and end, oldest session first."""
    return [
        ([entry.fields["text"] for entry in store.session_entries(session.id)], session.ended_at)
        for session in reversed(store.sessions(PROJECT))
    ]


def test_the_next_batch_of_a_bulk_write_carries_on_with_the_session_the_last_one_closed(
    store: Store,
) -> None:
    store.add_many(PROJECT, _entries(0, 30), source="import", mirror=False)
    store.add_many(PROJECT, _entries(60, 80), source="import", mirror=False)
    store.add_many(PROJECT, _entries(300), source="import", mirror=False)  # over two hours later

    assert _sessions(store) == [
        (
            ["worked on step 0", "worked on step 30", "worked on step 60", "worked on step 80"],
            MORNING + timedelta(minutes=80),
        ),
        (["worked on step 300"], MORNING + timedelta(minutes=300)),
    ]


@pytest.mark.parametrize("started_by_hand", [True, False])
def test_a_session_a_person_ended_is_not_carried_on(db_path: Path, started_by_hand: bool) -> None:
    clock = FakeClock(MORNING)
    with Store.open(db_path, clock=clock) as store:
        if started_by_hand:
            store.start_session(PROJECT, "by hand")
        store.add_many(PROJECT, _entries(1), source="cli", mirror=False)
        clock.advance(minutes=4)
        store.end_session(PROJECT)
        clock.advance(days=1)
        store.add_many(PROJECT, _entries(10), source="import", mirror=False)

        assert [texts for texts, _ in _sessions(store)] == [["worked on step 1"], ["worked on step 10"]]
