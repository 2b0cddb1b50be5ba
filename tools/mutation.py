#!/usr/bin/env python3
"""Mutation testing of the pure packages, on demand: `python3 tools/mutation.py` mutates app/rules and app/texts,
runs tests/unit against each mutant and prints the share of mutants the tests kill, per package and per module.

Only Python 3.11+ is needed: like lock.py and catalogs.py, the script brings `.venv` up to the dev lock (which pins
mutmut) and runs itself there. The settings are `[tool.mutmut]` in pyproject.toml; the reasons and the last
figures, docs/mutation.md.

    python3 tools/mutation.py                    # every mutant of both packages (about 5 minutes on 2 cores)
    python3 tools/mutation.py app.rules.alerts   # one module's mutants only ("app.rules.*": a package)
    python3 tools/mutation.py --report           # the figures of the last run again, and its survivors
    python3 tools/mutation.py --max-children 1   # one test process at a time (default 2: the machine is shared)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from dev import run_inside_environment  # noqa: E402  (the repository root is on the path only from here on)

MUTANTS = ROOT / "mutants"
PACKAGES = ("app/rules", "app/texts")
GOAL = 90.0
# mutmut's exit codes for a mutant (mutmut/stats.py); a timeout counts as killed, as mutmut counts it.
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}
NOT_RUN = {None: "not checked", 34: "skipped"}  # left out of a run given mutant names: not counted


def mutmut_command() -> list[str]:
    """mutmut from `.venv` (the dev lock pins it with its hashes, like every other tool)."""
    return [str(Path(sys.executable).parent / ("mutmut.exe" if os.name == "nt" else "mutmut"))]


def results() -> dict[str, dict[str, int]]:
    """Each mutated module's mutants by outcome, read from mutmut's .meta files under mutants/."""
    by_module: dict[str, dict[str, int]] = {}
    for package in PACKAGES:
        for meta in sorted((MUTANTS / package).rglob("*.py.meta")):
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            if codes:
                module = meta.relative_to(MUTANTS).as_posix().removesuffix(".meta")
                by_module[module] = dict(Counter(KILLED.get(code) or SURVIVED.get(code) or NOT_RUN.get(code, "other")
                                                 for code in codes.values()))
    return by_module


def score(outcomes: dict[str, int]) -> tuple[int, int, float]:
    """Killed (timeouts included), all mutants, and the share killed in percent; a mutant no test runs survives."""
    total = sum(count for outcome, count in outcomes.items() if outcome not in NOT_RUN.values())
    killed = outcomes.get("killed", 0) + outcomes.get("timeout", 0)
    return killed, total, 100.0 * killed / total if total else 100.0


def report() -> bool:
    """Print the scores per package and per module, and the survivors; True when each package reaches GOAL."""
    by_module = results()
    if not by_module:
        sys.exit("no results yet: run `python3 tools/mutation.py` first")
    print(f"\n{'module':40} {'killed':>7} {'of':>5} {'score':>7}  survived / no tests")
    reached = True
    for package in PACKAGES:
        package_total: Counter[str] = Counter()
        for module, outcomes in by_module.items():
            if module.startswith(package + "/"):
                package_total.update(outcomes)
                killed, total, percent = score(outcomes)
                if not total:
                    continue  # left out of this run
                print(f"{module:40} {killed:7} {total:5} {percent:6.1f}%  "
                      f"{outcomes.get('survived', 0)} / {outcomes.get('no tests', 0)}")
        killed, total, percent = score(package_total)
        if not total:
            print(f"{package + ' (package)':40} not run\n")
            continue
        reached &= percent >= GOAL
        print(f"{package + ' (package)':40} {killed:7} {total:5} {percent:6.1f}%  "
              f"{'ok' if percent >= GOAL else f'below {GOAL:.0f} %'}\n")
    survivors = subprocess.run([*mutmut_command(), "results"], cwd=ROOT, capture_output=True, text=True).stdout
    lines = [line.strip() for line in survivors.splitlines() if line.strip() and not line.endswith("not checked")]
    print(f"{len(lines)} mutants not killed (`.venv/bin/mutmut show NAME` shows one as a diff):")
    print("\n".join(f"  {line}" for line in lines))
    return reached


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mutants", nargs="*", help='mutant names or globs, e.g. "app.rules.alerts.*"')
    parser.add_argument("--max-children", type=int, default=2, help="test processes at once (default 2)")
    parser.add_argument("--report", action="store_true", help="only print the last run's figures")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ (mutmut then reruns changed code only)")
    arguments = parser.parse_args()
    run_inside_environment(Path(__file__), sys.argv[1:])
    command = mutmut_command()
    if not arguments.report:
        if not arguments.keep and MUTANTS.exists():
            shutil.rmtree(MUTANTS)  # a fresh copy, so every mutant is tested against the tests as they are now
        names = [name if "*" in name or "__mutmut_" in name else f"{name}*" for name in arguments.mutants]
        with (ROOT / "mutation.log").open("w") as log:  # mutmut's spinner, kept out of the terminal
            print(f"running mutmut (log: mutation.log) with at most {arguments.max_children} test processes ...",
                  flush=True)
            run = subprocess.run([*command, "run", "--max-children", str(arguments.max_children), *names], cwd=ROOT,
                                 stdout=log, stderr=subprocess.STDOUT)
        if run.returncode:
            print((ROOT / "mutation.log").read_text()[-3000:])
            return run.returncode
    return 0 if report() else 1


if __name__ == "__main__":
    sys.exit(main())
