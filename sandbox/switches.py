"""The control API's switches and observers: limits, faults, retirement, subscriber URLs, handshakes, the phone."""
from flask import Blueprint, jsonify, request

from sandbox.context import current_settings, current_world
from sandbox.control import ControlError, answer, filtered, from_panel, payload
from sandbox.faults import truthy
from sandbox.limits import RateLimit
from sandbox.notifications import verify_fitbit_subscriber, verify_google_subscriber
from sandbox.phone import reply_from_phone
from sandbox.vonage import phone_number
from sandbox.world import PLATFORMS

blueprint = Blueprint("switches", __name__, url_prefix="/_control")

SUBSCRIBER_SETTINGS = ("FITBIT_SUBSCRIBER_URL", "GOOGLE_SUBSCRIBER_URL", "VONAGE_INBOUND_URL", "VONAGE_STATUS_URL")
# A client secret rotated at the platform: our app's copy is then refused (never echoed back).
CLIENT_SECRETS = ("FITBIT_CLIENT_SECRET", "GOOGLE_CLIENT_SECRET")
NUMBER_MODES = ("ok", "failing", "invalid")


@blueprint.errorhandler(ControlError)
def control_error(error):
    return jsonify({"error": error.message}), error.status


def per_platform(fields, known):
    """JSON gives {"fitbit": {...}}; a panel form gives platform=fitbit plus the fields."""
    if from_panel():
        return {fields.pop("platform", ""): fields}
    unknown = [name for name in fields if name not in known]
    if unknown:
        raise ControlError(400, f"unknown platform: {', '.join(unknown)}")
    return fields


@blueprint.route("/limits", methods=["GET", "POST"])
def limits():
    world = current_world()
    if request.method == "POST":
        with world.lock:
            for platform, fields in per_platform(payload(), ("fitbit", "google")).items():
                if platform not in world.limits:
                    raise ControlError(400, f"no rate limit on {platform}")
                current = world.limits[platform]
                try:
                    limit = int(fields.get("limit") or current.limit)
                    window_seconds = float(fields.get("window_seconds") or current.window_seconds)
                except ValueError as exc:
                    raise ControlError(400, "limit and window_seconds are numbers") from exc
                # New limits start with fresh counts.
                world.limits[platform] = RateLimit(limit, window_seconds)
    with world.lock:
        return answer({platform: limit.as_json() for platform, limit in world.limits.items()})


@blueprint.route("/faults", methods=["GET", "POST"])
def faults():
    world = current_world()
    if request.method == "POST":
        with world.lock:
            for platform, fields in per_platform(payload(), PLATFORMS).items():
                if platform not in world.faults:
                    raise ControlError(400, f"unknown platform: {platform}")
                try:
                    world.faults[platform].update(fields)
                except ValueError as exc:
                    raise ControlError(400, str(exc)) from exc
    with world.lock:
        return answer({platform: switches.as_json() for platform, switches in world.faults.items()})


@blueprint.route("/retired", methods=["GET", "POST"])
def retired():
    """Only the legacy Fitbit side can be retired."""
    world = current_world()
    fields = payload()
    if request.method == "POST" and "fitbit" in fields:
        with world.lock:
            world.fitbit_retired = truthy(fields["fitbit"])
    return answer({"fitbit": world.fitbit_retired})


@blueprint.route("/settings", methods=["GET", "POST"])
def subscriber_settings():
    settings = current_settings()
    if request.method == "POST":
        for name, value in payload().items():
            if name not in SUBSCRIBER_SETTINGS + CLIENT_SECRETS:
                raise ControlError(400, f"{name} cannot be changed at run time")
            settings[name] = str(value)
    return answer({name: settings[name] for name in SUBSCRIBER_SETTINGS})


@blueprint.post("/fitbit/verify-subscriber")
def verify_fitbit():
    return answer(verify_fitbit_subscriber(current_world(), current_settings()))


@blueprint.post("/google/verify-subscriber")
def verify_google():
    return answer(verify_google_subscriber(current_world(), current_settings()))


def _number(value, field):
    digits = phone_number(value)
    if digits is None:
        raise ControlError(400, f"{field} must be an E.164 number")
    return digits


@blueprint.get("/phone/messages")
def phone_messages():
    """Texts the SMS API accepted, oldest first; numbers are E.164 digits without '+', as Vonage writes them."""
    world = current_world()
    to = _number(request.args["to"], "to") if request.args.get("to") else None
    with world.lock:
        received = filtered(world.texts, direction="to_phone", to=to)
    return jsonify({"count": len(received), "messages": received})


@blueprint.post("/phone/reply")
def phone_reply():
    fields = payload()
    number = _number(fields.get("from"), "from")
    if not str(fields.get("text") or "").strip():
        raise ControlError(400, "text is required")
    outcome = reply_from_phone(current_world(), current_settings(), number, str(fields["text"]), fields.get("to"))
    return answer(outcome)


@blueprint.post("/phone/failing")
def phone_failing():
    """failing: the SMS API accepts texts but receipts say failed; invalid: the SMS API refuses them; ok: normal."""
    fields = payload()
    number = _number(fields.get("number"), "number")
    mode = fields.get("mode") or "failing"
    if mode not in NUMBER_MODES:
        raise ControlError(400, f"mode is one of {', '.join(NUMBER_MODES)}")
    world = current_world()
    with world.lock:
        world.number_modes[number] = mode
    return answer({"number": number, "mode": mode})
