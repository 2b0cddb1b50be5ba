"""The web entry point as the platform starts it, in a process of its own: production settings, or one clear line."""

from __future__ import annotations

import subprocess
import sys

from tests.support.environment import PRODUCTION
from tests.support.paths import ROOT


def test_the_web_entry_point_fails_with_one_line_naming_the_missing_setting(tmp_path):
    environ = {name: value for name, value in PRODUCTION.items() if name != "SECRET_KEY"}
    environ["PATH"] = "/usr/bin:/bin"
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Configuration error: Missing required setting SECRET_KEY: set it in the environment (see .env.example)"
    ]


def test_in_production_the_web_app_never_imports_the_emulator():
    environ = {**PRODUCTION, "PATH": "/usr/bin:/bin", "REDIS_URL": "redis://127.0.0.1:1/0",
               "DATABASE_URL": "sqlite:///:memory:"}
    script = "import sys, wsgi; print(wsgi.app.config['SANDBOX'], 'sandbox' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["False", "False"], result.stderr
