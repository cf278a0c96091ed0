"""Use case: an auditor confirms or dismisses a hold (spec/rules.md, hold_trainee / hold_class), or escalates
another institution's side of a cross-institution finding, recorded as a warning, to the rule's hold.

The decision is final: it is written once to the append-only `decisions` table, which the finding's
status follows (database triggers, infra/decisionguard.py), and to the audit log's hash chain (who,
when, why); no command changes it afterwards; a re-evaluation never overturns it either.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from infra import db
from infra.bootstrap import Services
from schemas.idcard import mask_id
from schemas.rules import HOLD_EFFECTS, RULES, Effect
from tasks import credit, special, standing
from tasks.facts import DERIVED_HOLDS

log = logging.getLogger(__name__)


class ReviewRefused(Exception):
    """The decision cannot be recorded; the message says why in one line."""


def review(svc: Services, finding_id: int, decision: str, reason: str, auditor: str, *, publish: bool = True) -> dict:
    """Record `confirm` or `dismiss` for an open hold, or `escalate` a counterpart warning; returns the finding.
    `publish=False` (no object store at hand) leaves a confirmation's special report to special.publish_missing."""
    if decision not in ("confirm", "dismiss", "escalate"):
        raise ReviewRefused("decision is confirm, dismiss or escalate")
    if not reason.strip() or not auditor.strip():
        raise ReviewRefused("a reason and the auditor's name are required")
    f = db.findings
    with svc.engine.begin() as conn:
        query = select(f).where(f.c.id == finding_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()  # two auditors at once: the second sees the first's decision
        row = conn.execute(query).mappings().first()
        if row is None:
            raise ReviewRefused(f"no finding {finding_id}")
        if decision == "escalate":
            out = _escalate(conn, svc, row, reason.strip(), auditor.strip())
        else:
            out = _decide(conn, svc, row, decision, reason.strip(), auditor.strip())
    # a hold released or escalated changes the row; the institution's answer says so (issue 11.3)
    standing.reanswer(svc, [(row["uscc"], row["class_id"], row["id_number"])])
    if publish and out.get("status") == "confirmed":  # 重大情况专报 at once (issue 12.4), after the decision is committed
        try:
            special.publish_fraud(svc, finding_id, out.get("rating_change"))
        except Exception:  # the decision stands; the nightly run publishes what is missing (special.publish_missing)
            log.exception("special report of finding %s not published now; the nightly run will", finding_id)
    return out


def _decide(conn: Connection, svc: Services, row: Any, decision: str, reason: str, auditor: str) -> dict:
    """Confirm or dismiss an open hold: an append-only decision (the finding's status follows it) and its audit entry."""
    finding_id = row["id"]
    if Effect(row["effect"]) not in HOLD_EFFECTS:
        raise ReviewRefused(f"finding {finding_id} ({row['rule_code']}, {row['effect']}) holds nothing to decide")
    if row["status"] != "open":
        raise ReviewRefused(f"finding {finding_id} is already {row['status']}: decisions are final")
    if row["rule_code"] in DERIVED_HOLDS:  # a payment waiting on something else: confirming it is no fraud finding
        raise ReviewRefused(f"finding {finding_id} ({row['rule_code']}) is a payment waiting on its cause (the class's "
                            "other holds, or the institution's credit rating): it lifts itself when that is decided")
    status = "confirmed" if decision == "confirm" else "dismissed"
    conn.execute(insert(db.decisions).values(finding_id=finding_id, decision=decision, auditor=auditor,
                                             reason=reason, at=svc.now()))
    conn.execute(insert(db.audit_log).values(
        at=svc.now(), actor=auditor, action=f"review.{decision}", subject=f"finding:{finding_id}",
        detail=json.dumps({"reason": reason, "rule_code": row["rule_code"], "uscc": row["uscc"],
                           "class_id": row["class_id"], "id_number": mask_id(row["id_number"]),
                           "status": status}, ensure_ascii=False)))
    # issue 12.6: between publications only a confirmed fraud changes a rating, and at once
    change = credit.after_confirmed_fraud(conn, svc, row, auditor) if status == "confirmed" else None
    return dict(row) | {"status": status, "rating_change": change and {"previous": change.previous,
                                                                     "rating": change.rating}}


def _escalate(conn: Connection, svc: Services, row: Any, reason: str, auditor: str) -> dict:
    """spec/rules.md: another institution's rows of a cross-institution pattern are a warning an auditor may
    escalate to the rule's hold; from then on it is an open hold like any other, decided by confirm or dismiss."""
    finding_id, hold = row["id"], RULES[row["rule_code"]].effect
    if hold not in HOLD_EFFECTS or row["effect"] != Effect.WARN.value or row["status"] != "none":
        raise ReviewRefused(f"finding {finding_id} ({row['rule_code']}, {row['effect']}, {row['status']}) is not a "
                            "warning of a rule that holds: nothing to escalate")
    conn.execute(update(db.findings).where(db.findings.c.id == finding_id, db.findings.c.status == "none")
                 .values(effect=hold.value, status="open"))
    conn.execute(insert(db.audit_log).values(
        at=svc.now(), actor=auditor, action="review.escalate", subject=f"finding:{finding_id}",
        detail=json.dumps({"reason": reason, "rule_code": row["rule_code"], "uscc": row["uscc"],
                           "class_id": row["class_id"], "id_number": mask_id(row["id_number"]),
                           "effect": hold.value, "status": "open"}, ensure_ascii=False)))
    return dict(row) | {"effect": hold.value, "status": "open"}
