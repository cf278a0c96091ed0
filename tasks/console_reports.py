"""Read model of the console's Reports page (issue 14 "the reports with their charts"; issue 12.3–12.5): the
published period reports and disclosures by period, latest version first and older ones marked superseded,
and the 重大情况专报; each object read from the bucket through the console (keys carry no personal data:
periods, versions, finding and ledger-entry ids; special reports are stored masked already)."""

from __future__ import annotations

import re
from collections import defaultdict

from infra.bootstrap import Services
from tasks.report_render import CONTENT_TYPES

PERIODIC = re.compile(r"^reports/(?P<period>\d{4}(?:-\d{2}|-Q[1-4])?)/(?P<series>monthly|quarterly|annual|disclosure)"
                      r"\.v(?P<version>\d+)\.(?P<fmt>xlsx|html|json|md|csv)$")
SPECIAL = re.compile(r"^reports/special/(?P<date>\d{4}-\d{2}-\d{2})/(?P<id>(?:fraud-finding|recovery)-\d+)\.(?P<fmt>json|md)$")
SERIES = {"monthly": "月报 monthly", "quarterly": "季报 quarterly", "annual": "年报 annual", "disclosure": "公开 disclosure"}
SPECIAL_KINDS = {"fraud-finding": "确认违规 fraud confirmed", "recovery": "大额追回 recovery ordered"}
FORMAT_ORDER = ("html", "xlsx", "csv", "json", "md")


def readable(key: str) -> bool:
    """Only published reports are served: a period report, a disclosure or a special report."""
    return bool(PERIODIC.match(key) or SPECIAL.match(key))


def content_type(key: str) -> str:
    fmt = key.rsplit(".", 1)[-1]
    return "text/plain; charset=utf-8" if fmt == "md" else CONTENT_TYPES[fmt]


def _sort_period(label: str) -> tuple:
    """Sorted descending: the newest year first; within a year months, then quarters, then the year."""
    year, _, rest = label.partition("-")
    return (year, 0 if not rest else 1 if rest.startswith("Q") else 2, rest)


def published(svc: Services) -> dict:
    """{"periods": [{period, series: [{series, label, versions: [{version, superseded, formats}]}]}],
    "special": [{date, id, kind, formats}], "other": [{key, size}]}, newest first."""
    by: dict[tuple[str, str], dict[int, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    special: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    other = []
    for o in svc.store.list("reports/"):
        if m := PERIODIC.match(o.key):
            by[(m["period"], m["series"])][int(m["version"])][m["fmt"]] = o.key
        elif m := SPECIAL.match(o.key):
            special[(m["date"], m["id"])][m["fmt"]] = o.key
        else:  # the daily summaries and the gates' Data Docs (served at /datadocs/upload/<id>)
            other.append({"key": o.key, "size": o.size})
    periods: dict[str, list[dict]] = defaultdict(list)
    for (period, series), versions in by.items():
        latest = max(versions)
        periods[period].append({"series": series, "label": SERIES[series], "versions": [
            {"version": v, "superseded": v != latest, "superseded_by": latest if v != latest else None,
             "formats": [(f, versions[v][f]) for f in FORMAT_ORDER if f in versions[v]]}
            for v in sorted(versions, reverse=True)]})
    order = list(SERIES)
    return {"periods": [{"period": p, "series": sorted(s, key=lambda x: order.index(x["series"]))}
                        for p, s in sorted(periods.items(), key=lambda x: _sort_period(x[0]), reverse=True)],
            "special": [{"date": d, "id": i, "kind": SPECIAL_KINDS[i.rsplit("-", 1)[0]],
                         "formats": [(f, fm[f]) for f in FORMAT_ORDER if f in fm]}
                        for (d, i), fm in sorted(special.items(), reverse=True)],
            "other": sorted(other, key=lambda o: o["key"], reverse=True)}
