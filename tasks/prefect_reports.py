"""The Prefect tasks of the period reports (issue 12 point 3), beside tasks/prefect.py's."""

from __future__ import annotations

from prefect import task

from tasks.prefect import services


@task(name="publish-period-report", retries=2, retry_delay_seconds=[5, 30])
def publish_period_report(kind: str, period: str | None = None) -> list[str]:
    """Publish the report of `period` (default: the last complete one in Asia/Shanghai) and its public
    disclosure as new versions under reports/<period>/; a link artifact points at the HTML."""
    from prefect.artifacts import create_link_artifact

    from schemas.report_period import last_complete, parse_period
    from tasks.report_publish import publish, publish_disclosure

    svc = services()
    p = parse_period(period, kind) if period else last_complete(kind, svc.now().date())  # type: ignore[arg-type]
    keys = publish(svc, p) + publish_disclosure(svc, p)
    html = next(k for k in keys if k.endswith(".html"))
    create_link_artifact(key=f"{kind}-report", link=f"s3://{svc.store.bucket}/{html}",
                         description=f"{kind} report {p.label}")
    return keys
