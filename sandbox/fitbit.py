"""The legacy Fitbit Web API: OAuth (authorize, token, revoke), profile, devices and subscriptions."""
import hmac
import time

from flask import Blueprint, g, jsonify, request

from sandbox.consent import consent_screen
from sandbox.context import current_settings, current_world
from sandbox.errors import fitbit_error
from sandbox.grants import pkce_matches
from sandbox.traffic import charge_quota, guard, log_platform_request
from sandbox.world import Subscription, fitbit_local_time

blueprint = Blueprint("fitbit", __name__, url_prefix="/fitbit")
blueprint.before_request(guard("fitbit"))
blueprint.after_request(log_platform_request)

# Fitbit access tokens last 8 hours.
ACCESS_TOKEN_SECONDS = 28800
# Fitbit subscription ids are the subscriber's own, at most 50 characters.
SUBSCRIPTION_ID_MAX = 50
SCOPE_HELP = (
    "Visit https://dev.fitbit.com/docs/oauth2 for more information on the Fitbit Web API authorization process."
)


@blueprint.route("/oauth2/authorize", methods=["GET", "POST"])
def authorize():
    return consent_screen("fitbit", current_settings()["FITBIT_CLIENT_ID"])


def _client_id_if_authenticated():
    """Fitbit authenticates the client only by `Authorization: Basic base64(client_id:client_secret)`."""
    settings = current_settings()
    credentials = request.authorization
    if credentials is None or credentials.type != "basic":
        return None
    if hmac.compare_digest(credentials.username or "", settings["FITBIT_CLIENT_ID"]) and hmac.compare_digest(
        credentials.password or "", settings["FITBIT_CLIENT_SECRET"]
    ):
        return credentials.username
    return None


def _invalid_client():
    return fitbit_error(401, "invalid_client", "Invalid authorization header. Client id or secret is wrong.")


def _token_answer(world, grant):
    access = world.grants.issue_access_token(grant, ACCESS_TOKEN_SECONDS)
    return {
        "access_token": access.token,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "refresh_token": grant.refresh_token,
        "scope": " ".join(grant.scopes),
        "token_type": "Bearer",
        "user_id": grant.person_id,
    }


@blueprint.post("/oauth2/token")
def token():
    client_id = _client_id_if_authenticated()
    if client_id is None:
        return _invalid_client()
    grant_type = request.form.get("grant_type")
    if grant_type == "authorization_code":
        return _redeem_code(client_id)
    if grant_type == "refresh_token":
        return _refresh(client_id)
    return fitbit_error(
        400, "unsupported_grant_type", "The grant type is not supported: use authorization_code or refresh_token."
    )


def _redeem_code(client_id):
    world = current_world()
    form = request.form
    with world.lock:
        authorization = world.grants.take_code(form.get("code"))
        if authorization is None or authorization.platform != "fitbit" or authorization.client_id != client_id:
            return fitbit_error(400, "invalid_grant", "Authorization code invalid.")
        g.person_id = authorization.person_id
        # The redirect_uri is required at the token endpoint when the authorize request carried one.
        if authorization.redirect_uri and form.get("redirect_uri") != authorization.redirect_uri:
            return fitbit_error(400, "invalid_grant", "Redirect URI mismatch.")
        # PKCE: when a code_challenge was sent, the code_verifier must match it.
        if authorization.code_challenge and not pkce_matches(
            form.get("code_verifier"), authorization.code_challenge, authorization.code_challenge_method
        ):
            return fitbit_error(400, "invalid_grant", "Code verifier invalid.")
        if world.find_person(authorization.person_id) is None:
            return fitbit_error(400, "invalid_grant", "Authorization code invalid.")
        grant = world.grants.open_grant("fitbit", authorization.person_id, client_id, authorization.scopes, True)
        answer = _token_answer(world, grant)
    return jsonify(answer)


def _refresh(client_id):
    """Refresh tokens are single-use; an identical repeat inside the grace window gets the same new pair."""
    world = current_world()
    grace_seconds = current_settings()["FITBIT_REFRESH_GRACE_SECONDS"]
    presented = request.form.get("refresh_token")
    fingerprint = (client_id, tuple(sorted(request.form.items(multi=True))))
    with world.lock:
        spent = world.grants.refresh_answer(presented)
        if spent is not None:
            g.person_id = spent.grant.person_id
            repeat_in_window = time.time() - spent.answered_at <= grace_seconds
            if spent.fingerprint == fingerprint and repeat_in_window and not spent.grant.revoked:
                return jsonify(spent.answer)
            return fitbit_error(400, "invalid_grant", "Refresh token invalid: it has already been used.")
        grant = world.grants.grant_for_refresh_token(presented)
        if grant is None or grant.platform != "fitbit" or grant.client_id != client_id:
            return fitbit_error(400, "invalid_grant", "Refresh token invalid.")
        g.person_id = grant.person_id
        world.grants.rotate_refresh_token(grant)
        answer = _token_answer(world, grant)
        world.grants.remember_refresh_answer(presented, grant, fingerprint, answer)
    return jsonify(answer)


@blueprint.post("/oauth2/revoke")
def revoke():
    """Revoking either token ends the whole grant; Fitbit answers 200 with an empty body."""
    if _client_id_if_authenticated() is None:
        return _invalid_client()
    presented = request.form.get("token")
    if not presented:
        return fitbit_error(400, "invalid_request", "Missing parameters: token.")
    world = current_world()
    with world.lock:
        grant = world.grants.grant_for_any_token(presented, "fitbit")
        if grant is not None:
            g.person_id = grant.person_id
            world.grants.revoke(grant)
            person = world.find_person(grant.person_id)
            if person is not None and not world.grants.active_grants(person.id, "fitbit"):
                person.subscriptions.clear()
    return "", 200


def _person_for_bearer(scope):
    """Returns (person, None) or (None, error answer); checks token, then quota, then scope."""
    world = current_world()
    header = request.headers.get("Authorization", "")
    presented = header[len("Bearer ") :] if header.startswith("Bearer ") else None
    with world.lock:
        access = world.grants.access_token(presented)
        person = world.find_person(access.grant.person_id) if access else None
        if access is None or access.grant.platform != "fitbit" or person is None:
            return None, fitbit_error(401, "invalid_token", "Access token invalid.")
        g.person_id = person.id
        if access.expired:
            return None, fitbit_error(401, "expired_token", "Access token expired.")
        scopes = list(access.grant.scopes)
    refused = charge_quota("fitbit", person.id)
    if refused is not None:
        return None, refused
    if scope not in scopes:
        message = f"This application does not have permission to access {scope} data. {SCOPE_HELP}"
        return None, fitbit_error(403, "insufficient_scope", message)
    return person, None


def _omits_optional_fields():
    world = current_world()
    with world.lock:
        faults = world.faults["fitbit"]
        return faults.omit_optional_fields, faults.omit_battery_level


@blueprint.get("/1/user/-/profile.json")
def profile():
    person, refused = _person_for_bearer("profile")
    if refused:
        return refused
    return jsonify(
        {
            "user": {
                "displayName": person.name,
                "encodedId": person.fitbit_user_id,
                "fullName": person.name,
                "offsetFromUTCMillis": person.utc_offset_seconds() * 1000,
                "timezone": person.time_zone,
            }
        }
    )


@blueprint.get("/1/user/-/devices.json")
def devices():
    person, refused = _person_for_bearer("settings")
    if refused:
        return refused
    thin, no_level = _omits_optional_fields()
    world = current_world()
    listed = []
    with world.lock:
        for device in person.devices.values():
            # Fitbit knows only TRACKER and SCALE: a watch is a TRACKER there.
            entry = {
                "battery": device.battery_status,
                "batteryLevel": device.battery_level,
                "deviceVersion": device.product,
                "features": [],
                "id": device.id,
                "lastSyncTime": fitbit_local_time(device.last_sync, person.time_zone),
                "mac": device.mac,
                "type": "SCALE" if device.type == "SCALE" else "TRACKER",
            }
            if thin:
                for optional in ("batteryLevel", "features", "mac"):
                    del entry[optional]
            if no_level:
                entry.pop("batteryLevel", None)
            listed.append(entry)
    return jsonify(listed)


def subscription_json(person, subscription):
    return {
        "collectionType": subscription.collection_type,
        "ownerId": person.fitbit_user_id,
        "ownerType": "user",
        "subscriberId": subscription.subscriber_id,
        "subscriptionId": subscription.subscription_id,
    }


@blueprint.post("/1/user/-/activities/apiSubscriptions/<subscription_id>.json")
def create_subscription(subscription_id):
    person, refused = _person_for_bearer("activity")
    if refused:
        return refused
    # Fitbit refuses a subscription POST without Content-Length.
    if request.content_length is None:
        return fitbit_error(411, "validation", "Content-Length header required.")
    if len(subscription_id) > SUBSCRIPTION_ID_MAX:
        return fitbit_error(
            400, "validation", "Subscription id is longer than 50 characters.", field_name="subscriptionId"
        )
    world = current_world()
    with world.lock:
        taken = subscription_id in person.subscriptions or any(
            existing.collection_type == "activities" for existing in person.subscriptions.values()
        )
        if taken:
            message = "This user is already subscribed to activities, or the subscription id is taken."
            return fitbit_error(409, "conflict", message)
        subscription = Subscription(subscription_id, "activities", request.headers.get("X-Fitbit-Subscriber-Id", "1"))
        person.subscriptions[subscription_id] = subscription
        created = subscription_json(person, subscription)
    return jsonify(created), 201


@blueprint.delete("/1/user/-/activities/apiSubscriptions/<subscription_id>.json")
def delete_subscription(subscription_id):
    person, refused = _person_for_bearer("activity")
    if refused:
        return refused
    world = current_world()
    with world.lock:
        if person.subscriptions.pop(subscription_id, None) is None:
            return fitbit_error(404, "not_found", "The subscription does not exist.")
    return "", 204


@blueprint.get("/1/user/-/activities/apiSubscriptions.json")
def list_subscriptions():
    person, refused = _person_for_bearer("activity")
    if refused:
        return refused
    world = current_world()
    with world.lock:
        listed = [subscription_json(person, subscription) for subscription in person.subscriptions.values()]
    return jsonify({"apiSubscriptions": listed})
