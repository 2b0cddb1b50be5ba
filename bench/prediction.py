"""Backtest of the drain model (app/rules/drain.py) and the evening reminder's rule on generated battery traces.

    .venv/bin/python -m bench.prediction                 # 2,000 devices x 3 weeks (1 warm-up, 2 scored), seed 19
    .venv/bin/python -m bench.prediction --devices 500 --seed 20   # a quarter of it, another draw

No database, no Redis: the generator simulates each device's true level every 5 minutes (varied drain
rates, daily activity, lighter nights, charging habits, sync patterns, gaps of days, gauge noise), the
model sees only the readings a sync would have stored, and the scores compare its answers with the truth.
Writes bench/results/prediction.json and prints the tables docs/prediction.md reports.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from statistics import median

from app.rules.alerts import AlertSettings, DeviceReading
from app.rules.drain import Forecast, Reading, forecast
from app.rules.reminders import Candidate, decide_reminder
from bench.common import RESULTS

START = datetime(2026, 6, 1, tzinfo=UTC)
STEP = timedelta(minutes=5)
DAYS = 21
SCORED_FROM = 7  # days 0-6 warm the history up; days 7-20 are scored: two device-weeks per device
EVENING_HOUR = 20
HORIZONS = (6, 12, 24)
SILENT_AFTER = timedelta(hours=24)  # SILENCE_HOURS: the silence text goes out instead
OPEN_GATES = AlertSettings(phone_verified=True, connected=True, time_zone="UTC")
REMIND_AT = dt_time(EVENING_HOUR, 0)
HABITS = ("nightly", "when low", "every few days", "at random")
SYNCS = ("every 15-60 min", "every 1-8 h")


@dataclass
class Device:
    rate: float
    habit: str
    sync: str
    alert: int
    noise: float
    status_only: bool
    every_n_days: int
    rng: random.Random
    levels: list[float] = field(default_factory=list)  # the truth, every STEP
    charging: list[bool] = field(default_factory=list)
    drain: list[float] = field(default_factory=list)  # the discharge rate at each step, %/h
    readings: list[Reading] = field(default_factory=list)


def make_device(rng: random.Random) -> Device:
    return Device(
        rate=math.exp(rng.uniform(math.log(0.5), math.log(10))),
        habit=rng.choice(HABITS),
        sync=rng.choice(SYNCS),
        alert=rng.choice((15, 20, 20, 20, 25, 30)),
        noise=rng.choice((0.0, 0.5, 1.5)),
        status_only=rng.random() < 0.04,
        every_n_days=rng.randint(2, 6),
        rng=rng,
    )


def simulate(device: Device) -> None:
    """The true level every 5 minutes, and the readings the syncs would have stored."""
    rng = device.rng
    steps = DAYS * 24 * 12
    day_activity = [rng.lognormvariate(0, 0.15) for _ in range(DAYS + 2)]
    level, charging_until, plug_at, low_mark = rng.uniform(40, 100), None, None, rng.uniform(5, 30)
    next_sync, gap_until = 0.0, -1.0
    for index in range(steps):
        moment = START + index * STEP
        hour = index / 12
        clock = moment.hour + moment.minute / 60
        night = clock >= 23 or clock < 7
        rate = device.rate * day_activity[int(hour // 24)] * (0.55 if night else 1.2)
        if charging_until is None and plug_at is None:
            plug_at = _plug_decision(device, level, clock, hour, low_mark)
        if plug_at is not None and hour >= plug_at:
            charging_until, plug_at = _charge_ends(device, hour, clock), None
            low_mark = rng.uniform(5, 30)
        charging = charging_until is not None and hour < charging_until  # on the charger, full or not
        if charging_until is not None and hour >= charging_until:
            charging_until = None
        level = min(100.0, level + 60 / 12) if charging else max(0.0, level - rate / 12)
        device.levels.append(level)
        device.charging.append(charging)
        device.drain.append(rate)
        if rng.random() < 0.03 / (24 * 12):  # about once a month a gap of one to three days
            gap_until = hour + rng.uniform(24, 72)
        if hour >= next_sync and hour >= gap_until and level > 0:
            device.readings.append(_reading(device, moment, level))
            every = rng.uniform(0.25, 1) if device.sync == SYNCS[0] else rng.uniform(1, 8)
            next_sync = hour + every


def _plug_decision(device: Device, level: float, clock: float, hour: float, low_mark: float) -> float | None:
    rng = device.rng
    if device.habit == "nightly" and 21 <= clock < 21 + 1 / 12 and rng.random() < 0.85:
        return hour + rng.uniform(0, 2.5)
    if device.habit == "when low" and level <= low_mark:
        return hour + rng.uniform(0, 4)
    if device.habit == "every few days" and int(hour // 24) % device.every_n_days == 0 and 8 <= clock < 8 + 1 / 12:
        return hour + rng.uniform(0, 12)
    if device.habit == "at random" and rng.random() < 1 / (36 * 12):
        return hour
    return None


def _charge_ends(device: Device, hour: float, clock: float) -> float:
    if device.habit == "nightly":
        return hour + ((7 - clock) % 24) + device.rng.uniform(-0.5, 0.5)  # off the charger in the morning
    return hour + device.rng.uniform(0.5, 2.5)  # possibly a partial charge


def _reading(device: Device, moment: datetime, level: float) -> Reading:
    shown = round(level + device.rng.gauss(0, device.noise)) if device.noise else round(level)
    if device.rng.random() < 0.005:
        shown += device.rng.choice((-10, 10))  # a wild reading now and then
    shown = max(0, min(100, shown))
    status = "Empty" if shown < 10 else "Low" if shown < 25 else "Medium" if shown <= 60 else "High"
    return Reading(moment, None if device.status_only else shown, status)


def known_at(device: Device, moment: datetime) -> list[Reading]:
    """What the database holds at `moment`: the readings up to then (two weeks at most, as the model reads)."""
    return [reading for reading in device.readings if reading.read_at <= moment]


def time_to_alert_errors(device: Device) -> dict[int, list[tuple[float, bool]]]:
    """At 6, 12 and 24 hours before each true crossing of the alert level (no charge in between), the error of
    the predicted crossing in hours, and whether the forecast was confident."""
    found: dict[int, list[tuple[float, bool]]] = {h: [] for h in HORIZONS}
    for index in range(SCORED_FROM * 24 * 12, len(device.levels)):
        if not (device.levels[index - 1] > device.alert >= device.levels[index]) or device.charging[index]:
            continue
        crossing = START + index * STEP
        for horizon in HORIZONS:
            start = index - horizon * 12
            if start < 0 or any(device.charging[start:index]):
                continue
            moment = START + start * STEP
            result = forecast(known_at(device, moment), device.alert, moment)
            if isinstance(result, Forecast):
                found[horizon].append(((result.reaches_alert_at - crossing) / timedelta(hours=1), result.confident))
            else:
                found[horizon].append((math.nan, False))
    return found


def evenings(device: Device) -> list[dict]:
    """Each scored evening at 20:00: did the rule remind, and would the device, left uncharged, have reached
    its alert level (and 0 %) before 20:00 the next day? Evenings in an open low episode are left out."""
    found = []
    for day in range(SCORED_FROM, DAYS - 1):
        index = (day * 24 + EVENING_HOUR) * 12
        moment = START + index * STEP
        readings = known_at(device, moment)
        if device.levels[index] <= 0:
            found.append({"left_out": "flat"})  # already dead: it cannot sync, the silence text is its alert
            continue
        if not readings or moment - readings[-1].read_at >= SILENT_AFTER:
            found.append({"left_out": "silent"})  # not synced for a day: it had the silence text instead
            continue
        if _in_low_episode(readings, device.alert):
            continue
        left = device.levels[index] - sum(device.drain[index:index + 24 * 12]) / 12
        result = forecast(readings, device.alert, moment)
        reminded = isinstance(result, Forecast) and _reminded(result, readings[-1], device.alert, moment)
        found.append({"needs": left <= device.alert, "dies": left <= 0, "reminded": reminded,
                      "estimate": isinstance(result, Forecast), "levels": not device.status_only,
                      "why_not": None if isinstance(result, Forecast) else result.reason, "left_out": None})
    return found


def _reminded(result: Forecast, last: Reading, alert: int, moment: datetime) -> bool:
    """The app's own rule (app/rules/reminders.py) on this device alone, every gate open."""
    reading = DeviceReading("device", "TRACKER", "Charge 6", last.status, last.level, last.read_at,
                            threshold_percent=alert)
    candidate = Candidate(reading, result.level, result.reaches_alert_at)
    return decide_reminder([candidate], OPEN_GATES, REMIND_AT, moment, 0) is not None


def _in_low_episode(readings: list[Reading], alert: int) -> bool:
    """As the alert rules keep it: opened at or below the alert level, closed at 10 points above it."""
    in_low = False
    for reading in readings:
        if reading.level is None:
            in_low = in_low if reading.status not in ("Low", "Empty") else True
        elif reading.level <= alert:
            in_low = True
        elif reading.level >= min(alert + 10, 100):
            in_low = False
    return in_low


def run(devices: int, seed: int) -> dict:
    started = time.monotonic()
    errors: dict[int, list[tuple[float, bool]]] = {h: [] for h in HORIZONS}
    nights: list[dict] = []
    for number in range(devices):
        device = make_device(random.Random(seed * 100_003 + number))
        simulate(device)
        for horizon, found in time_to_alert_errors(device).items():
            errors[horizon] += found
        nights += evenings(device)
    return {"devices": devices, "device_weeks": devices * (DAYS - SCORED_FROM) / 7, "seed": seed,
            "seconds": round(time.monotonic() - started, 1), "horizons": _horizon_table(errors),
            "reminder": _reminder_table(nights)}


def _horizon_table(errors: dict[int, list[tuple[float, bool]]]) -> dict:
    table = {}
    for horizon, found in errors.items():
        estimated = [abs(error) for error, _ in found if not math.isnan(error)]
        confident = [abs(error) for error, sure in found if sure]
        table[horizon] = {
            "crossings": len(found), "with_estimate": len(estimated), "confident": len(confident),
            "median_h": _quantile(estimated, 0.5), "p90_h": _quantile(estimated, 0.9),
            "confident_median_h": _quantile(confident, 0.5), "confident_p90_h": _quantile(confident, 0.9),
        }
    return table


def _reminder_table(all_nights: list[dict]) -> dict:
    nights = [night for night in all_nights if not night["left_out"]]
    needed = [night for night in nights if night["needs"]]
    dying = [night for night in nights if night["dies"]]
    sent = [night for night in nights if night["reminded"]]
    levelled = [night for night in needed if night["levels"]]
    return {
        "levelled_needed_and_reminded_pct": _pct(sum(night["reminded"] for night in levelled), len(levelled)),
        "why_no_estimate": {reason: sum(night["why_not"] == reason for night in needed)
                            for reason in {night["why_not"] for night in needed} - {None}},
        "evenings": len(nights), "already_flat": sum(night["left_out"] == "flat" for night in all_nights),
        "silent": sum(night["left_out"] == "silent" for night in all_nights), "needed": len(needed), "reminders": len(sent),
        "needed_and_reminded_pct": _pct(sum(night["reminded"] for night in needed), len(needed)),
        "empty_and_reminded_pct": _pct(sum(night["reminded"] for night in dying), len(dying)),
        "reminders_for_devices_that_lasted_pct": _pct(sum(not night["needs"] for night in sent), len(sent)),
        "needed_without_estimate": sum(not night["estimate"] for night in needed),
    }


def _quantile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2) if share != 0.5 else round(
        median(ordered), 2)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def report(result: dict) -> str:
    lines = [f"{result['devices']} devices, {result['device_weeks']:.0f} scored device-weeks, seed {result['seed']}, "
             f"{result['seconds']} s", "",
             "| ahead | crossings | with an estimate | median error | p90 error | confident | median | p90 |",
             "|---|---|---|---|---|---|---|---|"]
    for horizon, row in result["horizons"].items():
        lines.append(f"| {horizon} h | {row['crossings']} | {row['with_estimate']} | {row['median_h']} h | "
                     f"{row['p90_h']} h | {row['confident']} | {row['confident_median_h']} h | "
                     f"{row['confident_p90_h']} h |")
    reminder = result["reminder"]
    lines += ["", f"Evenings left out: the device already flat {reminder['already_flat']}, not synced for a day "
              f"(it had the silence text) {reminder['silent']}", "",
              "| evenings | needed a reminder | reminders | needed and reminded | reached 0 % and reminded | "
              "reminders for devices that lasted |", "|---|---|---|---|---|---|",
              f"| {reminder['evenings']} | {reminder['needed']} | {reminder['reminders']} | "
              f"{reminder['needed_and_reminded_pct']} % | {reminder['empty_and_reminded_pct']} % | "
              f"{reminder['reminders_for_devices_that_lasted_pct']} % |",
              f"Needed but no estimate: {reminder['needed_without_estimate']} ({reminder['why_no_estimate']}); "
              f"needed and reminded among devices that report a level: "
              f"{reminder['levelled_needed_and_reminded_pct']} %"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=19)
    arguments = parser.parse_args()
    result = run(arguments.devices, arguments.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "prediction.json").write_text(json.dumps(result, indent=2))
    print(report(result))


if __name__ == "__main__":
    main()
