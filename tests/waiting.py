"""Deadline polling for tests that wait on another process, a thread or a browser.

A fixed sleep either wastes time (the event came early) or flakes (it came late). Tests wait
for an event with `wait_until` and, to show that something did NOT happen, watch for the
event that would have happened with `stays_false` until a deadline, then assert it did not.
"""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T], timeout: float, message: str, *, interval: float = 0.1
) -> T:
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def stays_false(
    predicate: Callable[[], object], duration: float, message: str, *, interval: float = 0.1
) -> None:
    """Poll `predicate` for `duration` s and fail as soon as it is truthy.

    The predicate is the event that would have happened (a second delivery, a request); the
    duration is how long it would have taken at most to show. Failing at once keeps the test
    short when the event does happen.
    """
    deadline = time.monotonic() + duration
    while True:
        if predicate():
            raise AssertionError(f"{message} happened within {duration} s")
        if time.monotonic() >= deadline:
            return
        time.sleep(interval)
