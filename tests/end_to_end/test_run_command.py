"""The README's run command brings the whole service up, and Ctrl-C takes every process down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import requests

from local_servers import free_port
from tests.support.paths import ROOT
from tests.support.polling import wait_until


def children_of(pid: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return {int(child) for child in found}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_the_run_command_serves_the_site_and_ctrl_c_stops_every_process(tmp_path):
    port, sandbox_port = free_port(), free_port()
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env.update(PORT=str(port), SANDBOX_PORT=str(sandbox_port), DATABASE_URL=f"sqlite:///{tmp_path}/run.sqlite3")
    run = subprocess.Popen([sys.executable, "dev.py", "run"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []

    def keep_output() -> None:
        for line in run.stdout:
            output.append(line)

    reader = threading.Thread(target=keep_output, daemon=True)
    reader.start()
    site = f"http://127.0.0.1:{port}"
    try:
        def healthy():
            try:
                return requests.get(site + "/healthz", timeout=2).status_code == 200
            except requests.ConnectionError:
                assert run.poll() is None, "".join(output)
                return False

        wait_until(healthy, seconds=90, interval=0.25, what="the site to answer /healthz")
        landing = requests.get(site + "/", timeout=5).text
        assert "A text before your tracker dies." in landing
        assert f"http://127.0.0.1:{sandbox_port}/phone" in landing
        assert requests.get(f"http://127.0.0.1:{sandbox_port}/", timeout=5).status_code == 200
        started = children_of(run.pid)
        assert len(started) == 4  # redis-server, the emulator, web, worker

        # The site answers a moment before dev.py starts waiting for Ctrl-C; a signal in between would stop it
        # half-started. It says when it is waiting.
        wait_until(lambda: any("Press Ctrl-C" in line for line in output), what="the run command to wait for Ctrl-C")
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=60) == 0, "".join(output)
        assert [pid for pid in started if alive(pid)] == []
    finally:
        if run.poll() is None:
            run.kill()
        reader.join(10)
        run.stdout.close()
