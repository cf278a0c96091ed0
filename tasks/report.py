"""Use case: the daily report under reports/<date>/ — summary, funnel picture, masked extracts."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from html import escape

from infra.bootstrap import Services
from tasks import exports
from tasks.artifacts import funnel


def funnel_svg(steps: list[dict]) -> str:
    """A horizontal bar per funnel step; plain SVG so it opens offline in any browser."""
    top = max([s["count"] for s in steps] + [1])
    bars = []
    for i, s in enumerate(steps):
        width = int(420 * s["count"] / top)
        y = 10 + i * 34
        bars.append(f'<text x="0" y="{y + 17}" font-size="13">{escape(s["step"])}</text>'
                    f'<rect x="170" y="{y}" width="{width}" height="24" fill="#3b6ea5"/>'
                    f'<text x="{176 + width}" y="{y + 17}" font-size="13">{s["count"]}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="660" height="{20 + 34 * len(steps)}" '
            f'font-family="sans-serif">{"".join(bars)}</svg>')


def write_daily(svc: Services, day: str, reevaluation: dict, money: dict) -> str:
    prefix = f"reports/{day}"
    findings = exports.findings(svc)
    steps = funnel(svc)
    by_rule = Counter((f["rule_code"], f["status"]) for f in findings)
    lines = [f"# skillsub daily report {day}", "", "## Funnel", "", "![funnel](funnel.svg)", ""]
    lines += [f"- {s['step']}: {s['count']}" for s in steps]
    ledger = exports.ledger(svc)
    kinds = sorted({e["kind"] for e in ledger})
    totals = {k: sum((Decimal(e["amount_yuan"]) for e in ledger if e["kind"] == k), Decimal(0)) for k in kinds}
    lines += ["", "## Money", "", f"- advances paid: {len(money.get('advances_paid', []))}",
              f"- classes settled: {len(money.get('settled', []))}", f"- ledger unbalanced payees: {money.get('unbalanced', 0)}",
              "", "Ledger so far (advances, settlements, recoveries negative):", "", "| kind | entries | yuan |",
              "| --- | --- | --- |"]
    lines += [f"| {k} | {sum(1 for e in ledger if e['kind'] == k)} | {totals[k]:.2f} |" for k in kinds]
    lines += ["", "## Cross-institution rules (re-evaluated tonight)", "",
              "| rule | standing | opened | resolved |", "| --- | --- | --- | --- |"]
    lines += [f"| {c} | {reevaluation['standing'][c]} | {reevaluation['opened'][c]} | {reevaluation['resolved'][c]} |"
              for c in sorted(reevaluation.get("standing", {}))]
    lines += ["", "## Findings by rule and status", "", "| rule | status | findings |", "| --- | --- | --- |"]
    lines += [f"| {c} | {s} | {n} |" for (c, s), n in sorted(by_rule.items())]
    svc.store.put(f"{prefix}/summary.md", "\n".join(lines).encode(), "text/markdown; charset=utf-8")
    svc.store.put(f"{prefix}/funnel.svg", funnel_svg(steps).encode(), "image/svg+xml")
    svc.store.put(f"{prefix}/findings.csv", exports.render(findings, exports.FINDING_COLUMNS, "csv").encode(), "text/csv")
    svc.store.put(f"{prefix}/ledger.csv", exports.render(ledger, exports.LEDGER_COLUMNS, "csv").encode(), "text/csv")
    svc.store.put(f"{prefix}/funnel.json", json.dumps(steps, ensure_ascii=False).encode(), "application/json")
    return prefix
