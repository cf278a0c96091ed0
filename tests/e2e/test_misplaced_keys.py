"""End to end: a key outside the layout is quarantined with its reason and stops no one (issue 13, point 3)."""

from __future__ import annotations

import pytest

from infra.samples import scenario
from tests.conftest import TODAY, make_services

pytestmark = pytest.mark.e2e


def test_a_misplaced_key_is_quarantined_and_another_institutions_run_goes_on(s3_store, pg_engine, prefect_harness) -> None:  # noqa: ANN001
    from flows.process_upload import process_upload
    from tasks import prefect as ptasks

    ptasks.use(make_services(pg_engine, s3_store))
    sc = scenario(TODAY)
    a = sc.inst["A"]
    misplaced = f"inbox/{a}/x.csv"  # no kind folder
    s3_store.put(misplaced, b"class_id\nA-001\n")
    for key in [k for k in sc.objects if k.startswith("reference/") or "/filing/2026-A" in k]:
        s3_store.put(key, sc.objects[key])
    filing = next(k for k in sc.objects if "/filing/2026-A" in k)

    # Another run triggered before anyone looked at the misplaced key: it is not stopped by it.
    assert process_upload(filing)["status"] == "done"
    assert s3_store.head(misplaced.replace("inbox/", "outbox/", 1)) is None

    outcome = process_upload(misplaced)
    assert outcome["status"] == "quarantined"
    assert s3_store.get(f"quarantine/{misplaced}") == b"class_id\nA-001\n"
    reason = s3_store.get(f"quarantine/{misplaced}.reason.txt").decode("utf-8")
    assert reason.startswith("FILE-UNREADABLE") and "inbox/<uscc>/<kind>/<name>" in reason
    assert "文件" in reason  # the reason is given in Chinese as well as English
