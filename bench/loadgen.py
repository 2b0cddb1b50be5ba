"""A small HTTP/1.1 keep-alive load generator on asyncio: closed loop (saturation) or open loop (a fixed rate).

Open-loop latency is measured from each request's scheduled send time, so a stalled server
is not hidden by the generator waiting for it (no coordinated omission).
Run it in its own process (`python -m bench.loadgen …` is not needed: bench scripts call `run_load` in a
subprocess through `multiprocessing`), so the benchmark driver does not share its interpreter.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(self.body)}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, payload: bytes) -> int:
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(payload)
                await self.writer.drain()
                head = await self.reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                close = False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    lowered = name.strip().lower()
                    if lowered == b"content-length":
                        length = int(value)
                    elif lowered == b"connection" and value.strip().lower() == b"close":
                        close = True
                if length:
                    await self.reader.readexactly(length)
                if close:
                    self.close()
                return status
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise ConnectionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _closed_loop(url: str, requests: list[Request], connections: int, seconds: float, warmup: float):
    parts = urlsplit(url)
    host = parts.netloc
    payloads = [request.encode(host) for request in requests]
    chooser = itertools.cycle(range(len(payloads)))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    async def client():
        nonlocal errors
        connection = Connection(parts.hostname, parts.port)
        while time.perf_counter() < stop_at:
            payload = payloads[next(chooser)]
            sent = time.perf_counter()
            try:
                status = await connection.send(payload)
            except (OSError, asyncio.IncompleteReadError):
                errors += 1
                await asyncio.sleep(0.01)
                continue
            done = time.perf_counter()
            if sent >= measure_from and done <= stop_at:
                latencies.append(done - sent)
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    return latencies, statuses, errors, seconds


async def _open_loop(url: str, requests: list[Request], rate: float, seconds: float, warmup: float, connections: int):
    parts = urlsplit(url)
    payloads = [request.encode(parts.netloc) for request in requests]
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(Connection(parts.hostname, parts.port))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    start = time.perf_counter() + 0.05
    total = int(rate * (warmup + seconds))
    measured_after = int(rate * warmup)

    async def one(index: int, scheduled: float):
        nonlocal errors
        connection = await idle.get()
        try:
            status = await connection.send(payloads[index % len(payloads)])
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
            return
        finally:
            idle.put_nowait(connection)
        if index >= measured_after:
            latencies.append(time.perf_counter() - scheduled)
            statuses[status] = statuses.get(status, 0) + 1

    tasks = []
    for index in range(total):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(index, scheduled)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    for connection in list(idle._queue):  # noqa: SLF001 - closing what we opened
        connection.close()
    return latencies, statuses, errors, seconds


def summarise(latencies: list[float], statuses: dict[int, int], errors: int, seconds: float) -> dict:
    ordered = sorted(latencies)

    def at(fraction: float) -> float:
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] * 1000

    return {
        "requests": len(ordered),
        "rps": round(len(ordered) / seconds, 1),
        "p50_ms": round(at(0.50), 2),
        "p90_ms": round(at(0.90), 2),
        "p99_ms": round(at(0.99), 2),
        "max_ms": round(at(1.0), 2),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "errors": errors,
    }


def run_load(url: str, requests: list[Request], *, connections: int = 32, seconds: float = 10, warmup: float = 2,
             rate: float | None = None) -> dict:
    """Closed loop with `connections` clients when rate is None (saturation), else open loop at `rate` per second."""
    if rate is None:
        result = asyncio.run(_closed_loop(url, requests, connections, seconds, warmup))
    else:
        result = asyncio.run(_open_loop(url, requests, rate, seconds, warmup, connections))
    summary = summarise(*result)
    summary.update({"mode": "closed" if rate is None else "open", "connections": connections,
                    "target_rps": rate, "seconds": seconds})
    return summary


def run_load_in_subprocess(url: str, requests: list[Request], **options) -> dict:
    """The generator in its own interpreter, so it neither shares a GIL with the driver nor inherits its threads."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(run_load, (url, requests), options)
