"""The README's main command: a generated sample with planted problems through all three paths —
upload-triggered runs, the nightly run and an auditor's decisions — then where to look.

It runs the same every time: an object already in the bucket is not uploaded again (no new bytes, so
a second run finds every answer written and the same findings), a hold already decided is not decided
again, and the nightly runs settle differentially (nothing new to pay the second time)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from flows.demo_runs import DemoStuck, LocalRunner, StackRunner
from infra import db
from infra.bootstrap import Services
from infra.database import upgrade
from infra.samples import Scenario, scenario
from schemas.layout import Route, outbox_prefix
from tasks import exports
from tasks.review import review


@dataclass
class Story:
    as_of: date
    findings: Counter  # (rule code, status) → findings, as `export findings` and the daily report count them
    ledger: list[tuple[str, str, str, str]]  # class, payee, kind, yuan
    report_agrees: bool


def run_demo(svc: Services, console: Console | None = None) -> Story:
    console = console or Console()
    upgrade(svc.settings.db_url)
    state = svc.settings.stack_state() or {}
    if state.get("prefect_api_url"):
        return play(svc, StackRunner(svc, state), console)
    console.print("no Prefect server in this stack (--s3-only): processing here")
    return play(svc, LocalRunner(svc), console)


def play(svc: Services, runner: LocalRunner | StackRunner, console: Console) -> Story:
    sc = scenario(svc.now().date())
    first = {**sc.objects, **sc.money}
    new = _put_new(svc, first)
    console.print(f"1. uploads: {len(new)} new objects to s3://{svc.store.bucket}/ ({len(first) - len(new)} already "
                  "there); waiting for every answer")
    runner.process(list(first))
    _print_uploads(console, svc, sc, list(first))

    as_of = _after_last_session(svc, sc)
    console.print(f"2. nightly as of {as_of} (after {sc.money_class}'s last session): the advance was paid when "
                  "its claim passed; now the settlement")
    runner.nightly(as_of)
    console.print("3. a later upload: B enrols one of the paid trainees at the same hours (ENR-OVERLAP)")
    _put_new(svc, sc.late)
    runner.process(list(sc.late))
    decided = _confirm_late_hold(svc, sc)
    console.print(f"   an auditor confirms the hold after payment ({decided}); the next nightly run recovers")
    runner.nightly(as_of)
    rerun = runner.rerun_dry(sc.inst["A"])
    if rerun:
        console.print(f"4. auditor re-run: a dry run of every stage for institution A → {rerun}")

    story = _story(svc, as_of)
    _print_findings(console, story)
    _print_money(console, svc)
    ui = (svc.settings.stack_state() or {}).get("prefect_ui_url")
    if ui:
        console.print(f"Prefect UI: {ui}   (flow runs, artifacts: gate-findings, nightly-funnel, rerun-changes)")
    console.print(f"outbox: s3://{svc.store.bucket}/outbox/<uscc>/<kind>/<name>.result.csv and .summary.json")
    console.print(f"quarantine: s3://{svc.store.bucket}/quarantine/   exports: skillsub export findings|trainees|"
                  "ledger|settlements")
    return story


def _put_new(svc: Services, objects: dict[str, bytes]) -> list[str]:
    """Upload what the bucket does not hold yet: a second run sends no new bytes."""
    new = [k for k in objects if svc.store.head(k) is None]
    for key in new:
        svc.store.put(key, objects[key])
    return new


def _after_last_session(svc: Services, sc: Scenario) -> date:
    c = db.classes
    with svc.engine.connect() as conn:
        end = conn.execute(select(c.c.end_date).where(c.c.uscc == sc.inst["A"], c.c.class_id == sc.money_class)).scalar()
    if end is None:
        raise DemoStuck(f"class {sc.money_class} of institution A was not filed: see its answer under outbox/{sc.inst['A']}/filing/")
    return end + timedelta(days=1)


def _confirm_late_hold(svc: Services, sc: Scenario) -> str:
    """The auditor's decision on the hold the late roster opened on the paid class (once: decisions are final)."""
    f = db.findings
    with svc.engine.connect() as conn:
        hold = conn.execute(select(f.c.id, f.c.status).where(
            f.c.rule_code == "ENR-OVERLAP", f.c.uscc == sc.inst["A"], f.c.class_id == sc.money_class,
            f.c.id_number == sc.late_hold).order_by(f.c.id.desc())).first()
    if hold is None:
        raise DemoStuck(f"the late roster opened no ENR-OVERLAP finding on {sc.money_class}: see outbox/{sc.inst['B']}/roster/")
    status = hold.status
    if status == "none":  # A's side is only a warning (B completed the pattern): the auditor escalates it
        review(svc, hold.id, "escalate", "A enrolled the trainee elsewhere at the same hours (demo)", "demo auditor")
        status = "open"
    if status == "open":
        review(svc, hold.id, "confirm", "enrolled in two classes at the same hours (demo)", "demo auditor")
        return f"finding {hold.id} confirmed"
    return f"finding {hold.id} already {status}"


def _story(svc: Services, as_of: date) -> Story:
    by_rule = Counter((f["rule_code"], f["status"]) for f in exports.findings(svc))
    ledger = [(e["class_id"], e["payee"], e["kind"], e["amount_yuan"]) for e in exports.ledger(svc)]
    return Story(as_of, by_rule, ledger, _report_counts(svc, as_of) == by_rule)


def _report_counts(svc: Services, as_of: date) -> Counter:
    """The daily report's "Findings by rule and status" table, read back."""
    try:
        text = svc.store.get(f"reports/{as_of.isoformat()}/summary.md").decode("utf-8")
    except Exception:  # noqa: BLE001 - no report: it cannot agree
        return Counter()
    section = text.split("## Findings by rule and status", 1)[-1]
    out: Counter = Counter()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[2].isdigit():
            out[(cells[0], cells[1])] = int(cells[2])
    return out


def _label(sc: Scenario) -> dict[str, str]:
    return {sc.inst[k]: k for k in ("A", "B", "C")}


def _short(key: str, labels: dict[str, str]) -> str:
    """inbox/<uscc>/<kind>/<name> → "A kind/name" (the legend names the USCC): whole, never cut."""
    parts = key.split("/")
    if parts[0] == "inbox" and len(parts) == 4:
        return f"{labels.get(parts[1], parts[1])} {parts[2]}/{parts[3]}"
    return "ref " + "/".join(parts[1:])


def _print_uploads(console: Console, svc: Services, sc: Scenario, keys: list[str]) -> None:
    u = db.uploads
    with svc.engine.connect() as conn:
        rows = conn.execute(select(u.c.key, u.c.status, u.c.area, u.c.kind, u.c.name, u.c.uscc)
                            .where(u.c.key.in_(keys)).order_by(u.c.id)).all()
    labels = _label(sc)
    table = Table("upload", "status", "ok", "rejected", "flagged", title="Uploads (rows as their answers say now)")
    table.columns[0].overflow = "fold"
    for r in rows:
        counts = _answered_counts(svc, Route(r.area, r.kind, r.name, r.uscc))
        table.add_row(_short(r.key, labels), r.status, *(str(counts.get(k, "-")) for k in ("accepted", "rejected",
                                                                                           "accepted_flagged")))
    console.print(table)
    console.print("  ".join(f"{v} = {k}" for k, v in labels.items()))


def _answered_counts(svc: Services, r: Route) -> dict[str, int]:
    """The row counts of the upload's summary.json: what the institution reads."""
    try:
        return json.loads(svc.store.get(f"{outbox_prefix(r)}.summary.json"))["rows"]
    except Exception:  # noqa: BLE001 - no answer yet: shown as "-"
        return {}


def _print_findings(console: Console, story: Story) -> None:
    table = Table("rule", "status", "findings", title=f"Findings (skillsub export findings; reports/{story.as_of}/summary.md)")
    for (code, status), n in sorted(story.findings.items()):
        table.add_row(code, status, str(n))
    console.print(table)
    console.print("the daily report agrees" if story.report_agrees else
                  f"[red]the daily report reports/{story.as_of}/summary.md counts differently[/red]")


def _print_money(console: Console, svc: Services) -> None:
    ledger = Table("class", "payee", "kind", "yuan", title="Ledger (skillsub export ledger; recoveries negative)")
    for e in exports.ledger(svc):
        ledger.add_row(e["class_id"], e["payee"], e["kind"], e["amount_yuan"])
    console.print(ledger)
    settled = Table("class", "payee", "earned", "paid", "due", "status", title="Settlements (skillsub export settlements)")
    for s in exports.settlements(svc):
        settled.add_row(s["class_id"], s["payee"], s["earned_yuan"], s["paid_yuan"], s["due_yuan"], s["status"])
    console.print(settled)
