"""Shared fixtures: a real PostgreSQL database of our own, a SQLite file, a real SeaweedFS."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

PG_ADMIN = os.environ.get("SKILLSUB_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TODAY = date(2026, 11, 26)


def fixed_now() -> datetime:
    return datetime(2026, 11, 26, 10, 0, 0)


_OWNER_URLS: dict[str, str] = {}  # application URL -> the owner's URL of the same database


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of our own on the machine's PostgreSQL, migrated by its owner; the tests connect as an
    application role that owns nothing (as production does). Dropped at the end, role included."""
    from sqlalchemy import create_engine, text

    from infra.database import make_engine, upgrade
    from infra.roles import grant_app_role

    suffix = uuid.uuid4().hex[:8]
    name, role = f"skillsub_test_{suffix}", f"skillsub_app_{suffix}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_ADMIN.rpartition("/")
    owner_url = f"{base}/{name}"
    upgrade(owner_url)
    owner = make_engine(owner_url)
    grant_app_role(owner, role)
    owner.dispose()
    scheme, _, rest = base.partition("://")
    url = f"{scheme}://{role}@{rest.partition('@')[2]}/{name}"
    _OWNER_URLS[url] = owner_url
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


def owner_engine(app_engine):  # noqa: ANN001, ANN201
    """The owner's engine of the database `app_engine` connects to (PostgreSQL test databases)."""
    return _engine(_OWNER_URLS[app_engine.url.render_as_string(hide_password=False)])


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from infra.database import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'skillsub.db'}"
    upgrade(url)
    return url


_ENGINES: dict[str, object] = {}
_GATES: dict[str, object] = {}


def _engine(url: str):  # noqa: ANN202
    from infra.database import make_engine

    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


def _wipe(engine) -> None:  # noqa: ANN001
    from sqlalchemy import text

    from infra.db import metadata

    names = [t.name for t in metadata.sorted_tables]
    if engine.dialect.name == "postgresql":
        engine = owner_engine(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Only a superuser test harness may lift the append-only triggers, and only for this wipe.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("TRUNCATE " + ", ".join(names) + " RESTART IDENTITY CASCADE"))
        else:
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _ in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
            for n in names:
                conn.execute(text(f"DELETE FROM {n}"))
            for _, sql in triggers:
                conn.execute(text(sql))


def snapshot_tables(engine) -> dict[str, list[dict]]:  # noqa: ANN001
    """Every row of every table, to put back with restore_tables (a world built once, used by many tests)."""
    from sqlalchemy import select

    from infra.db import metadata

    with engine.connect() as conn:
        return {t.name: [dict(r) for r in conn.execute(select(t)).mappings()] for t in metadata.sorted_tables}


def restore_tables(engine, rows: dict[str, list[dict]]) -> None:  # noqa: ANN001
    """Empty tables (as _wipe), then exactly the rows snapshot_tables took, ids included; PostgreSQL's
    sequences go on from the highest id, as after building the same rows."""
    from sqlalchemy import text

    from infra.db import metadata

    _wipe(engine)
    if engine.dialect.name == "postgresql":
        engine = owner_engine(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # append-only triggers: as _wipe
        else:
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _ in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
        for table in metadata.sorted_tables:
            if rows[table.name]:
                conn.execute(table.insert(), rows[table.name])
        if engine.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                for column in table.primary_key.columns:
                    seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                       {"t": table.name, "c": column.name}).scalar()
                    if seq:
                        conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 1), '
                                          f'(SELECT MAX("{column.name}") FROM "{table.name}") IS NOT NULL)'), {"s": seq})
        else:
            for _, sql in triggers:
                conn.execute(text(sql))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest):  # noqa: ANN201
    """Each integration test runs on both backends, starting from empty tables."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    eng = _engine(url)
    _wipe(eng)
    return eng


@pytest.fixture
def pg_engine(pg_url: str):  # noqa: ANN201
    eng = _engine(pg_url)
    _wipe(eng)
    return eng


def make_services(engine, store, **overrides):  # noqa: ANN001, ANN201
    """Services with a fixed clock; the GX gate is shared per database (its context is costly)."""
    from infra.bootstrap import Services
    from infra.settings import Settings

    settings = Settings(database_url=engine.url.render_as_string(hide_password=False), **overrides)
    svc = Services(settings=settings, engine=engine, store=store, policy=settings.region_policy, now=fixed_now)
    key = str(engine.url)
    if key not in _GATES:
        _GATES[key] = svc.gate()
    svc._gate = _GATES[key]  # type: ignore[assignment]
    return svc


@pytest.fixture
def svc(engine):  # noqa: ANN001, ANN201
    from infra.objectstore import MemoryStore

    return make_services(engine, MemoryStore())


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A real SeaweedFS (`weed mini`) with authentication on: the one .ci/run started (its stack.json
    named by SKILLSUB_TEST_STACK), else one of our own on free loopback ports."""
    from infra import stack

    shared = os.environ.get("SKILLSUB_TEST_STACK")
    if shared:
        state = stack.load_state(Path(shared))
        assert state and stack.pid_alive(state.pid), f"no running stack at {shared}"
        yield state
        return
    state = stack.start(Path(tmp_path_factory.mktemp("weed")), "skillsub", timeout=90)
    yield state
    stack.stop_pid(state.pid)


@pytest.fixture
def s3_store(seaweed):  # noqa: ANN001, ANN201
    """A fresh bucket per test on the real server."""
    from infra.objectstore import S3Store

    store = S3Store(f"t{uuid.uuid4().hex[:12]}", seaweed.s3_endpoint_url, access_key=seaweed.access_key,
                    secret_key=seaweed.secret_key, retries=2)
    store.ensure_bucket()
    return store


@pytest.fixture(scope="session")
def prefect_harness():  # noqa: ANN201
    """One temporary Prefect API for the flow tests (≈8 s to start), heartbeats off."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90), temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    """Name the faults survived, the concurrent scenarios and the bad inputs tried (issue 6)."""
    from tests import ledgerbook as book

    if not (book.FAULTS or book.CONCURRENT or book.INPUTS or book.ACCOUNTED.checks):
        return
    tr = terminalreporter
    tr.section("skillsub: faults, concurrency, bad input")
    for fault in dict.fromkeys(book.FAULTS):
        tr.write_line(f"fault survived: {fault} (x{book.FAULTS.count(fault)})")
    for scenario in dict.fromkeys(book.CONCURRENT):
        tr.write_line(f"concurrent, same result as one run: {scenario} (x{book.CONCURRENT.count(scenario)})")
    for kind, n in sorted(book.INPUTS.items()):
        tr.write_line(f"bad input tried: {n} x {kind}")
    tr.write_line(f"bad inputs tried in all: {sum(book.INPUTS.values())}")
    tr.write_line(book.loss_line())
