"""Clients that trickle a request body cannot take the web process away from everyone else (gunicorn, as the
Procfile starts it)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time

import requests

from local_servers import free_port
from tests.support.paths import ROOT
from tests.support.polling import wait_until

THREADS = 4
DEADLINE_SECONDS = 2


def trickling_client(port: int) -> socket.socket:
    """A push whose body promises 1,000 bytes and then sends them two at a time."""
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(b"POST /webhooks/fitbit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   b"X-Fitbit-Signature: x\r\nContent-Length: 1000\r\n\r\n")
    return client


def answers_health(port: int, seconds: float) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=seconds).ok
    except requests.RequestException:
        return False


def test_clients_trickling_bodies_into_every_thread_do_not_stop_health_answering(app, test_env):
    port = free_port()
    environ = {**test_env, "PORT": str(port), "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": str(THREADS),
               "REQUEST_BODY_SECONDS": str(DEADLINE_SECONDS)}
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "--config", "gunicorn.conf.py"],
                           cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    slow: list[socket.socket] = []
    try:
        wait_until(lambda: answers_health(port, 2), seconds=30, what="gunicorn to answer")
        slow = [trickling_client(port) for _ in range(THREADS * 2)]
        started = time.monotonic()
        answered_within: list[float] = []
        # Keep trickling for three deadlines, bounded in count, and ask for /healthz meanwhile.
        for _ in range(3 * DEADLINE_SECONDS * 2):
            for client in slow:
                with contextlib.suppress(OSError):  # the server has already answered 408 and closed it
                    client.sendall(b"[ ")
            if answers_health(port, 2 * DEADLINE_SECONDS + 4):
                answered_within.append(time.monotonic() - started)
            time.sleep(0.5)  # the trickle's pace: the attack itself, not a wait for anything
        assert answered_within, "/healthz never answered while clients trickled"
        # Twice as many trickling clients as threads: two rounds of cut-off bodies, then /healthz.
        assert answered_within[0] < 2 * DEADLINE_SECONDS + 4
        answers = []
        for client in slow:
            client.settimeout(5)
            try:
                answers.append(client.recv(64))
            except OSError:
                answers.append(b"")
        assert all(answer.startswith(b"HTTP/1.1 408") or answer == b"" for answer in answers), answers
        assert any(answer.startswith(b"HTTP/1.1 408") for answer in answers)
    finally:
        for client in slow:
            client.close()
        web.terminate()
        web.wait(timeout=30)
