"""The app under test, and the environment it and every worker process a test starts run with."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask_login import FlaskLoginClient

from app import create_app

# A complete production environment with PaaS-style URLs; nothing in it exists, so nothing is reached.
PRODUCTION = {
    "APP_ENV": "production",
    "PUBLIC_URL": "https://battery.example.invalid",
    "SECRET_KEY": "test-only-secret-key",
    "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "DATABASE_URL": "postgres://someone:pw@db.example.invalid:5432/battery",
    "REDIS_URL": "rediss://:pw@cache.example.invalid:6380",
    "GOOGLE_CLIENT_ID": "test-google-client",
    "GOOGLE_CLIENT_SECRET": "test-google-secret",
    "GOOGLE_HEALTH_WEBHOOK_SECRET": "test-webhook-secret",
    "SMS_BACKEND": "vonage",
    "VONAGE_API_KEY": "test-vonage-key",
    "VONAGE_API_SECRET": "test-vonage-secret",
    "VONAGE_FROM": "BatteryText",
    "VONAGE_SIGNATURE_SECRET": "test-vonage-signature-secret",
}


def production_on_test_services(test_env: dict[str, str], **settings: str) -> dict[str, str]:
    """PRODUCTION (ProxyFix, https, Secure cookies), but on the test database and Redis, with no emulator."""
    return {**PRODUCTION, "DATABASE_URL": test_env["DATABASE_URL"], "REDIS_URL": test_env["REDIS_URL"],
            "SANDBOX": "0", **settings}


def required_setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run the suite with `python3 dev.py test`, which provides it", returncode=4)
    return value


def app_environment(emulator_url: str) -> dict[str, str]:
    """The test database and Redis, the emulator as every platform, and timings short enough for a test."""
    return {
        **os.environ,
        "SANDBOX_URL": emulator_url,
        # Short enough that a test sees a killed worker's sync recovered, long enough for a real sync.
        "SYNC_LOCK_SECONDS": "5",
        "SWEEP_EVERY_SECONDS": "2",
        "SYNC_DEBOUNCE_SECONDS": "1",
        # A worker stopped at the end of a test puts its job back within this, rather than holding teardown.
        "JOB_GRACE_SECONDS": "5",
        "APP_ENV": "test",
        "DATABASE_URL": required_setting("TEST_DATABASE_URL"),
        "REDIS_URL": required_setting("REDIS_URL"),
        "SECRET_KEY": "test-only-secret-key",
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SANDBOX": "1",
    }


def testing_app(overrides: dict, environ: dict[str, str]) -> Flask:
    """The app in testing mode on `environ`; its test client is Flask-Login's, so `app.test_client(user=user)`
    is a browser signed in as that user."""
    app = create_app({"TESTING": True, **overrides}, environ=environ)
    app.test_client_class = FlaskLoginClient
    return app
