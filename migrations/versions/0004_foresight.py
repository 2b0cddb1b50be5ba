"""foresight: a timed pause, the evening reminder's time, and each device's own alert level and mute

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:30:00

Accounts made before this revision keep the evening reminder off (remind_at NULL): they signed up for
threshold alerts only, and a new kind of text is theirs to turn on. New accounts get 20:00 from the model.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no table copy), which SQLite does in place.
    op.add_column("users", sa.Column("paused_until", sa.DateTime(), nullable=True))
    op.add_column("users", sa.Column("remind_at", sa.Time(), nullable=True))
    op.add_column("users", sa.Column("next_reminder_at", sa.DateTime(), nullable=True))
    op.create_index(op.f("ix_users_next_reminder_at"), "users", ["next_reminder_at"], unique=False)
    op.add_column("devices", sa.Column("alert_level", sa.Integer(), nullable=True))
    op.add_column("devices", sa.Column("muted", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("devices") as batch_op:
        batch_op.drop_column("muted")
        batch_op.drop_column("alert_level")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_next_reminder_at"))
        batch_op.drop_column("next_reminder_at")
        batch_op.drop_column("remind_at")
        batch_op.drop_column("paused_until")
