"""The emulator's control API in the product's words, and the settings that send its pushes to our app."""

from __future__ import annotations

import requests


class Emulator:
    """The emulator's control API, in the product's words."""

    def __init__(self, url: str):
        self.url = url

    def control(self, method: str, path: str, **json_body):
        response = requests.request(method, f"{self.url}/_control{path}", json=json_body or None, timeout=30)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def reset(self) -> None:
        """Forget every person, grant, log and switch; the settings (where pushes go) stay."""
        self.control("POST", "/reset")

    def person(self, **fields) -> dict:
        return self.control("POST", "/people", **fields)

    def set_device(self, person_id: str, device_id: str, **fields) -> dict:
        return self.control("PATCH", f"/people/{person_id}/devices/{device_id}", **fields)

    def sync(self, person_id: str, **options) -> dict:
        return self.control("POST", f"/people/{person_id}/sync", **options)

    def requests_made(self, **filters) -> list[dict]:
        query = "&".join(f"{key}={value}" for key, value in filters.items())
        return self.control("GET", f"/requests?{query}")["requests"]

    def texts_to(self, phone: str) -> list[dict]:
        return self.control("GET", f"/phone/messages?to={phone}")["messages"]


def webhooks_of(app_url: str) -> dict[str, str]:
    """The emulator's settings that send its pushes and phone replies to the app at `app_url`."""
    return {
        "FITBIT_SUBSCRIBER_URL": app_url + "/webhooks/fitbit",
        "GOOGLE_SUBSCRIBER_URL": app_url + "/webhooks/google-health",
        "VONAGE_INBOUND_URL": app_url + "/webhooks/vonage/inbound",
        "VONAGE_STATUS_URL": app_url + "/webhooks/vonage/status",
    }
