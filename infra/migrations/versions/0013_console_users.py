"""The console's users (auditor, operator, viewer) with Argon2 password hashes, their login attempts
(throttling per user and per client address), and an index for the auditors' findings queue (issue 14).

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_users',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('password_hash', sa.Text(), nullable=False),
        sa.Column('disabled', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.CheckConstraint("role IN ('auditor', 'operator', 'viewer')", name=op.f('ck_console_users_role')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_users')),
        sa.UniqueConstraint('name', name='uq_console_users_name'),
    )
    op.create_table(
        'login_attempts',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts')),
    )
    op.create_index('ix_login_attempts_user', 'login_attempts', ['username', 'at'])
    op.create_index('ix_login_attempts_client', 'login_attempts', ['client', 'at'])
    op.create_index('ix_findings_queue', 'findings', ['status', 'stage', 'uscc'])


def downgrade() -> None:
    op.drop_index('ix_findings_queue', table_name='findings')
    op.drop_index('ix_login_attempts_client', table_name='login_attempts')
    op.drop_index('ix_login_attempts_user', table_name='login_attempts')
    op.drop_table('login_attempts')
    op.drop_table('console_users')
