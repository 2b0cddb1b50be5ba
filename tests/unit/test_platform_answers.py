"""What the platforms' answers mean: omitted battery fields, and whose fault a refused token refresh is."""

from __future__ import annotations

import json

import pytest
import requests

from app.adapters.providers import AccessRevoked, CredentialsRefused, PlatformError
from app.adapters.providers.client import refresh_refused
from app.adapters.providers.google import battery_level


@pytest.mark.parametrize(
    ("level", "status", "read_as"),
    [
        pytest.param(18, "Low", 18, id="a level is taken as it is"),
        pytest.param(100, "High", 100, id="a full battery"),
        pytest.param(None, "Empty", 0, id="no level with Empty is the omitted default: 0 %"),
        pytest.param(None, "empty", 0, id="Empty in any case"),
        pytest.param(None, "High", None, id="no level with High is unknown, not 0 %"),
        pytest.param(None, "Medium", None, id="no level with Medium is unknown"),
        pytest.param(None, "Low", None, id="no level with Low is unknown: the status decides"),
        pytest.param(None, None, None, id="neither level nor status: unknown"),
        pytest.param("18", "Low", None, id="a level that is not a number is unknown"),
        pytest.param(True, "High", None, id="a boolean is not a level"),
    ],
)
def test_google_reads_an_omitted_battery_level_as_zero_only_when_the_status_is_empty(level, status, read_as):
    assert battery_level(level, status) == read_as


def token_endpoint_answer(status: int, body: object) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    return response


@pytest.mark.parametrize(
    ("status", "body", "meaning"),
    [
        pytest.param(400, {"error": "invalid_grant"}, AccessRevoked, id="google invalid_grant: consent gone"),
        pytest.param(400, {"errors": [{"errorType": "invalid_grant"}]}, AccessRevoked, id="fitbit invalid_grant"),
        pytest.param(401, {"error": "invalid_client"}, CredentialsRefused, id="google invalid_client: ours"),
        pytest.param(400, {"error": "unauthorized_client"}, CredentialsRefused, id="unauthorized_client: ours"),
        pytest.param(401, {"errors": [{"errorType": "invalid_client"}]}, CredentialsRefused, id="fitbit invalid_client"),
        pytest.param(401, "not json at all", CredentialsRefused, id="a bare 401 from the token endpoint: ours"),
        pytest.param(400, {"error": "invalid_request"}, PlatformError, id="another 400: retried, nobody's consent"),
    ],
)
def test_only_invalid_grant_means_the_users_consent_is_gone(status, body, meaning):
    error = refresh_refused(token_endpoint_answer(status, body))
    assert type(error) is meaning
