"""The benchmark's province-day through the pipeline: every planted problem comes back as its rule code,
and nothing else is rejected — so `make bench` cannot time a pipeline that rejects everything."""

from __future__ import annotations

from contextlib import nullcontext

from bench import pipeline
from bench.province_data import province_day


def _untimed(name: str, rows: int) -> nullcontext:
    return nullcontext()


def test_a_small_province_day_reports_every_planted_problem_and_rejects_nothing_else(svc, prefect_harness) -> None:  # noqa: ANN001
    day = province_day(3)
    outcomes = pipeline.run(svc, day, _untimed, by_kind=False)

    assert pipeline.missing_plants(svc, day) == []
    _, by_code, _ = pipeline.found_codes(svc)
    assert set(by_code) <= set(day.planted_codes())
    assert {o["status"] for o in outcomes} == {"done", "rejected", "quarantined"}
    counts = pipeline.verdict_counts(svc)
    assert 0 < counts["rejected"] <= len(day.plants)
    assert counts["accepted"] > 0.6 * sum(counts.values())
