"""PostgreSQL: `skillsub_analyze_stale(tables, min_rows, fraction)`, a SECURITY DEFINER function that
ANALYZEs those of the named stored tables whose rows changed since their last ANALYZE by more than
min_rows + fraction × their size — what autovacuum's analyze threshold does, done by the pipeline
itself between uploads: a server running without autovacuum (or one that is behind during a province's
upload day) leaves the planner estimating the promoted tables at the size they had when the day began,
and it then scans all of `attendance` or `enrolments` for each upload (issue 10; the application role owns
nothing, and only the owner may ANALYZE on PostgreSQL 15).

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION skillsub_analyze_stale(tbls text[], min_rows bigint, fraction float8)
        RETURNS SETOF text
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        DECLARE
            t text;
        BEGIN
            FOR t IN
                SELECT s.relname::text FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
                WHERE s.schemaname = 'public' AND s.relname = ANY(tbls) AND s.relname !~ '^(alembic_version)$'
                AND s.n_mod_since_analyze > min_rows + fraction * greatest(c.reltuples, 0)
                ORDER BY s.relname
            LOOP
                EXECUTE format('ANALYZE %I', t);
                RETURN NEXT t;
            END LOOP;
        END;
        $$""")
    op.execute("REVOKE ALL ON FUNCTION skillsub_analyze_stale(text[], bigint, float8) FROM PUBLIC")
    # Grant to an application role already set up by `db upgrade` (infra/roles.py grants it on every upgrade).


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS skillsub_analyze_stale(text[], bigint, float8)")
