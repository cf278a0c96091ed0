"""Use case: an auditor confirms or dismisses a hold (spec/rules.md, hold_trainee / hold_class).

The decision is final: it is written once to the append-only audit log (who, when, why)
and no command changes it afterwards; a re-evaluation never overturns it either.
"""

from __future__ import annotations

import json

from sqlalchemy import insert, select, update

from infra import db
from infra.bootstrap import Services
from schemas.idcard import mask_id
from schemas.rules import HOLD_EFFECTS, Effect
from tasks import standing


class ReviewRefused(Exception):
    """The decision cannot be recorded; the message says why in one line."""


def review(svc: Services, finding_id: int, decision: str, reason: str, auditor: str) -> dict:
    """Record `confirm` or `dismiss` for an open hold; returns the decided finding."""
    if decision not in ("confirm", "dismiss"):
        raise ReviewRefused("decision is confirm or dismiss")
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
        if Effect(row["effect"]) not in HOLD_EFFECTS:
            raise ReviewRefused(f"finding {finding_id} ({row['rule_code']}, {row['effect']}) holds nothing to decide")
        if row["status"] != "open":
            raise ReviewRefused(f"finding {finding_id} is already {row['status']}: decisions are final")
        status = "confirmed" if decision == "confirm" else "dismissed"
        conn.execute(update(f).where(f.c.id == finding_id, f.c.status == "open").values(status=status))
        conn.execute(insert(db.audit_log).values(
            at=svc.now(), actor=auditor.strip(), action=f"review.{decision}", subject=f"finding:{finding_id}",
            detail=json.dumps({"reason": reason.strip(), "rule_code": row["rule_code"], "uscc": row["uscc"],
                               "class_id": row["class_id"], "id_number": mask_id(row["id_number"]),
                               "status": status}, ensure_ascii=False)))
    # a dismissed hold releases the row; the institution's answer says so (issue 11.3)
    standing.reanswer(svc, [(row["uscc"], row["class_id"], row["id_number"])])
    return dict(row) | {"status": status}
