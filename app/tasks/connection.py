"""A lost connection to the platform: the user's state changes once, and they get one text saying what to do."""

from __future__ import annotations

from flask import current_app

from app.adapters.providers import AccessRevoked, MissingPermission, PlatformError, PlatformRetired
from app.domain import accounts
from app.models import ConnectionState, User
from app.tasks.delivery import queue_text
from app.texts import wording

CONNECTION_TEXTS = {
    ConnectionState.NEEDS_RECONNECT: ("reconnect", wording.RECONNECT),
    ConnectionState.PLATFORM_RETIRED: ("retired", wording.RETIRED),
}


def handle_connection_error(user: User, error: PlatformError) -> bool:
    """Turn a lost connection into the user's state and one text; False for errors worth retrying."""
    if isinstance(error, PlatformRetired):
        connection_lost(user, ConnectionState.PLATFORM_RETIRED)
        return True
    if isinstance(error, (AccessRevoked, MissingPermission)):
        connection_lost(user, ConnectionState.NEEDS_RECONNECT)
        return True
    return False


def connection_lost(user: User, state: ConnectionState) -> None:
    """Record the new state; the first time it is news and the number is verified, text the user once."""
    if not accounts.lose_connection(user, state) or not user.phone_verified or state not in CONNECTION_TEXTS:
        return
    kind, wording_template = CONNECTION_TEXTS[state]
    body = wording.connection_text(wording_template, current_app.config.get("PUBLIC_URL"), user.language)
    assert user.connection_changed_at is not None  # lose_connection stamped it: the change is news
    moment = int(user.connection_changed_at.timestamp())
    queue_text(user, kind, f"{kind}:{user.id}:{moment}", body)
