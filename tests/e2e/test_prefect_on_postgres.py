"""The Prefect server on PostgreSQL (issue 10, item 5): what `skillsub stack up` starts with
SKILLSUB_PREFECT_DATABASE_URL keeps its runs in that database."""

from __future__ import annotations

import uuid
from pathlib import Path

from prefect import flow
from sqlalchemy import create_engine, text

from infra import orchestration
from infra.stack import stop_pid
from tests.conftest import PG_ADMIN


@flow(name="skillsub-probe")
def probe() -> int:
    return 42


def test_a_flow_run_against_the_server_on_postgresql_is_recorded_there(tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    name = f"skillsub_prefect_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{PG_ADMIN.rpartition('/')[0]}/{name}"
    pid = 0
    try:
        pid, api, _ = orchestration.start_server(tmp_path, "probe-auth", timeout=240, database_url=url)
        with temporary_settings({PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: "probe-auth"}):
            assert probe() == 42
        db = create_engine(url)
        with db.connect() as conn:
            runs = conn.execute(text("SELECT f.name, r.state_type FROM flow_run r JOIN flow f ON f.id = r.flow_id")).all()
        db.dispose()
        assert [(n, str(s)) for n, s in runs] == [("skillsub-probe", "COMPLETED")]
        assert not (tmp_path / "prefect" / "prefect.db").exists()  # nothing went to the SQLite default
    finally:
        if pid:
            stop_pid(pid)
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                              "AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
