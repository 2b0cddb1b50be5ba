"""Counters and histograms every process adds to, kept in Redis, and platform calls by the minute for /admin.

Why Redis and not prometheus-client's multiprocess mode: its files live on one machine, while `/metrics` is
answered by whichever web dyno the router picks and worker dynos serve no HTTP at all; and RQ forks a work horse
per job, each of which would leave a file of its own behind. Redis is shared by every dyno already, and each count
is one command on the process's own bounded pool (no new connection), or for the webhook one pipeline a second
(PendingCounts). prometheus-client only writes the text format. Labels take a few fixed values each (platform,
kind, status, outcome): never a user id or a number.
"""

from __future__ import annotations

import atexit
import bisect
import functools
import json
import logging
import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import choose_encoder
from redis import Redis
from redis.client import Pipeline
from redis.exceptions import RedisError

from app.extensions import queues

log = logging.getLogger(__name__)

COUNTERS = {
    "battery_pushes": ("Platform pushes answered, by outcome (accepted 204, refused 4xx, failed 5xx)",
                       ("platform", "outcome")),
    "battery_syncs": ("Sync jobs finished, by outcome", ("platform", "outcome")),
    "battery_device_reads": ("Successful reads of a user's devices from the platform", ("platform",)),
    "battery_platform_errors": ("Platform calls that ended in an error, by kind", ("platform", "kind")),
    "battery_texts": ("Texts entering each status (queued when written), by kind", ("kind", "status")),
}
HISTOGRAMS = {
    "battery_webhook_seconds": ("Time to answer a platform push", ("platform",),
                                (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)),
    "battery_push_to_text_seconds": ("From the user's latest push to a low or empty text handed to Vonage",
                                     ("kind",), (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)),
}
COUNTS_KEY = "metrics:counters"
HISTOGRAMS_KEY = "metrics:histograms"

# Platform calls by outcome, per minute, for the operator page's last hour.
CALL_OUTCOMES = ("2xx", "401", "403", "429", "5xx", "timeout", "unreachable", "other")
CALLS_KEY = "metrics:platform-calls:{minute}"
CALLS_KEPT_SECONDS = 2 * 3600


def _field(name: str, labels: dict[str, str], names: tuple[str, ...]) -> str:
    if set(labels) != set(names):
        raise ValueError(f"{name} takes the labels {names}, not {tuple(labels)}")
    return _stored_field(name, tuple(str(labels[label]) for label in names))


@functools.lru_cache(maxsize=1024)
def _stored_field(name: str, values: tuple[str, ...]) -> str:
    # Labels take a few fixed values each, so the few fields are encoded once, not on every push.
    return json.dumps([name, list(values)])


def count(name: str, amount: int = 1, redis: Redis | Pipeline | PendingCounts | None = None, **labels: str) -> None:
    """Add to a counter; a Redis outage loses the count, never the work being counted."""
    field = _field(name, labels, COUNTERS[name][1])
    try:
        (redis or queues.redis).hincrby(COUNTS_KEY, field, amount)
    except RedisError as error:
        log.debug("metric %s not counted (%s)", name, type(error).__name__)


def observe(name: str, seconds: float, redis: Redis | Pipeline | PendingCounts | None = None,
            **labels: str) -> None:
    """Put one observation in its histogram bucket and add it to the sum."""
    _, names, buckets = HISTOGRAMS[name]
    field = _field(name, labels, names)
    bucket = bisect.bisect_left(buckets, seconds)
    with recording(redis) as pipeline:
        pipeline.hincrby(HISTOGRAMS_KEY, f"{field}:{bucket}", 1)
        pipeline.hincrbyfloat(HISTOGRAMS_KEY, f"{field}:sum", max(0.0, seconds))


class PendingCounts:
    """Counts added up in this process and sent to Redis in one round trip at most once a second.

    For the webhook, whose answers are bound by Redis round trips: one more per push for its counts took a
    quarter of a request thread's time at saturation (docs/benchmarks.md, "Profile"). Pass it where a count
    takes `redis=`. A scrape sends its own process's first; the others' arrive within a second. A process
    killed outright loses at most that second's counts, as a Redis outage loses counts.
    """

    def __init__(self, every_seconds: float = 1.0):
        self.every_seconds = every_seconds
        self.lock = threading.Lock()
        self.whole: Counter[tuple[str, str]] = Counter()
        self.fractional: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.redis: Redis | None = None
        self.sender_pid: int | None = None

    def to(self, redis: Redis) -> PendingCounts:
        self.redis = redis
        if self.sender_pid != os.getpid():  # gunicorn forks workers after import: one sender in each
            self.sender_pid = os.getpid()
            threading.Thread(target=self._send_every_second, name="metrics-sender", daemon=True).start()
        return self

    def hincrby(self, key: str, field: str, amount: int = 1) -> None:
        with self.lock:
            self.whole[key, field] += amount

    def hincrbyfloat(self, key: str, field: str, amount: float) -> None:
        with self.lock:
            self.fractional[key, field] += amount

    def send(self) -> None:
        with self.lock:
            whole, fractional, self.whole, self.fractional = self.whole, self.fractional, Counter(), defaultdict(float)
        if self.redis is None or not (whole or fractional):
            return
        with recording(self.redis) as pipeline:
            for (key, field), amount in whole.items():
                pipeline.hincrby(key, field, amount)
            for (key, field), fraction in fractional.items():
                pipeline.hincrbyfloat(key, field, fraction)

    def _send_every_second(self) -> None:
        while True:
            time.sleep(self.every_seconds)
            self.send()


pending = PendingCounts()
atexit.register(pending.send)


@contextmanager
def recording(redis: Redis | Pipeline | PendingCounts | None = None) -> Iterator[Pipeline | PendingCounts]:
    """Several counts sent in one round trip (inside another recording, or into pending counts, they join it)."""
    if isinstance(redis, Pipeline | PendingCounts):
        yield redis
        return
    try:
        with (redis or queues.redis).pipeline(transaction=False) as pipeline:
            yield pipeline
            pipeline.execute()
    except RedisError as error:
        log.debug("metrics not recorded (%s)", type(error).__name__)


def call_outcome(status: int | None, transport_error: str | None = None) -> str:
    """A platform answer as the operator page groups it: 2xx, 401, 403, 429, 5xx, timeout, unreachable, other."""
    if status is None:
        return "timeout" if transport_error and "Timeout" in transport_error else "unreachable"
    if 200 <= status < 300:
        return "2xx"
    if status >= 500:
        return "5xx"
    return str(status) if str(status) in CALL_OUTCOMES else "other"


def platform_call(platform: str, outcome: str, now: float | None = None) -> None:
    """Count one platform call in this minute's tally (kept two hours)."""
    key = CALLS_KEY.format(minute=int((now or time.time()) // 60))
    try:
        with queues.redis.pipeline(transaction=False) as pipeline:
            pipeline.hincrby(key, f"{platform}:{outcome}", 1)
            pipeline.expire(key, CALLS_KEPT_SECONDS)
            pipeline.execute()
    except RedisError as error:
        log.debug("platform call not counted (%s)", type(error).__name__)


def platform_calls_last_hour(now: float | None = None) -> dict[str, dict[str, int]]:
    """Platform calls of the last 60 minutes (this one included): {platform: {outcome: count}}."""
    minute = int((now or time.time()) // 60)
    with queues.redis.pipeline(transaction=False) as pipeline:
        for past in range(60):
            pipeline.hgetall(CALLS_KEY.format(minute=minute - past))
        tallies = pipeline.execute()
    calls: dict[str, dict[str, int]] = {}
    for tally in tallies:
        for field, value in tally.items():
            platform, _, outcome = field.decode().partition(":")
            outcome_counts = calls.setdefault(platform, dict.fromkeys(CALL_OUTCOMES, 0))
            outcome_counts[outcome] = outcome_counts.get(outcome, 0) + int(value)
    return calls


class StoredMetrics:
    """A prometheus-client collector that reads the counts every process stored in Redis."""

    def __init__(self, redis: Redis):
        self.redis = redis

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        counts = self.redis.hgetall(COUNTS_KEY)
        for name, (documentation, names) in COUNTERS.items():
            family = CounterMetricFamily(name, documentation, labels=names)
            for field, value in sorted(counts.items()):
                stored_name, values = json.loads(field)
                if stored_name == name:
                    family.add_metric(values, int(value))
            yield family
        stored = cast(dict[bytes, bytes], self.redis.hgetall(HISTOGRAMS_KEY))  # our Redis client answers bytes
        for name, (documentation, names, buckets) in HISTOGRAMS.items():
            histogram = HistogramMetricFamily(name, documentation, labels=names)
            for values, (counts_by_bucket, total) in sorted(_histogram_series(stored, name).items()):
                cumulative: list[tuple[str, float]] = []
                running = 0
                for index, bound in enumerate((*buckets, float("inf"))):
                    running += counts_by_bucket.get(index, 0)
                    cumulative.append(("+Inf" if bound == float("inf") else str(bound), running))
                histogram.add_metric(list(values), cumulative, total)
            yield histogram


def _histogram_series(stored: dict[bytes, bytes], name: str) -> dict[tuple[str, ...], tuple[dict[int, int], float]]:
    series: dict[tuple[str, ...], tuple[dict[int, int], float]] = {}
    for raw_field, raw_value in stored.items():
        field, _, part = raw_field.decode().rpartition(":")
        stored_name, values = json.loads(field)
        if stored_name != name:
            continue
        buckets, total = series.get(tuple(values), ({}, 0.0))
        if part == "sum":
            total = float(raw_value)
        else:
            buckets[int(part)] = int(raw_value)
        series[tuple(values)] = (buckets, total)
    return series


def exposition(accept: str | None) -> tuple[bytes, str]:
    """Every stored metric, in the format the scraper's Accept header asks for (Prometheus text, or OpenMetrics),
    and its content type."""
    pending.send()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoredMetrics(queues.redis))
    encode, content_type = choose_encoder(accept or "")  # prometheus-client reads None as ""
    return encode(registry), content_type
