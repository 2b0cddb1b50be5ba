"""`/admin` for the operators ADMIN_USERS names (404 for everyone else) and `/metrics` for a bearer of METRICS_TOKEN."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user
from redis.exceptions import RedisError

from app.adapters import metrics
from app.web.admin import figures

blueprint = Blueprint("admin", __name__, template_folder="templates")


def is_operator(user) -> bool:
    """Whether the signed-in account is one ADMIN_USERS names (`platform:platform_user_id`)."""
    if not user.is_authenticated:
        return False
    return f"{user.platform.value}:{user.platform_user_id}" in current_app.config["ADMIN_USERS"]


@blueprint.get("/admin")
def operator_page():
    # 404, not 403: the page does not exist for anyone else, nor does a hint that it might.
    if not is_operator(current_user):
        abort(404)
    response = Response(render_template(
        "admin/admin.html", redis=redis_figures(), outcomes=metrics.CALL_OUTCOMES,
        connections=figures.users_by_connection(), phones=figures.users_by_phone(), texts=figures.texts(),
        pending=figures.pending_pushes(),
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


def redis_figures() -> dict[str, object] | None:
    """The figures Redis keeps, or None while it does not answer: the database's figures (pushes kept during the
    outage among them) still show."""
    try:
        return {"credentials": figures.credentials(), "calls": figures.platform_calls(),
                "queues": figures.queue_depths(), "failed_jobs": figures.failed_jobs(), "sweep": figures.last_sweep()}
    except RedisError:
        return None


@blueprint.get("/metrics")
def metrics_text():
    """Prometheus scrapes this with `Authorization: Bearer <METRICS_TOKEN>`; without the token it is 404."""
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        abort(404)
    text, content_type = metrics.exposition(request.headers.get("Accept"))
    return Response(text, content_type=content_type, headers={"Cache-Control": "no-store"})
