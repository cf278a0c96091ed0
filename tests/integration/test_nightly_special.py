"""The nightly run publishes the 重大情况专报 still missing (issue 12.4): a confirmation recorded where no
object store was at hand goes out the next night without anyone remembering `skillsub special publish`."""

from __future__ import annotations

from tasks.review import review
from tests.integration.world import A, World, people

DAY = "2026-11-26"  # the tests' clock


def test_the_nightly_run_publishes_a_special_report_a_review_left_unpublished(svc, prefect_harness) -> None:  # noqa: ANN001
    from flows.nightly import nightly
    from tasks import prefect as ptasks

    w = World(svc)
    w.registries()
    w.file_class("A-1", sessions=0)
    w.upload(A, "roster", [w.roster_row("A-1", x, "13912345678") for x in people(3)])
    hold = w.findings("ENR-SHARED-PHONE")[0]
    review(w.svc, hold["id"], "confirm", "forged roster", "审计员 王", publish=False)  # no object store at hand
    assert list(w.svc.store.list("reports/special/")) == []
    ptasks.use(w.svc)
    try:
        first = nightly(DAY)
        second = nightly(DAY)
    finally:
        ptasks.use(None)
    key = f"reports/special/{DAY}/fraud-finding-{hold['id']}"
    assert first["special_reports"] == [key] and second["special_reports"] == []
    assert sorted(o.key for o in w.svc.store.list("reports/special/")) == [key + ".json", key + ".md"]
