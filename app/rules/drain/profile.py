"""The drain through the day: a rate per block of hours, since people drain less asleep than awake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from app.rules.drain.stretches import Stretch

# The day in blocks of this many hours, each with its own rate; a block seen for less than PRIOR_HOURS
# leans on the device's overall rate (shrinkage), one never seen has it.
BLOCK_HOURS = 4
BLOCKS = 24 // BLOCK_HOURS
PRIOR_HOURS = 12.0


def day_profile(stretches: list[Stretch], recency: list[float], rate: float) -> tuple[float, ...]:
    """Each block's rate: the drop seen in it over the hours seen in it (recent stretches weigh more), shrunk
    towards the overall rate by PRIOR_HOURS, and never below a quarter of it (a noisy block cannot stop time)."""
    hours = [0.0] * BLOCKS
    drop = [0.0] * BLOCKS
    for stretch, weight in zip(stretches, recency, strict=True):
        for (start, first), (end, second) in zip(stretch.points, stretch.points[1:], strict=False):
            per_hour = (first - second) / ((end - start).total_seconds() / 3600)
            for block, overlap in blocks(start, end):
                hours[block] += overlap * weight
                drop[block] += per_hour * overlap * weight
    return tuple(max(rate / 4, (drop[b] + PRIOR_HOURS * rate) / (hours[b] + PRIOR_HOURS)) for b in range(BLOCKS))


def blocks(start: datetime, end: datetime) -> Iterator[tuple[int, float]]:
    """(block, hours) for each block of the UTC day that the span from start to end overlaps."""
    moment = start
    while moment < end:
        block = moment.astimezone(UTC).hour // BLOCK_HOURS
        boundary = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
            hours=BLOCK_HOURS - moment.astimezone(UTC).hour % BLOCK_HOURS)
        step_end = min(boundary, end)
        yield block, (step_end - moment).total_seconds() / 3600
        moment = step_end


def run_down(points: float, start: datetime, profile: tuple[float, ...]) -> datetime:
    """When `points` more have drained from `start` on, block by block (at most a year ahead)."""
    moment = start
    for block, hours in blocks(start, start + timedelta(days=365)):
        if points <= 0:
            break
        rate = profile[block]
        if rate * hours >= points:
            return moment + timedelta(hours=points / rate)
        points -= rate * hours
        moment += timedelta(hours=hours)
    return moment


def drained(start: datetime, moment: datetime, profile: tuple[float, ...]) -> float:
    return sum(profile[block] * hours for block, hours in blocks(start, moment))
