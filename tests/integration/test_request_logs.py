"""Every line the web process logs names its request; the id is the router's X-Request-ID when it sent one."""

from __future__ import annotations

import io
import logging
import re

import pytest

from app import logs


@pytest.fixture
def log_lines():
    """The root logger's lines as the platform's log router receives them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(logs.LINE_FORMAT))
    handler.addFilter(logs.EventContext())
    logging.getLogger().addHandler(handler)
    yield lambda: stream.getvalue().splitlines()
    logging.getLogger().removeHandler(handler)


def test_a_refused_push_logs_one_line_naming_the_request_it_answered(client, log_lines):
    answer = client.post("/webhooks/fitbit", data=b"[]", headers={"X-Fitbit-Signature": "forged"})
    assert answer.status_code == 404
    request_id = answer.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert log_lines() == [
        f"WARNING app.web.webhooks.platforms: fitbit push refused: bad or missing signature [request={request_id}]"
    ]


def test_the_routers_request_id_is_kept_and_a_malformed_one_replaced(client):
    router_id = "5f0c9a7e-3b1d-4c2a-9e8f-1a2b3c4d5e6f"
    assert client.get("/healthz", headers={"X-Request-ID": router_id}).headers["X-Request-ID"] == router_id
    forged = client.get("/healthz", headers={"X-Request-ID": "a b] INFO app: forged line"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)
