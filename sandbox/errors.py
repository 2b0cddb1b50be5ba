"""Error bodies exactly as each platform sends them, as (json body, status) pairs for Flask."""
from flask import jsonify

GOOGLE_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def fitbit_error(status, error_type, message, field_name=None):
    """Fitbit: {"errors":[{"errorType":…,"message":…}],"success":false}; fieldName only where Fitbit sends it."""
    error = {"errorType": error_type}
    if field_name is not None:
        error["fieldName"] = field_name
    error["message"] = message
    return jsonify({"errors": [error], "success": False}), status


def google_error(status, message, reason=None):
    """Google APIs: {"error":{"code":…,"message":…,"status":…,"details":[…]}}."""
    error = {"code": status, "message": message, "status": GOOGLE_STATUS_NAMES[status]}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
            }
        ]
    return jsonify({"error": error}), status


def google_oauth_error(status, error, description):
    """Google's OAuth endpoints answer in RFC 6749 form: {"error":…,"error_description":…}."""
    return jsonify({"error": error, "error_description": description}), status


def vonage_http_error(status, title, detail):
    """Vonage answers HTTP-level failures with an RFC 7807 problem body."""
    problem = {"type": f"https://developer.vonage.com/api-errors#{status}", "title": title, "detail": detail}
    return jsonify(problem), status


def fault_response(platform, fate):
    """The answer a fault switch gives in the platform's own error shape."""
    if fate == "too_many_requests":
        if platform == "fitbit":
            return fitbit_error(429, "system", "Too Many Requests", field_name="n/a")
        if platform == "google":
            return google_error(429, "Quota exceeded for quota metric 'Requests' per user.", "RATE_LIMIT_EXCEEDED")
        return vonage_http_error(429, "Too Many Requests", "You have exceeded the request rate.")
    status = 504 if fate == "timeout" else 503
    if platform == "fitbit":
        return fitbit_error(status, "system", "The service is temporarily unavailable.")
    if platform == "google":
        return google_error(status, "The service is currently unavailable.")
    return vonage_http_error(status, "Service Unavailable", "The service is temporarily unavailable.")
