"""Stored tables keep fresh planner statistics during a day of uploads (issue 10): a table that changed
by more than `analyze_min_rows` + `analyze_fraction` × its size is ANALYZEd between uploads, by the
application role through the owner's function, and one that did not change is left alone."""

from __future__ import annotations

from sqlalchemy import text

from infra.objectstore import MemoryStore
from tasks.apply import fresh_statistics
from tests.conftest import make_services


def _grow_history(engine, rows: int) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO row_history (table_name, natural_key, replaced_by_upload, old_row) "
                          "SELECT 'attendance', 'k' || g, 1, '{}' FROM generate_series(1, :n) AS g"), {"n": rows})
        conn.execute(text("SELECT pg_stat_force_next_flush()"))  # the counters reach pg_stat at once


def _estimate(engine) -> float:  # noqa: ANN001
    with engine.connect() as conn:
        return float(conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'row_history'")).scalar_one())


def _reset(engine) -> None:  # noqa: ANN001
    """Whatever earlier tests left behind is analyzed: every count starts from zero."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_force_next_flush()"))
    fresh_statistics(make_services(engine, MemoryStore(), analyze_min_rows=0, analyze_fraction=0))


def test_a_table_that_grew_past_the_threshold_is_analyzed_once_and_then_left_alone(pg_engine) -> None:  # noqa: ANN001
    svc = make_services(pg_engine, MemoryStore(), analyze_min_rows=5000, analyze_fraction=0.2)
    _reset(pg_engine)
    _grow_history(pg_engine, 6000)
    assert "row_history" in fresh_statistics(svc)
    assert _estimate(pg_engine) == 6000  # the planner now knows the table's size
    assert "row_history" not in fresh_statistics(svc)  # unchanged since: no second ANALYZE


def test_a_change_under_the_threshold_is_not_analyzed(pg_engine) -> None:  # noqa: ANN001
    svc = make_services(pg_engine, MemoryStore(), analyze_min_rows=10_000, analyze_fraction=0.2)
    _reset(pg_engine)
    _grow_history(pg_engine, 6000)
    assert "row_history" not in fresh_statistics(svc)
