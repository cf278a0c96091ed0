"""Ledger entries carry their business date and fund (issue 12 point 1): `booked_on`, the as-of date of the
run that booked the entry, and `fund`, the account it is paid from (named in the region policy).

Existing entries are backfilled once with the append-only triggers lifted: `booked_on` is the date of
`created_at` (every write path stamps it with the Asia/Shanghai clock, Services.now); `fund` is the account
of what the payee was paid for (`fund_accounts`): a trainee's living allowance from its fund, otherwise the
configured region policy's default fund. Without that, the first settlement after the migration would
"recover" every living allowance from the default fund and pay it again from its own.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

from infra import appendonly

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _policy():  # noqa: ANN202
    try:
        from infra.settings import Settings

        return Settings().region_policy
    except Exception:  # noqa: BLE001 - a migration must not need a full configuration
        return None


def fund_accounts(bind, policy) -> None:  # noqa: ANN001
    """Entries of a payee whose settled lines (trainee_amounts.what) all come from one account other than the
    default get that account. A payee paid from two accounts in one netted entry keeps the default: no entry
    says how it splits, and its next settlement books the move between the accounts."""
    if policy is None:
        return
    funds: dict[tuple[str, str, str], set[str]] = {}
    for uscc, class_id, payee, training_type, what in bind.execute(sa.text(
            "SELECT DISTINCT l.uscc, l.class_id, l.payee, c.training_type, t.what FROM ledger l "
            "JOIN classes c ON c.uscc = l.uscc AND c.class_id = l.class_id "
            "LEFT JOIN trainee_amounts t ON t.uscc = l.uscc AND t.class_id = l.class_id AND t.payee = l.payee")):
        funds.setdefault((uscc, class_id, payee), set()).add(policy.fund_for(training_type, what or "training"))
    for (uscc, class_id, payee), named in funds.items():
        if len(named) == 1 and (fund := next(iter(named))) != policy.fund:
            bind.execute(sa.text("UPDATE ledger SET fund = :f WHERE uscc = :u AND class_id = :c AND payee = :p"),
                         {"f": fund, "u": uscc, "c": class_id, "p": payee})


def _default_fund(policy) -> str:  # noqa: ANN001
    from schemas.policy import DEFAULT_FUND

    return policy.fund if policy is not None else DEFAULT_FUND


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    # added nullable, backfilled, then NOT NULL
    op.add_column('ledger', sa.Column('booked_on', sa.Date(), nullable=True))
    op.add_column('ledger', sa.Column('fund', sa.String(length=64), nullable=True))
    if bind.execute(sa.text("SELECT count(*) FROM ledger")).scalar_one():
        appendonly.drop(op.execute, dialect, 'ledger')
        booked = "CAST(created_at AS date)" if dialect == "postgresql" else "date(created_at)"
        policy = _policy()
        bind.execute(sa.text(f"UPDATE ledger SET booked_on = {booked}, fund = :fund"), {"fund": _default_fund(policy)})
        fund_accounts(bind, policy)
        appendonly.create(op.execute, dialect, 'ledger')
    if dialect == "postgresql":
        op.alter_column('ledger', 'booked_on', nullable=False)
        op.alter_column('ledger', 'fund', nullable=False)
    else:  # SQLite sets NOT NULL only by copying the table, which drops its triggers: lifted and put back
        appendonly.drop(op.execute, dialect, 'ledger')
        with op.batch_alter_table('ledger', schema=None) as batch_op:
            batch_op.alter_column('booked_on', existing_type=sa.Date(), nullable=False)
            batch_op.alter_column('fund', existing_type=sa.String(length=64), nullable=False)
        appendonly.create(op.execute, dialect, 'ledger')
    op.create_index('ix_ledger_booked_on', 'ledger', ['booked_on'])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index('ix_ledger_booked_on', table_name='ledger')
    appendonly.drop(op.execute, dialect, 'ledger')
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.drop_column('fund')
        batch_op.drop_column('booked_on')
    appendonly.create(op.execute, dialect, 'ledger')
