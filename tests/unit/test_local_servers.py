"""The local-server helpers dev.py, the tests and the benchmarks share: dev.py's first run needs nothing but
Python, and a server that dies before it listens is named at once, not waited for."""

from __future__ import annotations

import subprocess
import sys

import pytest

from local_servers import LocalServerError, free_port, wait_for_port
from tests.support.paths import ROOT


def test_dev_py_and_the_helpers_it_imports_load_on_a_python_with_no_packages_installed():
    # -S: no site-packages, as on a newcomer's machine before dev.py has made .venv; -I: nothing from the
    # environment or the user's own site.
    loaded = subprocess.run(
        [sys.executable, "-I", "-S", "-c", "import sys; sys.path.insert(0, sys.argv[1]); import dev, local_servers",
         str(ROOT)],
        capture_output=True, text=True, timeout=30,
    )
    assert loaded.returncode == 0, loaded.stderr


def test_a_server_that_exits_before_it_listens_is_named_at_once():
    server = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    server.wait(timeout=30)
    with pytest.raises(LocalServerError, match="the test server exited with code 3 before it was listening"):
        wait_for_port(free_port(), server, "the test server", seconds=30)
