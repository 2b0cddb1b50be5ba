"""Unbound extension objects, bound to an app by the factory, so nothing imports the package."""

from __future__ import annotations

import base64
import logging
import os
import sys
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from redis import BlockingConnectionPool, Redis
from rq import Queue
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase

from app.environment import redis_options

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
# The tables' base class. Flask-SQLAlchemy makes `db.Model` from Base at run time, which a type checker cannot see,
# so to mypy it is Base: the same mapped columns, without the `query` attribute we never use.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
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


def process_label() -> str:
    """What this process is, as the database and Redis list their clients: `battery-web-1234`."""
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    role = {"gunicorn": "web", "worker.py": "worker"}.get(program, program.removesuffix(".py"))
    return f"battery-{role}-{os.getpid()}"


@event.listens_for(Engine, "do_connect")
def _label_postgres_connections(dialect, _record, _args, parameters) -> None:
    # Computed at each connect, so a forked job process shows its own id in pg_stat_activity.
    if dialect.name == "postgresql":
        parameters.setdefault("application_name", process_label())


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


# A generated secret shorter than this carries too little to key a cipher.
SHORTEST_SECRET = 32


def fernet_for(key: str) -> Fernet:
    """A Fernet key as such, or a Fernet key derived (HKDF-SHA256) from any long random secret, such as the
    64 hex characters a PaaS generates for an app.json `"generator": "secret"` (docs/architecture.md)."""
    try:
        return Fernet(key)
    except ValueError:
        if len(key) < SHORTEST_SECRET:
            raise ValueError(
                f"TOKEN_ENCRYPTION_KEY entries must be Fernet keys or random secrets of at least {SHORTEST_SECRET} "
                "characters"
            ) from None
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"battery-text token encryption")
    return Fernet(base64.urlsafe_b64encode(derived.derive(key.encode())))


class TokenCipher:
    """Encrypts OAuth tokens at rest with Fernet; several keys allow rotation, the first encrypts."""

    def init_app(self, app: Flask) -> None:
        keys = [key.strip() for key in str(app.config["TOKEN_ENCRYPTION_KEY"]).split(",") if key.strip()]
        if not keys:
            raise ValueError("TOKEN_ENCRYPTION_KEY must hold at least one key")
        app.extensions["token_cipher"] = MultiFernet([fernet_for(key) for key in keys])

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


# How long RQ keeps a finished job's result and a failed job (its default keeps failures for a year, which a
# small Redis plan cannot hold). Kept failures are for reading what went wrong, not for re-running.
RESULT_TTL_SECONDS = 10 * 60
FAILURE_TTL_SECONDS = 7 * 24 * 3600


class AppQueue(Queue):
    """RQ's queue, with every job given a result and a failure lifetime unless the caller chose one."""

    def create_job(self, *args, **kwargs):
        if kwargs.get("result_ttl") is None:
            kwargs["result_ttl"] = RESULT_TTL_SECONDS
        if kwargs.get("failure_ttl") is None:
            kwargs["failure_ttl"] = FAILURE_TTL_SECONDS
        return super().create_job(*args, **kwargs)


class Queues:
    """The Redis connection and the RQ queues, bound per app.

    One bounded pool per process serves the queues, the rate limits (Flask-Limiter is handed the same pool)
    and the live streams: REDIS_MAX_CONNECTIONS is all this process ever opens. A request that finds every
    connection busy waits a few seconds for one rather than opening more.
    """

    def init_app(self, app: Flask) -> None:
        url = app.config["REDIS_URL"]
        pool = BlockingConnectionPool.from_url(
            url, max_connections=int(app.config["REDIS_MAX_CONNECTIONS"]), timeout=5,
            socket_connect_timeout=2, socket_timeout=5, health_check_interval=30,
            client_name=process_label(), **redis_options(url),
        )
        app.extensions["redis"] = Redis(connection_pool=pool)
        # Read by Flask-Limiter's init_app, which must therefore come after this one.
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"connection_pool": pool}

    @property
    def redis(self) -> Redis:
        return current_app.extensions["redis"]

    def queue(self, name: str = "default") -> Queue:
        return AppQueue(name, connection=self.redis)


queues = Queues()
