"""Use case: re-evaluate the cross-institution rules over everything stored (the nightly run)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from string import Template

from sqlalchemy import insert, select, text, update

from expectations.nightly import NIGHTLY_RULES
from infra import db
from infra.bootstrap import Services
from infra.database import lock_findings
from schemas.rules import RULES, finding_status
from tasks import standing


@dataclass
class Reevaluation:
    opened: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)
    standing: dict[str, int] = field(default_factory=dict)


def reevaluate(svc: Services, run_id: str) -> Reevaluation:
    """Open findings for entities a rule now stands on, resolve open ones it no longer does — in one transaction."""
    out = Reevaluation()
    now = svc.now()
    f = db.findings
    values = {"shared_phone_min_people": svc.policy.settings.shared_phone_min_people}
    changed: set[tuple] = set()
    with svc.engine.begin() as conn:
        lock_findings(conn)  # two nightly runs at once would both open the same new findings
        for code, sql in NIGHTLY_RULES.items():
            rule = RULES[code]
            found = {tuple(r) for r in conn.execute(text(Template(sql).substitute(values)))}
            known = conn.execute(select(f.c.id, f.c.uscc, f.c.class_id, f.c.id_number, f.c.status).where(
                f.c.rule_code == code)).all()
            live = {(r.uscc, r.class_id, r.id_number) for r in known if r.status in ("open", "confirmed", "dismissed", "none")}
            gone = [r.id for r in known if r.status == "open" and (r.uscc, r.class_id, r.id_number) not in found]
            if gone:
                conn.execute(update(f).where(f.c.id.in_(gone)).values(status="resolved", resolved_at=now))
            new = sorted(found - live, key=lambda e: tuple(x or "" for x in e))
            if new:
                conn.execute(insert(f), [{
                    "rule_code": code, "stage": rule.stage, "effect": rule.effect.value,
                    "status": finding_status(rule.effect), "uscc": u, "class_id": c, "id_number": i,
                    "evidence": json.dumps({"found_by": "nightly"}), "run_id": run_id, "created_at": now}
                    for u, c, i in new])
            out.opened[code], out.resolved[code], out.standing[code] = len(new), len(gone), len(found)
            changed |= set(new) | {(r.uscc, r.class_id, r.id_number) for r in known if r.id in set(gone)}
    standing.reanswer(svc, changed)  # the answers of the uploads whose rows these findings touch (issue 11.3)
    return out
