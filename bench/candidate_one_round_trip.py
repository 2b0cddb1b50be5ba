"""A candidate fix measured before it is applied: request_sync's mark and flag in one Redis round trip.

Not the product: `gunicorn bench.candidate_one_round_trip:app` serves wsgi.app with request_sync replaced by
a version that runs HINCRBY sync:dirty and SET sync:queued NX EX in one Lua script (one round trip instead
of two; RQ's enqueue_in is unchanged). The proposed change to app/tasks/sync.py is exactly this function.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

import app.tasks.sync as sync
import app.webhooks.platforms as platforms
from app.extensions import queues

# KEYS[1] the dirty hash, KEYS[2] the user's queued flag; ARGV[1] the member. Returns 1 if this push queues the sync.
_MARK_AND_CLAIM = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if redis.call('SET', KEYS[2], 1, 'NX', 'EX', 3600) then return 1 end
return 0
"""


def request_sync(platform: str, platform_user_id: str) -> bool:
    redis = queues.redis
    member = sync._member(platform, platform_user_id)
    if not redis.register_script(_MARK_AND_CLAIM)(keys=[sync.DIRTY, sync._queued_key(member)], args=[member]):
        return False
    wait = timedelta(seconds=float(current_app.config.get("SYNC_DEBOUNCE_SECONDS", 2)))
    queues.queue("default").enqueue_in(wait, sync.sync_platform_user, platform, platform_user_id,
                                       retry=sync.SYNC_RETRY, job_timeout=300)
    return True


sync.request_sync = request_sync
platforms.request_sync = request_sync

from wsgi import app  # noqa: E402  - imported after the patch, as gunicorn would load it

__all__ = ["app"]
