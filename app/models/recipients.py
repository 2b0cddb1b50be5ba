"""The people who also get an account's texts: one row per extra number, confirmed by its own owner."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.column_types import UTCDateTime, utcnow

# The texts an extra number may choose (outbox kinds) and how the form names them. A new alert kind (the evening
# reminder) is one more entry here: the form offers it, and each extra number chooses it on its own.
CHOOSABLE_TEXTS = {
    "low": lazy_gettext("Battery low"),
    "empty": lazy_gettext("Battery empty"),
    "silent": lazy_gettext("A tracker has not synced for a day"),
    "reminder": lazy_gettext("The evening reminder to charge"),
}


class Recipient(Model):
    """An extra number for an account's alerts. Its columns carry the same names as the account's own number
    (phone, phone_verified_at, opted_out_at, phone_failed_at, phone_failure), so the outbox's gates read either."""

    __tablename__ = "recipients"
    # Ids are in URLs and outbox rows: never reused on SQLite either.
    __table_args__ = (UniqueConstraint("user_id", "phone"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    # The account holder's name as this person knows them: "Sam" in "Sam's Charge 6 is at 15%".
    known_as: Mapped[str] = mapped_column(String(24))
    # The language of this number's texts: its owner's, which may not be the account holder's.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # Which texts this number gets: CHOOSABLE_TEXTS entries, comma-separated.
    texts: Mapped[str] = mapped_column(String(120), default=",".join(CHOOSABLE_TEXTS))
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone_failure: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None

    @property
    def chosen_texts(self) -> frozenset[str]:
        return frozenset(kind for kind in (self.texts or "").split(",") if kind in CHOOSABLE_TEXTS)

    @property
    def state(self) -> str:
        """What the dashboard says of it: stopped (a STOP, even before it was confirmed), waiting, failing or
        active."""
        if self.opted_out_at is not None:
            return "stopped"
        if not self.phone_verified:
            return "waiting"
        if self.phone_failed_at is not None:
            return "failing"
        return "active"
