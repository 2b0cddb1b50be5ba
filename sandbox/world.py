"""The emulated people and devices, and the in-memory world that holds all platform state."""
import random
import string
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox.faults import Faults
from sandbox.grants import GrantBook
from sandbox.limits import RateLimit

PLATFORMS = ("fitbit", "google", "vonage")
DEVICE_TYPES = ("TRACKER", "WATCH", "SCALE")
BATTERY_STATUSES = ("High", "Medium", "Low", "Empty")
DEFAULT_TIME_ZONE = "Europe/London"

_ids = random.SystemRandom()


def utc_now():
    return datetime.now(UTC)


def battery_status_for(level):
    """Battery status a device reports when none was set: High 61-100, Medium 25-60, Low 10-24, Empty 0-9."""
    if level > 60:
        return "High"
    if level >= 25:
        return "Medium"
    if level >= 10:
        return "Low"
    return "Empty"


def fitbit_local_time(moment, time_zone):
    """Fitbit shows times in the user's local time, without offset: 2019-11-07T12:00:58.000."""
    local = moment.astimezone(ZoneInfo(time_zone))
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"


def rfc3339(moment):
    """Google writes timestamps as RFC 3339 in UTC with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_moment(text):
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass
class Device:
    id: str
    type: str
    product: str
    battery_level: int
    last_sync: datetime
    mac: str
    explicit_battery_status: str | None = None

    @property
    def battery_status(self):
        return self.explicit_battery_status or battery_status_for(self.battery_level)

    def as_control_json(self):
        return {
            "id": self.id,
            "type": self.type,
            "product": self.product,
            "battery_level": self.battery_level,
            "battery_status": self.battery_status,
            "battery_status_explicit": self.explicit_battery_status is not None,
            "last_sync": rfc3339(self.last_sync),
        }


@dataclass
class Subscription:
    subscription_id: str
    collection_type: str
    subscriber_id: str


@dataclass
class Person:
    fitbit_user_id: str
    health_user_id: str
    name: str
    time_zone: str
    devices: dict = field(default_factory=dict)
    subscriptions: dict = field(default_factory=dict)

    @property
    def id(self):
        return self.fitbit_user_id

    @property
    def legacy_user_id(self):
        return self.fitbit_user_id

    def utc_offset_seconds(self):
        offset = utc_now().astimezone(ZoneInfo(self.time_zone)).utcoffset()
        return int(offset.total_seconds())


class DeviceError(ValueError):
    """A device description the control API cannot accept."""


def _new_fitbit_user_id(taken):
    while True:
        candidate = "".join(_ids.choice(string.ascii_uppercase + string.digits) for _ in range(6))
        if candidate not in taken:
            return candidate


def _new_digits(length):
    return str(_ids.randint(1, 9)) + "".join(_ids.choice(string.digits) for _ in range(length - 1))


def _battery_status(value):
    """A status given to the control API: one of the platform's words, or None to follow the level."""
    if not value:
        return None
    status = str(value).capitalize()
    if status not in BATTERY_STATUSES:
        raise DeviceError(f"battery_status must be one of {', '.join(BATTERY_STATUSES)}")
    return status


def apply_device_fields(device, fields):
    """Update a device from control fields: type, product, battery_level, battery_status, last_sync."""
    if "type" in fields:
        device_type = str(fields["type"]).upper()
        if device_type not in DEVICE_TYPES:
            raise DeviceError(f"type must be one of {', '.join(DEVICE_TYPES)}")
        device.type = device_type
    if fields.get("product"):
        device.product = str(fields["product"])
    if "battery_level" in fields and fields["battery_level"] not in (None, ""):
        level = int(fields["battery_level"])
        if not 0 <= level <= 100:
            raise DeviceError("battery_level must be 0-100")
        device.battery_level = level
    if "battery_status" in fields:
        device.explicit_battery_status = _battery_status(fields["battery_status"])
    if fields.get("last_sync"):
        device.last_sync = parse_moment(fields["last_sync"])
    if fields.get("last_sync_days_ago") not in (None, ""):
        device.last_sync = utc_now() - timedelta(days=float(fields["last_sync_days_ago"]))


class World:
    """Everything the emulated platforms remember; guard every access with `lock`."""

    def __init__(self):
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.generation = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.generation += 1
            self.people = {}
            self.grants = GrantBook()
            self.requests = []
            self.deliveries = []
            self.texts = []
            self.number_modes = {}
            self.faults = {platform: Faults() for platform in PLATFORMS}
            # Fitbit: 150 per user per hour from the top of the hour; Google: 300 per user per minute.
            self.limits = {"fitbit": RateLimit(150, 3600), "google": RateLimit(300, 60)}
            self.fitbit_retired = False
            self.google_subscription_name = str(uuid.uuid4())

    def add_person(self, name=None, time_zone=None, fitbit_user_id=None, health_user_id=None):
        with self.lock:
            time_zone = time_zone or DEFAULT_TIME_ZONE
            ZoneInfo(time_zone)
            fitbit_user_id = fitbit_user_id or _new_fitbit_user_id(self.people)
            person = Person(
                fitbit_user_id=fitbit_user_id,
                health_user_id=health_user_id or _new_digits(20),
                name=name or f"Person {fitbit_user_id}",
                time_zone=time_zone,
            )
            self.people[person.id] = person
            return person

    def find_person(self, person_id):
        with self.lock:
            if person_id in self.people:
                return self.people[person_id]
            for person in self.people.values():
                if person.health_user_id == person_id:
                    return person
            return None

    def add_device(self, person, fields):
        with self.lock:
            device = Device(
                id=str(fields.get("id") or _new_digits(9)),
                type="TRACKER",
                product="Charge 6",
                battery_level=80,
                last_sync=utc_now(),
                mac="".join(_ids.choice("0123456789ABCDEF") for _ in range(12)),
            )
            apply_device_fields(device, fields)
            person.devices[device.id] = device
            return device

    def record_request(self, entry):
        with self.lock:
            self.requests.append(entry)

    def record_delivery(self, entry):
        with self.lock:
            self.deliveries.append(entry)
