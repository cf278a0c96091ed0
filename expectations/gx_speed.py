"""GX's own bookkeeping per expectation, cut (issue 10): an expectation's `configuration` built once per
validation, and a row check's query counted only, not also fetched, when the result is BOOLEAN_ONLY.

GX 1.x rebuilds `Expectation.configuration` (a pydantic `.dict()` of the whole expectation, row condition
included, then a new ExpectationConfiguration) on every access, and one validation reads it ~50 times per
expectation: about half of a gate run's CPU when the tables are small (measured: bench note in the README).
Inside `configuration_cached()` the first access per expectation object is kept and returned again; the
expectation objects GX validates are built from the suite for that one validation and not changed while
it runs. Outside the block (and in other threads) GX behaves exactly as shipped.

UnexpectedRowsExpectation (GX 1.24) asks for two metrics, `unexpected_rows_query.table` (every offending row,
fetched) and `unexpected_rows_query.row_count` (a COUNT(*) around the same query), and with result_format
BOOLEAN_ONLY reads only the count: the table metric runs the check's SQL once more for nothing (the gate
fetches the offending rows itself, all of them: expectations/gate.py). Inside `rows_counted_only()`, for a
BOOLEAN_ONLY validation, the table metric is not asked for and success is the count being zero, exactly what
GX decides; the result GX keeps (and Data Docs render) is the same `{"success": …}`. Any other result format,
or outside the block, asks for both as shipped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from great_expectations.core.result_format import ResultFormat
from great_expectations.expectations import UnexpectedRowsExpectation
from great_expectations.expectations.expectation import Expectation

_local = threading.local()
_shipped = Expectation.configuration.fget  # type: ignore[attr-defined]


def _configuration(self: Expectation) -> Any:
    cache: dict[int, tuple[Expectation, Any]] | None = getattr(_local, "cache", None)
    if cache is None:
        return _shipped(self)
    kept = cache.get(id(self))
    if kept is None or kept[0] is not self:
        kept = (self, _shipped(self))  # the object kept too, so its id cannot be reused while cached
        cache[id(self)] = kept
    return kept[1]


Expectation.configuration = property(_configuration)  # type: ignore[method-assign, assignment]


@contextmanager
def configuration_cached() -> Iterator[None]:
    """Within this block, in this thread, each expectation's configuration is built once."""
    outer = getattr(_local, "cache", None)
    _local.cache = {} if outer is None else outer
    try:
        yield
    finally:
        _local.cache = outer


_TABLE = "unexpected_rows_query.table"
_COUNT = "unexpected_rows_query.row_count"
_shipped_dependencies = UnexpectedRowsExpectation.get_validation_dependencies
_shipped_validate = UnexpectedRowsExpectation._validate


def _boolean_only(result_format: Any) -> bool:
    value = result_format.get("result_format") if isinstance(result_format, dict) else result_format
    return bool(value == ResultFormat.BOOLEAN_ONLY)


def _dependencies(self: UnexpectedRowsExpectation, execution_engine: Any = None,
                  runtime_configuration: dict | None = None) -> Any:
    deps = _shipped_dependencies(self, execution_engine=execution_engine, runtime_configuration=runtime_configuration)
    if getattr(_local, "count_only", False) and _boolean_only(deps.result_format) \
            and deps.get_metric_configuration(_TABLE) is not None:
        deps.remove_metric_configuration(_TABLE)
    return deps


def _validate(self: UnexpectedRowsExpectation, metrics: dict, runtime_configuration: dict | None = None,
              execution_engine: Any = None) -> Any:
    if _TABLE not in metrics and _boolean_only(self._get_result_format(runtime_configuration=runtime_configuration)):
        return {"success": metrics[_COUNT] == 0}  # what the shipped _validate returns for BOOLEAN_ONLY
    return _shipped_validate(self, metrics, runtime_configuration=runtime_configuration,
                             execution_engine=execution_engine)


UnexpectedRowsExpectation.get_validation_dependencies = _dependencies  # type: ignore[method-assign, assignment]
UnexpectedRowsExpectation._validate = _validate  # type: ignore[method-assign]


@contextmanager
def rows_counted_only() -> Iterator[None]:
    """Within this block, in this thread, a BOOLEAN_ONLY row check runs its query once (the count)."""
    outer = getattr(_local, "count_only", False)
    _local.count_only = True
    try:
        yield
    finally:
        _local.count_only = outer
