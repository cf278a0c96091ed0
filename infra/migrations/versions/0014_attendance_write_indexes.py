"""Attendance: drop ix_attendance_class (uscc, class_id), the leading columns of uq_attendance_key
(uscc, class_id, id_number, check_in), which serves every lookup by class as well. Each upload's
promoted records and each replaced one paid for maintaining both (issue 10).

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_attendance_class', table_name='attendance')  # plain DROP INDEX, no table copy on SQLite


def downgrade() -> None:
    op.create_index('ix_attendance_class', 'attendance', ['uscc', 'class_id'], unique=False)
