"""One Redis lock helper for the few things only one worker may do at a time for a user."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import LockError

from app.extensions import queues

log = logging.getLogger(__name__)


@contextmanager
def held(name: str, seconds: float, busy: Exception) -> Iterator[None]:
    """Hold the named lock for at most `seconds`, waiting as long for it; raise `busy` if it never frees.

    A lock that expired under us (the work outlasted `seconds`) is only logged: the work is done
    and whoever took the lock next is already on their way.
    """
    lock = queues.redis.lock(name, timeout=seconds, blocking_timeout=seconds)
    if not lock.acquire():
        raise busy
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("lock %s expired before it was released", name)
