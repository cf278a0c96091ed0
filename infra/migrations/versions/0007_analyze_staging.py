"""PostgreSQL: a SECURITY DEFINER function so the application role (which owns nothing) can ANALYZE
the staging tables; only the owner may ANALYZE a table on PostgreSQL 15.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION skillsub_analyze_staging(tbl text) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        BEGIN
            IF tbl !~ '^stg_[a-z_]+$' THEN
                RAISE EXCEPTION 'not a staging table: %', tbl;
            END IF;
            EXECUTE format('ANALYZE %I', tbl);
        END;
        $$""")
    op.execute("REVOKE ALL ON FUNCTION skillsub_analyze_staging(text) FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS skillsub_analyze_staging(text)")
