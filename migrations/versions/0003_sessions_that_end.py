"""sessions that end: a per-user session version; ids never reused on SQLite

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:00:00

Sessions and remember-me cookies name "<user id>:<session version>"; sign-out gives the user a new version.
Every existing user gets a random one, so cookies from before this revision (a bare id) are refused once.

SQLite hands the highest deleted rowid to the next row unless the table is AUTOINCREMENT, so a deleted
user's id (in old cookies, URLs and queued jobs) could name the next account. AUTOINCREMENT can only be set
by recreating the table: batch mode copies every row into a new table (foreign keys are off for the migration's
connection, see env.py, so nothing cascades). PostgreSQL sequences never reuse an id: its tables stay as they are.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The tables whose ids appear in cookies, URLs or job arguments.
NEVER_REUSED = ("users", "outgoing_messages")

# 32 random hex characters per row, in each database's own words.
RANDOM_VERSION = {
    "sqlite": "lower(hex(randomblob(16)))",
    "postgresql": "md5(random()::text || clock_timestamp()::text || id::text)",
}


def upgrade():
    dialect = op.get_bind().dialect.name
    op.add_column("users", sa.Column("session_version", sa.String(length=32), nullable=True))
    op.execute(f"UPDATE users SET session_version = {RANDOM_VERSION[dialect]}")
    if dialect != "sqlite":
        op.alter_column("users", "session_version", existing_type=sa.String(length=32), nullable=False)
        return
    for table in NEVER_REUSED:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
            if table == "users":
                batch_op.alter_column("session_version", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    # On SQLite the recreated tables lose AUTOINCREMENT again (reflection does not carry it).
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("outgoing_messages", recreate=recreate) as batch_op:
        pass
    with op.batch_alter_table("users", recreate=recreate) as batch_op:
        batch_op.drop_column("session_version")
