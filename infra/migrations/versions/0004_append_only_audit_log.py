"""The audit log is append-only in the database itself: UPDATE and DELETE raise.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

from infra import appendonly

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    appendonly.create(op.execute, op.get_bind().dialect.name, "audit_log")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    appendonly.drop(op.execute, dialect, "audit_log")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS skillsub_append_only()")
