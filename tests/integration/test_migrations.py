"""The migrations build the schema the models describe, on PostgreSQL and on SQLite."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import database_url
from app.extensions import db
from tests.support.paths import MIGRATIONS


def empty_postgres_database():
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server.startswith("postgres"):
        pytest.skip("TEST_DATABASE_URL is not PostgreSQL (CI runs this against PostgreSQL)")
    url = make_url(database_url(server))
    name = f"migration_check_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_sqlite_database(tmp_path):
    yield f"sqlite:///{tmp_path}/migrations.sqlite3"


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(request, tmp_path):
    source = empty_postgres_database() if request.param == "postgresql" else empty_sqlite_database(tmp_path)
    yield next(source)
    next(source, None)


def test_all_migrations_apply_to_an_empty_database_and_match_the_models(empty_database, make_app):
    app = make_app(DATABASE_URL=empty_database)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
