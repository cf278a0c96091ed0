"""gate checks per upload

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 20:09:56.204464
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gate_checks', sa.Text(), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_column('gate_checks')


