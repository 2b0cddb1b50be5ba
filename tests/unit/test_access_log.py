"""Gunicorn's access log, in our format: the path, never its query string or the referrer."""

from __future__ import annotations

import datetime
import runpy
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

from tests.support.paths import ROOT


def test_the_access_log_names_the_path_but_no_number_or_code_in_a_query_string():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    config.set("access_log_format", settings["access_log_format"])
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": "/phone?phone=%2B447400123456&code=123456",
        "PATH_INFO": "/phone", "QUERY_STRING": "phone=%2B447400123456&code=123456", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "a browser",
        "HTTP_REFERER": "https://battery.example/login/google/authorized?code=oauth-code-4711&state=s",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[("X-Request-ID", "5f0c9a7e3b1d4c2a")])
    atoms = Logger(config).atoms(response, [], environ, datetime.timedelta(milliseconds=3))

    line = config.access_log_format % atoms

    assert '"GET /phone HTTP/1.1" 200' in line and line.endswith(" [request=5f0c9a7e3b1d4c2a]")
    for secret in ("447400123456", "123456", "oauth-code-4711"):
        assert secret not in line
