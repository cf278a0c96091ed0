"""indexes for the gates cross-record rules

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 19:51:55.886420
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_class', ['uscc', 'class_id'], unique=False)

    with op.batch_alter_table('stg_filing', schema=None) as batch_op:
        batch_op.create_index('ix_stg_filing_class', ['upload_id', 'class_id'], unique=False)

    with op.batch_alter_table('stg_roster', schema=None) as batch_op:
        batch_op.create_index('ix_stg_roster_class', ['upload_id', 'uscc', 'class_id'], unique=False)
        batch_op.create_index('ix_stg_roster_person', ['upload_id', 'id_number'], unique=False)
        batch_op.create_index('ix_stg_roster_phone', ['upload_id', 'phone'], unique=False)

    with op.batch_alter_table('stg_schedule', schema=None) as batch_op:
        batch_op.create_index('ix_stg_schedule_class', ['upload_id', 'uscc', 'class_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('stg_schedule', schema=None) as batch_op:
        batch_op.drop_index('ix_stg_schedule_class')

    with op.batch_alter_table('stg_roster', schema=None) as batch_op:
        batch_op.drop_index('ix_stg_roster_phone')
        batch_op.drop_index('ix_stg_roster_person')
        batch_op.drop_index('ix_stg_roster_class')

    with op.batch_alter_table('stg_filing', schema=None) as batch_op:
        batch_op.drop_index('ix_stg_filing_class')

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_class')


