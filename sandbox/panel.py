"""The control panel: one plain HTML page over the control API."""
from flask import Blueprint, render_template

from sandbox.context import current_settings, current_world
from sandbox.control import person_json
from sandbox.world import BATTERY_STATUSES, DEVICE_TYPES

blueprint = Blueprint("panel", __name__)

RECENT_DELIVERIES = 30


@blueprint.get("/")
def panel():
    world = current_world()
    with world.lock:
        people = [person_json(world, person) for person in world.people.values()]
        deliveries = list(reversed(world.deliveries[-RECENT_DELIVERIES:]))
        faults = {platform: switches.as_json() for platform, switches in world.faults.items()}
        limits = {platform: limit.as_json() for platform, limit in world.limits.items()}
        phones = sorted({text["to"] for text in world.texts if text["direction"] == "to_phone"})
        retired = world.fitbit_retired
    return render_template(
        "panel.html",
        people=people,
        deliveries=deliveries,
        faults=faults,
        limits=limits,
        phones=phones,
        retired=retired,
        settings=current_settings(),
        device_types=DEVICE_TYPES,
        battery_statuses=BATTERY_STATUSES,
    )
