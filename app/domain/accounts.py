"""The account's life: connect (or relink) on sign-in, find it from a cookie, sign out everywhere, leave."""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any

from sqlalchemy import delete, select

from app.adapters import events
from app.adapters.providers import Identity
from app.extensions import db
from app.models import ConnectionState, OAuth, Platform, User, new_session_version, utcnow
from app.texts.languages import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)

# Flask-Login's alternative id; 18 digits keep the id inside a 64-bit integer column.
SESSION_ID = re.compile(r"(?P<user_id>[0-9]{1,18}):(?P<version>[A-Za-z0-9_-]{1,32})")


def connect_account(
    platform: str, identity: Identity, token: dict[str, Any], signed_in: User | None, language: str = DEFAULT_LANGUAGE
) -> User:
    """Find or create the user for this platform identity and store the token. A new account speaks `language`
    (what the visitor was reading when they signed up); an existing one keeps its own.

    A Google account whose legacyUserId is a Fitbit user we know is that same person: the
    account moves to Google and keeps its phone, settings and history. So does a signed-in
    Fitbit user who connects Google.
    """
    platform_enum = Platform(platform)
    user = db.session.scalars(
        select(User).where(User.platform == platform_enum, User.platform_user_id == identity.platform_user_id)
    ).first()
    if user is None and platform_enum is Platform.GOOGLE:
        user = _fitbit_account_moving_to_google(identity, signed_in)
        if user is not None:
            log.info("user %s moves from Fitbit to Google Health", user.id)
            user.legacy_user_id = user.platform_user_id
            user.platform = Platform.GOOGLE
            user.platform_user_id = identity.platform_user_id
            user.fitbit_subscription_id = None
    if user is None:
        user = User(platform=platform_enum, platform_user_id=identity.platform_user_id, language=language)
        db.session.add(user)
    if identity.legacy_user_id:
        user.legacy_user_id = identity.legacy_user_id
    user.granted_scopes = str(token.get("scope") or "")[:500]
    if user.connection_state is not ConnectionState.CONNECTED:
        user.connection_state = ConnectionState.CONNECTED
        user.connection_changed_at = utcnow()
    db.session.flush()
    # One token row per user and platform; the old platform's row (if any) is revoked by a job.
    db.session.execute(delete(OAuth).where(OAuth.user_id == user.id, OAuth.provider == platform_enum.value))
    db.session.add(OAuth(provider=platform_enum.value, token=token, user_id=user.id))
    db.session.commit()
    return user


def _fitbit_account_moving_to_google(identity: Identity, signed_in: User | None) -> User | None:
    if identity.legacy_user_id:
        legacy = db.session.scalars(
            select(User).where(User.platform == Platform.FITBIT, User.platform_user_id == identity.legacy_user_id)
        ).first()
        if legacy is not None:
            return legacy
    if signed_in is not None and signed_in.platform is Platform.FITBIT:
        return signed_in
    return None


def old_platform_tokens(user: User) -> list[OAuth]:
    """Tokens for platforms the user has left (after moving from Fitbit to Google)."""
    return list(
        db.session.scalars(select(OAuth).where(OAuth.user_id == user.id, OAuth.provider != user.platform.value))
    )


def lose_connection(user: User, state: ConnectionState) -> bool:
    """Record that we can no longer read this user's devices; True when this is news (text them once)."""
    if user.connection_state is state:
        return False
    user.connection_state = state
    user.connection_changed_at = utcnow()
    db.session.commit()
    events.publish(user.id, {"type": "account", "connection": state.value})
    log.info("user %s is now %s", user.id, state.value)
    return True


def user_for_session(alternative_id: str) -> User | None:
    """The user a session or remember-me cookie names ("<id>:<session version>"), if that version is still theirs.

    Anything else (an old bare id, a malformed value, a version ended by a sign-out) finds nobody, so the
    browser is treated as signed out rather than answered with an error.
    """
    found = SESSION_ID.fullmatch(alternative_id)
    if found is None:
        return None
    user = db.session.get(User, int(found["user_id"]))
    if user is None or not hmac.compare_digest(user.session_version, found["version"]):
        return None
    return user


def end_every_session(user: User) -> None:
    """Sign the user out on every browser and phone: each session and remember-me cookie carries the old version."""
    user.session_version = new_session_version()
    db.session.commit()


def forget_user(user: User) -> None:
    """Delete every row that belongs to the user; what the platform holds is revoked separately."""
    db.session.delete(user)
    db.session.commit()
