"""The Prefect tasks: each wraps one use case, with retries sized to its failure modes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prefect import task
from prefect.runtime import flow_run

from infra.bootstrap import Services, bootstrap

_services: Services | None = None
log = logging.getLogger(__name__)
_one_at_a_time = threading.Lock()  # threads of one task worker; the database lock covers other processes


def services() -> Services:
    """One composition per worker process (engine pools and the GX context are reused)."""
    global _services
    if _services is None:
        _services = bootstrap()
    return _services


def use(svc: Services | None) -> None:
    """Wire given services (tests, the CLI) instead of building them from settings."""
    global _services
    _services = svc


@contextmanager
def in_process() -> Iterator[None]:
    """Flows run in this process (the CLI's `process`, `nightly`, the bench) without Prefect's flow heartbeat:
    its thread sleeps in 1-s steps and every flow run waits for it at its end (up to 1 s a flow,
    shared/notes/traps.md). Heartbeats let a worker's server mark a crashed deployment run; a CLI run
    ends with its process and reports its own failure, so it needs none."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def run_id() -> str:
    return str(flow_run.get_id() or "local")


@task(name="list-pending", retries=3, retry_delay_seconds=[1, 5, 15])
def list_pending() -> list[str]:
    """List unprocessed objects under reference/ and inbox/ in processing order."""
    from tasks.pending import pending_keys

    return pending_keys(services())


@task(name="list-waiting-with", retries=3, retry_delay_seconds=[1, 5, 15])
def list_waiting_with(key: str) -> list[str]:
    """List the pending reference data and uploads of this object's institution, in stage order."""
    from tasks.keyref import resolve
    from tasks.pending import waiting_with

    return waiting_with(services(), resolve(services(), key))


# The upload tasks carry no tags: Prefect acquires tag concurrency slots through its API before every
# tagged task run (0.1-0.8 s measured, issue 10), and no limit is set on any tag.
@task(name="process-object", retries=2, retry_delay_seconds=[2, 10])
def process_object(key: str) -> dict:
    """Read, parse, gate, apply and answer one uploaded object (idempotent per key+ETag and sha256);
    `key` may be masked (a stage flow's parameter, tasks/keyref.py)."""
    from tasks.keyref import resolve

    return process_objects.fn([resolve(services(), key)])[0]


@task(name="process-objects", retries=2, retry_delay_seconds=[2, 10])
def process_objects(keys: list[str]) -> list[dict]:
    """Read, parse, gate, apply and answer objects in order; uploads that cannot meet share a gate run."""
    from dataclasses import asdict

    from tasks.ingest import process_batch

    outcomes = process_batch(services(), keys, run_id())
    publish_gate([o.upload_id for o in outcomes if o.upload_id is not None and o.status != "skipped"])
    return [asdict(o) for o in outcomes]


@task(name="process-upload", retries=2, retry_delay_seconds=[1, 5])
def process_landed(keys: list[str]) -> list[dict]:
    """Process landed objects with what waits with them (their institutions' earlier stages, other uploads);
    the keys may be masked (the listener masks ID and phone numbers: Prefect stores and shows parameters)."""
    from dataclasses import asdict

    from infra.database import exclusive
    from tasks.ingest import process_batch
    from tasks.keyref import resolve
    from tasks.pending import batch_with, is_final

    svc = services()
    keys = [k for k in (resolve(svc, k) for k in keys) if not is_final(svc, k)]  # runs before this one took the others with their batch
    if not keys:
        return []
    # One processor at a time: an institution's uploads are gated in stage order whichever worker claims them.
    with _one_at_a_time, exclusive(svc.engine, "skillsub:process-upload"):
        started = time.perf_counter()
        outcomes = process_batch(svc, batch_with(svc, keys, svc.settings.batch_max_uploads), run_id())
        log.info("%d object(s) processed in %.2f s", len(outcomes), time.perf_counter() - started)
    publish_gate([o.upload_id for o in outcomes if o.upload_id is not None and o.status != "skipped"])
    from tasks.keyref import shown

    return [{**asdict(o), "key": shown(o.key)} for o in outcomes if o.status != "skipped" or o.key in keys]


def publish_gate(upload_ids: list[int]) -> None:
    """A table artifact (rule, count, effect, masked examples) and a markdown summary for the uploads gated."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    from tasks.artifacts import gate_tables

    if not upload_ids:
        return
    tables, summaries = [], []
    for upload_id in upload_ids:
        table, summary = gate_tables(services(), upload_id)
        tables += [{"upload": upload_id, **row} for row in table] if len(upload_ids) > 1 else table
        summaries.append(summary)
    what = f"upload {upload_ids[0]}" if len(upload_ids) == 1 else f"{len(upload_ids)} uploads ({upload_ids[0]}…)"
    create_table_artifact(key="gate-findings", table=tables or [{"rule_code": "-", "findings": 0, "effect": "-",
                                                                 "examples": "no findings"}],
                          description=f"Findings of {what} by rule code")
    create_markdown_artifact(key="gate-summary", markdown="\n".join(summaries), description=what.capitalize())


@task(name="answer-unanswered", retries=2, retry_delay_seconds=[2, 10])
def answer_unanswered() -> int:
    """Write outbox answers for uploads processed before a crash cut their answer off."""
    from tasks.outbox import answer
    from tasks.pending import unanswered

    svc = services()
    ids = unanswered(svc)
    for upload_id in ids:
        answer(svc, upload_id)
    return len(ids)


@task(name="pay-and-settle", retries=2, retry_delay_seconds=[5, 30])
def pay_and_settle(as_of: str) -> dict:
    """Pay due advances and settle due classes through the ledger (idempotent: the ledger key decides)."""
    from datetime import date

    from tasks.money import pay_and_settle as use_case

    run = use_case(services(), date.fromisoformat(as_of), run_id())
    from prefect.artifacts import create_table_artifact

    from tasks.artifacts import funnel, money_moved

    create_table_artifact(key="nightly-funnel", table=funnel(services()), description=f"Funnel as of {as_of}")
    create_table_artifact(key="nightly-money", table=money_moved(services(), run_id()) or [{"kind": "-", "entries": 0,
                                                                                             "amount_yuan": "0.00"}],
                          description=f"Ledger entries written by this run ({as_of})")
    return {
        "as_of": as_of,
        "advances_paid": [{"uscc": u, "class_id": c, "amount_fen": a} for u, c, a in run.advances_paid],
        "settled": [{"uscc": s.uscc, "class_id": s.class_id, "status": s.status,
                     "entries": [{"kind": k, "amount_fen": a} for _, k, a in s.entries]} for s in run.settled],
        "unbalanced": len(run.unbalanced),
    }


@task(name="rerun-stage", retries=0)
def rerun_stage(stage: str, class_ref: str | None, institution: str | None, date_from: str | None,
                date_to: str | None, dry_run: bool, auditor: str, reason: str) -> dict:
    """Re-run a stage with today's rules and policy and report every row and amount that changed."""
    from schemas.idcard import mask_id
    from tasks.rerun import rerun

    report = rerun(services(), stage, class_ref, institution, date_from, date_to, dry_run=dry_run, auditor=auditor,
                   reason=reason, run_id=run_id())
    out = {"dry_run": dry_run, "rows_checked": report.rows_checked, "rows": [
        {"stage": c.stage, "upload_id": c.upload_id, "row_no": c.row_no, "uscc": c.uscc, "class_id": c.class_id,
         "id_number": mask_id(c.id_number), "before": c.before, "after": c.after, "codes_added": list(c.added),
         "codes_removed": list(c.removed)} for c in report.rows], "amounts": [
        {"uscc": c.uscc, "class_id": c.class_id, "id_number": mask_id(c.id_number), "payee": mask_id(c.payee),
         "before_fen": c.before_fen, "after_fen": c.after_fen, "exclusions_after": list(c.exclusions_after),
         "entries": [{"kind": k, "amount_fen": a} for k, a in c.entries]} for c in report.amounts]}
    publish_rerun(out, stage, auditor)
    return out


def publish_rerun(out: dict, stage: str, auditor: str) -> None:
    """The change report as a Prefect table artifact (IDs already masked)."""
    from prefect.artifacts import create_table_artifact

    from tasks.keyref import markdown

    table = [{"what": f"{r['stage']} row {r['row_no']} (upload {r['upload_id']})", "class_id": r["class_id"],
              "id_number": r["id_number"], "before": r["before"], "after": r["after"],
              "change": " ".join([*(f"+{c}" for c in r["codes_added"]), *(f"-{c}" for c in r["codes_removed"])])}
             for r in out["rows"]]
    table += [{"what": "amount" if a["id_number"] else "ledger", "class_id": a["class_id"],
               "id_number": a["id_number"] or a["payee"], "before": a["before_fen"], "after": a["after_fen"],
               "change": " ".join(f"{e['kind']} {e['amount_fen']}" for e in a["entries"]) or
               ",".join(a["exclusions_after"])} for a in out["amounts"]]
    create_table_artifact(key="rerun-changes", table=table or [{"what": "no change", "class_id": "-", "id_number": "-",
                                                                "before": "-", "after": "-", "change": "-"}],
                          description=f"Re-run of {stage} by {markdown(auditor)}{' (dry run)' if out['dry_run'] else ''}")


@task(name="reevaluate-cross-institution", retries=2, retry_delay_seconds=[5, 30])
def reevaluate_rules() -> dict:
    """Re-run the cross-institution rules over the whole database; open new findings, resolve gone ones."""
    from dataclasses import asdict

    from tasks.nightly_rules import reevaluate

    return asdict(reevaluate(services(), run_id()))


@task(name="daily-report", retries=2, retry_delay_seconds=[5, 30])
def daily_report(day: str, reevaluation: dict, money: dict) -> str:
    """Write reports/<date>/ (summary, funnel picture, masked findings and ledger extracts)."""
    from prefect.artifacts import create_link_artifact

    from tasks.report import write_daily

    prefix = write_daily(services(), day, reevaluation, money)
    create_link_artifact(key="daily-report", link=f"s3://{services().store.bucket}/{prefix}/summary.md",
                         description=f"Daily report {day}")
    return prefix


@task(name="publish-missing-special-reports", retries=2, retry_delay_seconds=[5, 30])
def publish_special_reports() -> list[str]:
    """重大情况专报 not published yet (issue 12.4: a decision taken where no object store was configured, a write
    that failed) go out with the nightly run, without anyone remembering `skillsub special publish`."""
    from tasks.special import publish_missing

    return publish_missing(services())
