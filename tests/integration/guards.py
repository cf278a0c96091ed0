"""Both lines of the append-only guarantee: the application role's missing grants, then the trigger."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import owner_engine


def refuses_change(engine: Engine, sql: str) -> None:
    """On PostgreSQL the application role has no UPDATE/DELETE grant; the owner, who bypasses grants,
    still meets the trigger. SQLite has no roles: the trigger is the guard."""
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
            conn.execute(text(sql))
        engine = owner_engine(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
