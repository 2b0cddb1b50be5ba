"""Keyed digests: HMAC-SHA256 under SECRET_KEY, so what we store or key on names no phone number or code."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def keyed_digest(message: str) -> str:
    """HMAC-SHA256 of `message` keyed with the app's secret, as hex: a leaked table or Redis dump reveals nothing."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def number_key(phone: str) -> str:
    """A phone number as rate-limit keys in Redis name it."""
    return keyed_digest(f"rate-limit:{phone}")
