"""Settings read from the environment, with the PaaS URL fixes and safe development defaults."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from cryptography.fernet import Fernet
from dotenv import load_dotenv

PROJECT_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_DIR / "instance"

# The sandbox identities are public placeholders that only the local emulator accepts.
SANDBOX_DEFAULTS = {
    "FITBIT_CLIENT_ID": "sandbox-fitbit-client",
    "FITBIT_CLIENT_SECRET": "sandbox-fitbit-secret",
    "FITBIT_VERIFICATION_CODE": "sandbox-verify-code",
    "GOOGLE_CLIENT_ID": "sandbox-google-client",
    "GOOGLE_CLIENT_SECRET": "sandbox-google-secret",
    "GOOGLE_HEALTH_WEBHOOK_SECRET": "sandbox-google-webhook-secret",
}


# The countries whose numbers we text unless SMS_COUNTRIES says otherwise (ISO 3166 codes).
SMS_COUNTRIES = ("GB", "US", "CA", "IE", "AU", "NZ", "DE", "FR", "ES", "IT", "NL", "BE", "SE", "IN", "JP", "BR", "ZA")


class ConfigError(RuntimeError):
    """A setting the service cannot start without is missing or malformed."""


@dataclass(frozen=True)
class Environment:
    """A read-only view of the variables, with the few parsing rules we need."""

    values: Mapping[str, str]

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


def private_instance_dir() -> Path:
    """instance/, readable by its owner only: it holds the development secrets and the SQLite database."""
    INSTANCE_DIR.mkdir(mode=0o700, exist_ok=True)
    INSTANCE_DIR.chmod(0o700)
    return INSTANCE_DIR


def _kept_secret(name: str, make: Callable[[], str]) -> str:
    """A development secret generated once and kept under instance/ so restarts keep sessions."""
    private_instance_dir()
    path = INSTANCE_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _is_production(env: Environment) -> bool:
    # Heroku sets DYNO on every dyno; APP_ENV makes the choice explicit elsewhere.
    return env.get("APP_ENV", "production" if env.get("DYNO") else "development") == "production"


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Turn environment variables into Flask settings; in production, refuse to start without secrets."""
    if environ is None:
        load_dotenv(PROJECT_DIR / ".env", override=False)
    env = Environment(os.environ if environ is None else environ)
    production = _is_production(env)
    has_platform = bool(env.get("FITBIT_CLIENT_ID") or env.get("GOOGLE_CLIENT_ID"))
    sandbox = env.flag("SANDBOX", default=not has_platform)
    sandbox_url = env.get("SANDBOX_URL", "http://127.0.0.1:5001").rstrip("/")

    def setting(name: str, default: str | None = None, *, required: bool = False) -> str | None:
        if sandbox and name in SANDBOX_DEFAULTS:
            default = SANDBOX_DEFAULTS[name]
        if required and production and env.get(name) is None:
            raise ConfigError(f"Missing required setting {name}: set it in the environment (see .env.example)")
        return env.get(name, default)

    def platform_url(name: str, real: str, sandbox_path: str) -> str:
        return env.get(name, sandbox_url + sandbox_path if sandbox else real).rstrip("/")

    secret_key = setting("SECRET_KEY", required=True) or _kept_secret("secret_key", lambda: secrets.token_hex(32))
    token_keys = setting("TOKEN_ENCRYPTION_KEY", required=True) or _kept_secret(
        "token_key", lambda: Fernet.generate_key().decode()
    )
    default_db = "sqlite:///" + str(INSTANCE_DIR / "battery.sqlite3")
    if not env.get("DATABASE_URL"):
        private_instance_dir()
    redis_url = setting("REDIS_URL", "redis://127.0.0.1:6379/0", required=True)

    fitbit_id = setting("FITBIT_CLIENT_ID")
    google_id = setting("GOOGLE_CLIENT_ID")
    if production and not (fitbit_id or google_id):
        raise ConfigError(
            "Missing required setting GOOGLE_CLIENT_ID (or FITBIT_CLIENT_ID): no wearable platform is configured"
        )
    vonage_key = setting("VONAGE_API_KEY")
    if production and env.get("SMS_BACKEND") is None:
        # No silent fall-back to the outbox: a production site that forgot its Vonage key would text nobody.
        raise ConfigError("Missing required setting SMS_BACKEND: set it to vonage (or outbox for a demo site)")
    sms_backend = env.get("SMS_BACKEND", "vonage" if vonage_key else "outbox")
    if sms_backend not in {"vonage", "outbox"}:
        raise ConfigError(f"SMS_BACKEND must be 'vonage' or 'outbox', not {sms_backend!r}")

    settings: dict[str, object] = {
        "APP_ENV": "production" if production else "development",
        "SECRET_KEY": secret_key,
        "TOKEN_ENCRYPTION_KEY": token_keys,
        "SQLALCHEMY_DATABASE_URI": database_url(setting("DATABASE_URL", default_db, required=True)),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_STORAGE_OPTIONS": redis_options(redis_url),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SANDBOX": sandbox,
        "SANDBOX_URL": sandbox_url,
        "PUBLIC_URL": env.get("PUBLIC_URL", "").rstrip("/"),
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "FITBIT_CLIENT_ID": fitbit_id,
        "FITBIT_CLIENT_SECRET": setting("FITBIT_CLIENT_SECRET", required=bool(fitbit_id)),
        "FITBIT_VERIFICATION_CODE": setting("FITBIT_VERIFICATION_CODE", required=bool(fitbit_id)),
        "FITBIT_SUBSCRIBER_ID": setting("FITBIT_SUBSCRIBER_ID"),
        "FITBIT_API_URL": platform_url("FITBIT_API_URL", "https://api.fitbit.com", "/fitbit"),
        "FITBIT_AUTHORIZE_URL": platform_url(
            "FITBIT_AUTHORIZE_URL", "https://www.fitbit.com/oauth2/authorize", "/fitbit/oauth2/authorize"
        ),
        "GOOGLE_CLIENT_ID": google_id,
        "GOOGLE_CLIENT_SECRET": setting("GOOGLE_CLIENT_SECRET", required=bool(google_id)),
        "GOOGLE_HEALTH_WEBHOOK_SECRET": setting("GOOGLE_HEALTH_WEBHOOK_SECRET", required=bool(google_id)),
        "GOOGLE_HEALTH_API_URL": platform_url(
            "GOOGLE_HEALTH_API_URL", "https://health.googleapis.com", "/google"
        ),
        "GOOGLE_AUTHORIZE_URL": platform_url(
            "GOOGLE_AUTHORIZE_URL", "https://accounts.google.com/o/oauth2/v2/auth", "/google/o/oauth2/v2/auth"
        ),
        "GOOGLE_TOKEN_URL": platform_url("GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token", "/google/token"),
        "GOOGLE_REVOKE_URL": platform_url(
            "GOOGLE_REVOKE_URL", "https://oauth2.googleapis.com/revoke", "/google/revoke"
        ),
        "SMS_BACKEND": sms_backend,
        "SMS_OUTBOX_URL": env.get("SMS_OUTBOX_URL", sandbox_url + "/vonage/sms/json" if sandbox else None),
        "VONAGE_API_KEY": setting("VONAGE_API_KEY", required=sms_backend == "vonage"),
        "VONAGE_API_SECRET": setting("VONAGE_API_SECRET", required=sms_backend == "vonage"),
        "VONAGE_FROM": setting("VONAGE_FROM", "BatteryText", required=sms_backend == "vonage"),
        # Signed webhooks are the only proof a STOP or a receipt came from Vonage: required with real texts.
        "VONAGE_SIGNATURE_SECRET": setting("VONAGE_SIGNATURE_SECRET", required=sms_backend == "vonage"),
        "VONAGE_REST_HOST": env.get("VONAGE_REST_HOST", "rest.nexmo.com"),
        "VONAGE_API_HOST": env.get("VONAGE_API_HOST", "api.nexmo.com"),
        "VONAGE_TIMEOUT_SECONDS": env.number("VONAGE_TIMEOUT_SECONDS", 10),
        "PHONE_DEFAULT_REGION": env.get("PHONE_DEFAULT_REGION", "GB"),
        "SMS_COUNTRIES": sms_countries(env.get("SMS_COUNTRIES")),
        # Codes texted by the whole site in an hour: a ceiling on what pumping codes can cost.
        "SMS_CODES_PER_HOUR": env.number("SMS_CODES_PER_HOUR", 500),
        # Proxies in front of the app that append to X-Forwarded-For (the PaaS router: 1). More than are
        # there lets a client choose its own address; fewer makes the router everyone's address.
        "FORWARDED_HOPS": env.number("FORWARDED_HOPS", 1),
        "PLATFORM_TIMEOUT_SECONDS": env.number("PLATFORM_TIMEOUT_SECONDS", 10),
        "SILENCE_HOURS": env.number("SILENCE_HOURS", 24),
        "DAILY_TEXT_CAP": env.number("DAILY_TEXT_CAP", 5),
        # How long the welcome waits for the first read after the number is confirmed.
        "WELCOME_WAIT_SECONDS": env.number("WELCOME_WAIT_SECONDS", 120),
        # The longest a request body may take to arrive before the request ends with 408 (gunicorn only).
        "REQUEST_BODY_SECONDS": env.number("REQUEST_BODY_SECONDS", 10),
        # The first wait before work held back by refused credentials is tried again; it grows with the outage.
        "REFUSED_RETRY_SECONDS": env.number("REFUSED_RETRY_SECONDS", 60),
        "WEBHOOK_MAX_BYTES": env.number("WEBHOOK_MAX_BYTES", 256 * 1024),
        "SYNC_LOCK_SECONDS": env.number("SYNC_LOCK_SECONDS", 120),
        "SYNC_DEBOUNCE_SECONDS": env.number("SYNC_DEBOUNCE_SECONDS", 2),
        "SWEEP_EVERY_SECONDS": env.number("SWEEP_EVERY_SECONDS", 60),
        # On SIGTERM a worker's current job gets this long to finish, then goes back on its queue: the platform
        # SIGKILLs the dyno 30 s after SIGTERM, and putting the job back and exiting needs a moment of that.
        "JOB_GRACE_SECONDS": env.number("JOB_GRACE_SECONDS", 20),
        # Each open dashboard stream holds a gunicorn thread: keep most threads for webhooks.
        "LIVE_MAX_STREAMS": env.number("LIVE_MAX_STREAMS", 4),
        "LIVE_STREAMS_PER_USER": env.number("LIVE_STREAMS_PER_USER", 2),
        "LIVE_STREAM_SECONDS": env.number("LIVE_STREAM_SECONDS", 300),
        "LIVE_HEARTBEAT_SECONDS": env.number("LIVE_HEARTBEAT_SECONDS", 15),
    }
    return settings
