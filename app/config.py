"""The service's settings: what production requires, and safe development defaults (app.environment parses)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping

from cryptography.fernet import Fernet
from dotenv import load_dotenv

from app.environment import (
    INSTANCE_DIR,
    PROJECT_DIR,
    ConfigError,
    Environment,
    admin_users,
    database_url,
    engine_options,
    kept_secret,
    log_level,
    private_instance_dir,
    public_url,
    sms_countries,
)

# The sandbox identities are public placeholders that only the local emulator accepts. sandbox/config.py holds
# its own copy (neither package imports the other); tests/unit/test_emulator_identities.py holds them equal.
SANDBOX_DEFAULTS = {
    "FITBIT_CLIENT_ID": "sandbox-fitbit-client",
    "FITBIT_CLIENT_SECRET": "sandbox-fitbit-secret",
    "FITBIT_VERIFICATION_CODE": "sandbox-verify-code",
    "GOOGLE_CLIENT_ID": "sandbox-google-client",
    "GOOGLE_CLIENT_SECRET": "sandbox-google-secret",
    "GOOGLE_HEALTH_WEBHOOK_SECRET": "sandbox-google-webhook-secret",
}


# Gunicorn threads per web process (gunicorn.conf.py reads GUNICORN_THREADS with this same default): each open
# dashboard stream holds one, and webhooks and pages always keep REQUEST_THREADS of them.
WEB_THREADS = 128
REQUEST_THREADS = 8


def live_max_streams(threads: int, asked: str | None) -> int:
    """The live streams one web process may hold: every thread but the ones webhooks keep (none with 8 threads
    or fewer: dashboards then refresh on a timer), or fewer if asked."""
    most = max(0, threads - REQUEST_THREADS)
    if asked is None:
        return most
    if not asked.isdigit() or int(asked) > most:
        raise ConfigError(f"LIVE_MAX_STREAMS must be a whole number up to {most} (GUNICORN_THREADS less the "
                          f"{REQUEST_THREADS} that webhooks keep), not {asked!r}")
    return int(asked)


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
    # The emulator stands in for the platforms on a newcomer's machine; a production site gets it only when
    # asked for (SANDBOX=1, a demo), never because a platform is missing.
    sandbox = env.flag("SANDBOX", default=not (has_platform or production))
    if production and not (has_platform or sandbox):
        raise ConfigError(
            "No wearable platform is configured: set GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and "
            "GOOGLE_HEALTH_WEBHOOK_SECRET for the Google Health API (or FITBIT_CLIENT_ID and its settings for "
            "the legacy Fitbit Web API)"
        )
    sandbox_url = env.get("SANDBOX_URL", "http://127.0.0.1:5001").rstrip("/")

    def setting(name: str, default: str | None = None, *, required: bool = False) -> str | None:
        emulated = sandbox and name in SANDBOX_DEFAULTS
        if emulated:
            default = SANDBOX_DEFAULTS[name]
        if required and production and env.get(name) is None and not emulated:
            raise ConfigError(f"Missing required setting {name}: set it in the environment (see .env.example)")
        return env.get(name, default)

    def platform_url(name: str, real: str, sandbox_path: str) -> str:
        return env.get(name, sandbox_url + sandbox_path if sandbox else real).rstrip("/")

    threads = env.number("GUNICORN_THREADS", WEB_THREADS)
    secret_key = setting("SECRET_KEY", required=True) or kept_secret("secret_key", lambda: secrets.token_hex(32))
    token_keys = setting("TOKEN_ENCRYPTION_KEY", required=True) or kept_secret(
        "token_key", lambda: Fernet.generate_key().decode()
    )
    default_db = "sqlite:///" + str(INSTANCE_DIR / "battery.sqlite3")
    if not env.get("DATABASE_URL"):
        private_instance_dir()
    database = database_url(setting("DATABASE_URL", default_db, required=True) or default_db)
    redis_url = setting("REDIS_URL", "redis://127.0.0.1:6379/0", required=True)

    fitbit_id = setting("FITBIT_CLIENT_ID")
    google_id = setting("GOOGLE_CLIENT_ID")
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
        "SQLALCHEMY_DATABASE_URI": database,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(env, database),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        # Connections one process opens to Redis at most, shared by the queues, the rate limits and the live
        # streams (README, "Connections and plans").
        "REDIS_MAX_CONNECTIONS": env.number("REDIS_MAX_CONNECTIONS", 6),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SANDBOX": sandbox,
        "SANDBOX_URL": sandbox_url,
        # Absolute URLs (OAuth redirects, the https redirect) are built on it, never on a request's Host.
        "PUBLIC_URL": public_url(setting("PUBLIC_URL", required=True)),
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
        # Shown in every page's footer when set: where people write to a person.
        "CONTACT_EMAIL": env.get("CONTACT_EMAIL"),
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
        # Users in one batch job of the silent-device sweep or the backstop (app/tasks/sweep_batches.py).
        "SWEEP_BATCH_USERS": env.number("SWEEP_BATCH_USERS", 200),
        # On SIGTERM a worker's current job gets this long to finish, then goes back on its queue: the platform
        # SIGKILLs the dyno 30 s after SIGTERM, and putting the job back and exiting needs a moment of that.
        "JOB_GRACE_SECONDS": env.number("JOB_GRACE_SECONDS", 20),
        "GUNICORN_THREADS": threads,
        "LIVE_MAX_STREAMS": live_max_streams(threads, env.get("LIVE_MAX_STREAMS")),
        "LIVE_STREAMS_PER_USER": env.number("LIVE_STREAMS_PER_USER", 2),
        "LIVE_STREAM_SECONDS": env.number("LIVE_STREAM_SECONDS", 300),
        "LIVE_HEARTBEAT_SECONDS": env.number("LIVE_HEARTBEAT_SECONDS", 15),
        # Operations (README, "Operating: the operator page, metrics and error reports").
        "LOG_LEVEL": log_level(env.get("LOG_LEVEL")),
        "SENTRY_DSN": env.get("SENTRY_DSN"),
        "METRICS_TOKEN": env.get("METRICS_TOKEN"),
        "ADMIN_USERS": admin_users(env.get("ADMIN_USERS")),
    }
    return settings
