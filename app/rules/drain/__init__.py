"""The drain model, pure: a device's stored readings in, how fast it drains and when it reaches the alert level out.

Decisions (why these numbers, and how they were checked) are in docs/prediction.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Literal

from app.rules.devices import known_level
from app.rules.drain.profile import BLOCKS, day_profile, drained, run_down
from app.rules.drain.stretches import CHARGE_RISE, MAX_GAP, Reading, Stretch, stretches

# Only this much history counts, and a stretch counts half as much every HALF_LIFE: habits change.
LOOKBACK = timedelta(days=14)
HALF_LIFE = timedelta(days=14)
# Too thin: less discharge seen than this, in hours and in points, gives no estimate at all.
MIN_EVIDENCE_HOURS = 6.0
MIN_EVIDENCE_DROP = 4
# Confident (what a text may say): this much discharge seen, over stretches that agree this well.
CONFIDENT_HOURS = 18.0
CONFIDENT_SPREAD = 0.35
# A device not heard from in this long is the silence rule's business, not a forecast's.
STALE_AFTER = timedelta(hours=36)
# Slower than this is "not draining" (a device in a drawer): no time to promise.
MIN_RATE = 0.2
ANCHOR_POINTS = 5

Reason = Literal["no levels", "too little discharge", "not draining", "stale"]


@dataclass(frozen=True)
class Forecast:
    """How a device is expected to drain from its last reading on, if nobody charges it."""

    rate_per_hour: float
    level: int
    read_at: datetime
    reaches_alert_at: datetime
    empty_at: datetime
    confident: bool
    evidence_hours: float
    # The drain rate (%/h) in each BLOCK_HOURS block of the UTC day: people drain less asleep than awake.
    profile: tuple[float, ...] = ()

    def hours_left(self, now: datetime) -> float:
        """Hours from `now` until it reaches the alert level (0 when it is already there)."""
        return max(0.0, (self.reaches_alert_at - now).total_seconds() / 3600)

    def level_at(self, moment: datetime) -> float:
        """The expected level at `moment`, never below 0."""
        return max(0.0, self.level - drained(self.read_at, moment, self.profile or (self.rate_per_hour,) * BLOCKS))


@dataclass(frozen=True)
class NoForecast:
    """Why there is no estimate: the data are too thin, and we say so rather than guess."""

    reason: Reason


def rounded_time_left(hours: float) -> tuple[Literal["under an hour", "hours", "days"], int]:
    """How long is left as it is said: under an hour, whole hours under a day and a half, else whole days."""
    if hours < 1:
        return "under an hour", 0
    if hours < 36:
        return "hours", round(hours)
    return "days", round(hours / 24)


def forecast(readings: Sequence[Reading], alert_level: int, now: datetime) -> Forecast | NoForecast:
    """Estimate when the device reaches `alert_level` and empties, so texts can say when to charge.

    Discharge stretches run between charges (a rise of CHARGE_RISE points, or a status going up where
    no level says) and gaps longer than MAX_GAP; each stretch's rate is its Theil–Sen slope, robust to a stray
    reading; the device's rate is the median of the stretches weighted by hours and recency.
    """
    ordered = sorted((reading for reading in readings if reading.read_at <= now), key=lambda reading: reading.read_at)
    levelled = [(reading.read_at, level) for reading in ordered if (level := known_level(reading.level)) is not None]
    if not levelled:
        return NoForecast("no levels")
    last_at, last_level = levelled[-1]
    if now - last_at > STALE_AFTER:
        return NoForecast("stale")
    found = [stretch for stretch in stretches(ordered) if now - stretch.end <= LOOKBACK]
    hours = sum(stretch.hours for stretch in found)
    drop = sum(stretch.drop for stretch in found)
    if hours < MIN_EVIDENCE_HOURS:
        return NoForecast("too little discharge")
    weights = [stretch.hours * 0.5 ** ((now - stretch.end) / HALF_LIFE) for stretch in found]
    rate = _weighted_median([stretch.rate for stretch in found], weights)
    if rate < MIN_RATE:
        return NoForecast("not draining")
    if drop < MIN_EVIDENCE_DROP:
        return NoForecast("too little discharge")
    spread = _weighted_median([abs(stretch.rate - rate) / rate for stretch in found], weights)
    profile = day_profile(found, [0.5 ** ((now - stretch.end) / HALF_LIFE) for stretch in found], rate)
    anchor = _level_now(found[-1] if found and found[-1].end == last_at else None, last_level, profile)
    return Forecast(
        rate_per_hour=rate,
        level=last_level,
        read_at=last_at,
        reaches_alert_at=run_down(anchor - alert_level, last_at, profile),
        empty_at=run_down(anchor, last_at, profile),
        confident=hours >= CONFIDENT_HOURS and spread <= CONFIDENT_SPREAD,
        evidence_hours=hours,
        profile=profile,
    )


def _weighted_median(values: list[float], weights: list[float]) -> float:
    pairs = sorted(zip(values, weights, strict=True))
    half = sum(weights) / 2
    running = 0.0
    for value, weight in pairs:
        running += weight
        if running >= half:
            return value
    return pairs[-1][0]


def _level_now(current: Stretch | None, last_level: int, profile: tuple[float, ...]) -> float:
    """Where the battery stands at the last reading: the median of the last ANCHOR_POINTS readings of the
    stretch it ends, each carried forward at the expected drain, so one noisy last reading moves little."""
    if current is None:
        return float(last_level)
    end = current.points[-1][0]
    return median(level - drained(read_at, end, profile) for read_at, level in current.points[-ANCHOR_POINTS:])


__all__ = ["CHARGE_RISE", "MAX_GAP", "Forecast", "NoForecast", "Reading", "forecast", "rounded_time_left"]
