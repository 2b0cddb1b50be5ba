#!/usr/bin/env python3
"""The two commands a newcomer needs: `python3 dev.py run` starts the whole service, `python3 dev.py test` tests it.

Only Python 3.11+ is needed: the script makes `.venv`, installs the dev lock (requirements-dev.txt,
every package pinned with its hash) when a lock changes, and re-runs itself inside that environment.
A third, for developers: `python3 dev.py check` runs, in seconds, every check CI makes that needs no database
or Redis (the locks, ruff, import-linter, mypy, the translation catalogs), as CI and the pre-commit hook do.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import cast

from local_servers import LocalServerError, free_port, redis_server_binary, wait_for_port

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
REQUIREMENTS = ROOT / "requirements-dev.txt"
USAGE = "usage: python3 dev.py run | python3 dev.py test [pytest arguments] | python3 dev.py check"


def requirements_stamp() -> str:
    """What the environment was built from: both locks and the Python that made it."""
    digest = hashlib.sha256(platform.python_version().encode())
    for path in sorted(ROOT.glob("requirements*.txt")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def pinned_count(lock: Path) -> int:
    """How many packages the lock pins (a few only for some Python versions, so this is the most installed)."""
    return sum(1 for line in lock.read_text().splitlines() if re.match(r"[A-Za-z0-9][\w.-]*==", line))


def install_lock(python: Path, lock: Path, log: Path) -> None:
    """Install exactly what `lock` pins, each package checked against its hashes, then let pip check the set.

    `--no-deps` is what makes this safe with any pip a Python bundles: pip never resolves a dependency
    against the index, so a release that came out after the lock (or an old pip's reading of an extra such
    as `CacheControl[filecache]`) cannot enter. The lock names every package, pip included, so nothing is
    missing; `pip check` proves it. Progress goes to the terminal, pip's whole output to `log`.
    """
    total = pinned_count(lock)
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--no-deps",
               "--require-hashes", "--only-binary", ":all:", "-r", str(lock)]
    started = time.monotonic()
    seen = 0
    with log.open("w") as output, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                   text=True, bufsize=1) as pip:
        assert pip.stdout is not None
        for line in pip.stdout:
            output.write(line)
            if line.startswith(("Collecting ", "Processing ", "Requirement already satisfied")):
                seen += 1
                if seen == 1 or seen % 10 == 0:
                    print(f"  fetched {seen} of {total} packages ({time.monotonic() - started:.0f} s)", flush=True)
            elif line.startswith("Installing collected packages"):
                print(f"  installing {total} packages ...", flush=True)
    checked = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True)
    with log.open("a") as output:
        output.write(checked.stdout + checked.stderr)
    if pip.returncode or checked.returncode:
        tail = "".join(log.read_text().splitlines(keepends=True)[-25:])
        sys.exit(f"{tail}\nInstalling {lock.name} failed; pip's whole output is in {log}")
    print(f"  done: {seen} packages, checked by pip check, in {time.monotonic() - started:.0f} s", flush=True)


def venv_python_version() -> str | None:
    """The Python version `.venv` was made with, or None when there is no usable `.venv`."""
    config = VENV / "pyvenv.cfg"
    if not VENV_PYTHON.exists() or not config.exists():
        return None
    found = re.search(r"^version(?:_info)?\s*=\s*(\S+)", config.read_text(), re.MULTILINE)
    return found.group(1) if found else None


def ensure_environment() -> None:
    """Create `.venv` with this Python and its own bundled pip, and install the dev lock into it when either
    lock, or the Python, changed. A `.venv` of another Python version is made anew."""
    stamp_file = VENV / ".requirements-stamp"
    stamp = requirements_stamp()
    if stamp_file.exists() and stamp_file.read_text() == stamp and VENV_PYTHON.exists():
        return
    if venv_python_version() != platform.python_version():
        print(f"Creating .venv with Python {platform.python_version()} ...", flush=True)
        venv.create(VENV, with_pip=True, clear=VENV.exists())
    print(f"Installing the {pinned_count(REQUIREMENTS)} packages {REQUIREMENTS.name} pins, each checked against its "
          "hash.\nThe first run downloads about 170 MB: one to three minutes on a good connection.", flush=True)
    install_lock(VENV_PYTHON, REQUIREMENTS, VENV / "install.log")
    stamp_file.write_text(stamp)


def run_inside_environment(script: Path, argv: list[str]) -> None:
    """Outside .venv, bring it up to the lock and re-run the script there; inside it, return."""
    if Path(sys.prefix).resolve() != VENV.resolve():
        ensure_environment()
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(script.resolve()), *argv])


def stop(processes: list[subprocess.Popen], grace: float = 10) -> None:
    """Stop the children last-started first (the worker before Redis), each process group with SIGTERM and,
    after `grace` seconds, SIGKILL, as a platform stops a dyno."""
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def children() -> Iterator[list[subprocess.Popen]]:
    processes: list[subprocess.Popen] = []
    try:
        yield processes
    finally:
        stop(processes)


def spawn(processes: list[subprocess.Popen], command: list[str], env: dict[str, str], **options) -> subprocess.Popen:
    # Each child leads its own process group so that stopping it stops whatever it started.
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **options)
    processes.append(process)
    return process


def embedded_redis(processes: list[subprocess.Popen], env: dict[str, str]) -> str:
    """A real redis-server (see `redis_server_binary`) on a free local port, keeping nothing on disk."""
    port = free_port()
    command = [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = spawn(processes, command, env, stdout=subprocess.DEVNULL)
    wait_for_port(port, process, "embedded redis-server")
    return f"redis://127.0.0.1:{port}/0"


def run() -> int:
    """Start web, worker, the embedded Redis and (with no platform credentials) the emulator; Ctrl-C stops them all."""
    from dotenv import load_dotenv

    load_dotenv(ROOT / ".env")
    env = dict(os.environ)
    python = sys.executable
    port = env.setdefault("PORT", "5000")
    sandbox_port = env.setdefault("SANDBOX_PORT", "5001")
    with children() as processes:
        # Ctrl-C and a platform's SIGTERM both end in stop(); SIGINT may arrive ignored from a parent.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = embedded_redis(processes, env)
        from app.config import load_settings

        settings = load_settings(env)
        subprocess.run([python, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True)
        if settings["SANDBOX"]:
            env.setdefault("SANDBOX_URL", f"http://127.0.0.1:{sandbox_port}")
            sandbox_env = {**env, "APP_URL": f"http://127.0.0.1:{port}"}
            wait_for_port(int(sandbox_port), spawn(processes, [python, "-m", "sandbox"], sandbox_env), "the emulator")
        web = spawn(processes, [python, "-m", "flask", "--app", "wsgi", "run", "--port", port, "--no-reload"], env)
        spawn(processes, [python, "worker.py"], env)
        wait_for_port(int(port), web, "the web app")
        print(f"\n  Battery Text is running: open http://127.0.0.1:{port}/", flush=True)
        if settings["SANDBOX"]:
            print(f"  Emulated Fitbit / Google / phone: http://127.0.0.1:{sandbox_port}/", flush=True)
        print("  Press Ctrl-C to stop everything.\n", flush=True)
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nStopping ...", flush=True)
            return 0
        stopped = next(process for process in processes if process.poll() is not None)
        command = cast(list[str], stopped.args)  # every child here is started with a list of strings
        print(f"{command[1:3]} exited with code {stopped.returncode}; stopping the rest.", file=sys.stderr)
        return 1


def test(pytest_args: list[str]) -> int:
    """Run the whole suite: TEST_DATABASE_URL and REDIS_URL when set, else a temporary SQLite file and an
    embedded Redis."""
    env = dict(os.environ)
    with ExitStack() as stack:
        processes = stack.enter_context(children())
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = embedded_redis(processes, env)
        if not env.get("TEST_DATABASE_URL"):
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="battery-test-"))
            env["TEST_DATABASE_URL"] = f"sqlite:///{folder}/test.sqlite3"
        return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT, env=env).returncode


def checks() -> list[tuple[str, list[str]]]:
    """What `check` runs, fastest to read first: each check's name and command, run inside .venv from ROOT."""
    python = sys.executable
    return [
        ("the dependency locks (lock.py --check)", [python, "lock.py", "--check"]),
        ("lint (ruff)", [python, "-m", "ruff", "check", "."]),
        ("imports run one way (import-linter)", [str(Path(python).parent / "lint-imports")]),
        ("types (mypy)", [python, "-m", "mypy"]),
        ("translation catalogs (catalogs.py --check)", [python, "catalogs.py", "--check"]),
    ]


def check() -> int:
    """Every check CI makes that needs no database or Redis, in order; stop at the first that fails, naming it."""
    started = time.monotonic()
    for name, command in checks():
        print(f"== {name} ==", flush=True)
        if subprocess.run(command, cwd=ROOT).returncode:
            # The command as typed from the checkout, so it can be run again on its own.
            typed = shlex.join(os.path.relpath(part, ROOT) if os.path.isabs(part) else part for part in command)
            print(f"\ndev.py check FAILED: {name}; run it alone with `{typed}`", file=sys.stderr, flush=True)
            return 1
    print(f"dev.py check: all passed in {time.monotonic() - started:.1f} s")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "check"}:
        print(USAGE, file=sys.stderr)
        return 2
    run_inside_environment(Path(__file__), argv)
    sys.path.insert(0, str(ROOT))
    if argv[0] == "check":
        return check()
    try:
        return run() if argv[0] == "run" else test(argv[1:])
    except LocalServerError as error:
        # The children are stopped by now; say what failed, without a traceback.
        sys.exit(str(error))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
