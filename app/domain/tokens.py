"""Fresh platform tokens for workers: one refresh at a time per user, the new pair saved before it is used."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from requests_oauthlib import OAuth2Session
from sqlalchemy import select

from app.adapters import locks, service_status
from app.adapters.providers import AccessRevoked, CredentialsRefused, PlatformClient, PlatformUnavailable, TokenExpired
from app.extensions import db
from app.models import OAuth, User

# Refresh a little before the platform would refuse the token.
EARLY_REFRESH_SECONDS = 120
LOCK_SECONDS = 30

Result = TypeVar("Result")


def stored_token_row(user: User) -> OAuth | None:
    # populate_existing: another worker may have refreshed the token since this session last read it.
    query = select(OAuth).where(OAuth.user_id == user.id, OAuth.provider == user.platform.value)
    return db.session.scalars(query.execution_options(populate_existing=True)).first()


def is_stale(token: dict[str, Any]) -> bool:
    return float(token.get("expires_at") or 0) - EARLY_REFRESH_SECONDS < time.time()


def refreshed_token(user: User, client: PlatformClient, stale_access_token: str | None = None) -> dict[str, Any]:
    """Refresh under a per-user Redis lock.

    Fitbit refresh tokens are single-use: two workers refreshing at once would lock the user
    out. Inside the lock we re-read the stored token; if another worker already replaced the
    one we found stale, we use theirs. The new pair is committed before anyone uses it.
    """
    busy = PlatformUnavailable("another worker is still refreshing this user's token")
    with locks.held(f"lock:token-refresh:{user.id}", LOCK_SECONDS, busy):
        row = stored_token_row(user)
        if row is None:
            raise AccessRevoked("no token stored")
        current = dict(row.token)
        replaced = stale_access_token is not None and current.get("access_token") != stale_access_token
        if (replaced or stale_access_token is None) and not is_stale(current):
            return current
        try:
            fresh = client.refresh(current)
        except CredentialsRefused as refused:
            service_status.credentials_refused(client.name, str(refused))
            raise
        service_status.credentials_accepted(client.name)
        row.token = fresh
        db.session.commit()
        return fresh


def session_for(client: PlatformClient, token: dict[str, Any]) -> OAuth2Session:
    return OAuth2Session(client_id=client.config[f"{client.name.upper()}_CLIENT_ID"], token=token)


def with_platform(user: User, client: PlatformClient, action: Callable[[OAuth2Session], Result]) -> Result:
    """Run platform calls with a fresh token; a token refused right after a refresh means consent is gone."""
    row = stored_token_row(user)
    if row is None:
        raise AccessRevoked("no token stored")
    token = dict(row.token)
    if is_stale(token):
        token = refreshed_token(user, client)
    try:
        return action(session_for(client, token))
    except TokenExpired:
        token = refreshed_token(user, client, stale_access_token=token.get("access_token"))
    try:
        return action(session_for(client, token))
    except TokenExpired:
        raise AccessRevoked("the platform refused a freshly refreshed token") from None
