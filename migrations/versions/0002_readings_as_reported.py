"""readings as reported: the device's last-seen evidence, reading changes, the first-reading flag

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 11:10:00

Existing battery history held one row per sync, even when the device had not reported anew. Without the
device's own sync times for old rows, the best that can be done is to keep the first row of each run of
identical readings (the earliest moment we saw that value) and drop the copies after it.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no table copy), which SQLite does in place.
    op.add_column("devices", sa.Column("last_seen_at", sa.DateTime(), nullable=True))
    op.add_column("devices", sa.Column("changed_at", sa.DateTime(), nullable=True))
    op.create_index(op.f("ix_devices_last_seen_at"), "devices", ["last_seen_at"], unique=False)
    op.add_column(
        "users", sa.Column("awaiting_first_reading", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute("UPDATE devices SET last_seen_at = COALESCE(last_sync_at, last_read_at), changed_at = last_read_at")
    # Window functions: PostgreSQL, and SQLite from 3.25.
    op.execute(
        """
        DELETE FROM battery_readings WHERE id IN (
            SELECT id FROM (
                SELECT id, battery_level, battery_status,
                       LAG(battery_level) OVER (PARTITION BY device_id ORDER BY read_at, id) AS previous_level,
                       LAG(battery_status) OVER (PARTITION BY device_id ORDER BY read_at, id) AS previous_status,
                       ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY read_at, id) AS position
                FROM battery_readings
            ) AS ordered
            WHERE position > 1
              AND ((battery_level = previous_level) OR (battery_level IS NULL AND previous_level IS NULL))
              AND ((battery_status = previous_status) OR (battery_status IS NULL AND previous_status IS NULL))
        )
        """
    )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("awaiting_first_reading")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_last_seen_at"))
        batch_op.drop_column("changed_at")
        batch_op.drop_column("last_seen_at")
