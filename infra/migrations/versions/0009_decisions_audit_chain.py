"""Decisions no one can quietly undo (issue 13): an append-only `decisions` table that findings' decided
status follows, and the audit log as a hash chain stamped by a trigger with the database's session_user.

Existing entries are chained in their id order (stamped `migrated`: who wrote them is not known);
existing decided findings get their decision from the audit log's review entries.

Revision ID: 0009
Revises: 0008
"""
import json

import sqlalchemy as sa
from alembic import op

from infra import appendonly, auditchain, decisionguard

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    # plain ADD COLUMN and an index: a SQLite batch copy would lose the append-only triggers
    op.add_column('audit_log', sa.Column('seq', sa.BigInteger(), nullable=True))
    op.add_column('audit_log', sa.Column('db_user', sa.String(length=64), nullable=True))
    op.add_column('audit_log', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_log', sa.Column('hash', sa.String(length=64), nullable=True))
    op.create_index('uq_audit_log_seq', 'audit_log', ['seq'], unique=True)
    op.create_table(
        'decisions',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('finding_id', sa.BigInteger(), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('auditor', sa.String(length=100), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.CheckConstraint("decision IN ('confirm', 'dismiss')", name=op.f('ck_decisions_decision')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions')),
        sa.UniqueConstraint('finding_id', name='uq_decisions_finding_id'),
    )
    _chain_existing(bind, dialect)
    _decisions_from_reviews(bind)
    auditchain.create(op.execute, dialect)
    appendonly.create(op.execute, dialect, 'decisions')
    decisionguard.create(op.execute, dialect)


def _chain_existing(bind, dialect: str) -> None:  # noqa: ANN001
    """Entries written before the chain existed, chained once, in one batch (triggers lifted meanwhile)."""
    entries = auditchain.rows(bind, dialect)
    if not entries:
        return
    appendonly.drop(op.execute, dialect, 'audit_log')
    stamped, prev = [], None
    for seq, e in enumerate(entries, start=1):
        digest = auditchain.entry_hash(prev, seq, e.at_text, e.actor, e.action, e.subject, e.detail, 'migrated')
        stamped.append({'i': e.id, 's': seq, 'p': prev, 'h': digest})
        prev = digest
    bind.execute(sa.text("UPDATE audit_log SET seq = :s, db_user = 'migrated', prev_hash = :p, hash = :h WHERE id = :i"),
                 stamped)
    appendonly.create(op.execute, dialect, 'audit_log')


def _decisions_from_reviews(bind) -> None:  # noqa: ANN001
    reviews = bind.execute(sa.text(
        "SELECT a.subject, a.actor, a.detail, a.at, a.action FROM audit_log a WHERE a.action IN "
        "('review.confirm', 'review.dismiss') ORDER BY a.id")).all()
    decided = {}
    for r in reviews:
        finding_id = int(r.subject.removeprefix('finding:'))
        decided.setdefault(finding_id, {'finding_id': finding_id, 'decision': r.action.removeprefix('review.'),
                                        'auditor': r.actor, 'reason': json.loads(r.detail or '{}').get('reason', ''),
                                        'at': r.at})
    if decided:
        bind.execute(sa.text("INSERT INTO decisions (finding_id, decision, auditor, reason, at) "
                             "VALUES (:finding_id, :decision, :auditor, :reason, :at)"), list(decided.values()))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    decisionguard.drop(op.execute, dialect)
    appendonly.drop(op.execute, dialect, 'decisions')
    auditchain.drop(op.execute, dialect)
    op.drop_table('decisions')
    appendonly.drop(op.execute, dialect, 'audit_log')
    op.drop_index('uq_audit_log_seq', table_name='audit_log')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('db_user')
        batch_op.drop_column('seq')
    appendonly.create(op.execute, dialect, 'audit_log')
