"""Fault switches for one platform: 5xx rate, latency, held requests, forced 429s, thin payloads, duplicates."""
import random
from dataclasses import dataclass, field

FLAGS = ("force_429", "omit_optional_fields", "omit_battery_level")


@dataclass
class Faults:
    error_rate: float = 0.0
    latency_ms: int = 0
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    force_429: bool = False
    omit_optional_fields: bool = False
    # Devices that report only the battery word (High/Medium/Low/Empty), never a percentage.
    omit_battery_level: bool = False
    duplicate_pushes: int = 1
    seed: int | None = None
    dice: random.Random = field(default_factory=random.Random, repr=False)

    def update(self, fields):
        """Apply the given switches only, all or none; a seed restarts the dice so runs repeat."""
        changes = self._parsed(fields)
        for name in ("error_rate", "timeout_rate"):
            if not 0 <= changes.get(name, 0) <= 1:
                raise ValueError(f"{name} is between 0 and 1")
        if changes.get("duplicate_pushes", 1) < 1 or changes.get("latency_ms", 0) < 0:
            raise ValueError("duplicate_pushes is at least 1 and latency_ms is not negative")
        for name, value in changes.items():
            setattr(self, name, value)
        if "seed" in changes:
            self.dice = random.Random(self.seed)

    @staticmethod
    def _parsed(fields):
        """The switches given, each as its type; a missing or empty one is left as it is."""
        changes = {}
        for names, kind in ((("error_rate", "timeout_rate", "timeout_seconds"), float),
                            (("latency_ms", "duplicate_pushes", "seed"), int)):
            for name in names:
                if fields.get(name) not in (None, ""):
                    changes[name] = kind(fields[name])
        for name in FLAGS:
            if name in fields:
                changes[name] = truthy(fields[name])
        return changes

    def draw(self):
        """Decide this request's fate: None, 'timeout', 'server_error' or 'too_many_requests'."""
        if self.timeout_rate and self.dice.random() < self.timeout_rate:
            return "timeout"
        if self.error_rate and self.dice.random() < self.error_rate:
            return "server_error"
        if self.force_429:
            return "too_many_requests"
        return None

    def as_json(self):
        return {
            "error_rate": self.error_rate,
            "latency_ms": self.latency_ms,
            "timeout_rate": self.timeout_rate,
            "timeout_seconds": self.timeout_seconds,
            "force_429": self.force_429,
            "omit_optional_fields": self.omit_optional_fields,
            "omit_battery_level": self.omit_battery_level,
            "duplicate_pushes": self.duplicate_pushes,
            "seed": self.seed,
        }


def truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)
