"""The platform stops a web dyno with SIGTERM to every process in it and SIGKILLs what is left 30 s later:
gunicorn, as the Procfile starts it, finishes the requests it is serving and takes no new ones."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys

import requests

from local_servers import free_port
from tests.support.paths import ROOT
from tests.support.polling import wait_until
from tests.support.workers import process_table

# Heroku sends SIGKILL this long after SIGTERM; gunicorn must be gone by then.
PLATFORM_KILLS_AFTER_SECONDS = 30


def start_web(environ: dict[str, str]) -> subprocess.Popen:
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "--config", "gunicorn.conf.py"],
                           cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    wait_until(lambda: answers_health(int(environ["PORT"])), seconds=30, what="gunicorn to answer")
    return web


def answers_health(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code in (200, 503)
    except requests.RequestException:
        return False


def sigterm_the_dyno(web: subprocess.Popen) -> None:
    """SIGTERM to the master and every worker, as the platform does on a restart or a deploy."""
    for pid, _parent, _group, session in process_table():
        if session == web.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def read_until(client: socket.socket, marker: bytes) -> bytes:
    received = b""
    while marker not in received:
        chunk = client.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


def test_a_request_in_flight_at_sigterm_gets_its_answer_and_no_new_connection_is_taken(app, test_env):
    port = free_port()
    web = start_web({**test_env, "PORT": str(port), "WEB_CONCURRENCY": "2"})
    body = json.dumps({"type": "verification"}).encode()
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        # A platform's verification call whose headers have arrived and whose body has not: gunicorn answers
        # "100 Continue" from the worker thread that is serving it, so the request is demonstrably in flight.
        client.sendall(b"POST /webhooks/google-health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                       b"Authorization: " + app.config["GOOGLE_HEALTH_WEBHOOK_SECRET"].encode() + b"\r\n"
                       b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        assert read_until(client, b"\r\n\r\n").startswith(b"HTTP/1.1 100 Continue")

        sigterm_the_dyno(web)
        wait_until(lambda: refuses_connections(port), what="new connections to be refused")
        client.sendall(body)
        answer = read_until(client, b"\r\n\r\n")

        assert answer.startswith(b"HTTP/1.1 201 "), answer
        assert web.wait(timeout=PLATFORM_KILLS_AFTER_SECONDS) == 0
    finally:
        client.close()
        if web.poll() is None:
            os.killpg(web.pid, signal.SIGKILL)
            web.wait()
