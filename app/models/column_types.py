"""Column types the tables share: UTC times that read back the same on SQLite and PostgreSQL, JSON encrypted at rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text, TypeDecorator

from app.extensions import token_cipher


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, hands back aware UTC: SQLite keeps no offsets, PostgreSQL does."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class EncryptedJSON(TypeDecorator):
    """A JSON document encrypted with the token keys: what lands on disk is Fernet ciphertext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else token_cipher.encrypt(json.dumps(value))

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else json.loads(token_cipher.decrypt(value))
