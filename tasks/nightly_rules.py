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
from schemas.rules import HOLD_EFFECTS, RULES, Effect, finding_status
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
            completed = {(u, c, i): bool(done) for u, c, i, done in conn.execute(text(Template(sql).substitute(values)))}
            found = set(completed)
            known = conn.execute(select(f.c.id, f.c.uscc, f.c.class_id, f.c.id_number, f.c.status, f.c.effect).where(
                f.c.rule_code == code)).all()
            live = {(r.uscc, r.class_id, r.id_number) for r in known if r.status in ("open", "confirmed", "dismissed", "none")}
            gone = [r.id for r in known if (r.status == "open" or (r.status == "none" and r.effect != rule.effect.value))
                    and (r.uscc, r.class_id, r.id_number) not in found]  # a counterpart's warning goes with it too
            if gone:
                conn.execute(update(f).where(f.c.id.in_(gone)).values(status="resolved", resolved_at=now))
            new = sorted(found - live, key=lambda e: tuple(x or "" for x in e))
            if new:
                conn.execute(insert(f), [{
                    "rule_code": code, "stage": rule.stage, "effect": _effect(rule.effect, completed[e]).value,
                    "status": finding_status(_effect(rule.effect, completed[e])), "uscc": e[0], "class_id": e[1],
                    "id_number": e[2], "evidence": json.dumps({"found_by": "nightly"}), "run_id": run_id,
                    "created_at": now} for e in new])
            out.opened[code], out.resolved[code], out.standing[code] = len(new), len(gone), len(found)
            changed |= set(new) | {(r.uscc, r.class_id, r.id_number) for r in known if r.id in set(gone)}
    standing.reanswer(svc, changed)  # the answers of the uploads whose rows these findings touch (issue 11.3)
    return out


def _effect(rule_effect: Effect, completed: bool) -> Effect:
    """spec/rules.md: the side whose upload completed the pattern is held, the other side is warned."""
    return rule_effect if completed or rule_effect not in HOLD_EFFECTS else Effect.WARN
