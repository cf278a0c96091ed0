"""GX's row-check bookkeeping cut (expectations/gx_speed.py): inside rows_counted_only() a BOOLEAN_ONLY
validation runs each row check's query once (the count), with the same results and Data Docs page."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from expectations.gx_speed import rows_counted_only


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A SQLite table of three rows, as a GX batch."""
    import great_expectations as gx

    path = Path(tmp_path_factory.mktemp("gx")) / "t.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE staged (upload_id INTEGER, row_no INTEGER, score INTEGER)")
        db.executemany("INSERT INTO staged VALUES (?, ?, ?)", [(1, 1, 50), (1, 2, 120), (1, 3, 130)])
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sqlite("s", connection_string=f"sqlite:///{path}")
    return source.add_table_asset("staged", table_name="staged").add_batch_definition_whole_table("all").get_batch()


def _suite():  # noqa: ANN202
    import great_expectations as gx
    from great_expectations.expectations import UnexpectedRowsExpectation

    suite = gx.ExpectationSuite(name="scores")
    suite.add_expectation(UnexpectedRowsExpectation(
        unexpected_rows_query="SELECT row_no FROM {batch} WHERE score > 100", meta={"check": "broken"}))
    suite.add_expectation(UnexpectedRowsExpectation(
        unexpected_rows_query="SELECT row_no FROM {batch} WHERE score < 0", meta={"check": "met"}))
    return suite


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The row-check queries GX ran to fetch rows (not to count them)."""
    from great_expectations.expectations.metrics.query_metric_provider import QueryMetricProvider

    calls: list[str] = []
    shipped = QueryMetricProvider._get_sqlalchemy_records_from_substituted_batch_subquery.__func__  # type: ignore[attr-defined]

    def counting(cls, substituted_batch_subquery, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(str(substituted_batch_subquery))
        return shipped(cls, substituted_batch_subquery=substituted_batch_subquery, **kw)

    monkeypatch.setattr(QueryMetricProvider, "_get_sqlalchemy_records_from_substituted_batch_subquery",
                        classmethod(counting))
    return calls


def _outcome(result) -> list[tuple]:  # noqa: ANN001
    return [(r.expectation_config.meta["check"], r.success, r.result, r.exception_info["raised_exception"])
            for r in result.results]


def test_a_boolean_only_run_counts_the_rows_and_fetches_none_with_the_same_results(batch, fetched) -> None:  # noqa: ANN001
    shipped = batch.validate(_suite(), result_format="BOOLEAN_ONLY")
    assert len(fetched) == 2  # GX as shipped: each query fetched once besides its count
    fetched.clear()
    with rows_counted_only():
        lean = batch.validate(_suite(), result_format="BOOLEAN_ONLY")
    assert fetched == []
    assert _outcome(lean) == _outcome(shipped) == [("broken", False, {}, False), ("met", True, {}, False)]
    assert lean.success is shipped.success is False


def test_other_result_formats_and_other_threads_run_as_shipped(batch, fetched) -> None:  # noqa: ANN001
    with rows_counted_only():
        summary = batch.validate(_suite(), result_format="COMPLETE")
    assert len(fetched) == 2
    assert summary.results[0].result["details"]["unexpected_rows"] == [{"row_no": 2}, {"row_no": 3}]
    fetched.clear()
    batch.validate(_suite(), result_format="BOOLEAN_ONLY")  # outside the block
    assert len(fetched) == 2


def test_the_data_docs_page_of_a_lean_run_is_the_page_of_a_shipped_run(batch) -> None:  # noqa: ANN001
    from datetime import datetime

    from expectations.datadocs import name_run, offline_html

    pages = []
    for lean in (False, True):
        if lean:
            with rows_counted_only():
                result = batch.validate(_suite(), result_format="BOOLEAN_ONLY")
        else:
            result = batch.validate(_suite(), result_format="BOOLEAN_ONLY")
        name_run(result, "roster", [7], datetime(2026, 11, 26, 10, 30))
        pages.append(offline_html(result, "t", "/static/"))
    assert "Unexpected rows query" in pages[1] or "score &gt; 100" in pages[1]
    when = re.compile(r"\d{8}T\d{6}\.\d+Z|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.\d]*(?:Z|[+-]\d\d:?\d\d)?")
    assert when.sub("<when>", pages[0]) == when.sub("<when>", pages[1])  # the validation's own time aside
