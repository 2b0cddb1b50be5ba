"""Unbound extension objects, bound to an app by the factory, so nothing imports the package."""

from __future__ import annotations

import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from redis import Redis
from rq import Queue
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase

from app.config import redis_options

# Named constraints let Alembic alter them on every database, SQLite included.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
log = logging.getLogger(__name__)


def release_session(_error: BaseException | None = None) -> None:
    """End the request's database session. If the database cut the connection meanwhile (a restart), the
    connection is dropped and the answer already made stands: otherwise the final rollback on the dead
    connection would turn, say, a finished 200 or a deliberate 503 into a 500."""
    try:
        db.session.remove()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        db.session.registry.clear()
        log.warning("database connection lost before the end of the request; dropped it")


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(connection, _record) -> None:
    # SQLite ignores ON DELETE CASCADE unless asked, and deleting an account relies on it.
    if type(connection).__module__.startswith("sqlite3"):
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits live in Redis (RATELIMIT_STORAGE_URI) so every web process shares them.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class TokenCipher:
    """Encrypts OAuth tokens at rest with Fernet; several keys allow rotation, the first encrypts."""

    def init_app(self, app: Flask) -> None:
        keys = [key.strip() for key in str(app.config["TOKEN_ENCRYPTION_KEY"]).split(",") if key.strip()]
        try:
            app.extensions["token_cipher"] = MultiFernet([Fernet(key) for key in keys])
        except ValueError:
            raise ValueError("TOKEN_ENCRYPTION_KEY must be one or more comma-separated Fernet keys") from None

    @staticmethod
    def _fernet() -> MultiFernet:
        return current_app.extensions["token_cipher"]

    def encrypt(self, plaintext: str) -> str:
        return self._fernet().encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet().decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("a stored token cannot be decrypted with any configured key") from None


token_cipher = TokenCipher()


# Most urgent first: a worker always takes texts before syncs and syncs before sweeps.
QUEUE_NAMES = ("texts", "default", "sweeps")


class Queues:
    """The Redis connection and the RQ queues, bound per app."""

    def init_app(self, app: Flask) -> None:
        url = app.config["REDIS_URL"]
        app.extensions["redis"] = Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30, **redis_options(url)
        )

    @property
    def redis(self) -> Redis:
        return current_app.extensions["redis"]

    def queue(self, name: str = "default") -> Queue:
        return Queue(name, connection=self.redis)


queues = Queues()
