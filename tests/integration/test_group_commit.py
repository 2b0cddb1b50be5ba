"""Pushes from many request threads share Redis round trips, and each is answered only once Redis holds it."""

from __future__ import annotations

import threading

from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from rq.job import Job, JobStatus

from app.extensions import queues
from app.tasks import coalescing
from app.tasks.group_commit import GroupCommit
from tests.support.polling import wait_until


def held_first_call(send_rest):
    """A send whose first call waits (inside Redis's turn) until the test lets it go, so others queue meanwhile."""
    started, finish = threading.Event(), threading.Event()
    calls: list[list] = []

    def send(redis, writes):
        calls.append(list(writes))
        if len(calls) == 1:
            started.set()
            assert finish.wait(10), "the test never let the first call finish"
        return send_rest(redis, writes)

    return send, calls, started, finish


def increments(redis, keys):
    with redis.pipeline(transaction=False) as pipeline:
        for key in keys:
            pipeline.incr(key)
        return pipeline.execute()


def in_threads(target, arguments) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    return threads


def test_writes_that_arrive_during_a_call_go_together_in_the_next_and_each_gets_its_own_answer(app):
    redis = queues.redis
    send, calls, first_started, let_first_finish = held_first_call(increments)
    together = GroupCommit(send)
    answers: dict[str, tuple] = {}

    def write(key: str) -> None:
        answers[key] = (together(redis, key), redis.get(key))  # what Redis holds as the caller gets its answer

    first = in_threads(write, ["group:first"])
    assert first_started.wait(5)
    others = in_threads(write, [f"group:{number}" for number in range(9)])
    wait_until(lambda: len(together.waiting) == 9, 5, what="nine writes queued behind the first call")
    let_first_finish.set()
    for thread in first + others:
        thread.join(10)

    assert len(calls) == 2, "the nine that queued went in one call"
    assert calls[0] == ["group:first"] and sorted(calls[1]) == sorted(f"group:{number}" for number in range(9))
    assert answers == {key: (1, b"1") for key in ["group:first", *(f"group:{number}" for number in range(9))]}
    assert not together.sending and not together.waiting


def test_a_redis_error_reaches_the_failed_call_and_every_write_queued_behind_it_without_another_call(app):
    def refused(_redis, _writes):
        raise RedisConnectionError("Connection refused")

    redis = queues.redis
    send, calls, first_started, let_first_finish = held_first_call(refused)
    together = GroupCommit(send)
    outcomes: dict[str, str] = {}

    def write(key: str) -> None:
        try:
            together(redis, key)
            outcomes[key] = "answered"
        except RedisConnectionError:
            outcomes[key] = "redis error"

    threads = in_threads(write, ["first"])
    assert first_started.wait(5)
    threads += in_threads(write, ["second", "third", "fourth"])
    wait_until(lambda: len(together.waiting) == 3, 5, what="three writes queued behind the failing call")
    let_first_finish.set()
    for thread in threads:
        thread.join(10)

    assert outcomes == dict.fromkeys(["first", "second", "third", "fourth"], "redis error")
    assert len(calls) == 1, "those queued behind an outage fail with it: each push is answered within one call"
    # The next write after the outage is sent again, as usual.
    assert GroupCommit(increments)(redis, "after") == 1


def test_sixteen_concurrent_first_pushes_are_each_in_redis_with_their_sync_when_answered(app):
    secret = app.config["GOOGLE_HEALTH_WEBHOOK_SECRET"]
    redis = queues.redis
    found: dict[str, tuple] = {}

    def push(owner: str) -> None:
        answer = app.test_client().post("/webhooks/google-health", headers={"Authorization": secret},
                                        json={"data": {"healthUserId": owner, "operation": "UPSERT"}})
        job_id = redis.get(f"sync:queued:google:{owner}")
        job = Job.fetch(job_id.decode(), connection=redis) if job_id else None
        found[owner] = (answer.status_code, job and job.get_status(), job and job.args[:2])

    calls_before, writes_before = coalescing._claims.calls, coalescing._claims.writes
    owners = [f"together-{number}" for number in range(16)]
    for thread in in_threads(push, owners):
        thread.join(30)

    assert found == {owner: (204, JobStatus.SCHEDULED, ("google", owner)) for owner in owners}
    assert queues.redis.hlen("sync:dirty") == 16
    assert len(Queue("default", connection=queues.redis).scheduled_job_registry.get_job_ids()) == 16
    assert coalescing._claims.writes - writes_before == 16
    assert coalescing._claims.calls - calls_before <= 16
