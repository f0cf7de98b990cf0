"""Stored times: one fixed-width UTC text that sorts in time order and reads back as written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from storage.clock import _DB_FORMAT, from_db, to_db

_ZONES = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES))
def test_a_time_is_stored_as_strftime_writes_it_in_utc_and_read_back(moment: datetime) -> None:
    # (to_db cuts the text isoformat writes; strftime is the rule, 3x slower.)
    stored = to_db(moment)
    assert stored == moment.astimezone(UTC).strftime(_DB_FORMAT)
    assert len(stored) == 27 and from_db(stored) == moment


@given(st.lists(st.datetimes(min_value=datetime(1000, 1, 2), timezones=_ZONES), min_size=2, max_size=2))
def test_stored_times_sort_in_time_order(moments: list[datetime]) -> None:
    first, second = moments
    assert (to_db(first) < to_db(second)) == (first < second)
