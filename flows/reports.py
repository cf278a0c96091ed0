"""Period report flows (issue 12 point 3): monthly, quarterly and annual, on the schedules in prefect.yaml
(Asia/Shanghai). 韶关: a month's report is published before the 25th of the next month."""

from __future__ import annotations

from prefect import flow

from tasks.prefect import services
from tasks.prefect_credit import recompute_credit
from tasks.prefect_reports import publish_period_report


@flow(name="monthly-report")
def monthly_report(month: str | None = None) -> list[str]:
    """月报 of `month` (YYYY-MM; default the last complete month). The month's credit ratings are recomputed
    first (issue 12.6: "recomputed and published monthly with the reports, with the reasons"; a repeated run
    writes nothing), so the report's 信用等级 section and its rating chart show them."""
    from schemas.report_period import last_complete, parse_period

    month = (parse_period(month, "monthly") if month else last_complete("monthly", services().now().date())).label
    recompute_credit(month)
    return publish_period_report("monthly", month)


@flow(name="quarterly-report")
def quarterly_report(quarter: str | None = None) -> list[str]:
    """季报 of `quarter` (YYYY-Qn; default the last complete quarter)."""
    return publish_period_report("quarterly", quarter)


@flow(name="annual-report")
def annual_report(year: str | None = None) -> list[str]:
    """年报 of `year` (YYYY; default the last complete year)."""
    return publish_period_report("annual", year)
