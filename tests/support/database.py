"""The test database itself: emptied completely before the migrations build it again."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import make_url

from app.environment import database_url


def drop_everything(engine) -> None:
    """Empty the test database whatever an earlier run left in it."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        return
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)


@contextmanager
def scratch_postgres_database(purpose: str) -> Iterator[str]:
    """A new, empty database on the test PostgreSQL server, dropped afterwards (skips on a SQLite run)."""
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server.startswith("postgres"):
        pytest.skip("TEST_DATABASE_URL is not PostgreSQL (CI runs this against PostgreSQL)")
    url = make_url(database_url(server))
    name = f"{purpose}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_database(purpose: str, folder: Path) -> Iterator[str]:
    """A new, empty database of the kind the suite runs on: PostgreSQL in CI, else a SQLite file in `folder`."""
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"):
        with scratch_postgres_database(purpose) as url:
            yield url
    else:
        yield f"sqlite:///{folder}/{purpose}.sqlite3"
