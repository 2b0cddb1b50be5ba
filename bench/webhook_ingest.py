"""Benchmark 1: webhook ingest under the production configuration, against a bare 204 Flask app, in one run.

Both apps run under `gunicorn … --config gunicorn.conf.py` (WEB_CONCURRENCY=2 workers × 8 threads by
default) with APP_ENV=production, PostgreSQL (bench) and Redis (BENCH_REDIS_URL). The generators send signed
Fitbit pushes (one notification each, X-Fitbit-Signature) and Google Health pushes (Authorization secret), with
X-Forwarded-Proto: https as the platform's router adds (production sends http to https otherwise). Two cases:

- new: every push is its owner's first, so each starts a burst and must get a sync queued (the claim stores the
  sync job); the owners are fresh for every measurement of ours and never repeat within one;
- repeat: a pool of owners whose syncs are already waiting (claimed before the measurement), so every push only
  marks its owner dirty.

Each round measures both apps back to back, in alternating order, so that the shared machine's drift hits both
alike: saturation with the asyncio generator (bench/loadgen.py) and with wrk (bench/wrk.py, C), then half load
(loadgen's open loop at half the bare app's saturation of that round, the same rate for both). Ratios are taken
within a round; the medians over rounds are the figures.

    .venv/bin/python -m bench.webhook_ingest [--seconds 5] [--rounds 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import uuid
from pathlib import Path

import redis

from app.web.webhooks.platforms import fitbit_signature
from bench import wrk
from bench.common import (
    BENCH_REDIS_URL,
    FITBIT_CLIENT_SECRET,
    GOOGLE_WEBHOOK_SECRET,
    fresh_database,
    machine,
    processes,
    production_env,
    save,
)
from bench.loadgen import Request, run_load_in_subprocess


def fitbit_pushes(owners: int, run: str) -> list[Request]:
    pushes = []
    for index in range(owners):
        body = json.dumps([{"collectionType": "activities", "date": "2026-11-20", "ownerId": f"F{run}{index:05d}",
                            "ownerType": "user", "subscriptionId": f"{index}-activities"}]).encode()
        pushes.append(Request("POST", "/webhooks/fitbit", (
            ("Content-Type", "application/json"), ("X-Forwarded-Proto", "https"), ("X-Fitbit-Signature", fitbit_signature(body, FITBIT_CLIENT_SECRET)),
        ), body))
    return pushes


def google_pushes(owners: int, run: str) -> list[Request]:
    pushes = []
    for index in range(owners):
        body = json.dumps({"data": {"version": "1", "clientProvidedSubscriptionName": "bench",
                                    "healthUserId": f"G{run}{index:05d}", "operation": "UPSERT", "dataType": "steps",
                                    "intervals": [{"startTime": "2026-11-20T10:00:00Z", "endTime": "2026-11-20T10:15:00Z"}]}}).encode()
        pushes.append(Request("POST", "/webhooks/google-health", (
            ("Content-Type", "application/json"), ("X-Forwarded-Proto", "https"), ("Authorization", GOOGLE_WEBHOOK_SECRET),
        ), body))
    return pushes


PUSHES = {"fitbit": fitbit_pushes, "google": google_pushes}
REPEAT_OWNERS = 500


def push_pool(platform: str, case: str, seconds: float, run: str) -> list[Request]:
    """Enough fresh owners for a whole measurement (new), or the small pool already claimed (repeat)."""
    if case == "repeat":
        return PUSHES[platform](REPEAT_OWNERS, run)
    return PUSHES[platform](int(NEW_OWNERS_PER_SECOND * (seconds + 2)), run)


# More than either app answers per second on 2 cores, so that no owner of a "new" measurement pushes twice.
NEW_OWNERS_PER_SECOND = 6000


def half_load(url: str, requests: list[Request], rate: float, seconds: float, connections: int) -> dict:
    return run_load_in_subprocess(url, requests, rate=rate, connections=connections, seconds=seconds, warmup=1)


def cpu_seconds(master_pid: int) -> float:
    """User + system CPU of a gunicorn master's workers so far (from /proc): what serving cost, whatever else ran."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = (Path("/proc") / entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # the parent's pid: a worker of this master
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def syncs_queued(store: redis.Redis, platform: str, run: str) -> int:
    """Queued flags of this pool's owners: one per owner whose push queued a sync."""
    return sum(1 for _ in store.scan_iter(f"sync:queued:{platform}:{platform[0].upper()}{run}*", count=1000))


def one_round(urls: dict[str, tuple[int, str]], platform: str, case: str, number: int, options: dict, store: redis.Redis) -> dict:
    """Both apps, in this round's order (bare first in even rounds): saturation, then half load at one rate."""
    order = ("bare", "ours") if number % 2 == 0 else ("ours", "bare")
    seconds, connections = options["seconds"], options["connections"]
    runs = {app: f"{app[0]}{number}{uuid.uuid4().hex[:5]}" for app in order}
    # The bare app needs no fresh owners; ours gets a pool per measurement in the "new" case.
    bare = push_pool(platform, case, seconds, runs["bare"])
    pools = {"bare": dict.fromkeys(("asyncio", "wrk", "half"), bare)}
    if case == "repeat":  # every owner's sync is waiting before the clock starts
        repeat = push_pool(platform, case, seconds, runs["ours"])
        pools["ours"] = dict.fromkeys(("asyncio", "wrk", "half"), repeat)
        run_load_in_subprocess(urls["ours"][1], repeat, connections=8, seconds=1, warmup=0)
    else:
        pools["ours"] = {use: push_pool(platform, case, seconds, runs["ours"] + use[0]) for use in ("asyncio", "wrk", "half")}
    figures: dict = {"order": list(order), **{app: {"saturation": {}} for app in order}}
    queued_before = syncs_queued(store, platform, runs["ours"])
    # Pair by pair, so that the machine's drift hits both apps alike: asyncio bare and ours, then wrk.
    for generator in ("asyncio", "wrk") if wrk.available() else ("asyncio",):
        for app in order:
            pool, (master, url) = pools[app][generator], urls[app]
            used = cpu_seconds(master)
            figure = figures[app]["saturation"][generator] = (
                run_load_in_subprocess(url, pool, connections=connections, seconds=seconds, warmup=1)
                if generator == "asyncio" else wrk.run_wrk(url, pool, connections=connections, seconds=seconds))
            # Per request answered, the warm-up's included (about one second's worth at the same rate).
            served = figure["requests"] * (1 + (1 / seconds if generator == "asyncio" else 0))
            figure["worker_cpu_us_per_request"] = round((cpu_seconds(master) - used) / max(1, served) * 1e6)
    answered = sum(result["requests"] for result in figures["ours"]["saturation"].values())
    # new: 1 or a little over (the asyncio warm-up's pushes queue syncs too, uncounted); repeat: 0
    figures["ours_syncs_queued_per_push_measured"] = round(
        (syncs_queued(store, platform, runs["ours"]) - queued_before) / max(1, answered), 3)
    rate = max(1.0, figures["bare"]["saturation"]["asyncio"]["rps"] / 2)
    figures["half_load_rate"] = rate
    for app in order:
        figures[app]["half_load"] = half_load(urls[app][1], pools[app]["half"], rate, seconds, connections)
    ours, bare = figures["ours"], figures["bare"]
    figures["ratios"] = {
        **{f"rps_{generator}": round(ours["saturation"][generator]["rps"] / bare["saturation"][generator]["rps"], 3)
           for generator in ours["saturation"]},
        # Bare's CPU per request over ours: the req/s ratio to expect when CPU is all that limits both.
        **{f"cpu_bare_over_ours_{generator}": round(bare["saturation"][generator]["worker_cpu_us_per_request"]
                                                     / ours["saturation"][generator]["worker_cpu_us_per_request"], 3)
           for generator in ours["saturation"]},
        "p99_half_load": round(ours["half_load"]["p99_ms"] / bare["half_load"]["p99_ms"], 2),
        "p50_half_load": round(ours["half_load"]["p50_ms"] / bare["half_load"]["p50_ms"], 2),
    }
    return figures


def summary(rounds: list[dict]) -> dict:
    """Per ratio: the median over rounds, and the lowest and highest (how noisy the machine was)."""
    figures = {}
    for name in rounds[0]["ratios"]:
        values = [one["ratios"][name] for one in rounds]
        figures[name] = {"median": round(statistics.median(values), 3), "min": min(values), "max": max(values)}
    for generator in rounds[0]["bare"]["saturation"]:
        for app in ("bare", "ours"):
            figures[f"{app}_rps_{generator}"] = round(
                statistics.median(one[app]["saturation"][generator]["rps"] for one in rounds), 1)
            figures[f"{app}_cpu_us_per_request_{generator}"] = round(statistics.median(
                one[app]["saturation"][generator]["worker_cpu_us_per_request"] for one in rounds))
    for app in ("bare", "ours"):
        figures[f"{app}_half_load_p99_ms"] = round(statistics.median(one[app]["half_load"]["p99_ms"] for one in rounds), 2)
    figures["half_load_rate"] = round(statistics.median(one["half_load_rate"] for one in rounds), 1)
    figures["ours_syncs_queued_per_push_measured"] = statistics.median(
        one["ours_syncs_queued_per_push_measured"] for one in rounds)
    return figures


def main(seconds: float = 5, connections: int = 32, rounds: int = 3,
         platforms: tuple[str, ...] = ("fitbit", "google"), cases: tuple[str, ...] = ("new", "repeat")) -> dict:
    env = production_env()
    fresh_database(env)
    store = redis.Redis.from_url(BENCH_REDIS_URL)
    options = {"seconds": seconds, "connections": connections}
    result: dict = {"machine": machine(), "seconds": seconds, "connections": connections, "rounds": rounds,
                    "generators": ["asyncio", "wrk"] if wrk.available() else ["asyncio"],
                    "gunicorn": {"workers": env.get("WEB_CONCURRENCY", "2"), "threads": env.get("GUNICORN_THREADS", "8"),
                                 "worker_class": "gthread"}, "cases": {}}
    with processes() as started:
        bare, bare_url = started.gunicorn("bench.bare_app:app", env)
        ours, ours_url = started.gunicorn("wsgi:app", env)
        urls = {"bare": (bare.pid, bare_url), "ours": (ours.pid, ours_url)}
        for _, url in urls.values():  # the masters listen before their workers have imported the apps
            run_load_in_subprocess(url, fitbit_pushes(50, "warm"), connections=4, seconds=2, warmup=0)
        for platform in platforms:
            for case in cases:
                measured = [one_round(urls, platform, case, number, options, store) for number in range(rounds)]
                store.flushdb()
                result["cases"][f"{platform} {case}"] = {"platform": platform, "case": case,
                                                         "median": summary(measured), "rounds": measured}
                save("webhook_ingest", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--platforms", nargs="+", default=["fitbit", "google"], choices=sorted(PUSHES))
    parser.add_argument("--cases", nargs="+", default=["new", "repeat"], choices=["new", "repeat"])
    options = parser.parse_args()
    result = main(options.seconds, options.connections, options.rounds, tuple(options.platforms), tuple(options.cases))
    print(json.dumps({name: case["median"] for name, case in result["cases"].items()}, indent=2))
