"""people who also get the texts: up to three extra numbers per account, each confirmed by its owner

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:30:00

A `recipients` table, and a `recipient_id` on outbox rows and phone codes: a text or a code for an extra
number names it, and removing the number removes its codes and texts (ON DELETE CASCADE). Rows from before
this revision are the account's own (recipient_id NULL). On SQLite the two tables are recreated to add the
foreign key, keeping AUTOINCREMENT on outgoing_messages (see 0003).
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("known_as", sa.String(length=24), nullable=False),
        sa.Column("texts", sa.String(length=120), nullable=False),
        sa.Column("phone_verified_at", sa.DateTime(), nullable=True),
        sa.Column("opted_out_at", sa.DateTime(), nullable=True),
        sa.Column("phone_failed_at", sa.DateTime(), nullable=True),
        sa.Column("phone_failure", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_recipients_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipients")),
        sa.UniqueConstraint("user_id", "phone", name=op.f("uq_recipients_user_id_phone")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recipients_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_recipients_user_id"), ["user_id"], unique=False)
    for table, kwargs in (("outgoing_messages", {"sqlite_autoincrement": True}), ("phone_verifications", {})):
        with op.batch_alter_table(table, schema=None, table_kwargs=kwargs) as batch_op:
            batch_op.add_column(sa.Column("recipient_id", sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_recipient_id"), ["recipient_id"], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_recipient_id_recipients"), "recipients", ["recipient_id"], ["id"],
                ondelete="CASCADE",
            )


def downgrade():
    for table in ("phone_verifications", "outgoing_messages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_recipient_id_recipients"), type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_recipient_id"))
            batch_op.drop_column("recipient_id")
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipients_user_id"))
        batch_op.drop_index(batch_op.f("ix_recipients_phone"))
    op.drop_table("recipients")
