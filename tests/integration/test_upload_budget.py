"""Bounded work per upload (issue 13): an XLSX is read in a child process with a memory and time budget;
a file over any budget is quarantined with a bilingual reason and the worker goes on with the next upload."""

from __future__ import annotations

from dataclasses import replace

import pytest

from infra.budget import MiB, OverBudget, run_bounded
from infra.objectstore import MemoryStore
from infra.samples import xlsx_bytes
from schemas.files import XlsxLimits, read_table
from tests.bombs import dimension_bomb, far_row_bomb, shared_strings_bomb
from tests.conftest import make_services
from tests.integration.world import A, World, people

BUDGET = 200 * MiB
# Checks switched off, so the bombs reach the parser and only the child's budget stands in their way.
NO_CHECKS = XlsxLimits(uncompressed_bytes=10**12, shared_strings=10**12, columns=10**9, row_number=10**15,
                       cells=10**18)
OFF = {"max_xlsx_uncompressed_bytes": 10**12, "max_xlsx_shared_strings": 10**12, "max_xlsx_columns": 10**9,
       "max_xlsx_row_number": 10**15, "max_xlsx_cells": 10**18}


def read_in_child(data: bytes, seconds: float = 120) -> object:
    return run_bounded(read_table, (data,), {"max_rows": 200_000, "limits": NO_CHECKS}, memory_bytes=BUDGET,
                       seconds=seconds)


@pytest.mark.parametrize("bomb", [shared_strings_bomb(3_000_000), dimension_bomb()], ids=["shared-strings", "dimension"])
def test_a_bomb_past_the_checks_stops_at_the_memory_budget_and_the_worker_reads_the_next_file(bomb: bytes) -> None:
    with pytest.raises(OverBudget) as over:
        read_in_child(bomb)
    assert over.value.what == "memory"
    assert over.value.peak_bytes is not None and 0 < over.value.peak_bytes <= BUDGET  # measured in the child
    ok = read_in_child(xlsx_bytes(["class_id"], [["A-1"]]))
    assert ok.value.rows == [(2, ["A-1"])] and ok.peak_bytes <= BUDGET  # type: ignore[attr-defined]


def test_a_row_numbered_ten_to_the_twelve_past_the_checks_stops_at_the_time_budget() -> None:
    with pytest.raises(OverBudget) as over:
        read_in_child(far_row_bomb(10**12), seconds=3)
    assert over.value.what == "time"


class CountingStore(MemoryStore):
    """Records every whole-object read, to prove what is never read."""

    def __init__(self, small_heads: bool = False) -> None:
        super().__init__()
        self.reads: list[tuple[str, int]] = []
        self.small_heads = small_heads  # the object grows between the HEAD and the read

    def head(self, key: str):  # noqa: ANN201
        info = super().head(key)
        return info and (replace(info, size=1) if self.small_heads else info)

    def get(self, key: str, limit: int | None = None) -> bytes:
        data = super().get(key, limit)
        self.reads.append((key, len(data)))
        return data


def test_an_xlsx_over_its_time_budget_is_quarantined_in_two_languages_and_the_next_upload_is_processed(engine) -> None:  # noqa: ANN001
    w = World(make_services(engine, MemoryStore(), upload_seconds=3, **OFF))
    w.registries()
    w.file_class("A-1", sessions=1)
    out = w.put_bytes(f"inbox/{A}/roster/bomb.xlsx", far_row_bomb(10**12))
    assert out.status == "quarantined" and "FILE-TOO-LARGE" in (out.reason or "")
    _, summary = w.outbox(out)
    assert "时间" in summary["reason"] and "time" in summary["reason"]
    reason = w.svc.store.get(f"quarantine/inbox/{A}/roster/bomb.xlsx.reason.txt").decode("utf-8")
    assert "预算" in reason and "budget" in reason

    rows = [w.roster_row("A-1", p, f"1380000000{i}") for i, p in enumerate(people(2))]
    assert w.upload(A, "roster", rows).status == "done"


def test_with_the_default_limits_the_bombs_are_quarantined_before_any_parsing(engine) -> None:  # noqa: ANN001
    w = World(make_services(engine, MemoryStore()))
    for name, bomb, why in (("rows", far_row_bomb(10**12), "row number"), ("wide", dimension_bomb(), "column 16384")):
        out = w.put_bytes(f"inbox/{A}/roster/{name}.xlsx", bomb)
        assert out.status == "quarantined" and why in (out.reason or "")


def test_an_object_over_the_size_limit_is_never_read_and_is_quarantined_by_a_copy_on_the_server(engine) -> None:  # noqa: ANN001
    store = CountingStore()
    w = World(make_services(engine, store, max_file_bytes=100))
    key = f"inbox/{A}/roster/big.csv"
    out = w.put_bytes(key, b"class_id\n" + b"x\n" * 100)
    assert out.status == "quarantined" and "FILE-TOO-LARGE" in (out.reason or "")
    assert key not in [k for k, _ in store.reads]
    assert store.objects[f"quarantine/{key}"][0] == store.objects[key][0]


def test_an_object_grown_past_the_limit_after_its_head_is_read_only_up_to_the_limit(engine) -> None:  # noqa: ANN001
    store = CountingStore(small_heads=True)
    w = World(make_services(engine, store, max_file_bytes=100))
    key = f"inbox/{A}/roster/grown.csv"
    out = w.put_bytes(key, b"class_id\n" + b"x\n" * 10_000)
    assert out.status == "quarantined" and "FILE-TOO-LARGE" in (out.reason or "")
    assert [n for k, n in store.reads if k == key] == [101]


def test_a_limited_read_on_the_real_store_asks_only_for_the_first_bytes(s3_store) -> None:  # noqa: ANN001
    s3_store.put("inbox/x/big.bin", b"0123456789" * 1000)
    assert s3_store.get("inbox/x/big.bin", limit=11) == b"01234567890"
    assert len(s3_store.get("inbox/x/big.bin")) == 10_000
