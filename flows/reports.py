"""Period report flows (issue 12 point 3): monthly, quarterly and annual, on the schedules in prefect.yaml
(Asia/Shanghai). 韶关: a month's report is published before the 25th of the next month."""

from __future__ import annotations

from prefect import flow

from tasks.prefect_reports import publish_period_report


@flow(name="monthly-report")
def monthly_report(month: str | None = None) -> list[str]:
    """月报 of `month` (YYYY-MM; default the last complete month)."""
    return publish_period_report("monthly", month)


@flow(name="quarterly-report")
def quarterly_report(quarter: str | None = None) -> list[str]:
    """季报 of `quarter` (YYYY-Qn; default the last complete quarter)."""
    return publish_period_report("quarterly", quarter)


@flow(name="annual-report")
def annual_report(year: str | None = None) -> list[str]:
    """年报 of `year` (YYYY; default the last complete year)."""
    return publish_period_report("annual", year)
