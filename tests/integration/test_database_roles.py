"""On PostgreSQL the application connects as a role that owns nothing: migrations run as the owner,
and the audit log and the ledger cannot be altered through the application's connection."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from infra.roles import grant_app_role, owned_by
from tests.cli import skillsub_here
from tests.conftest import PG_ADMIN, owner_engine


def role_of(engine) -> str:  # noqa: ANN001
    return engine.url.username


def test_the_application_role_owns_nothing_and_cannot_lift_the_guards(pg_engine) -> None:  # noqa: ANN001
    assert owned_by(owner_engine(pg_engine), role_of(pg_engine)) == []
    for sql in ("TRUNCATE ledger", "TRUNCATE audit_log", "ALTER TABLE ledger DISABLE TRIGGER ledger_append_only",
                "DROP TABLE audit_log", "CREATE TABLE ledger_copy (id int)", "SET session_replication_role = replica",
                "UPDATE alembic_version SET version_num = '0001'"):
        with pytest.raises(DBAPIError, match="permission denied|must be owner"), pg_engine.begin() as conn:
            conn.execute(text(sql))


def test_a_superuser_is_refused_as_the_application_role(pg_engine) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="superuser"):
        grant_app_role(owner_engine(pg_engine), "postgres")


def test_db_upgrade_refuses_an_application_role_that_is_a_member_of_the_owner(pg_engine) -> None:  # noqa: ANN001
    owner = owner_engine(pg_engine)
    role = f"skillsub_member_{uuid.uuid4().hex[:8]}"
    with owner.begin() as conn:
        owner_name = conn.execute(text("SELECT current_user")).scalar_one()
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER'))
        conn.execute(text(f'GRANT "{owner_name}" TO "{role}"'))
    try:
        env = {"SKILLSUB_DB_OWNER_URL": owner.url.render_as_string(hide_password=False),
               "SKILLSUB_DB_APP_ROLE": role, "SKILLSUB_DATABASE_URL": pg_engine.url.render_as_string(hide_password=False)}
        out = skillsub_here(env, "db", "upgrade")  # in this process; the next test runs the real one
        assert out.returncode == 2
        assert f"member of the owner role {owner_name}" in out.stderr
    finally:
        with owner.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


def test_db_upgrade_migrates_as_the_owner_and_grants_the_application_role() -> None:
    suffix = uuid.uuid4().hex[:8]
    name, role = f"skillsub_roles_{suffix}", f"skillsub_app_{suffix}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rpartition("/")[0]
    app_url = f"postgresql+psycopg://{role}@{base.partition('@')[2]}/{name}"
    try:
        env = {**os.environ, "SKILLSUB_DB_OWNER_URL": f"{base}/{name}", "SKILLSUB_DB_APP_ROLE": role,
               "SKILLSUB_DATABASE_URL": app_url}
        out = subprocess.run([sys.executable, "-m", "flows.cli", "db", "upgrade"], env=env, capture_output=True,
                             text=True, timeout=180)
        assert out.returncode == 0, out.stderr
        assert role in out.stdout
        app = create_engine(app_url)
        with app.begin() as conn:  # the application can work …
            conn.execute(text("INSERT INTO audit_log (at, actor, action, subject, detail) "
                              "VALUES (CURRENT_TIMESTAMP, 'a', 'x', 'y', '{}')"))
            conn.execute(text("SELECT skillsub_analyze_staging('stg_roster')"))
            conn.execute(text("SELECT skillsub_analyze_stale(ARRAY['attendance'], 0, 0)"))
        with pytest.raises(DBAPIError, match="permission denied"), app.begin() as conn:  # … but not rewrite history
            conn.execute(text("DELETE FROM audit_log"))
        with pytest.raises(DBAPIError, match="not a staging table"), app.begin() as conn:
            conn.execute(text("SELECT skillsub_analyze_staging('ledger')"))
        app.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
