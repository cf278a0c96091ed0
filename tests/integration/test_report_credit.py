"""Credit ratings published monthly with the reports, with their reasons (issue 12.6): the monthly flow
recomputes the month's ratings first, and every format of the report has a 信用等级 Credit ratings section
with the month's rating per institution and the overrides and fraud downgrades of the period."""

from __future__ import annotations

import json
from collections import Counter
from io import BytesIO

import pytest

from schemas.report_period import parse_period
from tasks import period_report, report_render
from tasks.credit import override
from tasks.review import review
from tests.integration.world import A, B, World, people

PHONE = "13912345678"


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    return world


def _fraud_confirmed_in_november(w: World) -> dict:
    """A's roster shares one phone; an auditor confirms it on the tests' clock (2026-11-26): A drops to B."""
    w.file_class("A-1", sessions=0)
    w.upload(A, "roster", [w.roster_row("A-1", x, PHONE) for x in people(3)])
    hold = w.findings("ENR-SHARED-PHONE")[0]
    review(w.svc, hold["id"], "confirm", f"forged roster, phone {PHONE}", "审计员 王")
    return hold


def test_the_monthly_flow_recomputes_the_ratings_and_the_report_shows_them_with_the_fraud(
        w: World, prefect_harness) -> None:  # noqa: ANN001
    from flows.reports import monthly_report
    from tasks import prefect as ptasks

    hold = _fraud_confirmed_in_november(w)
    override(w.svc, B, "A", "two years of clean audits", "审计员 赵")
    ptasks.use(w.svc)
    try:
        keys = monthly_report("2026-11")
        again = monthly_report("2026-11")
    finally:
        ptasks.use(None)
    assert keys[:4] == [f"reports/2026-11/monthly.v1.{f}" for f in ("xlsx", "html", "json", "md")]
    assert again[0] == "reports/2026-11/monthly.v2.xlsx"
    credit = json.loads(w.svc.store.get("reports/2026-11/monthly.v1.json"))["credit"]
    assert credit["month"] == "2026-11" and credit["published"] is True
    rows = {x["uscc"]: x for x in credit["institutions"]}
    a = rows[A]
    # 90 − 20 for the class with a confirmed fraud = 70: B, as the downgrade already made it
    assert (a["source"], a["rating"], a["previous"], a["changed"]) == ("monthly", "B", "B", False)
    assert "违规" in a["reason_zh"] and "fraud" in a["reason_en"]
    assert rows[B]["source"] == "monthly" and rows[B]["previous"] == "A"
    fraud, manual = credit["events"]
    assert (fraud["source"], fraud["uscc"], fraud["previous"], fraud["rating"]) == ("fraud", A, "A", "B")
    assert "ENR-SHARED-PHONE" in fraud["reason_zh"] and "downgraded from A to B" in fraud["reason_en"]
    assert fraud["evidence"]["finding_id"] == hold["id"] and fraud["decided_by"] == "审计员 王"
    assert (manual["source"], manual["uscc"], manual["rating"], manual["reason_en"]) == (
        "override", B, "A", "two years of clean audits")
    # a second run of the flow wrote no second rating: v2 shows the same month
    assert json.loads(w.svc.store.get("reports/2026-11/monthly.v2.json"))["credit"]["institutions"] == credit["institutions"]


def test_every_format_has_the_credit_section_and_the_chart_counts_the_same_ratings(w: World) -> None:
    from openpyxl import load_workbook

    from tasks.credit import recompute

    _fraud_confirmed_in_november(w)
    recompute(w.svc, "2026-11")
    model = json.loads(report_render.render(period_report.build(w.svc, parse_period("2026-11")), "json"))
    ratings = {x["uscc"]: x["rating"] for x in model["credit"]["institutions"]}
    assert model["ratings"] == dict(sorted(Counter(ratings.values()).items()))
    assert {i["uscc"]: i["rating"] for i in model["institutions"]}.items() <= ratings.items()
    built = period_report.build(w.svc, parse_period("2026-11"))
    md = report_render.render(built, "md").decode()
    assert "## 信用等级 Credit ratings (2026-11)" in md and "确认违规降级 fraud downgrade" in md
    assert PHONE not in md
    html = report_render.render(built, "html").decode()
    assert 'id="credit"' in html and "ENR-SHARED-PHONE" in html and PHONE not in html
    sheet = load_workbook(BytesIO(report_render.render(built, "xlsx")))["信用等级 Credit"]
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert "等级 rating" in cells and any("ENR-SHARED-PHONE" in str(v) for v in cells)


def test_a_past_month_shows_the_rating_held_then_not_today_s(w: World) -> None:
    _fraud_confirmed_in_november(w)
    credit = period_report.build(w.svc, parse_period("2026-10"))["credit"]
    a = next(x for x in credit["institutions"] if x["uscc"] == A)
    assert (a["rating"], a["source"], a["changed"]) == ("A", "registry", False)
    assert credit["events"] == [] and credit["published"] is False
