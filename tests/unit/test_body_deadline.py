"""The body deadline's watchdog: a slow body is cut off on time, even when the watchdog was idle for a minute."""

from __future__ import annotations

import io
import socket
import time

from app.web.security import _DeadlineInput, _Watchdog
from tests.support.polling import wait_until


def slow_body(watchdog: _Watchdog, seconds: float) -> tuple[_DeadlineInput, socket.socket, socket.socket]:
    server, client = socket.socketpair()
    body = _DeadlineInput(io.BytesIO(b"x"), server, seconds, watchdog)
    body.read(1)  # the first read starts the clock
    return body, server, client


def test_a_slow_body_is_cut_off_on_time_after_the_watchdog_idled_and_later_bodies_do_not_delay_it():
    watchdog = _Watchdog()
    quick, *quick_sockets = slow_body(watchdog, 30)
    quick.finished()  # nothing left to watch: the watchdog now sleeps for a minute
    wait_until(lambda: watchdog.wakes_at > time.monotonic() + 30, seconds=5, what="the watchdog to go idle")

    started = time.monotonic()
    slow, server, client = slow_body(watchdog, 0.3)
    later, *later_sockets = slow_body(watchdog, 30)  # due after the watchdog's next look: no wake-up needed

    wait_until(lambda: slow.cut_off, seconds=5, what="the slow body to be cut off")
    assert time.monotonic() - started < 3, "cut off near its deadline, not at the idle watchdog's next minute"
    assert server.recv(1) == b"", "its socket's reading side is shut, which ends a blocked read"
    assert not later.cut_off
    for sock in (*quick_sockets, server, client, *later_sockets):
        sock.close()
