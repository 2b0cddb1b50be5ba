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
    if webhook and "rounds" in webhook:
        lines += webhook_table(webhook)
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
        lines += scale_section(scale)
    live = load("live_dashboards")
    if live:
        lines += ["", f"## 5. With {live['dashboards']} live dashboards ({live['machine']['date']})", "",
                  f"**{live.get('live', '?')} of {live['dashboards']}** dashboards live (their user's event reached them) "
                  f"on {live.get('web_processes', 2)} web process(es); stream answers {live['streams']}.", "",
                  "| dashboards | saturation req/s | sat. p99 ms | half-load p50 ms | half-load p99 ms |", "|---|---|---|---|---|"]
        for name in ("without_dashboards", "with_dashboards"):
            sat, half = live[name]["saturation"], live[name]["half_load"]
            lines.append(f"| {name.replace('_', ' ')} | {sat['rps']} | {sat['p99_ms']} | {half['p50_ms']} | {half['p99_ms']} |")
        lines.append(f"\nsaturation req/s with/without = **{live['ratio_rps_with_over_without']}** (goal >= 0.95), "
                     f"half-load p99 with/without = {live['ratio_p99_half_with_over_without']}")
        for number, turn in enumerate(live.get("rounds", []), 1):
            memory = ", ".join(f"{process['rss_mb']} MB / {process['threads']} threads"
                               for process in turn["streams"]["web_processes"].values())
            lines.append(f"- round {number}: without {turn['without']['rps']}, with {turn['with']['rps']} req/s; with the streams "
                         f"open: {memory}, idle CPU {turn['streams'].get('idle_cpu_share', '?')} of a core; Redis "
                         f"connections {turn['streams']['redis_connections']}")
        if "web_processes_without_streams" in live:
            lines.append(f"- without streams (after a load): idle CPU {live.get('idle_cpu_share_without_streams', '?')} "
                         "of a core, " + ", ".join(
                f"{process['rss_mb']} MB / {process['threads']} threads"
                for process in live["web_processes_without_streams"].values()))
    return "\n".join(lines)


def webhook_table(webhook: dict) -> list[str]:
    """Medians over interleaved rounds, per push case; each ratio with its lowest and highest round (the noise)."""
    def spread(figure: dict) -> str:
        return f"**{figure['median']}** ({figure['min']}–{figure['max']})"

    generators = webhook["generators"]
    lines = ["", f"## 1. Webhook ingest ({webhook['machine']['date']}; {webhook['rounds']} rounds of {webhook['seconds']} s, "
             f"{webhook['connections']} connections)", "",
             "| push | " + " | ".join(f"{generator}: bare / ours req/s | ours/bare" for generator in generators)
             + " | worker CPU µs/req bare / ours | CPU bare/ours | half-load rate | half p99 ms bare / ours | p99 ours/bare"
             " | syncs queued per push |",
             "|---|" + "---|---|" * len(generators) + "---|---|---|---|---|---|"]
    for name, case in webhook["cases"].items():
        median = case["median"]
        cells = [f"{median[f'bare_rps_{generator}']} / {median[f'ours_rps_{generator}']} | {spread(median[f'rps_{generator}'])}"
                 for generator in generators]
        if "cpu_bare_over_ours_asyncio" in median:
            cells.append(f"{median['bare_cpu_us_per_request_asyncio']} / {median['ours_cpu_us_per_request_asyncio']} | "
                         f"{spread(median['cpu_bare_over_ours_asyncio'])}")
        else:
            cells.append("– | –")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {median['half_load_rate']} | {median['bare_half_load_p99_ms']} / "
                     f"{median['ours_half_load_p99_ms']} | {spread(median['p99_half_load'])} | "
                     f"{median['ours_syncs_queued_per_push_measured']} |")
    return lines


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
