"""Reading settings out of environment variables: the parsing rules and the PaaS's URL quirks, one home each."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import overload
from urllib.parse import urlsplit

import phonenumbers

PROJECT_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_DIR / "instance"
# The countries whose numbers we text unless SMS_COUNTRIES says otherwise (ISO 3166 codes).
SMS_COUNTRIES = ("GB", "US", "CA", "IE", "AU", "NZ", "DE", "FR", "ES", "IT", "NL", "BE", "SE", "IN", "JP", "BR", "ZA")


class ConfigError(RuntimeError):
    """A setting the service cannot start without is missing or malformed."""


@dataclass(frozen=True)
class Environment:
    """A read-only view of the variables, with the few parsing rules we need."""

    values: Mapping[str, str]

    @overload
    def get(self, name: str, default: str) -> str: ...
    @overload
    def get(self, name: str, default: None = None) -> str | None: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name, "").strip()
        return value or default

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None:
            return default
        return value.lower() in {"1", "true", "yes", "on"}

    def number(self, name: str, default: int) -> int:
        value = self.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {value!r}") from None


def sms_countries(value: str | None) -> tuple[str, ...]:
    """SMS_COUNTRIES read as ISO 3166 region codes (comma-separated); every text costs money in its country."""
    if value is None:
        return SMS_COUNTRIES
    countries = tuple(dict.fromkeys(part.strip().upper() for part in value.split(",") if part.strip()))
    unknown = [country for country in countries if country not in phonenumbers.SUPPORTED_REGIONS]
    if unknown or not countries:
        raise ConfigError(f"SMS_COUNTRIES must list ISO country codes like GB,IE, not {value!r}")
    return countries


def admin_users(value: str | None) -> frozenset[str]:
    """ADMIN_USERS read as `platform:platform_user_id` entries (comma-separated): who may open /admin."""
    entries = frozenset(part.strip() for part in (value or "").split(",") if part.strip())
    malformed = [entry for entry in entries
                 if entry.partition(":")[0] not in {"fitbit", "google"} or not entry.partition(":")[2]]
    if malformed:
        raise ConfigError(f"ADMIN_USERS entries must look like google:<platform user id>, not {malformed[0]!r}")
    return entries


def log_level(value: str | None) -> str:
    """LOG_LEVEL as logging names it (DEBUG, INFO, WARNING, ERROR): web and worker log at it alike."""
    level = (value or "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {value!r}")
    return level


def database_url(url: str) -> str:
    """SQLAlchemy wants an explicit driver; PaaS add-ons hand out `postgres://` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def redis_options(url: str) -> dict[str, object]:
    """Connection options for a Redis URL.

    Heroku-style Redis add-ons serve `rediss://` with a self-signed certificate, so
    certificate checks are off for TLS URLs unless the URL itself asks for them.
    """
    if url.startswith("rediss://") and "ssl_cert_reqs" not in url:
        return {"ssl_cert_reqs": None}
    return {}


def public_url(value: str | None) -> str:
    """PUBLIC_URL without its trailing slash; it must be an absolute http(s) address."""
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"PUBLIC_URL must be the site's address like https://battery.example.com, not {value!r}")
    return value.rstrip("/")


def engine_options(env: Environment, database: str) -> dict[str, object]:
    """The database pool of one process, bounded so that every dyno together stays within the plan's
    connections (README, "Connections and plans"). A SQLite file has no connections to ration."""
    if database.startswith("sqlite"):
        return {"pool_pre_ping": True}
    return {
        "pool_pre_ping": True,
        "pool_size": env.number("DB_POOL_SIZE", 4),
        "max_overflow": env.number("DB_MAX_OVERFLOW", 0),
        # A request that finds every connection busy waits this long, then fails rather than hang its thread.
        "pool_timeout": env.number("DB_POOL_TIMEOUT", 10),
    }


def private_instance_dir() -> Path:
    """instance/, readable by its owner only: it holds the development secrets and the SQLite database."""
    INSTANCE_DIR.mkdir(mode=0o700, exist_ok=True)
    INSTANCE_DIR.chmod(0o700)
    return INSTANCE_DIR


def kept_secret(name: str, make: Callable[[], str]) -> str:
    """A development secret generated once and kept under instance/ so restarts keep sessions."""
    private_instance_dir()
    path = INSTANCE_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()
