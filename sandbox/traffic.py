"""What every platform request passes through: retirement, fault switches, quotas and the request log."""
from flask import g, request

from sandbox.context import current_world
from sandbox.errors import fault_response, fitbit_error, google_error
from sandbox.world import rfc3339, utc_now


def guard(platform):
    """A before_request hook: Fitbit retired → 410; then the platform's fault switches."""

    def before_platform_request():
        g.platform = platform
        g.person_id = None
        g.rate_headers = None
        world = current_world()
        # Since 2026-11-02 every legacy Fitbit endpoint, OAuth included, answers 410 Gone.
        if platform == "fitbit" and world.fitbit_retired:
            return fitbit_error(410, "system", "The Fitbit Web API has been retired. Use the Google Health API.")
        if request.endpoint and request.endpoint.endswith(".authorize"):
            return None
        with world.lock:
            faults = world.faults[platform]
            latency_seconds = faults.latency_ms / 1000
            fate = faults.draw()
            hold_seconds = faults.timeout_seconds
        if latency_seconds:
            world.stopping.wait(latency_seconds)
        if fate == "timeout":
            world.stopping.wait(hold_seconds)
        if fate:
            return fault_response(platform, fate)
        return None

    return before_platform_request


def charge_quota(platform, person_id):
    """Count a request against the person's quota; returns the 429 answer when it is used up."""
    world = current_world()
    with world.lock:
        quota = world.limits[platform].take(person_id)
    if platform == "fitbit":
        # Fitbit puts the quota on every per-user API response; Reset is seconds to the window's end.
        g.rate_headers = {
            "Fitbit-Rate-Limit-Limit": str(quota.limit),
            "Fitbit-Rate-Limit-Remaining": str(quota.remaining),
            "Fitbit-Rate-Limit-Reset": str(quota.reset_seconds),
        }
        if not quota.allowed:
            body, status = fitbit_error(429, "system", "Too Many Requests", field_name="n/a")
            body.headers["Retry-After"] = str(quota.reset_seconds)
            return body, status
        return None
    if not quota.allowed:
        return google_error(429, "Quota exceeded for quota metric 'Requests' per user.", "RATE_LIMIT_EXCEEDED")
    return None


def log_platform_request(response):
    """An after_request hook: every platform call is logged, refused ones included."""
    if g.get("rate_headers"):
        response.headers.update(g.rate_headers)
    if request.endpoint:
        current_world().record_request(
            {
                "platform": g.get("platform"),
                "person_id": g.get("person_id"),
                "endpoint": request.endpoint.rsplit(".", 1)[-1],
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "time": rfc3339(utc_now()),
            }
        )
    return response
