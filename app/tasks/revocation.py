"""Withdrawing our access: grants of a deleted account or of a platform the user moved away from."""

from __future__ import annotations

import enum
import json
import logging

from rq import Retry

from app.adapters.providers import PlatformError, PlatformRetired, PlatformUnavailable, TokenExpired, client_for
from app.domain import accounts
from app.domain.tokens import session_for
from app.extensions import db, queues, token_cipher
from app.models import ConnectionState, OAuth, User

log = logging.getLogger(__name__)

REVOKE_RETRY = Retry(max=3, interval=[30, 300, 3600])


class Revocation(enum.Enum):
    REVOKED = "revoked"
    REFUSED = "refused"
    PLATFORM_RETIRED = "retired"


def seal(token: dict) -> str:
    """Tokens travel to jobs encrypted: Redis keeps job arguments in plain text."""
    return token_cipher.encrypt(json.dumps(token))


def revoke_left_platforms(rows: list[OAuth]) -> None:
    """Revoke the tokens of platforms the user has left (Fitbit, after moving to Google) and forget them."""
    for row in rows:
        queues.queue("sweeps").enqueue(revoke_grant, row.provider, seal(row.token), None)
        db.session.delete(row)
    db.session.commit()


def before_delete(user: User) -> None:
    """Queue best-effort revocation of every grant the user gave us, before their rows go."""
    rows = db.session.query(OAuth).filter(OAuth.user_id == user.id).all()
    for row in rows:
        subscription = user.fitbit_subscription_id if row.provider == "fitbit" else None
        queues.queue("sweeps").enqueue(
            revoke_grant, row.provider, seal(row.token), subscription, user.platform_user_id, retry=REVOKE_RETRY,
        )


def disconnect(user: User) -> None:
    """"Disconnect, keep my account": our access is withdrawn at the platform (best effort, by a job) and the tokens
    forgotten, so nothing can call the platform for this user; phone, settings and history stay. Signing in with
    the platform again connects the account anew and syncing resumes."""
    before_delete(user)
    db.session.query(OAuth).filter(OAuth.user_id == user.id).delete()
    user.fitbit_subscription_id = None
    accounts.lose_connection(user, ConnectionState.DISCONNECTED)  # commits, and tells open dashboards


def revoke_grant(
    platform: str, sealed_token: str, subscription: str | None, platform_user_id: str | None = None
) -> Revocation:
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
        return Revocation.PLATFORM_RETIRED
    except PlatformUnavailable:
        raise
    except PlatformError as error:
        log.info("revoking a %s grant: %s", platform, type(error).__name__)
        return Revocation.REFUSED
    return Revocation.REVOKED
