"""Settings come from the environment; PaaS URLs work; production refuses to start without its secrets.

The same rules seen from the entry points a process starts with are in tests/end_to_end/test_entry_points.py.
"""

from __future__ import annotations

import os
import runpy
import ssl
from unittest import mock

import pytest
from redis import Redis

from app.config import REQUEST_THREADS, WEB_THREADS, load_settings
from app.environment import ConfigError, database_url, redis_options
from tests.support.environment import PRODUCTION
from tests.support.paths import ROOT

# Each test says how its production site texts, whatever the shared PRODUCTION environment holds.
NOT_TEXTING = {name: value for name, value in PRODUCTION.items()
               if name != "SMS_BACKEND" and not name.startswith("VONAGE_")}
VONAGE_ACCOUNT = {
    "SMS_BACKEND": "vonage",
    "VONAGE_API_KEY": "test-vonage-key",
    "VONAGE_API_SECRET": "test-vonage-secret",
    "VONAGE_FROM": "BatteryText",
    "VONAGE_SIGNATURE_SECRET": "test-vonage-signature-secret",
}
PRODUCTION_WITH_VONAGE = {**NOT_TEXTING, **VONAGE_ACCOUNT}
# A demo site texts nobody, and says so.
PRODUCTION_DEMO = {**NOT_TEXTING, "SMS_BACKEND": "outbox"}


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u:p@host:5432/db", "postgresql+psycopg://u:p@host:5432/db"),
        ("postgresql://u:p@host/db", "postgresql+psycopg://u:p@host/db"),
        ("postgresql+psycopg://u@host/db", "postgresql+psycopg://u@host/db"),
        ("sqlite:///instance/x.sqlite3", "sqlite:///instance/x.sqlite3"),
    ],
)
def test_a_paas_postgres_url_gets_the_psycopg_driver(given, expected):
    assert database_url(given) == expected


def test_a_production_configuration_with_paas_urls_loads():
    settings = load_settings(PRODUCTION_DEMO)
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone:pw@db.example.invalid:5432/battery"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SANDBOX"] is False
    assert settings["SMS_BACKEND"] == "outbox"


def test_a_rediss_url_accepts_the_platforms_self_signed_certificate():
    url = PRODUCTION["REDIS_URL"]
    client = Redis.from_url(url, **redis_options(url))
    connection = client.connection_pool.make_connection()
    assert connection.cert_reqs == ssl.CERT_NONE
    assert redis_options("redis://127.0.0.1:6379/0") == {}
    assert redis_options("rediss://h:1/0?ssl_cert_reqs=required") == {}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL", "PUBLIC_URL"])
def test_production_refuses_to_start_without_a_required_setting_and_names_it(missing):
    environ = {name: value for name, value in PRODUCTION_WITH_VONAGE.items() if name != missing}
    with pytest.raises(ConfigError, match=rf"Missing required setting {missing}\b"):
        load_settings(environ)


def test_production_with_google_needs_its_webhook_secret():
    environ = {name: value for name, value in PRODUCTION_WITH_VONAGE.items() if name != "GOOGLE_HEALTH_WEBHOOK_SECRET"}
    with pytest.raises(ConfigError, match="GOOGLE_HEALTH_WEBHOOK_SECRET"):
        load_settings(environ)


@pytest.mark.parametrize(
    "texting",
    [
        pytest.param({}, id="no-vonage-setting"),
        pytest.param({name: value for name, value in VONAGE_ACCOUNT.items() if name != "SMS_BACKEND"},
                     id="a-whole-vonage-account"),
        pytest.param({**VONAGE_ACCOUNT, "SMS_BACKEND": " "}, id="a-blank-sms-backend"),
    ],
)
def test_production_without_an_sms_backend_refuses_to_start_rather_than_text_nobody(texting):
    # Without the rule, a site that lost its Vonage key would quietly fall back to the outbox.
    with pytest.raises(ConfigError, match=r"Missing required setting SMS_BACKEND\b"):
        load_settings({**NOT_TEXTING, **texting})


def test_production_with_the_whole_vonage_account_texts_through_vonage():
    settings = load_settings(PRODUCTION_WITH_VONAGE)
    assert settings["SMS_BACKEND"] == "vonage"
    assert settings["VONAGE_SIGNATURE_SECRET"] == "test-vonage-signature-secret"


@pytest.mark.parametrize("missing", ["VONAGE_API_KEY", "VONAGE_API_SECRET", "VONAGE_FROM", "VONAGE_SIGNATURE_SECRET"])
def test_production_with_vonage_refuses_to_start_without_each_part_of_the_account_and_names_it(missing):
    environ = {name: value for name, value in PRODUCTION_WITH_VONAGE.items() if name != missing}
    with pytest.raises(ConfigError, match=rf"Missing required setting {missing}\b"):
        load_settings(environ)


@pytest.mark.parametrize("app_env", ["development", "test"])
@pytest.mark.parametrize(
    "texting, backend",
    [({}, "outbox"), ({"VONAGE_API_KEY": "dev-key", "VONAGE_API_SECRET": "dev-secret"}, "vonage")],
    ids=["no-vonage-key", "a-vonage-key"],
)
def test_outside_production_the_sms_backend_still_follows_the_vonage_key(app_env, texting, backend):
    settings = load_settings({"APP_ENV": app_env, "SECRET_KEY": "k", "TOKEN_ENCRYPTION_KEY": "x", **texting})
    assert settings["SMS_BACKEND"] == backend


def test_development_without_credentials_runs_the_sandbox_and_the_outbox():
    settings = load_settings({"APP_ENV": "development", "SECRET_KEY": "k", "TOKEN_ENCRYPTION_KEY": "x"})
    assert settings["SANDBOX"] is True
    assert settings["SMS_BACKEND"] == "outbox"
    assert settings["FITBIT_API_URL"] == "http://127.0.0.1:5001/fitbit"
    assert settings["GOOGLE_TOKEN_URL"] == "http://127.0.0.1:5001/google/token"
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_real_credentials_turn_the_sandbox_off_and_use_the_real_platform_urls():
    settings = load_settings({"SECRET_KEY": "k", "TOKEN_ENCRYPTION_KEY": "x", "FITBIT_CLIENT_ID": "id"})
    assert settings["SANDBOX"] is False
    assert settings["FITBIT_API_URL"] == "https://api.fitbit.com"
    assert settings["GOOGLE_HEALTH_API_URL"] == "https://health.googleapis.com"


def test_a_malformed_number_setting_is_named():
    with pytest.raises(ConfigError, match="DAILY_TEXT_CAP"):
        load_settings({**PRODUCTION_WITH_VONAGE, "DAILY_TEXT_CAP": "lots"})


WITHOUT_A_PLATFORM = {name: value for name, value in PRODUCTION_WITH_VONAGE.items() if not name.startswith("GOOGLE_")}


def test_production_without_a_platform_names_the_missing_platform_and_never_falls_into_the_emulator():
    with pytest.raises(ConfigError) as refusal:
        load_settings(WITHOUT_A_PLATFORM)
    message = str(refusal.value)
    assert "No wearable platform is configured" in message and "GOOGLE_CLIENT_ID" in message
    # The old message asked for a Fitbit secret the operator never chose to need.
    assert "Missing required setting FITBIT_CLIENT_SECRET" not in message


def test_production_with_a_platform_keeps_the_emulator_off_and_uses_the_real_addresses():
    settings = load_settings(PRODUCTION_WITH_VONAGE)
    assert settings["SANDBOX"] is False
    assert settings["GOOGLE_TOKEN_URL"] == "https://oauth2.googleapis.com/token"
    assert settings["SMS_OUTBOX_URL"] is None


def test_production_runs_the_emulator_only_when_asked_for_a_demo_site():
    settings = load_settings({**WITHOUT_A_PLATFORM, "SANDBOX": "1", "SANDBOX_URL": "https://emulator.example"})
    assert settings["SANDBOX"] is True
    assert settings["GOOGLE_CLIENT_ID"] == "sandbox-google-client"
    assert settings["GOOGLE_TOKEN_URL"] == "https://emulator.example/google/token"


@pytest.mark.parametrize("address", ["battery.example.com", "ftp://battery.example.com", "https://"])
def test_a_public_url_that_is_no_web_address_is_named(address):
    with pytest.raises(ConfigError, match="PUBLIC_URL must be the site's address"):
        load_settings({**PRODUCTION_WITH_VONAGE, "PUBLIC_URL": address})


def test_the_public_url_loses_its_trailing_slash():
    assert load_settings({**PRODUCTION_WITH_VONAGE, "PUBLIC_URL": "https://battery.example/"})["PUBLIC_URL"] == (
        "https://battery.example"
    )


def test_each_process_holds_a_bounded_number_of_database_and_redis_connections_by_default():
    settings = load_settings(PRODUCTION_WITH_VONAGE)
    pool = settings["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (pool["pool_size"], pool["max_overflow"]) == (4, 0)
    assert settings["REDIS_MAX_CONNECTIONS"] == 6


def test_a_web_process_holds_a_hundred_live_dashboards_and_keeps_threads_for_webhooks():
    settings = load_settings(PRODUCTION_WITH_VONAGE)
    assert settings["GUNICORN_THREADS"] == 128
    assert settings["LIVE_MAX_STREAMS"] == 128 - REQUEST_THREADS >= 100


def test_gunicorn_starts_as_many_threads_as_the_app_counts_on():
    environ = {key: value for key, value in os.environ.items() if key != "GUNICORN_THREADS"}
    with mock.patch.dict(os.environ, environ, clear=True):
        assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"] == WEB_THREADS


@pytest.mark.parametrize(("threads", "streams"), [("9", 1), ("8", 0), ("4", 0), ("40", 32)])
def test_live_streams_get_every_thread_but_the_ones_webhooks_keep(threads, streams):
    assert load_settings({**PRODUCTION_WITH_VONAGE, "GUNICORN_THREADS": threads})["LIVE_MAX_STREAMS"] == streams


def test_fewer_live_streams_may_be_asked_for_but_never_the_webhooks_threads():
    assert load_settings({**PRODUCTION_WITH_VONAGE, "GUNICORN_THREADS": "40", "LIVE_MAX_STREAMS": "32"})[
        "LIVE_MAX_STREAMS"] == 32
    assert load_settings({**PRODUCTION_WITH_VONAGE, "LIVE_MAX_STREAMS": "2"})["LIVE_MAX_STREAMS"] == 2
    for asked in ("33", "many", "-1"):
        with pytest.raises(ConfigError, match="LIVE_MAX_STREAMS must be a whole number up to 32"):
            load_settings({**PRODUCTION_WITH_VONAGE, "GUNICORN_THREADS": "40", "LIVE_MAX_STREAMS": asked})


def test_the_connection_bounds_follow_their_settings():
    settings = load_settings({**PRODUCTION_WITH_VONAGE, "DB_POOL_SIZE": "2", "DB_MAX_OVERFLOW": "1",
                              "REDIS_MAX_CONNECTIONS": "9"})
    assert (settings["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"], settings["SQLALCHEMY_ENGINE_OPTIONS"]["max_overflow"]) == (2, 1)
    assert settings["REDIS_MAX_CONNECTIONS"] == 9


def test_a_sqlite_file_has_no_connections_to_ration():
    settings = load_settings({"APP_ENV": "development", "SECRET_KEY": "k", "TOKEN_ENCRYPTION_KEY": "x"})
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}
