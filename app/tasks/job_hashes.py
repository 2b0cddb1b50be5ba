"""An RQ job's stored hash, made per push without RQ's per-job work: the push's claim stores it in Redis.

Building an RQ `Job` and its `to_dict()` for every push cost more Python than the whole bare Flask app does
per request (about 0.2 ms; docs/benchmarks.md, "Profile"). Jobs of one function and one set of options differ
only in their id, their arguments (the pickled call and its description) and their creation time; everything
else is taken from one job RQ made itself, once per process and queue. The pickled call and the description are
made with RQ's own serializer and call-string rule, and a test checks that the hash equals the one RQ makes
(tests/unit/test_job_hashes.py), so an RQ upgrade that changes the format fails there, not in a worker.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rq.job import Job, JobStatus
from rq.queue import Queue
from rq.utils import get_call_string, utcformat

# The fields that differ between jobs of one template; the rest are shared (and sent once per call, not per push).
OWN_FIELDS = ("created_at", "data", "description")


class JobHashes:
    """Stored hashes of scheduled jobs calling `function` with the queue-creation options `options`."""

    def __init__(self, function: Callable[..., Any], **options: Any):
        self.function = function
        self.options = options
        self._templates: dict[tuple[int, str], tuple[Job, tuple]] = {}

    def _template(self, queue: Queue) -> tuple[Job, tuple]:
        key = (id(queue.connection), queue.name)
        made = self._templates.get(key)
        if made is None or made[0].connection is not queue.connection:
            job = queue.create_job(self.function, args=(), status=JobStatus.SCHEDULED, job_id="template",
                                   **self.options)
            shared = tuple(item for name, value in job.to_dict().items() if name not in OWN_FIELDS
                           for item in (name, value))
            made = self._templates[key] = (job, shared)
        return made

    def parts(self, queue: Queue, args: tuple, created_at: datetime) -> tuple[tuple, tuple]:
        """The hash RQ would store for `queue.create_job(function, args=args, **options)` made at `created_at` (UTC,
        as RQ's own clock) with the status "scheduled", as (shared, own) flat field-value tuples: the shared one is
        the same object for every job of the queue, so a call carrying several sends it once."""
        job, shared = self._template(queue)
        return shared, (
            "created_at", utcformat(created_at),
            "data", zlib.compress(job.serializer.dumps((job.func_name, None, args, {}))),
            "description", get_call_string(job.func_name, args, {}, max_length=75),  # as Job.get_call_string
        )

    def fields(self, queue: Queue, args: tuple, created_at: datetime) -> dict[str, Any]:
        """The same hash as one dict."""
        shared, own = self.parts(queue, args, created_at)
        flat = shared + own
        return dict(zip(flat[::2], flat[1::2], strict=True))

    @staticmethod
    def key(job_id: str) -> str:
        return Job.key_for(job_id)
