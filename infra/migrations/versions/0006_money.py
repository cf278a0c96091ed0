"""money claims ledger earned

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 20:22:05.922231
"""
import sqlalchemy as sa
from alembic import op

from infra import appendonly

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('claims',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('projected_fen', sa.BigInteger(), nullable=True),
    sa.Column('cap_fen', sa.BigInteger(), nullable=True),
    sa.Column('earned_fen', sa.BigInteger(), nullable=True),
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_claims_amount_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims')),
    sa.UniqueConstraint('uscc', 'class_id', 'kind', name='uq_claims_key')
    )
    op.create_table('earned',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('payee', sa.String(length=18), nullable=False),
    sa.Column('payee_kind', sa.String(length=12), nullable=False),
    sa.Column('earned_fen', sa.BigInteger(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.CheckConstraint('earned_fen >= 0', name=op.f('ck_earned_earned_not_negative')),
    sa.PrimaryKeyConstraint('uscc', 'class_id', 'payee', name=op.f('pk_earned'))
    )
    op.create_table('ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('payee', sa.String(length=18), nullable=False),
    sa.Column('payee_kind', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=300), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.CheckConstraint("(kind = 'advance' AND amount_fen > 0) OR (kind = 'settlement' AND amount_fen > 0) OR (kind = 'recovery' AND amount_fen < 0)", name=op.f('ck_ledger_sign_by_kind')),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_ledger_seq_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger')),
    sa.UniqueConstraint('idempotency_key', name='uq_ledger_idempotency_key'),
    sa.UniqueConstraint('uscc', 'class_id', 'payee', 'kind', 'seq', name='uq_ledger_purpose')
    )
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_class', ['uscc', 'class_id'], unique=False)

    op.create_table('stg_claim',
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('projected_fen', sa.BigInteger(), nullable=True),
    sa.Column('cap_fen', sa.BigInteger(), nullable=True),
    sa.Column('earned_fen', sa.BigInteger(), nullable=True),
    sa.Column('format_errors', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('upload_id', 'row_no', name=op.f('pk_stg_claim'))
    )
    op.create_table('trainee_amounts',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('payee', sa.String(length=18), nullable=False),
    sa.Column('what', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('clause', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('uscc', 'class_id', 'id_number', 'payee', 'what', name=op.f('pk_trainee_amounts'))
    )
    appendonly.create(op.execute, op.get_bind().dialect.name, "ledger")


def downgrade() -> None:
    appendonly.drop(op.execute, op.get_bind().dialect.name, "ledger")

    op.drop_table('trainee_amounts')
    op.drop_table('stg_claim')
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_class')

    op.drop_table('ledger')
    op.drop_table('earned')
    op.drop_table('claims')

