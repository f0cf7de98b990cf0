"""Waiting in tests with a deadline: a writer that died must fail the test, not hang the suite."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

DEADLINE_S = 120.0
"""Longer than anything here takes on a loaded 2-core machine, short of a hung CI job."""


def wait_until(ready: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    give_up = time.monotonic() + deadline_s
    while not ready():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up after {deadline_s:.0f} s waiting for {what}")
        time.sleep(0.005)


async def wait_until_async(ready: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    give_up = time.monotonic() + deadline_s
    while not ready():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up after {deadline_s:.0f} s waiting for {what}")
        await asyncio.sleep(0.01)


def past(deadline_s: float = DEADLINE_S) -> Callable[[], bool]:
    """A clock for a loop that does work while it waits: ``give_up()`` is True once it is late."""
    give_up = time.monotonic() + deadline_s
    return lambda: time.monotonic() > give_up
