"""PostgreSQL roles: migrations run as the owner; the application connects as a role that owns nothing.

Owners and superusers bypass REVOKE (and may disable triggers), so the append-only guarantee for the
audit log and the ledger needs an application role that is neither (issue 6, "Who may touch what"):
it may read and write the working tables, only SELECT and INSERT the audit log, the ledger and the
auditors' decisions, and ANALYZE the staging tables through `skillsub_analyze_staging`. The triggers
stay as a second line. A role that is a member of the owner (or of a superuser) could SET ROLE to it,
so it is refused too (issue 13).
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Engine

APPEND_ONLY = ("audit_log", "ledger", "decisions", "credit_ratings")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(owner: Engine, role: str) -> None:
    """Create the application role if needed and (re)grant exactly what the application uses. Idempotent."""
    if not _ROLE.fullmatch(role):
        raise ValueError(f"application role {role!r}: use lower-case letters, digits and _")
    with owner.begin() as conn:
        if conn.execute(text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
            raise ValueError(f"role {role} is a superuser or may create roles: it would bypass the grants")
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'))
        owner = conn.execute(text(
            "SELECT r.rolname FROM pg_roles r WHERE r.rolname <> :r AND pg_has_role(:r, r.oid, 'MEMBER') AND "
            "(r.rolname = current_user OR r.rolsuper OR EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relowner = r.oid)) LIMIT 1"),
            {"r": role}).scalar()
        if owner:  # a member may SET ROLE to the owner (or inherit its rights): the grants would not bind it
            raise ValueError(f"role {role} is a member of the owner role {owner}: it would bypass the grants")
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        conn.execute(text(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO "{role}"'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'REVOKE CREATE ON SCHEMA public FROM "{role}"'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {", ".join(APPEND_ONLY)} '
                          f'FROM "{role}"'))
        conn.execute(text(f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM "{role}"'))
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT EXECUTE ON FUNCTION skillsub_analyze_staging(text) TO "{role}"'))
        conn.execute(text(f'GRANT EXECUTE ON FUNCTION skillsub_analyze_stale(text[], bigint, float8) TO "{role}"'))


def owned_by(engine: Engine, role: str) -> list[str]:
    """Relations the role owns (the application role must own none)."""
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE r.rolname = :r AND n.nspname = 'public'"),
            {"r": role}).scalars())
