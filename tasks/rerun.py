"""Use case: re-run settlement for a selection of classes and report what changed.

Re-running can never pay twice: it goes through the same differential settlement and ledger keys.
The gate stages (filing … certificate) are re-evaluated by re-processing their uploads; re-running
their rules over stored rows is not part of this use case yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, insert, select

from infra import db
from infra.bootstrap import Services
from tasks.settle import settle_class

MONEY_STAGES = ("all", "advance", "settlement")


class RerunRefused(ValueError):
    """The request cannot run; the message says why in one line."""


@dataclass
class Change:
    uscc: str
    class_id: str
    payee: str
    earned_before_fen: int
    earned_after_fen: int
    entries: list[tuple[str, int]] = field(default_factory=list)  # kind, amount_fen written (or that would be)


def select_classes(svc: Services, class_ref: str | None, institution: str | None, date_from: str | None,
                   date_to: str | None) -> list[tuple[str, str]]:
    c = db.classes
    q = select(c.c.uscc, c.c.class_id)
    if class_ref:
        uscc, _, class_id = class_ref.partition("/")
        if not class_id:
            raise RerunRefused("--class takes USCC/CLASS_ID")
        q = q.where(c.c.uscc == uscc, c.c.class_id == class_id)
    if institution:
        q = q.where(c.c.uscc == institution)
    if date_from:
        q = q.where(c.c.end_date >= date.fromisoformat(date_from))
    if date_to:
        q = q.where(c.c.start_date <= date.fromisoformat(date_to))
    with svc.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q.order_by(c.c.uscc, c.c.class_id))]


def rerun(svc: Services, stage: str, class_ref: str | None, institution: str | None, date_from: str | None,
          date_to: str | None, *, dry_run: bool, auditor: str, reason: str, run_id: str) -> list[Change]:
    if stage not in MONEY_STAGES:
        raise RerunRefused(f"re-running {stage!r} over stored rows is not supported; re-upload the file, or use "
                           f"one of {', '.join(MONEY_STAGES)}")
    if not auditor.strip() or not reason.strip():
        raise RerunRefused("a re-run records the auditor and the reason: both are required")
    if not (class_ref or institution or date_from or date_to):
        raise RerunRefused("name a class, an institution or a date range")
    classes = select_classes(svc, class_ref, institution, date_from, date_to)
    with svc.engine.begin() as conn:  # recorded first: a dry run leaves only this behind
        conn.execute(insert(db.audit_log).values(
            at=svc.now(), actor=auditor.strip(), action="rerun.dry_run" if dry_run else "rerun", subject=stage,
            detail=json.dumps({"reason": reason, "class": class_ref, "institution": institution, "from": date_from,
                               "to": date_to, "classes": len(classes), "run_id": run_id}, ensure_ascii=False)))
    claimed = _final_claims(svc)
    changes: list[Change] = []
    for uscc, class_id in classes:
        if (uscc, class_id) not in claimed:
            continue
        before = _earned(svc, uscc, class_id)
        result = settle_class(svc, uscc, class_id, run_id, dry_run=dry_run)
        for payee in sorted(set(before) | set(result.earned)):
            written = [(k, a) for p, k, a in result.entries if p == payee]
            if before.get(payee, 0) != result.earned.get(payee, 0) or written:
                changes.append(Change(uscc, class_id, payee, before.get(payee, 0), result.earned.get(payee, 0), written))
    return changes


def _earned(svc: Services, uscc: str, class_id: str) -> dict[str, int]:
    e = db.earned
    with svc.engine.connect() as conn:
        return dict(conn.execute(select(e.c.payee, e.c.earned_fen).where(and_(e.c.uscc == uscc, e.c.class_id == class_id))).all())


def _final_claims(svc: Services) -> set[tuple[str, str]]:
    c = db.claims
    with svc.engine.connect() as conn:
        return {tuple(r) for r in conn.execute(select(c.c.uscc, c.c.class_id).where(c.c.kind == "final"))}
