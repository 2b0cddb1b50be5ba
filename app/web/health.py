"""`/healthz`: is the database answering, is Redis answering, do the platforms and Vonage accept our credentials."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.adapters import service_status
from app.extensions import db, queues

blueprint = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@blueprint.get("/healthz")
def healthz():
    """The platform's router and uptime checks read this; 503 tells them to stop sending traffic."""
    checks = {"database": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        checks["database"] = "unavailable"
        log.warning("health check: database unavailable (%s)", type(error).__name__)
        db.session.rollback()
    try:
        queues.redis.ping()
    except RedisError as error:
        checks["redis"] = "unavailable"
        log.warning("health check: redis unavailable (%s)", type(error).__name__)
    else:
        for service in service_status.refused_services():
            checks[f"{service}_credentials"] = "refused"
    healthy = all(state == "ok" for state in checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if healthy else 503
