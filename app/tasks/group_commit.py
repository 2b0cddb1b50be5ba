"""Writes from many request threads sent to Redis together: one round trip for all that are waiting.

At saturation a push's one Redis round trip was over half of its request thread's time (docs/benchmarks.md,
"Profile"). Here the first thread to arrive sends its write at once; writes that arrive while it waits for Redis
queue up, and when it is answered the first of them sends them all in one call, and so on ("group commit"). No
thread of our own and nothing kept in memory: each caller gets its answer only once Redis has given it, so a push
answered 204 is in Redis, and a Redis error reaches the caller as before. An error also reaches the writes that
queued behind the failed call (they would wait out the same outage): each answers within one call's retries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from redis import Redis
from redis.exceptions import RedisError

Write = TypeVar("Write")
Answer = TypeVar("Answer")
# One call's size at most: a script runs alone in Redis, and a long one holds everything else up.
MOST_PER_CALL = 64


class _Waiting(Generic[Write, Answer]):
    __slots__ = ("answer", "error", "leads", "redis", "wake", "write")

    def __init__(self, redis: Redis, write: Write):
        self.redis, self.write = redis, write
        self.answer: Answer | None = None
        self.error: BaseException | None = None
        self.leads = False  # woken to send the next call rather than with its answer
        self.wake = threading.Lock()
        self.wake.acquire()

    def result(self) -> Answer:
        if self.error is not None:
            raise self.error
        return self.answer  # type: ignore[return-value]


class GroupCommit(Generic[Write, Answer]):
    """`send(redis, writes)` makes one call for several writes and returns their answers in order."""

    def __init__(self, send: Callable[[Redis, Sequence[Write]], Sequence[Answer]], most: int = MOST_PER_CALL):
        self.send = send
        self.most = most
        self.lock = threading.Lock()
        self.waiting: list[_Waiting[Write, Answer]] = []
        self.sending = False
        self.calls = 0  # how many calls carried how many writes: for tests and the benchmark's figures
        self.writes = 0

    def __call__(self, redis: Redis, write: Write) -> Answer:
        """Send `write` with whatever else is waiting; its answer, or the call's error, once Redis answered."""
        mine: _Waiting[Write, Answer] = _Waiting(redis, write)
        with self.lock:
            self.waiting.append(mine)
            leads = not self.sending
            self.sending = True
        if not leads:
            mine.wake.acquire()  # bounded: a call ends within the pool's socket timeouts and retries
            if not mine.leads:
                return mine.result()
        try:
            self._send_waiting()
        finally:
            self._hand_over()
        return mine.result()

    def _send_waiting(self) -> None:
        """The leader's call: the first `most` waiting for the leader's client (the leader first among them)."""
        with self.lock:
            redis = self.waiting[0].redis
            batch = [waiting for waiting in self.waiting if waiting.redis is redis][:self.most]
            taken = {id(waiting) for waiting in batch}
            self.waiting = [waiting for waiting in self.waiting if id(waiting) not in taken]
            self.calls += 1
            self.writes += len(batch)
        try:
            answers = self.send(redis, [waiting.write for waiting in batch])
            for waiting, answer in zip(batch, answers, strict=True):
                waiting.answer = answer
        except RedisError as error:
            with self.lock:  # those queued behind the failed call fail with it rather than wait out another
                behind = [waiting for waiting in self.waiting if waiting.redis is redis]
                self.waiting = [waiting for waiting in self.waiting if waiting.redis is not redis]
            batch += behind
            for waiting in batch:
                waiting.error = error
        except BaseException as error:
            for waiting in batch:
                waiting.error = error
            raise
        finally:
            for waiting in batch[1:]:  # the first is the leader, awake already
                waiting.wake.release()

    def _hand_over(self) -> None:
        with self.lock:
            if self.waiting:
                following = self.waiting[0]
                following.leads = True
                following.wake.release()
            else:
                self.sending = False
