"""app.json and the Procfile, read as the platform reads them: a deploy from them alone starts, and nothing in
them fights the platform. The deploy itself is rehearsed in tests/end_to_end/test_deploy_rehearsal.py."""

from __future__ import annotations

import pytest

from app.config import load_settings
from app.environment import ConfigError
from tests.support.paas import app_json, config_vars, procfile

# What an operator types into the deploy form for each required variable; the add-ons give the URLs.
FILLED_IN = {
    "PUBLIC_URL": "https://battery.example", "GOOGLE_CLIENT_ID": "client", "GOOGLE_CLIENT_SECRET": "secret",
    "VONAGE_API_KEY": "key", "VONAGE_API_SECRET": "secret", "VONAGE_FROM": "BatteryText",
    "VONAGE_SIGNATURE_SECRET": "signature",
}
ADDONS = {"DATABASE_URL": "postgres://u:p@db.example.invalid:5432/d", "REDIS_URL": "rediss://:p@r.example.invalid:6380"}
MANIFEST = app_json()
ASKED_OR_GENERATED = [name for name, entry in MANIFEST["env"].items()
                      if entry.get("required") or entry.get("generator") or "value" in entry]


def deploy_config() -> dict[str, str]:
    return {**config_vars(MANIFEST, FILLED_IN), **ADDONS, "DYNO": "web.1"}


def test_a_deploy_from_app_json_with_its_required_fields_filled_in_starts():
    settings = load_settings(deploy_config())
    assert settings["APP_ENV"] == "production" and settings["SANDBOX"] is False
    assert settings["SMS_BACKEND"] == "vonage"


# Set for clarity though the app has a default: DYNO already means production; GB is the default region.
WITH_A_DEFAULT = {"APP_ENV", "PHONE_DEFAULT_REGION"}


@pytest.mark.parametrize("name", [name for name in ASKED_OR_GENERATED if name not in WITH_A_DEFAULT])
def test_every_variable_app_json_asks_for_or_generates_is_one_production_cannot_start_without(name):
    config = deploy_config()
    del config[name]
    with pytest.raises(ConfigError):
        load_settings(config)


def test_the_secrets_the_app_can_take_as_generated_are_generated():
    generated = {name for name, entry in MANIFEST["env"].items() if entry.get("generator") == "secret"}
    assert generated == {"SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "GOOGLE_HEALTH_WEBHOOK_SECRET"}


def test_nothing_in_app_json_fights_the_platform():
    assert "postdeploy" not in MANIFEST.get("scripts", {}), "the release phase already migrates"
    assert "WEB_CONCURRENCY" not in MANIFEST["env"], "the buildpack sizes gunicorn per dyno"
    # Free, eco and basic dynos run one dyno per process type: the README's "scale the worker" needs more.
    assert all(entry["size"].lower() not in {"free", "eco", "basic"} for entry in MANIFEST["formation"].values())


def test_the_procfile_migrates_on_release_and_runs_web_and_worker():
    lines = procfile()
    assert set(lines) == {"release", "web", "worker"}
    assert lines["release"] == "flask db upgrade"
    assert lines["web"].startswith("gunicorn wsgi:app") and lines["worker"] == "python worker.py"
