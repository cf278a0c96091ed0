"""GX's own bookkeeping per expectation, cut (issue 10): an expectation's `configuration` built once per validation.

GX 1.x rebuilds `Expectation.configuration` (a pydantic `.dict()` of the whole expectation, row condition
included, then a new ExpectationConfiguration) on every access, and one validation reads it ~50 times per
expectation: about half of a gate run's CPU when the tables are small (measured: bench note in the README).
Inside `configuration_cached()` the first access per expectation object is kept and returned again; the
expectation objects GX validates are built from the suite for that one validation and not changed while
it runs. Outside the block (and in other threads) GX behaves exactly as shipped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
