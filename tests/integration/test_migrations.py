"""The migrations build the schema the models describe, on PostgreSQL and on SQLite."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import text

from app.extensions import db
from tests.support.database import scratch_postgres_database
from tests.support.paths import MIGRATIONS


def empty_sqlite_database(tmp_path):
    yield f"sqlite:///{tmp_path}/migrations.sqlite3"


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(request, tmp_path):
    if request.param == "postgresql":
        with scratch_postgres_database("migration_check") as url:
            yield url
    else:
        yield from empty_sqlite_database(tmp_path)


def test_all_migrations_apply_to_an_empty_database_and_match_the_models(empty_database, make_app):
    app = make_app(DATABASE_URL=empty_database)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []


OLD_HISTORY = [  # minute, level, status: one row per sync, copies included, as revision 0001 stored them
    (0, 80, "High"), (10, 80, "High"), (20, 80, "High"), (30, 64, "Medium"), (40, 64, "Medium"),
    (50, 80, "High"), (60, None, "Low"), (70, None, "Low"),
]


def test_upgrading_keeps_the_first_reading_of_each_run_and_drops_the_copies(empty_database, make_app):
    app = make_app(DATABASE_URL=empty_database)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS), revision="0001")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, platform, platform_user_id, time_zone, time_zone_from_platform, "
                "connection_state, threshold_percent, include_scales, paused, created_at) "
                "VALUES (1, 'google', 'u1', 'UTC', true, 'connected', 20, false, false, '2026-11-01 00:00:00')"))
            connection.execute(text(
                "INSERT INTO devices (id, user_id, platform_device_id, device_type, low_episode, in_low, empty_sent, "
                "silence, silent_sent, last_sync_at, last_read_at) "
                "VALUES (1, 1, 'd1', 'TRACKER', 0, false, false, 0, false, NULL, '2026-11-01 01:10:00')"))
            for minute, level, status in OLD_HISTORY:
                connection.execute(
                    text("INSERT INTO battery_readings (device_id, read_at, battery_level, battery_status) "
                         "VALUES (1, :at, :level, :status)"),
                    {"at": f"2026-11-01 {minute // 60:02d}:{minute % 60:02d}:00", "level": level, "status": status},
                )
        upgrade(directory=str(MIGRATIONS))
        with db.engine.connect() as connection:
            kept = connection.execute(text(
                "SELECT battery_level, battery_status FROM battery_readings ORDER BY read_at")).all()
            seen = connection.execute(text("SELECT last_seen_at FROM devices")).scalar_one()
    assert [tuple(row) for row in kept] == [(80, "High"), (64, "Medium"), (80, "High"), (None, "Low")]
    assert str(seen).startswith("2026-11-01 01:10:00")


def test_upgrading_to_session_versions_keeps_every_row_and_never_reuses_an_id(empty_database, make_app):
    app = make_app(DATABASE_URL=empty_database)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS), revision="0002")
        with db.engine.begin() as connection:
            for person in ("u1", "u2", "u3"):
                user_id = connection.execute(text(
                    "INSERT INTO users (platform, platform_user_id, time_zone, time_zone_from_platform, "
                    "connection_state, threshold_percent, include_scales, paused, awaiting_first_reading, created_at) "
                    "VALUES ('google', :person, 'UTC', true, 'connected', 20, false, false, false, "
                    "'2026-11-01 00:00:00') RETURNING id"), {"person": person}).scalar_one()
                connection.execute(text(
                    "INSERT INTO devices (user_id, platform_device_id, device_type, low_episode, in_low, empty_sent, "
                    "silence, silent_sent) VALUES (:id, 'd1', 'TRACKER', 0, false, false, 0, false)"), {"id": user_id})
                connection.execute(text(
                    "INSERT INTO outgoing_messages (user_id, idempotency_key, kind, \"to\", body, status, attempts, "
                    "created_at, updated_at) VALUES (:id, :key, 'low', '+447700900123', 'Charge 6 is low', 'queued', "
                    "0, '2026-11-01 00:00:00', '2026-11-01 00:00:00')"), {"id": user_id, "key": f"low:{user_id}"})
            connection.execute(text(
                "INSERT INTO battery_readings (device_id, read_at, battery_level, battery_status) "
                "SELECT id, '2026-11-01 00:00:00', 80, 'High' FROM devices"))
        upgrade(directory=str(MIGRATIONS))
        with db.engine.begin() as connection:
            counts = {table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                      for table in ("users", "devices", "battery_readings", "outgoing_messages")}
            versions = connection.execute(text("SELECT session_version FROM users")).scalars().all()
            # The newest account leaves; the next one must not get its id, nor the newest text's id be reused.
            connection.execute(text("DELETE FROM outgoing_messages WHERE user_id = 3"))
            connection.execute(text("DELETE FROM devices WHERE user_id = 3"))
            connection.execute(text("DELETE FROM users WHERE id = 3"))
            next_user = connection.execute(text(
                "INSERT INTO users (platform, platform_user_id, time_zone, time_zone_from_platform, connection_state, "
                "threshold_percent, include_scales, paused, awaiting_first_reading, created_at, session_version) "
                "VALUES ('google', 'u4', 'UTC', true, 'connected', 20, false, false, false, '2026-11-02 00:00:00', "
                "'v') RETURNING id")).scalar_one()
            next_message = connection.execute(text(
                "INSERT INTO outgoing_messages (user_id, idempotency_key, kind, \"to\", body, status, attempts, "
                "created_at, updated_at) VALUES (:id, 'low:4', 'low', '+447700900123', 'Charge 6 is low', 'queued', "
                "0, '2026-11-02 00:00:00', '2026-11-02 00:00:00') RETURNING id"), {"id": next_user}).scalar_one()
    assert counts == {"users": 3, "devices": 3, "battery_readings": 3, "outgoing_messages": 3}
    assert len(set(versions)) == 3 and all(len(version) == 32 for version in versions)
    assert (next_user, next_message) == (4, 4)
