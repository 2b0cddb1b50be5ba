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
        lines += end_to_end(latency)
    scale = load("scale")
    if scale:
        sizes = scale["sizes"]
        lines += ["", f"## 4. Scale ({scale['users']:,} users, {scale['devices']:,} devices, {scale['days']} days × "
                  f"{scale['readings_per_device_per_day']} readings per device per day; load {scale['load_seconds']} s; {scale['machine']['date']})", "",
                  "| query | ms (best of 3) | rows | plan |", "|---|---|---|---|"]
        for name, query in scale["queries"].items():
            lines.append(f"| {name} | {query['ms']} | {query['rows']} | {query['plan']} |")
        for kind, query in scale.get("prune_with_index", {}).items():  # results from before 1e95f15
            lines.append(f"| hourly prune with a {kind} index on read_at ({query['index_bytes'] / 2**20:.1f} MB) | {query['ms']} | "
                         f"{query['rows']} | {query['plan']} |")
        if "prune_without_index" in scale:
            query = scale["prune_without_index"]
            lines.append(f"| before 1e95f15: hourly prune without the BRIN index (dropped in a rolled-back transaction) | "
                         f"{query['ms']} | {query['rows']} | {query['plan']} |")
        product = scale.get("product_sweeps")
        if product:
            owners, backstop = product["silent_device_owners"], product["backstop"]
            lines.append(f"| sweep: silent devices, `sweeps.silent_device_owners` as shipped | {owners['ms']} | "
                         f"{owners['users_selected']} | {owners['plan']} |")
            lines.append(f"| sweep: backstop users, `sweeps.backstop_syncs` query as shipped | {backstop['ms']} | "
                         f"{backstop['rows']} | {backstop['plan']} |")
        lines += ["", "| table | rows | MB | bytes per row |", "|---|---|---|---|"]
        for table, size in sizes["tables"].items():
            lines.append(f"| {table} | {size['rows']:,} | {size['mb']} | {size['bytes_per_row']} |")
        lines.append(f"\nReadings per user per month: {sizes['readings_rows_per_user_per_month']} rows, "
                     f"{sizes['readings_bytes_per_user_per_month']:,} bytes; all tables {sizes['all_bytes_per_user']:,} bytes per user.")
        if "brin_index_bytes" in scale:
            with_brin = next(q for name, q in scale["queries"].items() if name.startswith("hourly prune"))
            without = scale["prune_without_index"]
            lines.append(f"Hourly prune without / with the BRIN index ix_battery_readings_read_at "
                         f"({scale['brin_index_bytes'] / 2**20:.2f} MB): {without['ms']} / {with_brin['ms']} ms = "
                         f"**×{without['ms'] / with_brin['ms']:.1f}**.")
        if product:
            old_silent = scale["queries"].get("before 1e95f15: silent devices (old query)")
            if old_silent:
                lines.append(f"Silent sweep users selected, as shipped / before 1e95f15 (same data): "
                             f"{owners['users_selected']:,} / {old_silent['rows']:,} = **{owners['users_selected'] / old_silent['rows']:.3f}**.")
            lines.append(f"Backstop: {backstop['stale_connected_users']:,} stale connected users; users of minute 2 already "
                         f"taken in minute 1: **{backstop['users_second_minute_also_in_first']}**; "
                         f"{backstop['distinct_users_backstopped']:,} distinct users in {backstop['minutes_to_cover_all_stale']} minutes "
                         f"(per minute: {[m['users'] for m in backstop['minutes']]}).")
        sweep = scale["silent_sweep"]
        if "ms_per_user_examined_first_run" in sweep:
            lines.append(f"Silent sweep: {sweep['users_selected_now']:,} users selected per run; real `text_silent_devices` on a slice: "
                         f"{sweep['ms_per_user_examined_first_run']} ms per user on the first run ({sweep['slice_users_examined_on_first_run']} "
                         f"users, texting) → about {sweep['estimated_full_sweep_seconds']} s to settle all selected users once; a second run examines "
                         f"{sweep['slice_users_examined_on_second_run']} users; slice runs {sweep['runs']}.")
        else:
            lines.append(f"Silent sweep: {sweep['users_selected_now']:,} users selected per run; real `text_silent_devices` "
                         f"{sweep['ms_per_user_examined']} ms per user examined → about {sweep['estimated_full_sweep_seconds']} s per sweep; "
                         f"slice runs {sweep['runs']}.")
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


def end_to_end(latency: dict) -> list[str]:
    floor_ms = 2 * latency["latency_ms"]
    lines = ["", f"## 3. End to end (L = {latency['latency_ms']} ms, {latency['rate_per_s']} pushes/s for {latency['seconds']} s, "
             f"debounce {latency['sync_debounce_s']} s; {latency['machine']['date']})", "",
             f"Target: p50 ≤ debounce + 1.3 × 2L = {latency['sync_debounce_s'] + 1.3 * floor_ms / 1000:.2f} s.", "",
             "| worker model | workers | texts | p50 s | p99 s | met | after due p50 s | after due / 2L | worker CPU ms per job | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for case in latency["cases"]:
        if "model" not in case:  # a result from before the side-by-side run
            continue
        lines.append(f"| {case['model']} | {case['workers']} | {case['texts']} | {case['p50_s']} | {case['p99_s']} | "
                     f"{'yes' if case['met'] else 'no'} | {case['after_due_p50_s']} | {case['ratio_after_due_p50_to_2L']} | "
                     f"{case.get('worker_cpu_ms_per_job', '–')} | {case.get('load_average_1m_before', '–')} → {case.get('load_average_1m_after', '–')} |")
    cases = [case for case in latency["cases"] if "model" in case]
    if cases:
        parts = list(cases[0]["breakdown_p50_s"])
        lines += ["", "Where the time goes, p50 (p99) s per part; the parts add up to push → text:", "",
                  "| part | " + " | ".join(f"{case['model']}, {case['workers']}" for case in cases) + " |",
                  "|---|" + "---|" * len(cases)]
        for part in parts:
            lines.append(f"| {part} | " + " | ".join(f"{case['breakdown_p50_s'][part]} ({case['breakdown_p99_s'][part]})"
                                                    for case in cases) + " |")
    costs = latency.get("per_job_costs_ms")
    if costs:
        lines += ["", "Per job, measured in one process with the app loaded (ms, median):", "", "| cost | ms or count |", "|---|---|"]
        lines += [f"| {name.replace('_', ' ')} | {value} |" for name, value in costs.items()]
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
