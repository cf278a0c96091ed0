"""The monthly credit publication (issue 12.6): every institution rated from its record, with reasons.
The lead wires it into the monthly report flow; alone it is `skillsub credit recompute --month YYYY-MM`."""

from __future__ import annotations

from datetime import timedelta

from prefect import flow

from tasks.prefect import services
from tasks.prefect_credit import recompute_credit


def previous_month(today) -> str:  # noqa: ANN001
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


@flow(name="credit-monthly")
def credit_monthly(month: str | None = None) -> dict:
    """Rate every institution for `month` (default: the month just ended, Asia/Shanghai)."""
    return recompute_credit(month or previous_month(services().now().date()))
