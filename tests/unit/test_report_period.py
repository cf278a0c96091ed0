"""Periods, funds and schedules of the period reports (issue 12 points 1–3), without a database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from schemas.policy import PolicyError, RegionPolicy, load_policy
from schemas.report_period import last_complete, money_block, parse_period, rate

ROOT = Path(__file__).resolve().parents[2]


def test_periods_parse_to_half_open_ranges_with_their_previous() -> None:
    oct_ = parse_period("2026-10")
    assert (oct_.start, oct_.end, oct_.label, oct_.previous().label) == (date(2026, 10, 1), date(2026, 11, 1), "2026-10", "2026-09")
    q1 = parse_period("2027-q1", "quarterly")
    assert (q1.start, q1.end, q1.previous().label, q1.title_zh) == (date(2027, 1, 1), date(2027, 4, 1), "2026-Q4", "2027年第1季度")
    assert parse_period("2026").previous().label == "2025" and len(parse_period("2026").months()) == 12
    for bad, kind in (("2026-13", None), ("2026-Q5", None), ("26-10", None), ("2026", "monthly")):
        with pytest.raises(ValueError):
            parse_period(bad, kind)


def test_a_scheduled_run_reports_the_last_complete_period() -> None:
    assert last_complete("monthly", date(2026, 11, 5)).label == "2026-10"
    assert last_complete("quarterly", date(2027, 1, 10)).label == "2026-Q4"
    assert last_complete("annual", date(2027, 1, 20)).label == "2026"


def test_money_is_integer_fen_for_machines_and_two_decimal_yuan_for_readers() -> None:
    m = money_block({"advance": 225000, "recovery": -150001}, {"职业技能提升行动专账": 74999})
    assert m["by_kind_fen"] == {"advance": 225000, "settlement": 0, "recovery": -150001}
    assert m["by_kind_yuan"]["recovery"] == "-1500.01" and m["net_yuan"] == "749.99"
    assert rate(1, 3) == "33.3" and rate(1, 0) is None


def test_every_region_names_its_funds_and_living_allowances_come_from_the_employment_fund() -> None:
    for region in ("shanxi", "suzhou", "shaoguan"):
        p = load_policy(region)
        assert p.fund == "职业技能提升行动专账" and all(r.fund for r in p.amounts)
        if p.living_allowance:
            assert p.fund_for("employment", "living") == "就业补助资金"
        assert p.fund_for("employment") == "职业技能提升行动专账"


def test_a_blank_fund_is_refused_when_the_policy_loads(tmp_path: Path) -> None:
    text = (ROOT / "schemas/policies/shaoguan.toml").read_text("utf-8").replace('fund = "职业技能提升行动专账"\n', 'fund = "  "\n', 1)
    (tmp_path / "shaoguan.toml").write_text(text, "utf-8")
    with pytest.raises(PolicyError, match="fund"):
        load_policy("shaoguan", tmp_path)
    assert RegionPolicy.model_fields["targets"].default is None  # targets are optional


def test_the_report_deployments_run_monthly_quarterly_and_yearly_in_shanghai_time() -> None:
    deployments = {d["name"]: d for d in yaml.safe_load((ROOT / "prefect.yaml").read_text("utf-8"))["deployments"]}
    expected = {"monthly-report": ("0 6 5 * *", "flows/reports.py:monthly_report"),
                "quarterly-report": ("0 6 10 1,4,7,10 *", "flows/reports.py:quarterly_report"),
                "annual-report": ("0 6 20 1 *", "flows/reports.py:annual_report")}
    for name, (cron, entrypoint) in expected.items():
        d = deployments[name]
        assert d["schedules"] == [{"cron": cron, "timezone": "Asia/Shanghai"}] and d["entrypoint"] == entrypoint
        path, func = entrypoint.split(":")
        assert f"def {func}(" in (ROOT / path).read_text()
    assert int(expected["monthly-report"][0].split()[2]) < 25  # 韶关: before the 25th of the next month
