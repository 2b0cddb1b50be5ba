"""One line per event on stdout at LOG_LEVEL, web and worker alike, each naming its request or its job."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request
from rq.job import get_current_job

LINE_FORMAT = "%(levelname)s %(name)s: %(message)s [%(context)s]"
# The platform's router sends its own X-Request-ID; taken only when it looks like one, else we make one.
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
# These libraries log tokens, codes and client secrets at DEBUG: never let them, whatever LOG_LEVEL says.
CHATTY = ("flask_dance", "requests_oauthlib", "oauthlib", "urllib3", "werkzeug")


class EventContext(logging.Filter):
    """Adds `context` to every record: `request=<id>` in a request, `job=<id>` in a job, else `-`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.context = current_context()
        return True


def current_context() -> str:
    if has_request_context() and "request_id" in g:
        return f"request={g.request_id}"
    job = get_current_job()
    return f"job={job.id}" if job is not None else "-"


def configure(app: Flask) -> None:
    """Root logging at LOG_LEVEL with the event's request or job id; the request id is answered back too."""
    level = str(app.config["LOG_LEVEL"])
    root = logging.getLogger()
    if not root.handlers:
        handler: logging.Handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LINE_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(existing, EventContext) for existing in handler.filters):
            handler.addFilter(EventContext())
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    app.before_request(name_the_request)
    app.after_request(answer_the_request_id)


def name_the_request() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def answer_the_request_id(response: Response) -> Response:
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response
