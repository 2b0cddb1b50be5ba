"""Account jobs: prepare a new sign-in, tell the user once when the connection is lost, revoke on leaving."""

from __future__ import annotations

import json
import logging

from rq import Retry
from rq.job import JobStatus

from app import accounts, outbox
from app.extensions import db, queues, token_cipher
from app.models import ConnectionState, OAuth, Platform, User
from app.providers import PlatformError, PlatformRetired, PlatformUnavailable, TokenExpired, client_for
from app.tokens import session_for, with_platform

log = logging.getLogger(__name__)

CONNECTION_TEXTS = {
    ConnectionState.NEEDS_RECONNECT: (
        "reconnect",
        "Battery Text: we can no longer read your tracker's battery, so alerts are paused. "
        "Sign in again at {site} to turn them back on.",
    ),
    ConnectionState.PLATFORM_RETIRED: (
        "retired",
        "Battery Text: Fitbit has switched off its old service, so alerts are paused. "
        "Reconnect with Google at {site} to keep them coming.",
    ),
}


def subscription_id(user: User) -> str:
    # Ours to choose, at most 50 characters, and stable for the user.
    return f"battery-text-{user.id}"


# A Fitbit account without its subscription gets no pushes, so setting one up must outlast a bad hour at the
# platform; past the last retry the sweep starts it again (sweeps.resume_account_setups).
SETUP_RETRY = Retry(max=6, interval=[5, 15, 60, 300, 1800, 3600])
SETUP_PENDING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


def after_sign_in(user: User) -> None:
    """Called by the web process: the slow parts of signing in happen in a worker."""
    queue_account_setup(user.id)


def queue_account_setup(user_id: int) -> bool:
    """Queue `prepare_account` unless the user's is already waiting, running or due for a retry."""
    queue = queues.queue("default")
    job_id = f"prepare-account-{user_id}"
    earlier = queue.fetch_job(job_id)
    if earlier is not None:
        if earlier.get_status(refresh=False) in SETUP_PENDING:
            return False
        earlier.delete()
    queue.enqueue(prepare_account, user_id, retry=SETUP_RETRY, job_id=job_id)
    return True


def prepare_account(user_id: int) -> None:
    """Read the time zone, subscribe to pushes (Fitbit), drop tokens of a platform left behind, first sync."""
    from app.tasks.sync import request_sync

    user = db.session.get(User, user_id)
    if user is None:
        return
    client = client_for(user.platform)
    try:
        if user.time_zone_from_platform:
            zone = with_platform(user, client, lambda session: client.time_zone(session, user.platform_user_id))
            if zone:
                user.time_zone = zone
        if user.platform is Platform.FITBIT:
            wanted = subscription_id(user)
            with_platform(user, client, lambda session: client.subscribe(session, user.platform_user_id, wanted))
            user.fitbit_subscription_id = wanted
        db.session.commit()
    except PlatformError as error:
        if handle_connection_error(user, error):
            return
        raise
    for row in accounts.old_platform_tokens(user):
        queues.queue("sweeps").enqueue(revoke_grant, row.provider, seal(row.token), None)
        db.session.delete(row)
    db.session.commit()
    request_sync(user.platform.value, user.platform_user_id)


def handle_connection_error(user: User, error: PlatformError) -> bool:
    """Turn a lost connection into the user's state and one text; False for errors worth retrying."""
    from app.providers import AccessRevoked, MissingPermission

    if isinstance(error, PlatformRetired):
        connection_lost(user, ConnectionState.PLATFORM_RETIRED)
        return True
    if isinstance(error, (AccessRevoked, MissingPermission)):
        connection_lost(user, ConnectionState.NEEDS_RECONNECT)
        return True
    return False


def connection_lost(user: User, state: ConnectionState) -> None:
    if not accounts.lose_connection(user, state) or not user.phone_verified or state not in CONNECTION_TEXTS:
        return
    kind, wording = CONNECTION_TEXTS[state]
    from flask import current_app

    site = current_app.config.get("PUBLIC_URL") or "our website"
    moment = int(user.connection_changed_at.timestamp())
    outbox.queue_text(user, kind, f"{kind}:{user.id}:{moment}", wording.format(site=site))


def seal(token: dict) -> str:
    """Tokens travel to jobs encrypted: Redis keeps job arguments in plain text."""
    return token_cipher.encrypt(json.dumps(token))


def before_delete(user: User) -> None:
    """Queue best-effort revocation of every grant the user gave us, before their rows go."""
    rows = db.session.query(OAuth).filter(OAuth.user_id == user.id).all()
    for row in rows:
        subscription = user.fitbit_subscription_id if row.provider == "fitbit" else None
        queues.queue("sweeps").enqueue(
            revoke_grant, row.provider, seal(row.token), subscription, user.platform_user_id,
            retry=Retry(max=3, interval=[30, 300, 3600]),
        )


def revoke_grant(platform: str, sealed_token: str, subscription: str | None, platform_user_id: str | None = None) -> str:
    """Remove our subscription and revoke the grant; a retired platform has nothing left to revoke."""
    token = json.loads(token_cipher.decrypt(sealed_token))
    client = client_for(platform)
    try:
        if subscription and platform_user_id:
            try:
                client.unsubscribe(session_for(client, token), platform_user_id, subscription)
            except TokenExpired:
                token = client.refresh(token)
                client.unsubscribe(session_for(client, token), platform_user_id, subscription)
        client.revoke(token)
    except PlatformRetired:
        return "retired"
    except PlatformUnavailable:
        raise
    except PlatformError as error:
        log.info("revoking a %s grant: %s", platform, type(error).__name__)
        return "refused"
    return "revoked"
