"""The one way a test waits for another process or thread: poll with a deadline, fail naming what never came."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

Result = TypeVar("Result")


def wait_until(condition: Callable[[], Result], seconds: float = 20, *, what: str, interval: float = 0.05) -> Result:
    """Return the condition's first truthy result, or fail the test saying what it waited for.

    Waiting goes through here and never through a bare sleep: a sleep is either too short on a busy
    machine or wasted time on an idle one, and its failure says nothing.
    """
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(interval)
