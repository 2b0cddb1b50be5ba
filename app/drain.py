"""The drain model, pure: a device's stored readings in, how fast it drains and when it reaches the alert level out.

Decisions (why these numbers, and how they were checked) are in docs/prediction.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Literal

from app.devices import known_level

# A rise of this many points (or a status that goes up) is a charge; smaller rises are the gauge's noise.
CHARGE_RISE = 3
# Readings further apart than this are not one stretch: the device may have been charged and drained between.
MAX_GAP = timedelta(hours=12)
# Only this much history counts, and a stretch counts half as much every HALF_LIFE: habits change.
LOOKBACK = timedelta(days=14)
HALF_LIFE = timedelta(days=3)
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
STATUS_RANK = {"empty": 0, "low": 1, "medium": 2, "high": 3}

Reason = Literal["no levels", "too little discharge", "not draining", "stale"]


@dataclass(frozen=True)
class Reading:
    read_at: datetime
    level: int | None
    status: str | None = None


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

    def hours_left(self, now: datetime) -> float:
        """Hours from `now` until it reaches the alert level (0 when it is already there)."""
        return max(0.0, (self.reaches_alert_at - now).total_seconds() / 3600)

    def level_at(self, moment: datetime) -> float:
        """The expected level at `moment`, never below 0."""
        hours = (moment - self.read_at).total_seconds() / 3600
        return max(0.0, self.level - self.rate_per_hour * max(0.0, hours))


@dataclass(frozen=True)
class NoForecast:
    """Why there is no estimate: the data are too thin, and we say so rather than guess."""

    reason: Reason


@dataclass(frozen=True)
class _Stretch:
    start: datetime
    end: datetime
    rate: float
    drop: int

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def time_left(hours: float) -> str:
    """How long is left, in the words every text and the dashboard use: "about 14 hours left"."""
    if hours < 1:
        return "less than an hour left"
    if hours < 36:
        whole = round(hours)
        return f"about {whole} hour{'s' if whole != 1 else ''} left"
    return f"about {round(hours / 24)} days left"


def forecast(readings: Sequence[Reading], alert_level: int, now: datetime) -> Forecast | NoForecast:
    """Estimate when the device reaches `alert_level` and empties, so texts can say when to charge.

    Discharge stretches run between charges (a rise of CHARGE_RISE points or a status going up)
    and gaps longer than MAX_GAP; each stretch's rate is its Theil–Sen slope, robust to a stray
    reading; the device's rate is the median of the stretches weighted by hours and recency.
    """
    ordered = sorted(readings, key=lambda reading: reading.read_at)
    levelled = [(reading.read_at, level, reading.status) for reading in ordered
                if (level := known_level(reading.level)) is not None and reading.read_at <= now]
    if not levelled:
        return NoForecast("no levels")
    last_at, last_level, _ = levelled[-1]
    if now - last_at > STALE_AFTER:
        return NoForecast("stale")
    stretches = [stretch for stretch in _stretches(levelled) if now - stretch.end <= LOOKBACK]
    hours = sum(stretch.hours for stretch in stretches)
    drop = sum(stretch.drop for stretch in stretches)
    if hours < MIN_EVIDENCE_HOURS:
        return NoForecast("too little discharge")
    weights = [stretch.hours * 0.5 ** ((now - stretch.end) / HALF_LIFE) for stretch in stretches]
    rate = _weighted_median([stretch.rate for stretch in stretches], weights)
    if rate < MIN_RATE:
        return NoForecast("not draining")
    if drop < MIN_EVIDENCE_DROP:
        return NoForecast("too little discharge")
    spread = _weighted_median([abs(stretch.rate - rate) / rate for stretch in stretches], weights)
    to_alert = max(0.0, (last_level - alert_level) / rate)
    return Forecast(
        rate_per_hour=rate,
        level=last_level,
        read_at=last_at,
        reaches_alert_at=last_at + timedelta(hours=to_alert),
        empty_at=last_at + timedelta(hours=last_level / rate),
        confident=hours >= CONFIDENT_HOURS and spread <= CONFIDENT_SPREAD,
        evidence_hours=hours,
    )


def _stretches(levelled: list[tuple[datetime, int, str | None]]) -> list[_Stretch]:
    """Cut the history at every charge and every long gap; keep the pieces that span time and drop."""
    pieces: list[list[tuple[datetime, int]]] = []
    current: list[tuple[datetime, int]] = []
    previous: tuple[datetime, int, str | None] | None = None
    for read_at, level, status in levelled:
        if previous is not None and _breaks(previous, (read_at, level, status)):
            pieces.append(current)
            current = []
        current.append((read_at, level))
        previous = (read_at, level, status)
    pieces.append(current)
    found = []
    for piece in map(_off_the_charger, pieces):
        if len(piece) < 2 or piece[-1][0] == piece[0][0]:
            continue
        drop = max(0, piece[0][1] - piece[-1][1])
        found.append(_Stretch(piece[0][0], piece[-1][0], max(0.0, _theil_sen(piece)), drop))
    return found


def _off_the_charger(piece: list[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    """A full device left on its charger reads 100 for hours: its discharge starts at the last of those."""
    full = 0
    while full + 1 < len(piece) and piece[full][1] == 100 and piece[full + 1][1] == 100:
        full += 1
    return piece[full:]


def _breaks(before: tuple[datetime, int, str | None], after: tuple[datetime, int, str | None]) -> bool:
    if after[0] - before[0] > MAX_GAP or after[1] - before[1] >= CHARGE_RISE:
        return True
    rank_before = STATUS_RANK.get((before[2] or "").strip().lower())
    rank_after = STATUS_RANK.get((after[2] or "").strip().lower())
    return rank_before is not None and rank_after is not None and rank_after > rank_before


def _theil_sen(piece: list[tuple[datetime, int]]) -> float:
    """The median of the pairwise drain rates (points per hour): one wild reading cannot move it far."""
    slopes = [
        (first[1] - second[1]) / ((second[0] - first[0]).total_seconds() / 3600)
        for index, first in enumerate(piece) for second in piece[index + 1:]
        if second[0] > first[0]
    ]
    return median(slopes)


def _weighted_median(values: list[float], weights: list[float]) -> float:
    pairs = sorted(zip(values, weights, strict=True))
    half = sum(weights) / 2
    running = 0.0
    for value, weight in pairs:
        running += weight
        if running >= half:
            return value
    return pairs[-1][0]
