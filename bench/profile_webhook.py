"""Where a webhook's time goes: py-spy samples the production gunicorn while the generator saturates it.

Writes bench/results/webhook_profile.txt (collapsed stacks) and prints the heaviest frames, inclusive.

    .venv/bin/python -m bench.profile_webhook [--platform fitbit|google] [--seconds 10]
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import threading
import uuid
from pathlib import Path

from bench.common import RESULTS, ROOT, fresh_database, processes, production_env
from bench.loadgen import run_load_in_subprocess
from bench.webhook_ingest import fitbit_pushes, google_pushes

PY_SPY = str(ROOT / ".venv" / "bin" / "py-spy")


def heaviest(collapsed: Path, top: int = 25) -> list[tuple[str, float]]:
    """Inclusive share of samples per frame (function + file), counting a frame once per stack."""
    totals: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        weight = int(count)
        frames = stack.split(";")
        # Only request-handling threads: skip gunicorn's idle poll / accept loops.
        if not any("handle_request" in frame for frame in frames):
            continue
        samples += weight
        for frame in set(frame.split(" (")[0] + " (" + frame.split(" (")[1].split(":")[0] + ")" if " (" in frame else frame
                         for frame in frames):
            totals[frame] += weight
    return [(frame, round(100 * count / samples, 1)) for frame, count in totals.most_common(top)] if samples else []


def requests_for_warmup(platform: str):
    return (fitbit_pushes if platform == "fitbit" else google_pushes)(50, "warm")


def main(platform: str = "fitbit", seconds: float = 10, extra_env: dict | None = None, label: str = "",
         gil: bool = False) -> list:
    env = production_env(**(extra_env or {}))
    fresh_database(env)
    output = RESULTS / f"webhook_profile{label}.txt"
    with processes() as started:
        master, url = started.gunicorn("wsgi:app", env)
        # The master listens before its workers have imported the app: let them finish.
        run_load_in_subprocess(url, requests_for_warmup(platform), connections=4, seconds=2, warmup=0)
        requests = (fitbit_pushes if platform == "fitbit" else google_pushes)(3000, uuid.uuid4().hex[:6])
        recorder = subprocess.Popen([PY_SPY, "record", "--pid", str(master.pid), "--subprocesses", "--format", "raw",
                                     "--rate", "200", "--duration", str(int(seconds)), "--output", str(output),
                                     *(["--gil"] if gil else [])],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load = threading.Thread(target=run_load_in_subprocess, args=(url, requests),
                                kwargs={"connections": 32, "seconds": seconds + 2, "warmup": 0})
        load.start()
        recorder.wait(timeout=seconds + 60)
        load.join()
    return heaviest(output)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="fitbit")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--gil", action="store_true",
                        help="sample only the thread holding the GIL: where the CPU goes, not where threads wait")
    options = parser.parse_args()
    for frame, share in main(options.platform, options.seconds, gil=options.gil):
        print(f"{share:5.1f}%  {frame}")
