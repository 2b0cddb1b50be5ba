"""The control API for tests and the panel: people, devices, tokens, syncs, revocations and reset."""
from zoneinfo import ZoneInfoNotFoundError

from flask import Blueprint, jsonify, redirect, request

from sandbox.context import current_settings, current_world
from sandbox.notifications import revoke_person, sync_person
from sandbox.world import DeviceError, apply_device_fields

blueprint = Blueprint("control", __name__, url_prefix="/_control")

WEARABLE_PLATFORMS = ("fitbit", "google")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ControlError(Exception):
    """A control request that cannot be done; carries the HTTP status to answer."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


@blueprint.errorhandler(ControlError)
def control_error(error):
    return jsonify({"error": error.message}), error.status


def from_panel():
    """The HTML panel posts forms; tests post JSON."""
    return request.mimetype in FORM_TYPES


def payload():
    if from_panel():
        return request.form.to_dict()
    return request.get_json(silent=True) or {}


def answer(body, status=200):
    """JSON for the API; for the panel's forms, straight back to the page they came from."""
    if from_panel():
        return redirect(request.form.get("next") or "/", code=303)
    if status == 204:
        return "", 204
    return jsonify(body), status


def chosen_platforms(fields):
    """`platform` may be one name or a list; absent means: let the emulator decide."""
    chosen = fields.get("platform") or None
    if chosen is None:
        return None
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    unknown = [platform for platform in chosen if platform not in WEARABLE_PLATFORMS]
    if unknown:
        raise ControlError(400, f"unknown platform: {', '.join(unknown)}")
    return chosen


def person_or_404(world, person_id):
    person = world.find_person(person_id)
    if person is None:
        raise ControlError(404, f"no person {person_id}")
    return person


def person_json(world, person):
    with world.lock:
        return {
            "id": person.id,
            "fitbit_user_id": person.fitbit_user_id,
            "health_user_id": person.health_user_id,
            "legacy_user_id": person.legacy_user_id,
            "name": person.name,
            "time_zone": person.time_zone,
            "devices": [device.as_control_json() for device in person.devices.values()],
            "grants": {
                platform: [
                    {"scopes": grant.scopes, "has_refresh_token": grant.refresh_token is not None}
                    for grant in world.grants.active_grants(person.id, platform)
                ]
                for platform in WEARABLE_PLATFORMS
            },
            "subscriptions": [
                {
                    "subscription_id": subscription.subscription_id,
                    "collection_type": subscription.collection_type,
                    "subscriber_id": subscription.subscriber_id,
                }
                for subscription in person.subscriptions.values()
            ],
        }


@blueprint.post("/reset")
def reset():
    current_world().reset()
    return answer({"reset": True})


@blueprint.get("/people")
def people():
    world = current_world()
    with world.lock:
        listed = [person_json(world, person) for person in world.people.values()]
    return jsonify({"people": listed})


@blueprint.post("/people")
def create_person():
    fields = payload()
    devices = fields.get("devices")
    if devices is None and fields.get("product"):
        panel_fields = ("type", "product", "battery_level", "last_sync_days_ago")
        devices = [{name: fields[name] for name in panel_fields if fields.get(name)}]
    world = current_world()
    with world.lock:
        if fields.get("fitbit_user_id") and world.find_person(fields["fitbit_user_id"]):
            raise ControlError(409, "that fitbit_user_id is taken")
        try:
            person = world.add_person(
                fields.get("name"), fields.get("time_zone"), fields.get("fitbit_user_id"), fields.get("health_user_id")
            )
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ControlError(400, f"unknown time zone: {exc}") from exc
        try:
            for device_fields in devices or []:
                world.add_device(person, device_fields)
        except (DeviceError, ValueError) as exc:
            del world.people[person.id]
            raise ControlError(400, str(exc)) from exc
        return answer(person_json(world, person), 201)


@blueprint.get("/people/<person_id>")
def show_person(person_id):
    world = current_world()
    return jsonify(person_json(world, person_or_404(world, person_id)))


@blueprint.delete("/people/<person_id>")
def delete_person(person_id):
    """The account is gone: its tokens stop working, no push is sent."""
    world = current_world()
    with world.lock:
        person = person_or_404(world, person_id)
        for platform in WEARABLE_PLATFORMS:
            for grant in world.grants.active_grants(person.id, platform):
                world.grants.revoke(grant)
        del world.people[person.id]
    return answer({}, 204)


@blueprint.post("/people/<person_id>/delete")
def delete_person_from_panel(person_id):
    return delete_person(person_id)


@blueprint.post("/people/<person_id>/devices")
def add_device(person_id):
    world = current_world()
    with world.lock:
        person = person_or_404(world, person_id)
        try:
            device = world.add_device(person, payload())
        except (DeviceError, ValueError) as exc:
            raise ControlError(400, str(exc)) from exc
        return answer(device.as_control_json(), 201)


@blueprint.route("/people/<person_id>/devices/<device_id>", methods=["PATCH", "POST"])
def update_device(person_id, device_id):
    world = current_world()
    with world.lock:
        device = person_or_404(world, person_id).devices.get(device_id)
        if device is None:
            raise ControlError(404, f"no device {device_id}")
        try:
            apply_device_fields(device, payload())
        except (DeviceError, ValueError) as exc:
            raise ControlError(400, str(exc)) from exc
        return answer(device.as_control_json())


@blueprint.delete("/people/<person_id>/devices/<device_id>")
def remove_device(person_id, device_id):
    world = current_world()
    with world.lock:
        if person_or_404(world, person_id).devices.pop(device_id, None) is None:
            raise ControlError(404, f"no device {device_id}")
    return answer({}, 204)


@blueprint.post("/people/<person_id>/expire-tokens")
def expire_tokens(person_id):
    world = current_world()
    platforms = chosen_platforms(payload()) or WEARABLE_PLATFORMS
    with world.lock:
        person = person_or_404(world, person_id)
        expired = {platform: world.grants.expire_access_tokens(person.id, platform) for platform in platforms}
    return answer({"expired": expired})


@blueprint.post("/people/<person_id>/sync")
def sync(person_id):
    fields = payload()
    world = current_world()
    person = person_or_404(world, person_id)
    try:
        duplicates = int(fields.get("duplicates") or 0)
    except ValueError as exc:
        raise ControlError(400, "duplicates must be a whole number") from exc
    return answer(sync_person(world, current_settings(), person, chosen_platforms(fields), duplicates))


@blueprint.post("/people/<person_id>/revoke")
def revoke(person_id):
    world = current_world()
    person = person_or_404(world, person_id)
    return answer(revoke_person(world, current_settings(), person, chosen_platforms(payload())))


def filtered(entries, **wanted):
    wanted = {name: value for name, value in wanted.items() if value is not None}
    return [entry for entry in entries if all(entry.get(name) == value for name, value in wanted.items())]


@blueprint.get("/requests")
def requests_log():
    """Every platform API call, refused ones included; filter by platform, person, endpoint, method, status."""
    world = current_world()
    args = request.args
    person_id = args.get("person_id") or args.get("person")
    if person_id:
        person = world.find_person(person_id)
        person_id = person.id if person else person_id
    status = int(args["status"]) if args.get("status") else None
    with world.lock:
        matching = filtered(
            world.requests,
            platform=args.get("platform"),
            person_id=person_id,
            endpoint=args.get("endpoint"),
            method=args.get("method"),
            status=status,
        )
    return jsonify({"count": len(matching), "requests": matching})


@blueprint.get("/deliveries")
def deliveries():
    world = current_world()
    with world.lock:
        matching = filtered(world.deliveries, platform=request.args.get("platform"), kind=request.args.get("kind"))
    return jsonify({"count": len(matching), "deliveries": matching})
