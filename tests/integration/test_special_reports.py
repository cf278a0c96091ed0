"""重大情况专报 (issue 12.4): a confirmed fraud or a big recovery order is reported at once, once, bilingual,
with the class, the institution, the amounts and the evidence, and no ID or phone number in clear."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from infra import db
from infra.logmask import mask_text
from schemas.idcard import mask_id
from tasks import special
from tasks.money import pay_and_settle
from tasks.review import review
from tests.integration.test_money import claim, run_class
from tests.integration.world import START, A, B, World, people

AFTER = START + timedelta(days=10)
PHONE = "13912345678"
DAY = "2026-11-26"  # the tests' clock


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    return world


def _reports(w: World) -> dict[str, str]:
    return {o.key: w.svc.store.get(o.key).decode("utf-8") for o in w.svc.store.list("reports/special/")}


def _threshold(w: World, yuan: str) -> None:
    s = w.svc.policy.settings.model_copy(update={"special_report_recovery_yuan": Decimal(yuan)})
    w.svc.policy = w.svc.policy.model_copy(update={"settings": s})


def test_a_confirmed_fraud_is_reported_once_with_its_evidence_and_no_id_or_phone_in_clear(w: World) -> None:
    p = people(3)
    w.file_class("A-1", sessions=0)
    # the file's own name carries a phone and an ID number: the finding's evidence names the object key
    w.put(f"inbox/{A}/roster/{PHONE}_{p[0]}.csv", [w.roster_row("A-1", x, PHONE, payer="free") for x in p])
    hold = next(f for f in w.findings("ENR-SHARED-PHONE") if f["id_number"] == p[0])
    review(w.svc, hold["id"], "confirm", f"forged roster: {p[0]} never attended, phone {PHONE}", "审计员 王")
    reports = _reports(w)
    base = f"reports/special/{DAY}/fraud-finding-{hold['id']}"
    assert sorted(reports) == [base + ".json", base + ".md"]
    report = json.loads(reports[base + ".json"])
    assert report["institution"]["uscc"] == A and report["institution"]["name"] == "A 学校"
    assert report["class"]["class_id"] == "A-1" and report["class"]["occupation_name"] == "育婴员"
    assert report["title_zh"].startswith("审核确认违规") and report["title_en"].startswith("fraud confirmed")
    [evidence] = report["evidence"]
    assert evidence["rule_code"] == "ENR-SHARED-PHONE" and evidence["id_number"] == mask_id(p[0])
    assert evidence["decided_by"] == "审计员 王" and "forged roster" in evidence["decision_reason"]
    assert evidence["evidence"]["key"] == mask_text(f"inbox/{A}/roster/{PHONE}_{p[0]}.csv")
    assert report["rating_change"] == {"previous": "A", "rating": "B"}
    assert {a["what_en"]: (a["fen"], a["yuan"]) for a in report["amounts"]} == {"subsidy earned as computed": (0, "0.00")}
    md = reports[base + ".md"]
    assert md.startswith("# 重大情况专报") and md.index("金额") < md.index("Amounts") and "ENR-SHARED-PHONE" in md
    for text in reports.values():
        assert all(x not in text for x in p) and PHONE not in text
    assert special.publish_fraud(w.svc, hold["id"]) is None  # published before: nothing new
    assert _reports(w) == reports and w.count(db.special_reports) == 1


def _paid_then_recovered(w: World, trainees: int) -> list[str]:
    """A class paid in full, then a trainee's proxy enrolment at B confirmed: the next nightly run recovers."""
    t = people(trainees)
    run_class(w, "S-1", [w.roster_row("S-1", x, f"138000000{i:02d}", payer="free") for i, x in enumerate(t)])
    claim(w, "S-1", "final", str(1500 * trainees))
    pay_and_settle(w.svc, AFTER, "nightly-1")
    w.file_class("B-1", B, start_time="09:00", end_time="17:00")
    w.enrol("B-1", [t[0]], B)
    warning = next(f for f in w.findings("ENR-OVERLAP") if f["uscc"] == A)
    review(w.svc, warning["id"], "escalate", "the same person at B at the same hours", "审计员 王")
    review(w.svc, warning["id"], "confirm", "proxy attendance confirmed on site", "审计员 王")
    return t


def test_a_recovery_above_the_threshold_is_reported_once_with_its_amount_in_yuan_and_fen(w: World) -> None:
    _threshold(w, "1000")
    t = _paid_then_recovered(w, 2)
    fraud_reports = set(_reports(w))
    pay_and_settle(w.svc, AFTER, "nightly-2")
    pay_and_settle(w.svc, AFTER, "nightly-3")  # the same recovery is not reported again
    recovery = {k: v for k, v in _reports(w).items() if k not in fraud_reports}
    assert len(recovery) == 2 and all(k.startswith(f"reports/special/{DAY}/recovery-") for k in recovery)
    report = json.loads(next(v for k, v in recovery.items() if k.endswith(".json")))
    assert report["kind"] == "recovery" and report["amount_fen"] == -150_000
    amounts = {a["what_en"]: (a["fen"], a["yuan"]) for a in report["amounts"]}
    assert amounts[f"this recovery order (payee {A})"] == (-150_000, "-1500.00")
    assert amounts["reporting threshold"] == (100_000, "1000.00")
    assert amounts["settlement booked"] == (300_000, "3000.00") and amounts["recovery booked"] == (-150_000, "-1500.00")
    assert [e["rule_code"] for e in report["evidence"]] == ["ENR-OVERLAP"]
    assert report["evidence"][0]["id_number"] == mask_id(t[0])
    md = next(v for k, v in recovery.items() if k.endswith(".md"))
    assert "追回补贴资金 1500.00 元" in md and "| -1500.00 | -150000 |" in md
    assert all(t[0] not in text for text in recovery.values())


def test_a_recovery_at_or_below_the_threshold_makes_no_report(w: World) -> None:
    assert w.svc.policy.settings.special_report_recovery_yuan == Decimal("10000")
    _paid_then_recovered(w, 2)
    pay_and_settle(w.svc, AFTER, "nightly-2")
    assert [k for k in _reports(w) if "/recovery-" in k] == []
    assert [r for r in w.findings("SET-RECOVERY")]  # the recovery itself was ordered


def test_inside_a_flow_run_the_report_is_also_a_markdown_artifact_with_ids_masked(pg_engine, prefect_harness) -> None:  # noqa: ANN001
    import asyncio

    from prefect import flow
    from prefect.client.orchestration import get_client

    from infra.objectstore import MemoryStore
    from tests.conftest import make_services

    w = World(make_services(pg_engine, MemoryStore()))
    w.registries()
    p = people(3)
    w.file_class("A-1", sessions=0)
    w.upload(A, "roster", [w.roster_row("A-1", x, PHONE) for x in p])
    hold = w.findings("ENR-SHARED-PHONE")[0]

    @flow(name="auditor-confirms")
    def confirm() -> None:
        review(w.svc, hold["id"], "confirm", f"forged roster ({hold['id_number']})", "审计员 王")

    run_id = confirm(return_state=True).state_details.flow_run_id

    async def artifacts() -> list:  # this run's: the suite's other flow runs share the test API
        async with get_client() as client:
            return [a for a in await client.read_artifacts() if a.key == "special-report" and a.flow_run_id == run_id]

    [artifact] = asyncio.run(artifacts())
    assert artifact.type == "markdown" and artifact.data.startswith("# 重大情况专报")
    assert f"fraud-finding-{hold['id']}" in artifact.data and hold["id_number"] not in artifact.data
    assert PHONE not in artifact.data


def test_a_report_left_unpublished_is_published_later_once(w: World) -> None:
    _threshold(w, "1000")
    w.file_class("A-1", sessions=0)
    w.upload(A, "roster", [w.roster_row("A-1", x, PHONE) for x in people(3)])
    hold = w.findings("ENR-SHARED-PHONE")[0]
    review(w.svc, hold["id"], "confirm", "forged roster", "审计员 王", publish=False)  # no object store at hand
    assert _reports(w) == {}
    assert special.publish_missing(w.svc) == [f"reports/special/{DAY}/fraud-finding-{hold['id']}"]
    assert special.publish_missing(w.svc) == [] and len(_reports(w)) == 2


def test_a_store_that_fails_the_report_keeps_the_decision_and_the_nightly_catch_up_publishes_it(w: World) -> None:
    p = people(3)
    w.file_class("A-1", sessions=0)
    w.upload(A, "roster", [w.roster_row("A-1", x, PHONE, payer="free") for x in p])
    hold = next(f for f in w.findings("ENR-SHARED-PHONE") if f["id_number"] == p[0])
    store, put = w.svc.store, w.svc.store.put

    def refuse(key: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if key.startswith("reports/special/"):
            raise OSError("object store unavailable")
        return put(key, *args, **kwargs)

    store.put = refuse
    try:
        out = review(w.svc, hold["id"], "confirm", "forged roster", "审计员 王")  # no error reaches the auditor
    finally:
        store.put = put
    assert out["status"] == "confirmed" and _reports(w) == {}
    assert [f["status"] for f in w.findings("ENR-SHARED-PHONE") if f["id"] == hold["id"]] == ["confirmed"]
    published = special.publish_missing(w.svc)  # what the nightly run does
    assert published == [f"reports/special/{DAY}/fraud-finding-{hold['id']}"] and len(_reports(w)) == 2
