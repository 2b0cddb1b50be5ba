"""The tables: users, their OAuth tokens, devices, battery readings, the SMS outbox and phone checks."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, time
from typing import Any

from flask_dance.consumer.storage.sqla import OAuthConsumerMixin
from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import Model
from app.models.column_types import EncryptedJSON, UTCDateTime, utcnow


class Platform(str, enum.Enum):
    FITBIT = "fitbit"
    GOOGLE = "google"


class ConnectionState(str, enum.Enum):
    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"
    PLATFORM_RETIRED = "platform_retired"
    DISCONNECTED = "disconnected"


class MessageStatus(str, enum.Enum):
    QUEUED = "queued"
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, so adding a value is a small migration everywhere.
    return Enum(kind, name=name, native_enum=False, length=24, values_callable=lambda k: [m.value for m in k])


def new_session_version() -> str:
    """A fresh random session version: unguessable, and never equal to one a deleted account had."""
    return secrets.token_urlsafe(16)


class User(UserMixin, Model):
    __tablename__ = "users"
    # AUTOINCREMENT: SQLite would otherwise hand a deleted user's id to the next account, and that id is in
    # old cookies, URLs and queued jobs. PostgreSQL sequences never reuse one anyway.
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    legacy_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    time_zone_from_platform: Mapped[bool] = mapped_column(Boolean, default=True)
    # The language of the pages and of the texts to the account's own number (app/texts/languages.py): what the
    # visitor was reading when they signed up, then their choice in the settings.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    granted_scopes: Mapped[str | None] = mapped_column(String(500))
    connection_state: Mapped[ConnectionState] = mapped_column(
        _enum(ConnectionState, "connection_state"), default=ConnectionState.CONNECTED
    )
    connection_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fitbit_subscription_id: Mapped[str | None] = mapped_column(String(50))

    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone_failure: Mapped[str | None] = mapped_column(String(200))
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    threshold_percent: Mapped[int] = mapped_column(Integer, default=20)
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    include_scales: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)  # until resumed
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a timed pause: a day, a week
    # The evening reminder's time on the user's clock (None: off), and when the sweep next looks at it.
    remind_at: Mapped[time | None] = mapped_column(Time, default=time(20, 0))
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    # When the platform last pushed for this user, recorded by the sync job (never by the webhook).
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the number is confirmed; the first reading after it sends the welcome (or "first reading") text.
    awaiting_first_reading: Mapped[bool] = mapped_column(Boolean, default=False)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    backstop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session and remember-me cookie (get_id); a new one ends them all (sign-out, deletion).
    session_version: Mapped[str] = mapped_column(String(32), default=new_session_version)

    devices: Mapped[list[Device]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def phone_verified(self) -> bool:
        return self.phone is not None and self.phone_verified_at is not None

    def paused_at(self, now: datetime) -> bool:
        """Battery texts are paused until resumed, or for a while that has not ended yet."""
        return bool(self.paused) or (self.paused_until is not None and now < self.paused_until)

    @validates("time_zone", "remind_at")
    def _reminder_moves(self, key: str, value):
        # A new clock or reminder time: the sweep places the next reminder again.
        if getattr(self, key) != value:
            self.next_reminder_at = None
        return value

    def get_id(self) -> str:
        """Flask-Login's alternative id: sessions and remember-me cookies name the user *and* the session
        version, so a cookie outlives neither a sign-out nor its account."""
        return f"{self.id}:{self.session_version}"


class OAuth(OAuthConsumerMixin, Model):
    """Flask-Dance's token row; it is deleted and re-inserted on every save, so it holds nothing else."""

    __tablename__ = "oauth_tokens"

    # Flask-Dance's own default is datetime.utcnow, deprecated from Python 3.12 on: the same column, our clock.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    token: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user: Mapped[User] = relationship()


class Device(Model):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("user_id", "platform_device_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform_device_id: Mapped[str] = mapped_column(String(64))
    device_type: Mapped[str] = mapped_column(String(16), default="TRACKER")
    product_name: Mapped[str | None] = mapped_column(String(80))
    battery_status: Mapped[str | None] = mapped_column(String(16))
    battery_level: Mapped[int | None] = mapped_column(Integer)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # What the platform said of its last sync (Google may leave it out), else the best evidence of it: the last
    # change of its reading, or the user's last push for their only device. Silence is judged on last_seen_at.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # When its level or status last changed, as far as our reads saw.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The alert state (alerts.EpisodeState): one text per low episode, one more if it reaches
    # Empty, one per silence; the numbers make each text's outbox key unique.
    low_episode: Mapped[int] = mapped_column(Integer, default=0)
    in_low: Mapped[bool] = mapped_column(Boolean, default=False)
    empty_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    silence: Mapped[int] = mapped_column(Integer, default=0)
    silent_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The device's own settings over the account's: an alert level (None: the account's) and a mute.
    alert_level: Mapped[int | None] = mapped_column(Integer)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="devices")
    readings: Mapped[list[BatteryReading]] = relationship(
        back_populates="device", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("last_sync_at")
    def _platform_time_is_the_evidence(self, _key: str, value: datetime | None) -> datetime | None:
        # When the platform names the last sync, that time is the evidence of it, whatever we inferred before.
        if value is not None:
            self.last_seen_at = value
        return value


class BatteryReading(Model):
    __tablename__ = "battery_readings"
    __table_args__ = (
        Index("ix_battery_readings_device_read_at", "device_id", "read_at"),
        # The hourly prune deletes by age; readings arrive in time order, so a tiny BRIN index fits.
        Index("ix_battery_readings_read_at", "read_at", postgresql_using="brin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    battery_level: Mapped[int | None] = mapped_column(Integer)
    battery_status: Mapped[str | None] = mapped_column(String(16))

    device: Mapped[Device] = relationship(back_populates="readings")


class OutgoingMessage(Model):
    """The outbox: a row is written before a text is sent and moved along as Vonage reports back."""

    __tablename__ = "outgoing_messages"
    # Message ids are job arguments (deliver_text): never reused on SQLite either.
    __table_args__ = (
        Index("ix_outgoing_messages_user_created", "user_id", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Set for a text to one of the account's extra numbers (app.models.recipients); removing it removes its texts.
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    to: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(480))
    status: Mapped[MessageStatus] = mapped_column(
        _enum(MessageStatus, "message_status"), default=MessageStatus.QUEUED, index=True
    )
    provider_message_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PhoneVerification(Model):
    """A code texted to a number; only its hash is kept."""

    __tablename__ = "phone_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Set when the code confirms one of the account's extra numbers rather than its own.
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    wrong_attempts: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PendingPush(Model):
    """A push we answered while Redis was down: kept here until a worker turns it into a sync."""

    __tablename__ = "pending_pushes"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
