"""Use case: publish a period report under reports/<period>/ in the bucket (issue 12 point 3).

Never overwritten silently: each publication is a new version (`monthly.v1.html`, `monthly.v2.html` …),
and the report itself says its version and which publication it supersedes.
"""

from __future__ import annotations

import re

from infra.bootstrap import Services
from schemas.report_period import Period
from tasks import period_report, report_render
from tasks.report_render import CONTENT_TYPES, FORMATS


class AlreadyPublished(RuntimeError):
    """The version about to be written exists (a concurrent publication): nothing is overwritten."""


def prefix(period: Period) -> str:
    return f"reports/{period.label}/"


def versions(svc: Services, period: Period, series: str | None = None) -> list[int]:
    """Versions of this period's report (or another series: `disclosure`) already in the bucket, ascending."""
    pattern = re.compile(re.escape(prefix(period) + (series or period.kind)) + r"\.v(\d+)\.")
    return sorted({int(m[1]) for o in svc.store.list(prefix(period)) if (m := pattern.match(o.key))})


def publish(svc: Services, period: Period, formats: tuple[str, ...] = FORMATS) -> list[str]:
    """Build the report once and write every format as the next version; returns the keys written."""
    done = versions(svc, period)
    version = (done[-1] if done else 0) + 1
    supersedes = f"{prefix(period)}{period.kind}.v{done[-1]}" if done else None
    model = period_report.build(svc, period, version=version, supersedes=supersedes)
    charts = None
    keys = []
    for fmt in formats:
        key = f"{prefix(period)}{period.kind}.v{version}.{fmt}"
        if svc.store.head(key) is not None:
            raise AlreadyPublished(f"{key} exists: not overwritten")
        if fmt in ("html", "xlsx") and charts is None:
            from tasks.report_charts import render_all

            charts = render_all(model)
        svc.store.put(key, report_render.render(model, fmt, charts), CONTENT_TYPES[fmt])
        keys.append(key)
    return keys


def publish_disclosure(svc: Services, period: Period) -> list[str]:
    """The public disclosure of the period (CSV and HTML) as its own version series, `disclosure.vN.*`."""
    from tasks import disclosure

    done = versions(svc, period, "disclosure")
    version = (done[-1] if done else 0) + 1
    data = disclosure.rows(svc, period)
    keys = []
    for fmt, body in (("csv", disclosure.to_csv(data)), ("html", disclosure.to_html(svc, period, data))):
        key = f"{prefix(period)}disclosure.v{version}.{fmt}"
        if svc.store.head(key) is not None:
            raise AlreadyPublished(f"{key} exists: not overwritten")
        svc.store.put(key, body, CONTENT_TYPES[fmt])
        keys.append(key)
    return keys
