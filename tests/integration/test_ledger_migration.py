"""Migration 0011 (issue 12 point 1): entries booked before it get their business date and fund, and the
ledger stays append-only on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from infra.database import make_engine, upgrade
from tests.conftest import PG_ADMIN


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # noqa: ANN001
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"skillsub_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_ADMIN.rpartition('/')[0]}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                          "AND pid <> pg_backend_pid()"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def test_entries_booked_before_0011_get_their_shanghai_date_and_the_default_fund(fresh_url: str) -> None:
    upgrade(fresh_url, "0010")
    eng = make_engine(fresh_url)
    with eng.begin() as conn:  # written at 23:30 on the Shanghai clock (Services.now), as every write path stamps
        conn.execute(text("INSERT INTO ledger (uscc, class_id, payee, payee_kind, kind, amount_fen, seq, idempotency_key, "
                          "created_at) VALUES ('U', 'C', 'U', 'organisation', 'advance', 100, 1, 'U/C/U/advance/1', "
                          "'2026-10-31 23:30:00')"))
    eng.dispose()
    upgrade(fresh_url)
    eng = make_engine(fresh_url)
    try:
        with eng.connect() as conn:
            booked, fund = conn.execute(text("SELECT booked_on, fund FROM ledger")).one()
        assert (str(booked), fund) == ("2026-10-31", "职业技能提升行动专账")
        for sql in ("UPDATE ledger SET fund = 'x'", "DELETE FROM ledger"):
            with pytest.raises(DBAPIError, match="append-only"), eng.begin() as conn:
                conn.execute(text(sql))
        with pytest.raises(DBAPIError), eng.begin() as conn:  # a new entry must say when and from which fund
            conn.execute(text("INSERT INTO ledger (uscc, class_id, payee, payee_kind, kind, amount_fen, seq, "
                              "idempotency_key, created_at) VALUES ('U', 'C', 'U', 'organisation', 'settlement', 5, 1, "
                              "'k', CURRENT_TIMESTAMP)"))
    finally:
        eng.dispose()


def test_a_living_allowance_paid_before_0011_keeps_its_own_fund_and_is_not_moved_by_the_next_settlement(engine) -> None:  # noqa: ANN001
    """山西 pays a trainee's living allowance from 就业补助资金: backfilling it to the default fund would make
    the next settlement 'recover' it from the default fund and pay it again from its own."""
    import importlib

    from infra import appendonly
    from infra.objectstore import MemoryStore
    from tasks import exports
    from tasks.settle import settle_class
    from tests.conftest import make_services, owner_engine
    from tests.integration import test_money_regions as regions

    migration = importlib.import_module("infra.migrations.versions.0011_ledger_booked_on_fund")
    regions.test_shanxi_catalogue_cap_certificate_subsidy_and_15_yuan_a_day(engine)
    svc = make_services(engine, MemoryStore(), policy="shanxi")
    owner = owner_engine(engine) if engine.dialect.name == "postgresql" else engine
    with owner.begin() as conn:  # the entries as 0011 found them: no fund yet, so the default first
        appendonly.drop(lambda sql: conn.execute(text(sql)), conn.dialect.name, "ledger")
        conn.execute(text("UPDATE ledger SET fund = :f"), {"f": svc.policy.fund})
        migration.fund_accounts(conn, svc.policy)
        appendonly.create(lambda sql: conn.execute(text(sql)), conn.dialect.name, "ledger")
    before = exports.ledger(svc)
    assert [(e["kind"], e["amount_yuan"]) for e in before if e["fund"] == "就业补助资金"] == [("settlement", "75.00")]
    settle_class(svc, regions.A, "X-1", "after-the-migration")
    assert exports.ledger(svc) == before  # nothing moved between the funds, nothing recovered
