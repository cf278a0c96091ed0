"""Institution credit ratings (issue 12.6): an append-only rating history; special reports (issue 12.4):
one row per reported event.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

from infra import appendonly

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'credit_ratings',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('rating', sa.String(length=1), nullable=False),
        sa.Column('previous', sa.String(length=1), nullable=True),
        sa.Column('reason_zh', sa.Text(), nullable=False),
        sa.Column('reason_en', sa.Text(), nullable=False),
        sa.Column('evidence', sa.Text(), server_default='{}', nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.String(length=100), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('event_key', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.CheckConstraint("rating IN ('A', 'B', 'C', 'D')", name=op.f('ck_credit_ratings_rating')),
        sa.CheckConstraint("previous IS NULL OR previous IN ('A', 'B', 'C', 'D')", name=op.f('ck_credit_ratings_previous')),
        sa.CheckConstraint("source IN ('monthly', 'fraud', 'override')", name=op.f('ck_credit_ratings_source')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_ratings')),
        sa.UniqueConstraint('event_key', name='uq_credit_ratings_event_key'),
    )
    op.create_index('ix_credit_ratings_uscc', 'credit_ratings', ['uscc', 'id'], unique=False)
    op.create_table(
        'special_reports',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('event_key', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('class_id', sa.String(length=200), nullable=True),
        sa.Column('amount_fen', sa.BigInteger(), nullable=True),
        sa.Column('object_key', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.CheckConstraint("kind IN ('fraud', 'recovery')", name=op.f('ck_special_reports_kind')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_special_reports')),
        sa.UniqueConstraint('event_key', name='uq_special_reports_event_key'),
    )
    appendonly.create(op.execute, op.get_bind().dialect.name, 'credit_ratings')


def downgrade() -> None:
    appendonly.drop(op.execute, op.get_bind().dialect.name, 'credit_ratings')
    op.drop_table('special_reports')
    op.drop_index('ix_credit_ratings_uscc', table_name='credit_ratings')
    op.drop_table('credit_ratings')
