"""Period reports (issue 12 points 1–3): the ledger's business date and fund, the monthly report equal to the
ledger by kind and by fund for every month of the worked examples, and versioned publication."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import pytest
from rich.console import Console

from flows.demo import play
from flows.demo_runs import LocalRunner
from infra.objectstore import MemoryStore
from schemas.report_period import parse_period
from tasks import exports, period_report, report_publish, report_render
from tests.conftest import make_services
from tests.integration import test_money, test_money_regions
from tests.integration.world import World, people


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    """The money tests' world: registries loaded, institutions A/B/C."""
    world = World(svc)
    world.registries()
    return world


FUND, LIVING = "职业技能提升行动专账", "就业补助资金"


def ledger_by_month(svc) -> dict[str, tuple[dict[str, int], dict[str, int]]]:  # noqa: ANN001
    """The ledger export summed by hand: month of booked_on → (fen by kind, fen by fund)."""
    out: dict[str, tuple[dict, dict]] = defaultdict(lambda: (defaultdict(int), defaultdict(int)))
    for e in exports.ledger(svc):
        fen = int(Decimal(e["amount_yuan"]) * 100)
        kinds, funds = out[e["booked_on"][:7]]
        kinds[e["kind"]] += fen
        funds[e["fund"]] += fen
    return {m: ({k: v[0].get(k, 0) for k in ("advance", "settlement", "recovery")}, dict(v[1])) for m, v in out.items()}


def assert_monthly_reports_equal_the_ledger(svc) -> list[str]:  # noqa: ANN001
    months = ledger_by_month(svc)
    assert months, "the example booked nothing"
    for month, (kinds, funds) in months.items():
        report = json.loads(report_render.render(period_report.build(svc, parse_period(month, "monthly")), "json"))
        assert report["money"]["by_kind_fen"] == kinds, month
        assert report["money"]["by_fund_fen"] == funds, month
    return sorted(months)


def test_the_sample_scenario_s_monthly_reports_equal_its_ledger_by_kind_and_fund(svc) -> None:  # noqa: ANN001
    play(svc, LocalRunner(svc), Console(width=80, record=True))
    months = assert_monthly_reports_equal_the_ledger(svc)
    assert len(months) >= 1
    entries = exports.ledger(svc)
    assert {e["fund"] for e in entries} == {FUND}
    assert all(e["booked_on"] for e in entries)
    report = period_report.build(svc, parse_period(months[-1]))
    assert report["money"]["by_kind_yuan"]["recovery"] == "-1500.00"  # the confirmed overlap, as the demo says
    assert any(r["amount_yuan"] == "-1500.00" for r in report["recoveries"])


@pytest.mark.parametrize("example", [
    test_money.test_suzhou_worked_example_advance_cut_then_differential_settlement,
    test_money.test_confirming_fraud_after_payment_writes_exactly_one_recovery,
    test_money.test_suzhou_work_as_training_class_pays_the_employer_by_the_month,
])
def test_the_suzhou_money_examples_report_per_month_what_the_ledger_booked(w: World, example) -> None:  # noqa: ANN001
    svc = w.svc
    example(w)
    months = assert_monthly_reports_equal_the_ledger(svc)
    booked = {e["booked_on"] for e in exports.ledger(svc)}
    assert booked <= {str(svc.now().date()), str(test_money.AFTER)}  # the claim's day or the nightly's as-of date
    if example is test_money.test_suzhou_worked_example_advance_cut_then_differential_settlement:
        assert months == ["2026-11", "2027-01"]  # the advance at the claim, the settlement on the nightly's date


@pytest.mark.parametrize("example, policy", [
    (test_money_regions.test_shanxi_catalogue_cap_certificate_subsidy_and_15_yuan_a_day, "shanxi"),
    (test_money_regions.test_shaoguan_counts_online_hours_and_recovers_an_advance_the_class_did_not_earn, "shaoguan"),
])
def test_the_regions_money_examples_report_per_month_what_the_ledger_booked(engine, example, policy) -> None:  # noqa: ANN001
    example(engine)
    svc = make_services(engine, MemoryStore(), policy=policy)
    assert_monthly_reports_equal_the_ledger(svc)
    if policy == "shanxi":  # the poor trainee's living allowance comes from the employment subsidy fund
        living = [e for e in exports.ledger(svc, unmask=True) if e["fund"] == LIVING]
        assert [e["amount_yuan"] for e in living] == ["75.00"]
        report = period_report.build(svc, parse_period(str(test_money.AFTER)[:7]))
        assert report["money"]["by_fund_yuan"][LIVING] == "75.00"


def test_a_scheduled_nightly_books_on_its_as_of_date_not_on_the_clock(w: World) -> None:
    test_money.run_class(w, "S-1", [w.roster_row("S-1", x, f"1380000000{i}", payer="free")
                                    for i, x in enumerate(people(2))])
    test_money.claim(w, "S-1", "final", "3000")
    test_money.nightly(w)
    assert [(e["booked_on"], e["fund"]) for e in exports.ledger(w.svc)] == [(str(test_money.AFTER), FUND)]


def test_every_format_says_chinese_first_and_carries_the_money_in_yuan(w: World) -> None:
    test_money.test_suzhou_worked_example_advance_cut_then_differential_settlement(w)
    model = period_report.build(w.svc, parse_period("2027-01"))
    md = report_render.render(model, "md").decode()
    assert md.startswith("# 苏州职业技能培训补贴2027年1月月报")
    assert "| 结算拨付 settlements |" in md and "环比 Change against 2026-12" in md
    html = report_render.render(model, "html").decode()
    assert html.count("data:image/png;base64,") == 4 and "第1版" in html
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(report_render.render(model, "xlsx")))
    assert wb.sheetnames[0] == "概要 Summary" and len(wb["图表 Charts"]._images) == 4


def test_a_republication_is_a_new_version_that_names_what_it_supersedes(w: World) -> None:
    test_money.test_suzhou_worked_example_advance_cut_then_differential_settlement(w)
    period = parse_period("2027-01")
    first = report_publish.publish(w.svc, period, ("json", "html"))
    assert first == ["reports/2027-01/monthly.v1.json", "reports/2027-01/monthly.v1.html"]
    v1 = w.svc.store.get(first[0])
    second = report_publish.publish(w.svc, period, ("json", "html"))
    assert second == ["reports/2027-01/monthly.v2.json", "reports/2027-01/monthly.v2.html"]
    assert w.svc.store.get(first[0]) == v1  # the first publication is untouched
    meta = json.loads(w.svc.store.get(second[0]))["report"]
    assert (meta["version"], meta["supersedes"]) == (2, "reports/2027-01/monthly.v1")
    assert "第2版，取代 reports/2027-01/monthly.v1" in w.svc.store.get(second[1]).decode()
    assert report_publish.versions(w.svc, parse_period("2027-Q1")) == []  # the quarter is its own series


def test_the_monthly_flow_publishes_last_month_s_report_and_disclosure(w: World, prefect_harness) -> None:  # noqa: ANN001
    from flows.reports import monthly_report
    from tasks import prefect as ptasks

    test_money.test_suzhou_worked_example_advance_cut_then_differential_settlement(w)
    ptasks.use(w.svc)
    try:
        keys = monthly_report()  # the clock says 2026-11-26: October is the last complete month
        again = monthly_report("2027-01")
    finally:
        ptasks.use(None)
    assert keys == [f"reports/2026-10/monthly.v1.{f}" for f in ("xlsx", "html", "json", "md")] + [
        "reports/2026-10/disclosure.v1.csv", "reports/2026-10/disclosure.v1.html"]
    assert again[0] == "reports/2027-01/monthly.v1.xlsx"
    report = json.loads(w.svc.store.get("reports/2027-01/monthly.v1.json"))
    assert report["money"]["by_kind_fen"] == ledger_by_month(w.svc)["2027-01"][0]
