"""The README's main command: a generated sample with planted problems, uploaded and processed."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from infra.bootstrap import Services
from infra.database import upgrade
from infra.samples import scenario
from tasks import exports


def run_demo(svc: Services) -> None:
    from flows.process_upload import process_pending
    from tasks import prefect as ptasks

    console = Console()
    upgrade(svc.settings.db_url)
    sc = scenario(svc.now().date())
    for key, data in sc.objects.items():
        svc.store.put(key, data)
    console.print(f"uploaded {len(sc.objects)} objects to s3://{svc.store.bucket}/ (reference/ and inbox/)")
    ptasks.use(svc)
    outcomes = process_pending()

    table = Table("object", "status", "accepted", "rejected", "flagged", title="Uploads")
    for o in outcomes:
        c = o.get("counts") or {}
        table.add_row(o["key"], o["status"], *(str(c.get(k, "-")) for k in ("accepted", "rejected", "flagged")))
    console.print(table)

    found = exports.findings(svc)
    by_rule = Counter((f["rule_code"], f["effect"]) for f in found)
    rules = Table("rule", "effect", "findings", title="Findings (skillsub export findings)")
    for (code, effect), n in sorted(by_rule.items()):
        rules.add_row(code, effect, str(n))
    console.print(rules)
    console.print(f"outbox: s3://{svc.store.bucket}/outbox/<uscc>/<kind>/<name>.result.csv and .summary.json")
    console.print(f"quarantine: s3://{svc.store.bucket}/quarantine/   findings: skillsub export findings --format csv")
