"""The README's main command: a generated sample with planted problems through all three paths —
upload-triggered runs, the nightly run and an auditor's dry-run re-run — then where to look."""

from __future__ import annotations

import time
from collections import Counter

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from infra import db
from infra.bootstrap import Services
from infra.database import upgrade
from infra.samples import scenario
from tasks import exports


def run_demo(svc: Services, wait_seconds: int = 300) -> None:
    console = Console()
    upgrade(svc.settings.db_url)
    sc = scenario(svc.now().date())
    for key, data in sc.objects.items():
        svc.store.put(key, data)
    console.print(f"uploaded {len(sc.objects)} objects to s3://{svc.store.bucket}/ (reference/ and inbox/)")
    state = svc.settings.stack_state() or {}
    api = state.get("prefect_api_url")
    if api:
        console.print("1. upload-triggered: the listener starts process-upload runs; waiting for the answers …")
        _wait_for_answers(svc, list(sc.objects), wait_seconds)
    else:
        from flows.process_upload import process_pending
        from tasks import prefect as ptasks

        console.print("no Prefect server in this stack (--s3-only): processing here")
        ptasks.use(svc)
        process_pending()
    _print_uploads(console, svc, list(sc.objects))
    _print_findings(console, svc)
    if api:
        from prefect.deployments import run_deployment

        today = svc.now().date().isoformat()
        console.print("2. nightly: running the nightly deployment now (its schedule is 02:00 Asia/Shanghai) …")
        night = run_deployment("nightly/nightly", parameters={"as_of": today}, timeout=wait_seconds)
        console.print(f"   nightly → {night.state.name if night.state else '?'}")
        console.print("3. auditor re-run: a dry run of every stage (gates, then money) for one institution …")
        rerun = run_deployment("rerun/rerun", parameters={"stage": "all", "institution": sc.inst["A"], "dry_run": True,
                                                          "auditor": "demo auditor", "reason": "demo"}, timeout=wait_seconds)
        console.print(f"   rerun → {rerun.state.name if rerun.state else '?'}")
        console.print(f"Prefect UI: {state.get('prefect_ui_url')}   (flow runs, artifacts: gate-findings, nightly-funnel, rerun-changes)")
        console.print(f"daily report: s3://{svc.store.bucket}/reports/{today}/summary.md")
    console.print(f"outbox: s3://{svc.store.bucket}/outbox/<uscc>/<kind>/<name>.result.csv and .summary.json")
    console.print(f"quarantine: s3://{svc.store.bucket}/quarantine/   findings: skillsub export findings --format csv")


def _wait_for_answers(svc: Services, keys: list[str], seconds: int) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with svc.engine.connect() as conn:
            answered = set(conn.execute(select(db.uploads.c.key).where(
                db.uploads.c.key.in_(keys), db.uploads.c.answered_at.is_not(None))).scalars())
        if answered >= set(keys):
            return
        time.sleep(2)
    raise TimeoutError(f"uploads not answered within {seconds}s: is the worker running? (skillsub stack status)")


def _print_uploads(console: Console, svc: Services, keys: list[str]) -> None:
    u = db.uploads
    with svc.engine.connect() as conn:
        rows = conn.execute(select(u.c.key, u.c.status, u.c.rows_accepted, u.c.rows_rejected, u.c.rows_flagged)
                            .where(u.c.key.in_(keys)).order_by(u.c.id)).all()
    table = Table("object", "status", "accepted", "rejected", "flagged", title="Uploads")
    for r in rows:
        table.add_row(r.key, r.status, *(str(v if v is not None else "-") for v in r[2:]))
    console.print(table)


def _print_findings(console: Console, svc: Services) -> None:
    by_rule = Counter((f["rule_code"], f["effect"]) for f in exports.findings(svc))
    rules = Table("rule", "effect", "findings", title="Findings (skillsub export findings)")
    for (code, effect), n in sorted(by_rule.items()):
        rules.add_row(code, effect, str(n))
    console.print(rules)
