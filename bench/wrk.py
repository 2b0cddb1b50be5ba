"""The C load generator beside bench/loadgen.py: wrk (`apt-get install -y wrk`) sending the same signed requests.

The requests are made (and signed) in Python, written to a file, and wrk_pushes.lua sends them in turn. wrk is a
closed loop only (it has no fixed rate), so it measures saturation; the half-load latencies come from loadgen's
open loop. Being C, it leaves more of the machine's 2 cores to the server than the asyncio generator does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bench.loadgen import Request

SCRIPT = Path(__file__).with_name("wrk_pushes.lua")


def available() -> bool:
    """wrk is on the PATH, installed from Debian's package first on a fresh machine where we may (root, apt)."""
    if shutil.which("wrk") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing wrk (apt-get install -y wrk)", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        if subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet).returncode != 0:
            subprocess.run(["apt-get", "update"], **quiet)
            subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet)
    return shutil.which("wrk") is not None


def run_wrk(url: str, requests: list[Request], *, connections: int = 32, seconds: float = 5, threads: int = 2) -> dict:
    """Saturation with `connections` keep-alive connections over `threads` threads; figures as loadgen's."""
    host = urlsplit(url).netloc
    with tempfile.NamedTemporaryFile(prefix="wrk-requests-", suffix=".bin") as file:
        for request in requests:
            payload = request.encode(host)
            file.write(b"%d\n" % len(payload) + payload)
        file.flush()
        finished = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
             "-s", str(SCRIPT), url, "--", file.name, str(threads)],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        )
    line = next(line for line in finished.stdout.splitlines() if line.startswith("WRK "))
    figures = json.loads(line[4:])
    measured = figures["duration_us"] / 1e6
    errors = sum(figures[name] for name in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {
        "generator": "wrk", "mode": "closed", "connections": connections, "threads": threads, "seconds": round(measured, 2),
        "requests": figures["requests"], "rps": round(figures["requests"] / measured, 1),
        "p50_ms": figures["p50_us"] / 1000, "p90_ms": figures["p90_us"] / 1000, "p99_ms": figures["p99_us"] / 1000,
        "max_ms": figures["max_us"] / 1000, "errors": errors, "not_2xx": figures["status_errors"],
    }
