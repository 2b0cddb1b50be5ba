"""The one command: run every benchmark in turn and print the figures as the tables in docs/benchmarks.md.

    .venv/bin/python -m bench.run_all            # everything (about 15 minutes on a 2-core machine)
    .venv/bin/python -m bench.run_all --only webhook scale
    .venv/bin/python -m bench.run_all --report   # only re-print the tables from bench/results/*.json

Uses PostgreSQL database `bench` (BENCH_DATABASE_URL; created if missing) and Redis db 15 (BENCH_REDIS_URL) only;
both are wiped.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench.common import RESULTS, ROOT, machine

STEPS = {
    "webhook": lambda: __import__("bench.webhook_ingest", fromlist=["main"]).main(),
    "coalescing": lambda: __import__("bench.pipeline", fromlist=["coalescing"]).coalescing(),
    "scale": lambda: __import__("bench.scale", fromlist=["main"]).main(),
    "latency": lambda: __import__("bench.pipeline", fromlist=["latency"]).latency(),
    "live": lambda: __import__("bench.live_dashboards", fromlist=["main"]).main(),
}


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def report() -> str:
    lines = []
    info = machine()
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "app"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    lines.append(f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}, Python {info['python']}; "
                 f"revision {revision}{' + uncommitted app changes' if dirty else ''}")
    webhook = load("webhook_ingest")
    if webhook:
        lines += ["", f"## 1. Webhook ingest ({webhook['machine']['date']})", "",
                  "| push | app | saturation req/s | sat. p50 ms | sat. p99 ms | half-load req/s | half p50 ms | half p99 ms |",
                  "|---|---|---|---|---|---|---|---|"]
        for platform, case in webhook["cases"].items():
            for name in ("bare", "ours"):
                if name not in case:
                    continue
                sat, half = case[name]["saturation"], case[name]["half_load"]
                lines.append(f"| {platform} | {name} | {sat['rps']} | {sat['p50_ms']} | {sat['p99_ms']} | {half['rps']} | "
                             f"{half['p50_ms']} | {half['p99_ms']} |")
        for platform, case in webhook["cases"].items():
            lines.append(f"\n{platform}: ours/bare req/s = **{case['ratio_rps_ours_over_bare']}**, half-load p50 ratio "
                         f"{case['ratio_p50_ours_over_bare_half']}, p99 ratio {case['ratio_p99_ours_over_bare_half']}"
                         + f"; syncs queued {case['syncs_queued']}")
    coalescing = load("coalescing")
    if coalescing:
        lines += ["", f"## 2. Coalescing ({coalescing['users']} users, {coalescing['workers']} workers; {coalescing['machine']['date']})", "",
                  "| duplicate pushes per sync (M) | syncs | pushes | devices reads | reads per sync | low episodes | low texts | texts per episode |",
                  "|---|---|---|---|---|---|---|---|"]
        for case in coalescing["cases"]:
            lines.append(f"| {case['duplicates']} | {case['syncs']} | {case['pushes_sent']} | {case['devices_reads']} | "
                         f"**{case['reads_per_sync']}** | {case['low_episodes']} | {case['low_texts']} | **{case['texts_per_episode']}** |")
    latency = load("end_to_end")
    if latency:
        lines += ["", f"## 3. End to end (L = {latency['latency_ms']} ms, {latency['rate_per_s']} pushes/s for {latency['seconds']} s, "
                  f"debounce {latency['sync_debounce_s']} s; {latency['machine']['date']})", "",
                  "| workers | texts | p50 s | p99 s | p50 / 2L | p99 / 2L | (p50 − debounce) / 2L | (p99 − debounce) / 2L |",
                  "|---|---|---|---|---|---|---|---|"]
        for case in latency["cases"]:
            lines.append(f"| {case['workers']} | {case['texts']} | {case['p50_s']} | {case['p99_s']} | {case['ratio_p50_to_2L']} | "
                         f"{case['ratio_p99_to_2L']} | {case['ratio_p50_minus_debounce_to_2L']} | {case['ratio_p99_minus_debounce_to_2L']} |")
        lines += ["", "| workers | part | p50 s | p99 s |", "|---|---|---|---|"]
        for case in latency["cases"]:
            for part, value in case["breakdown_p50_s"].items():
                lines.append(f"| {case['workers']} | {part} | {value} | {case['breakdown_p99_s'][part]} |")
    scale = load("scale")
    if scale:
        lines += scale_section(scale)
    live = load("live_dashboards")
    if live:
        lines += ["", f"## 5. With {live['dashboards']} live dashboards ({live['machine']['date']})", "", f"Stream answers: {live['streams']}", "",
                  "| dashboards | saturation req/s | sat. p99 ms | half-load p50 ms | half-load p99 ms |", "|---|---|---|---|---|"]
        for name in ("without_dashboards", "with_dashboards"):
            sat, half = live[name]["saturation"], live[name]["half_load"]
            lines.append(f"| {name.replace('_', ' ')} | {sat['rps']} | {sat['p99_ms']} | {half['p50_ms']} | {half['p99_ms']} |")
        lines.append(f"\nhalf-load p99 with/without = **{live['ratio_p99_half_with_over_without']}**, "
                     f"req/s with/without = {live['ratio_rps_with_over_without']}")
    return "\n".join(lines)


def scale_section(scale: dict) -> list[str]:
    sizes = scale["sizes"]
    load_seconds = f"load {scale['load_seconds']} s" if scale.get("load_seconds") else "data loaded earlier"
    lines = ["", f"## 4. Scale ({scale['users']:,} users, {scale['devices']:,} devices, {scale['days']} days × "
             f"{scale['readings_per_device_per_day']} readings per device per day; {load_seconds}; {scale['machine']['date']})",
             "", "| query | ms (best of 3) | rows | plan |", "|---|---|---|---|"]
    for name, query in scale["queries"].items():
        lines.append(f"| {name} | {query['ms']} | {query['rows']} | {query['plan']} |")
    for name, query in scale.get("product_sweeps", {}).items():
        lines.append(f"| sweep split: `{name}` as shipped ({query.get('users_selected', '?')} users handed out) | "
                     f"{query['ms']} | {query['rows']} | {query['plan']} |")
    fan_out = scale.get("fan_out")
    if fan_out:
        lines += ["", f"Whole sweeps on {fan_out['workers']} real workers (`python worker.py`), each the workers' own scheduled "
                  "sweep, with a full backstop batch due:", "",
                  "| silent users due | handed out (silent / backstop) | batches (silent + backstop) | split s | "
                  "**whole sweep s** | within its minute | silent texts | failed batches | batch s median / max | workers used |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for case in fan_out["cases"]:
            handed = case["handed_out"]
            lines.append(
                f"| {case['silent_users_made_due']:,} | {handed.get('silent_users_handed_out')} / "
                f"{handed.get('backstop_users_handed_out')} | {case['silent_batches']} + {case['backstop_batches']} | "
                f"{case['split_seconds']} | **{case['whole_sweep_seconds']}** | {'yes' if case['within_the_minute'] else 'no'} | "
                f"{case['silent_texts']} | {case['failed_batches']} | {round(case['batch_seconds_median'] or 0, 2)} / "
                f"{case['batch_seconds_max']} | {case['workers_used']} |")
    prunes = scale.get("prunes")
    if prunes:
        lines += ["", "| prune job (real, committed) | rows deleted | seconds |", "|---|---|---|"]
        for name, prune in prunes.items():
            lines.append(f"| {name} | {prune['rows']:,} | **{prune['seconds']}** |")
    lines += ["", "| table | rows | MB | bytes per row |", "|---|---|---|---|"]
    for table, size in sizes["tables"].items():
        lines.append(f"| {table} | {size['rows']:,} | {size['mb']} | {size['bytes_per_row']} |")
    lines.append(f"\nReadings per user per month: {sizes['readings_rows_per_user_per_month']} rows, "
                 f"{sizes['readings_bytes_per_user_per_month']:,} bytes; all tables {sizes['all_bytes_per_user']:,} bytes per user.")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(STEPS))
    parser.add_argument("--report", action="store_true")
    options = parser.parse_args(argv)
    if not options.report:
        for name in options.only or list(STEPS):
            print(f"== {name}", flush=True)
            try:
                STEPS[name]()
            except Exception as error:  # one failed benchmark must not hide the others' figures
                print(f"{name} failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
    print(report())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
