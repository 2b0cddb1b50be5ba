"""Per-user request quotas in fixed windows aligned to the clock (Fitbit: the top of the hour)."""
import math
import time
from dataclasses import dataclass, field


@dataclass
class Quota:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int


@dataclass
class RateLimit:
    limit: int
    window_seconds: float
    used: dict = field(default_factory=dict)

    def take(self, person_id):
        """Count one request for this person; windows start at multiples of the window length."""
        now = time.time()
        window = math.floor(now / self.window_seconds)
        reset_seconds = max(0, math.ceil((window + 1) * self.window_seconds - now))
        counted_window, count = self.used.get(person_id, (window, 0))
        if counted_window != window:
            count = 0
        if count >= self.limit:
            self.used[person_id] = (window, count)
            return Quota(False, self.limit, 0, reset_seconds)
        count += 1
        self.used[person_id] = (window, count)
        return Quota(True, self.limit, self.limit - count, reset_seconds)

    def as_json(self):
        return {"limit": self.limit, "window_seconds": self.window_seconds}
