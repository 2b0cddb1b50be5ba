#!/usr/bin/env python3
"""The dependency locks: `python3 lock.py` compiles requirements.txt and requirements-dev.txt from the .in files.

Options go on to pip-compile: `python3 lock.py --upgrade-package rq` moves one pin to its newest allowed
version, `--upgrade` moves them all; existing pins stay otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dev import ROOT, run_inside_environment

# Each .in file and its lock, runtime first: the dev lock is compiled under the runtime one (`-c`).
SOURCES = ("requirements.in", "requirements-dev.in")
COMPILE = [
    "--quiet", "--generate-hashes", "--allow-unsafe", "--strip-extras", "--no-emit-index-url", "--no-emit-find-links",
]
# This machine's pip settings (extra local indexes, find-links) must not shape a lock the PaaS installs from PyPI.
MACHINE_PIP_SETTINGS = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONSTRAINT", "PIP_NO_INDEX")


def lock_of(source: Path) -> Path:
    return source.with_suffix(".txt")


def compile_locks(options: list[str]) -> None:
    env = {name: value for name, value in os.environ.items() if name not in MACHINE_PIP_SETTINGS}
    env |= {"PIP_CONFIG_FILE": os.devnull, "CUSTOM_COMPILE_COMMAND": "python3 lock.py"}
    for source in SOURCES:
        command = [sys.executable, "-m", "piptools", "compile", *COMPILE, *options, "-o", lock_of(Path(source)).name]
        subprocess.run([*command, source], cwd=ROOT, env=env, check=True)


def main(argv: list[str]) -> int:
    run_inside_environment(Path(__file__), argv)
    compile_locks(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
