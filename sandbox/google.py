"""The Google side: OAuth (authorize, token, revoke) and the Health API identity, settings and paired devices."""
import base64
import binascii
import hmac

from flask import Blueprint, g, jsonify, request

from sandbox.consent import consent_screen
from sandbox.context import current_settings, current_world
from sandbox.errors import google_error, google_oauth_error
from sandbox.grants import pkce_matches
from sandbox.traffic import charge_quota, guard, log_platform_request
from sandbox.world import rfc3339

blueprint = Blueprint("google", __name__, url_prefix="/google")
blueprint.before_request(guard("google"))
blueprint.after_request(log_platform_request)

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
SETTINGS_SCOPE = SCOPE_PREFIX + "googlehealth.settings.readonly"
ACTIVITY_SCOPE = SCOPE_PREFIX + "googlehealth.activity_and_fitness.readonly"
# Google access tokens last an hour; the token endpoint says 3599 seconds.
ACCESS_TOKEN_SECONDS = 3599
PAGE_SIZE_DEFAULT = 100
PAGE_SIZE_MAX = 100
DEVICE_FEATURES = {"TRACKER": ["STEPS"], "WATCH": ["STEPS"], "SCALE": ["WEIGHT"]}
_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential."
)


@blueprint.route("/o/oauth2/v2/auth", methods=["GET", "POST"])
def authorize():
    return consent_screen("google", current_settings()["GOOGLE_CLIENT_ID"])


def _client_id_if_authenticated():
    """Google takes client credentials from a Basic header or from client_id/client_secret form fields."""
    settings = current_settings()
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        client_id, client_secret = credentials.username or "", credentials.password or ""
    else:
        client_id, client_secret = request.form.get("client_id", ""), request.form.get("client_secret", "")
    if hmac.compare_digest(client_id, settings["GOOGLE_CLIENT_ID"]) and hmac.compare_digest(
        client_secret, settings["GOOGLE_CLIENT_SECRET"]
    ):
        return client_id
    return None


@blueprint.post("/token")
def token():
    client_id = _client_id_if_authenticated()
    if client_id is None:
        return google_oauth_error(401, "invalid_client", "Unauthorized")
    grant_type = request.form.get("grant_type")
    if grant_type == "authorization_code":
        return _redeem_code(client_id)
    if grant_type == "refresh_token":
        return _refresh(client_id)
    return google_oauth_error(400, "unsupported_grant_type", "Invalid grant_type: " + str(grant_type))


def _redeem_code(client_id):
    world = current_world()
    form = request.form
    with world.lock:
        authorization = world.grants.take_code(form.get("code"))
        if authorization is None or authorization.platform != "google" or authorization.client_id != client_id:
            return google_oauth_error(400, "invalid_grant", "Malformed auth code.")
        g.person_id = authorization.person_id
        if form.get("redirect_uri") != authorization.redirect_uri:
            return google_oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        if authorization.code_challenge and not pkce_matches(
            form.get("code_verifier"), authorization.code_challenge, authorization.code_challenge_method
        ):
            return google_oauth_error(400, "invalid_grant", "Invalid code verifier.")
        if world.find_person(authorization.person_id) is None:
            return google_oauth_error(400, "invalid_grant", "Malformed auth code.")
        grant = world.grants.open_grant(
            "google", authorization.person_id, client_id, authorization.scopes, authorization.issue_refresh_token
        )
        access = world.grants.issue_access_token(grant, ACCESS_TOKEN_SECONDS)
        answer = {
            "access_token": access.token,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "scope": " ".join(grant.scopes),
            "token_type": "Bearer",
        }
        # Only offline access brings a refresh token.
        if grant.refresh_token:
            answer["refresh_token"] = grant.refresh_token
    return jsonify(answer)


def _refresh(client_id):
    """Google refresh tokens are reusable: a refresh answers a new access token and no new refresh token."""
    world = current_world()
    with world.lock:
        grant = world.grants.grant_for_refresh_token(request.form.get("refresh_token"))
        if grant is None or grant.platform != "google" or grant.client_id != client_id or grant.revoked:
            return google_oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        g.person_id = grant.person_id
        access = world.grants.issue_access_token(grant, ACCESS_TOKEN_SECONDS)
        answer = {
            "access_token": access.token,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "scope": " ".join(grant.scopes),
            "token_type": "Bearer",
        }
    return jsonify(answer)


@blueprint.post("/revoke")
def revoke():
    """Revoking an access or refresh token ends the whole grant."""
    presented = request.form.get("token") or request.args.get("token")
    world = current_world()
    with world.lock:
        grant = world.grants.grant_for_any_token(presented, "google")
        if grant is None:
            return google_oauth_error(400, "invalid_token", "Token expired or revoked")
        g.person_id = grant.person_id
        world.grants.revoke(grant)
    return "", 200


def _person_for_bearer():
    """Returns (person, None) or (None, error answer); checks token, then quota, then scope."""
    world = current_world()
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None, google_error(401, _UNAUTHENTICATED, "CREDENTIALS_MISSING")
    with world.lock:
        access = world.grants.access_token(header[len("Bearer ") :])
        person = world.find_person(access.grant.person_id) if access else None
        if access is None or access.grant.platform != "google" or person is None:
            return None, google_error(401, _UNAUTHENTICATED)
        g.person_id = person.id
        if access.expired:
            return None, google_error(401, _UNAUTHENTICATED, "ACCESS_TOKEN_EXPIRED")
        scopes = list(access.grant.scopes)
    refused = charge_quota("google", person.id)
    if refused is not None:
        return None, refused
    if SETTINGS_SCOPE not in scopes:
        message = "Request had insufficient authentication scopes."
        return None, google_error(403, message, "ACCESS_TOKEN_SCOPE_INSUFFICIENT")
    return person, None


@blueprint.get("/v4/users/me/identity")
def identity():
    person, refused = _person_for_bearer()
    if refused:
        return refused
    return jsonify(
        {"name": "users/me/identity", "healthUserId": person.health_user_id, "legacyUserId": person.legacy_user_id}
    )


@blueprint.get("/v4/users/me/settings")
def settings():
    person, refused = _person_for_bearer()
    if refused:
        return refused
    # utcOffset is a protobuf Duration: signed seconds with an "s".
    return jsonify(
        {"name": "users/me/settings", "timeZone": person.time_zone, "utcOffset": f"{person.utc_offset_seconds()}s"}
    )


def _page_token(offset):
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode().rstrip("=")


def _offset_from_page_token(page_token):
    if not page_token:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(page_token + "=" * (-len(page_token) % 4)).decode()
        name, _, value = decoded.partition("=")
        if name != "offset":
            raise ValueError(decoded)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _device_json(device, thin, no_level=False):
    """Google omits fields holding default values: no batteryLevel at 0 %, no empty lists or strings."""
    entry = {
        "name": f"users/me/pairedDevices/{device.id}",
        "deviceType": device.type,
        "batteryStatus": device.battery_status,
        "batteryLevel": device.battery_level,
        "lastSyncTime": rfc3339(device.last_sync),
        "deviceVersion": device.product,
        "macAddress": device.mac,
        "features": DEVICE_FEATURES[device.type],
    }
    if thin:
        for optional in ("lastSyncTime", "macAddress", "features"):
            del entry[optional]
    if no_level:
        del entry["batteryLevel"]
    return {name: value for name, value in entry.items() if value not in (0, "", [], None)}


@blueprint.get("/v4/users/me/pairedDevices")
def paired_devices():
    person, refused = _person_for_bearer()
    if refused:
        return refused
    try:
        page_size = int(request.args.get("pageSize") or 0) or PAGE_SIZE_DEFAULT
    except ValueError:
        page_size = -1
    if page_size < 0:
        return google_error(400, "pageSize must be a non-negative integer.")
    page_size = min(page_size, PAGE_SIZE_MAX)
    offset = _offset_from_page_token(request.args.get("pageToken"))
    if offset is None or offset < 0:
        return google_error(400, "Invalid page token.")
    world = current_world()
    with world.lock:
        thin = world.faults["google"].omit_optional_fields
        no_level = world.faults["google"].omit_battery_level
        devices = list(person.devices.values())
        page = [_device_json(device, thin, no_level) for device in devices[offset : offset + page_size]]
    answer = {}
    if page:
        answer["pairedDevices"] = page
    if offset + page_size < len(devices):
        answer["nextPageToken"] = _page_token(offset + page_size)
    return jsonify(answer)
