"""Use case: re-run settlement for a selection of classes and report what changed.

The gate stages (filing … certificate) re-run their suites over the stored rows (tasks/regate.py);
the money stages go through the same differential settlement and ledger keys, so a re-run never pays
twice. `all` runs the gate stages in lifecycle order, then settlement. A dry run of `all` reports the
gate changes and the money changes of today's stored state: money does not see the gate changes it
did not make.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, insert, select

from infra import db
from infra.bootstrap import Services
from infra.database import exclusive
from schemas.codes import STAGES as _ALL_STAGES
from tasks.settle import settle_class

if TYPE_CHECKING:
    from tasks.regate import RowChange

GATE_STAGES = _ALL_STAGES[:5]  # as tasks/regate.py: imported only when a gate stage runs (it loads GX, ~4 s)

MONEY_STAGES = ("advance", "settlement")
STAGES = ("all", *GATE_STAGES, *MONEY_STAGES)


class RerunRefused(ValueError):
    """The request cannot run; the message says why in one line."""


@dataclass
class Change:
    """One trainee whose amount changed, or one payee whose ledger moved (or would move)."""

    uscc: str
    class_id: str
    id_number: str | None  # the trainee; None for a payee-level ledger movement
    payee: str | None
    before_fen: int
    after_fen: int
    exclusions_after: tuple[str, ...] = ()
    entries: list[tuple[str, int]] = field(default_factory=list)  # kind, amount_fen written (or that would be)


@dataclass
class RerunReport:
    rows: list[RowChange] = field(default_factory=list)  # gate stages: rows whose rule codes changed
    rows_checked: dict[str, int] = field(default_factory=dict)  # gate stage -> stored rows gated again
    amounts: list[Change] = field(default_factory=list)  # money stages: amounts and ledger movements


def select_classes(svc: Services, class_ref: str | None, institution: str | None, date_from: str | None,
                   date_to: str | None) -> list[tuple[str, str]]:
    c = db.classes
    q = select(c.c.uscc, c.c.class_id)
    if class_ref:
        uscc, _, class_id = class_ref.partition("/")
        q = q.where(c.c.uscc == uscc, c.c.class_id == class_id)
    if institution:
        q = q.where(c.c.uscc == institution)
    if date_from:
        q = q.where(c.c.end_date >= date.fromisoformat(date_from))
    if date_to:
        q = q.where(c.c.start_date <= date.fromisoformat(date_to))
    with svc.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q.order_by(c.c.uscc, c.c.class_id))]


def _day(option: str, value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise RerunRefused(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None


def check_request(svc: Services, stage: str, class_ref: str | None, institution: str | None,
                  date_from: str | None, date_to: str | None, auditor: str, reason: str, *,
                  known_scope: bool = False) -> None:
    """Refuse, in one line, a re-run that cannot run: before any flow starts and before the audit log records it.
    known_scope (the command line): a class or institution the database does not know is a typo, not an empty run."""
    if stage not in STAGES:
        raise RerunRefused(f"unknown stage {stage!r}: use one of {', '.join(STAGES)}")
    if not auditor.strip() or not reason.strip():
        raise RerunRefused("a re-run records the auditor and the reason: both are required")
    if not (class_ref or institution or date_from or date_to):
        raise RerunRefused("name a class, an institution or a date range")
    start, end = _day("--from", date_from), _day("--to", date_to)
    if start and end and end < start:
        raise RerunRefused(f"--to {date_to} is before --from {date_from}")
    if class_ref and not class_ref.partition("/")[2]:
        raise RerunRefused("--class takes USCC/CLASS_ID")
    if not known_scope:
        return
    c = db.classes
    with svc.engine.connect() as conn:
        if class_ref:
            uscc, _, class_id = class_ref.partition("/")
            if conn.execute(select(c.c.id).where(c.c.uscc == uscc, c.c.class_id == class_id)).first() is None:
                raise RerunRefused(f"unknown class {class_ref}: no class {class_id!r} filed by {uscc}")
        if institution:
            known = conn.execute(select(c.c.id).where(c.c.uscc == institution).limit(1)).first() or conn.execute(
                select(db.institutions.c.uscc).where(db.institutions.c.uscc == institution)).first()
            if known is None:
                raise RerunRefused(f"unknown institution {institution}: not in the registry and no class filed")


def rerun(svc: Services, stage: str, class_ref: str | None, institution: str | None, date_from: str | None,
          date_to: str | None, *, dry_run: bool, auditor: str, reason: str, run_id: str) -> RerunReport:
    check_request(svc, stage, class_ref, institution, date_from, date_to, auditor, reason)
    classes = select_classes(svc, class_ref, institution, date_from, date_to)
    with svc.engine.begin() as conn:  # recorded first: a dry run leaves only this behind
        conn.execute(insert(db.audit_log).values(
            at=svc.now(), actor=auditor.strip(), action="rerun.dry_run" if dry_run else "rerun", subject=stage,
            detail=json.dumps({"reason": reason, "class": class_ref, "institution": institution, "from": date_from,
                               "to": date_to, "classes": len(classes), "run_id": run_id}, ensure_ascii=False)))
    report = RerunReport()
    scope = set(classes) if (class_ref or date_from or date_to) else None
    gate_stages = GATE_STAGES if stage == "all" else tuple(s for s in (stage,) if s in GATE_STAGES)
    from tasks.regate import regate_stage

    with exclusive(svc.engine, "skillsub:regate"):  # two re-runs would stage the same upload's rows at once
        for gate_stage in gate_stages:
            changes, report.rows_checked[gate_stage] = regate_stage(svc, gate_stage, scope, institution,
                                                                    dry_run=dry_run, run_id=run_id)
            report.rows += changes
    if stage in GATE_STAGES:
        return report
    report.amounts = _rerun_money(svc, classes, dry_run=dry_run, run_id=run_id)
    return report


def _rerun_money(svc: Services, classes: list[tuple[str, str]], *, dry_run: bool, run_id: str) -> list[Change]:
    claimed = _final_claims(svc)
    changes: list[Change] = []
    for uscc, class_id in classes:
        if (uscc, class_id) not in claimed:
            continue
        before = _trainee_amounts(svc, uscc, class_id)
        result = settle_class(svc, uscc, class_id, run_id, dry_run=dry_run)
        for idn in sorted(set(before) | set(result.per_trainee)):
            if before.get(idn, 0) != result.per_trainee.get(idn, 0):
                changes.append(Change(uscc, class_id, idn, None, before.get(idn, 0), result.per_trainee.get(idn, 0),
                                      tuple(sorted(result.exclusions.get(idn, ())))))
        for payee, kind, amount in result.entries:
            changes.append(Change(uscc, class_id, None, payee, 0, amount, entries=[(kind, amount)]))
    return changes


def _trainee_amounts(svc: Services, uscc: str, class_id: str) -> dict[str, int]:
    t = db.trainee_amounts
    with svc.engine.connect() as conn:
        rows = conn.execute(select(t.c.id_number, func.sum(t.c.amount_fen)).where(
            and_(t.c.uscc == uscc, t.c.class_id == class_id)).group_by(t.c.id_number)).all()
    return {idn: int(total) for idn, total in rows}


def _final_claims(svc: Services) -> set[tuple[str, str]]:
    c = db.claims
    with svc.engine.connect() as conn:
        return {tuple(r) for r in conn.execute(select(c.c.uscc, c.c.class_id).where(c.c.kind == "final"))}
