"""Database triggers that make a table append-only (UPDATE and DELETE raise), for migrations."""

from __future__ import annotations

from collections.abc import Callable

FUNCTION = """
    CREATE OR REPLACE FUNCTION skillsub_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
    END;
    $$ LANGUAGE plpgsql"""


def create(execute: Callable[[str], object], dialect: str, table: str) -> None:
    if dialect == "postgresql":
        execute(FUNCTION)
        execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION skillsub_append_only()")
        execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION skillsub_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END")


def drop(execute: Callable[[str], object], dialect: str, table: str) -> None:
    if dialect == "postgresql":
        execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    else:
        execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
