"""Emulator settings: the dict given to create_app, else the environment, else defaults."""
import os

# The client identities are the app's SANDBOX_DEFAULTS (app/config.py), copied: neither package imports the
# other, and tests/unit/test_emulator_identities.py holds the two equal.
DEFAULTS = {
    "FITBIT_CLIENT_ID": "sandbox-fitbit-client",
    "FITBIT_CLIENT_SECRET": "sandbox-fitbit-secret",
    "FITBIT_VERIFICATION_CODE": "sandbox-verify-code",
    "GOOGLE_CLIENT_ID": "sandbox-google-client",
    "GOOGLE_CLIENT_SECRET": "sandbox-google-secret",
    "GOOGLE_HEALTH_WEBHOOK_SECRET": "sandbox-google-webhook-secret",
    "APP_URL": "http://127.0.0.1:5000",
    "VONAGE_API_KEY": None,
    "VONAGE_API_SECRET": None,
    "VONAGE_SIGNATURE_SECRET": None,
    "VONAGE_RECEIPT_DELAY_SECONDS": "0.1",
    "GOOGLE_RETRY_DELAYS": "0.2,0.5,1,2,4",
    "FITBIT_REFRESH_GRACE_SECONDS": "120",
}

# Where the emulated platforms deliver, derived from APP_URL unless given.
SUBSCRIBER_PATHS = {
    "FITBIT_SUBSCRIBER_URL": "/webhooks/fitbit",
    "GOOGLE_SUBSCRIBER_URL": "/webhooks/google-health",
    "VONAGE_INBOUND_URL": "/webhooks/vonage/inbound",
    "VONAGE_STATUS_URL": "/webhooks/vonage/status",
}


def _lookup(name, given):
    if name in given and given[name] is not None:
        return given[name]
    if os.environ.get(name):
        return os.environ[name]
    return DEFAULTS.get(name)


def _seconds_list(value):
    if isinstance(value, str):
        return [float(part) for part in value.split(",") if part.strip()]
    return [float(part) for part in value]


def load_settings(given=None):
    """Resolve every setting once, so the rest of the emulator reads plain values."""
    given = dict(given or {})
    settings = {name: _lookup(name, given) for name in DEFAULTS}
    app_url = str(settings["APP_URL"]).rstrip("/")
    settings["APP_URL"] = app_url
    for name, path in SUBSCRIBER_PATHS.items():
        settings[name] = _lookup(name, given) or app_url + path
    settings["GOOGLE_RETRY_DELAYS"] = _seconds_list(settings["GOOGLE_RETRY_DELAYS"])
    settings["FITBIT_REFRESH_GRACE_SECONDS"] = float(settings["FITBIT_REFRESH_GRACE_SECONDS"])
    settings["VONAGE_RECEIPT_DELAY_SECONDS"] = float(settings["VONAGE_RECEIPT_DELAY_SECONDS"])
    return settings
