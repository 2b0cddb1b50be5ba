"""Each device's own settings on the settings page: an alert level over the account's, and a mute."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.models import Device
from app.web.dashboard.presenting import device_name
from app.web.dashboard.settings_form import THRESHOLD_RANGE


@dataclass
class DeviceSetting:
    """One device's row of the form, as typed; an empty level means "as the account"."""

    device_id: int
    name: str
    level: str = ""
    muted: bool = False

    @property
    def level_field(self) -> str:
        return f"level-{self.device_id}"

    @property
    def muted_field(self) -> str:
        return f"muted-{self.device_id}"


@dataclass
class DeviceSettingsForm:
    rows: list[DeviceSetting]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_devices(cls, devices: list[Device]) -> DeviceSettingsForm:
        return cls([DeviceSetting(device.id, device_name(device), "" if device.alert_level is None else
                                  str(device.alert_level), bool(device.muted)) for device in _ordered(devices)])

    @classmethod
    def from_post(cls, devices: list[Device], form: Mapping[str, str]) -> DeviceSettingsForm:
        submitted = cls.from_devices(devices)
        for row in submitted.rows:
            row.level = form.get(row.level_field, "").strip()
            row.muted = form.get(row.muted_field) == "on"
        low, high = THRESHOLD_RANGE
        for row in submitted.rows:
            if row.level and not (row.level.isascii() and row.level.isdigit() and low <= int(row.level) <= high):
                submitted.errors[row.level_field] = _(
                    "For %(name)s, choose a whole number from %(low)d to %(high)d, or leave it empty to use the "
                    "level above.", name=row.name, low=low, high=high)
        return submitted

    def apply_to(self, devices: list[Device]) -> None:
        """Store each device's level and mute; nothing when any row is wrong."""
        if self.errors:
            raise ValueError("the form has errors; nothing may be saved")
        rows = {row.device_id: row for row in self.rows}
        for device in devices:
            row = rows.get(device.id)
            if row is not None:
                device.alert_level = int(row.level) if row.level else None
                device.muted = row.muted


def _ordered(devices: list[Device]) -> list[Device]:
    return sorted(devices, key=lambda device: (device_name(device), device.id))
