"""Discharge stretches: a device's readings cut at every charge and long gap, each with its robust drain rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from app.rules.devices import known_level

# A rise of this many points (or a status that goes up where no level says) is a charge; smaller rises are noise.
CHARGE_RISE = 5
# Readings further apart than this are not one stretch: the device may have been charged and drained between.
MAX_GAP = timedelta(hours=12)
MAX_POINTS = 40
STATUS_RANK = {"empty": 0, "low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True)
class Reading:
    read_at: datetime
    level: int | None
    status: str | None = None


@dataclass(frozen=True)
class Stretch:
    """A run of readings between charges: the device discharging, seen at `points`."""

    start: datetime
    end: datetime
    rate: float
    drop: int
    points: tuple[tuple[datetime, int], ...]

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def stretches(ordered: list[Reading]) -> list[Stretch]:
    """Cut the history at every charge and every long gap; keep the pieces that span time and drop.

    A known level decides a charge (a rise of CHARGE_RISE points: smaller rises are the gauge's noise, and
    cutting at them would start stretches on high readings and end them on low ones); a status stands in
    only for a reading without a level ("Low", then "High" with no level: charged in between).
    """
    pieces: list[list[tuple[datetime, int]]] = [[]]
    previous_level: tuple[datetime, int] | None = None
    previous_status: int | None = None
    for reading in _without_spikes(ordered):
        level = known_level(reading.level)
        status = STATUS_RANK.get((reading.status or "").strip().lower())
        if level is None:
            if status is not None and previous_status is not None and status > previous_status:
                pieces.append([])
            previous_status = status if status is not None else previous_status
            continue
        if previous_level is not None and (reading.read_at - previous_level[0] > MAX_GAP
                                           or level - previous_level[1] >= CHARGE_RISE):
            pieces.append([])
        pieces[-1].append((reading.read_at, level))
        previous_level, previous_status = (reading.read_at, level), status
    found = []
    for piece in map(_off_the_charger, pieces):
        if len(piece) < 2 or piece[-1][0] == piece[0][0]:
            continue
        drop = max(0, piece[0][1] - piece[-1][1])
        found.append(Stretch(piece[0][0], piece[-1][0], max(0.0, _theil_sen(piece)), drop, tuple(piece)))
    return found


def _without_spikes(ordered: list[Reading]) -> list[Reading]:
    """Leave out a lone wild reading: one CHARGE_RISE points off both neighbours, which agree with each other.

    Kept, a dip would end a stretch on a low reading and a jump would start one on a high reading, both
    making the drain look faster than it is. A charge is no spike: the level stays up after it.
    """
    levelled = [(reading, level) for reading in ordered if (level := known_level(reading.level)) is not None]
    spikes = {
        id(middle)
        for (_, before), (middle, level), (_, after) in zip(levelled, levelled[1:], levelled[2:], strict=False)
        if abs(after - before) < CHARGE_RISE
        and min(abs(level - before), abs(level - after)) >= CHARGE_RISE
        and (level - before) * (level - after) > 0
    }
    return [reading for reading in ordered if id(reading) not in spikes]


def _off_the_charger(piece: list[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    """A full device left on its charger reads 100 for hours: its discharge starts at the last of those."""
    full = 0
    while full + 1 < len(piece) and piece[full][1] == 100 and piece[full + 1][1] == 100:
        full += 1
    return piece[full:]


def _theil_sen(piece: list[tuple[datetime, int]]) -> float:
    """The median of the pairwise drain rates (points per hour): one wild reading cannot move it far.

    A stretch of many readings (syncs every few minutes) is thinned to MAX_POINTS spread evenly, ends kept,
    so every sync pays at most MAX_POINTS² / 2 pairs per stretch.
    """
    if len(piece) > MAX_POINTS:
        step = (len(piece) - 1) / (MAX_POINTS - 1)
        piece = [piece[round(index * step)] for index in range(MAX_POINTS)]
    slopes = [
        (first[1] - second[1]) / ((second[0] - first[0]).total_seconds() / 3600)
        for index, first in enumerate(piece) for second in piece[index + 1:]
        if second[0] > first[0]
    ]
    return median(slopes)
