"""Sync requests coalesced in Redis: at most one queued sync per user, and none lost with a dead worker.

Pushes repeat and come in bursts. A request marks the user dirty (a counter in one hash) and
claims the user's queued flag, which names the sync job that will run; only the claimant
queues that job. The job gives up the flag as it starts, so a push during the sync queues
exactly one more, and clears the dirty mark at the end only if no push came meanwhile. The
sweep re-queues a user still dirty with no sync waiting and none running.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import cast

from redis import Redis
from redis.commands.core import Script
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.queue import Queue

from app.adapters import locks
from app.extensions import queues
from app.models import utcnow
from app.tasks.group_commit import GroupCommit

DIRTY = "sync:dirty"
CLAIM_SECONDS = 3600
# A push is one round trip whatever it finds (docs/benchmarks.md, "Profile"), shared with the pushes of the
# process's other threads that wait meanwhile (group_commit): for each, mark the user dirty, claim the queued flag,
# and only if it was free save the sync job as RQ's scheduler reads it (RQ's own job hash, job_hashes; its
# scheduled registry; its set of queues), so the flag never names a job that does not exist.
# KEYS: per claim, the dirty hash, queued flag, job hash, scheduled registry, set of queues.
# ARGV: the number of job templates, then each template (how many values follow, then the fields shared by its
# jobs and their values); then per claim: how many values follow, the member, job id, flag seconds, run at (epoch
# seconds), queue key, its template's number, and the job's own fields and values. Returns 1 or 0 per claim.
_MARK_CLAIM_AND_SCHEDULE = """
local templates, at = {}, 2
for number = 1, tonumber(ARGV[1]) do
  templates[number] = {at + 1, at + tonumber(ARGV[at])}
  at = templates[number][2] + 1
end
local claimed = {}
for index = 0, #KEYS / 5 - 1 do
  local key, last = index * 5, at + tonumber(ARGV[at])
  redis.call('HINCRBY', KEYS[key + 1], ARGV[at + 1], 1)
  if redis.call('SET', KEYS[key + 2], ARGV[at + 2], 'NX', 'EX', ARGV[at + 3]) then
    local template = templates[tonumber(ARGV[at + 6])]
    redis.call('HSET', KEYS[key + 3], unpack(ARGV, template[1], template[2]))
    redis.call('HSET', KEYS[key + 3], unpack(ARGV, at + 7, last))
    redis.call('ZADD', KEYS[key + 4], ARGV[at + 4], ARGV[at + 2])
    redis.call('SADD', KEYS[key + 5], ARGV[at + 5])
    claimed[index + 1] = 1
  else
    claimed[index + 1] = 0
  end
  at = last + 1
end
return claimed
"""
# Clear the dirty mark only if no push arrived since this sync read it.
_CLEAR_IF_UNCHANGED = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""


def member(platform: str, platform_user_id: str) -> str:
    """How a user is named in the coalescing keys: "google:<health user id>"."""
    return f"{platform}:{platform_user_id}"


def _queued_key(name: str) -> str:
    return f"sync:queued:{name}"


def _running_key(name: str) -> str:
    return f"sync:running:{name}"


def new_job_id() -> str:
    return f"sync-{uuid.uuid4().hex}"


def claim(name: str, job_id: str, job_fields: tuple[tuple, tuple], queue: Queue, run_at: datetime) -> bool:
    """Mark the user dirty; when no sync was waiting, schedule the job `job_id` on `queue` for `run_at` and return
    True.

    `job_fields` is the job's hash as RQ stores it, as the fields shared with the queue's other such jobs and its
    own (job_hashes.JobHashes.parts). It costs nothing in Redis until the claim succeeds; RQ's scheduler then moves
    the job to the queue as for `enqueue_at`. Answered once Redis has stored it, in one call with the claims of
    this process's other threads waiting meanwhile.
    """
    run_at_seconds = calendar.timegm(run_at.utctimetuple())  # as RQ scores its scheduled registry
    keys = (DIRTY, _queued_key(name), Job.key_for(job_id), queue.scheduled_job_registry.key, queue.redis_queues_keys)
    return _claims(queues.redis, (keys, (name, job_id, CLAIM_SECONDS, run_at_seconds, queue.key), *job_fields))


def _claim_together(redis: Redis, claims: Sequence[tuple[tuple, tuple, tuple, tuple]]) -> list[bool]:
    templates: dict[int, tuple[int, tuple]] = {}
    for _, _, shared, _ in claims:
        templates.setdefault(id(shared), (len(templates) + 1, shared))
    args: list = [len(templates)]
    for _, shared in templates.values():
        args += (len(shared), *shared)
    for _, head, shared, own in claims:
        args += (len(head) + 1 + len(own), *head, templates[id(shared)][0], *own)
    keys = [key for claim_keys, _, _, _ in claims for key in claim_keys]
    return [bool(claimed) for claimed in _script(redis)(keys=keys, args=args)]


_claims: GroupCommit[tuple[tuple, tuple, tuple, tuple], bool] = GroupCommit(_claim_together)


def _script(redis: Redis) -> Script:
    """The claim script bound to this process's client: EVALSHA sends its hash, not its text, on every call."""
    script = _scripts.get(id(redis))
    if script is None or script.registered_client is not redis:
        script = _scripts[id(redis)] = redis.register_script(_MARK_CLAIM_AND_SCHEDULE)
    return script


_scripts: dict[int, Script] = {}


def claim_later(name: str, job_id: str, seconds: float) -> None:
    """Hold the queued flag for a sync deliberately put off (a rate limit) until it has had its turn."""
    queues.redis.set(_queued_key(name), job_id, ex=int(seconds) + CLAIM_SECONDS)


def start(name: str) -> bytes | None:
    """The sync begins: give up the queued flag (a new push queues a follow-up) and read the dirty mark."""
    queues.redis.delete(_queued_key(name))
    return cast(bytes | None, queues.redis.hget(DIRTY, name))  # our Redis client answers bytes


def finish(name: str, generation: bytes | None) -> None:
    """The sync read everything up to `generation`: clear the mark unless a push came since."""
    if generation is not None:
        queues.redis.eval(_CLEAR_IF_UNCHANGED, 1, DIRTY, name, generation)


def forget(name: str) -> None:
    """Nothing to sync for this user (unknown to us): drop the mark."""
    queues.redis.hdel(DIRTY, name)


@contextmanager
def running(name: str, seconds: float) -> Iterator[None]:
    """One sync at a time per user; the lock outliving `seconds` means its worker died."""
    with locks.held(_running_key(name), seconds, TimeoutError(f"another sync of {name} is still running")):
        yield


# Marks Redis is asked for at a time when the sweep reads them all (a hint to HSCAN, not an exact count).
DIRTY_SCAN_PAGE = 1000


def dirty_members() -> list[str]:
    """Every user with a sync owed, read a page at a time: after an outage the hash holds one mark per user,
    and HKEYS would answer all of them in one reply while Redis serves no one else. HSCAN may repeat a
    member while the hash grows; each is named once."""
    members = queues.redis.hscan_iter(DIRTY, count=DIRTY_SCAN_PAGE)
    return list(dict.fromkeys(raw.decode() for raw, _generation in members))


def is_running(name: str) -> bool:
    return bool(queues.redis.exists(_running_key(name)))


def release_claim(name: str) -> None:
    """Drop a queued flag whose sync is lost, so the next request can queue one."""
    queues.redis.delete(_queued_key(name))


def still_waiting(name: str, grace: timedelta) -> bool:
    """Is the sync the user's queued flag names still going to run?

    A worker killed after taking the job but before its body ran leaves the flag behind; the job
    then sits in RQ's started registry with no one working on it for longer than `grace`.
    """
    job_id = cast(bytes | None, queues.redis.get(_queued_key(name)))  # our Redis client answers bytes
    if job_id is None:
        return False
    try:
        job = Job.fetch(job_id.decode(), connection=queues.redis)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status in {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}:
        return True
    return status is JobStatus.STARTED and job.started_at is not None and utcnow() - job.started_at.replace(
        tzinfo=UTC) < grace
