"""Use cases: pay a class's advance, settle a class differentially (spec/policy.md, "Arithmetic").

Each runs in one transaction under a per-class lock; the ledger's UNIQUE key is the second line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from infra import db
from infra.bootstrap import Services
from schemas.advance import decide, projected_fen
from schemas.eligibility import TraineeFacts, cap_exclusions, own_exclusions
from schemas.rules import RULES
from schemas.settlement import Line, dues, earned_by_payee, trainee_lines
from tasks import facts, ledger


@dataclass
class Settled:
    uscc: str
    class_id: str
    status: str  # settled | held | unknown
    earned: dict[str, int] = field(default_factory=dict)
    entries: list[tuple[str, str, int]] = field(default_factory=list)  # payee, kind, amount_fen
    per_trainee: dict[str, int] = field(default_factory=dict)  # id_number → amount earned (all payees)
    exclusions: dict[str, set[str]] = field(default_factory=dict)


def settle_class(svc: Services, uscc: str, class_id: str, run_id: str, *, dry_run: bool = False) -> Settled:
    """Compute what the class earned per payee now and write the difference to what was paid
    (a dry run computes the same and rolls everything back)."""
    with svc.engine.connect() as conn:
        tx = conn.begin()
        try:
            result = _settle(svc, conn, uscc, class_id, run_id)
        except BaseException:
            tx.rollback()
            raise
        if dry_run:
            tx.rollback()
        else:
            tx.commit()
        return result


def _settle(svc: Services, conn: Connection, uscc: str, class_id: str, run_id: str) -> Settled:
    now = svc.now()
    ledger.lock_class(conn, uscc, class_id)
    cls = facts.class_facts(conn, uscc, class_id)
    if cls is None:
        return Settled(uscc, class_id, "unknown")
    if facts.class_held(conn, uscc, class_id):
        _note(conn, "SET-HELD", uscc, class_id, None, {"reason": "class has an open hold"}, run_id, now)
        return Settled(uscc, class_id, "held")
    _resolve(conn, uscc, class_id, ("SET-HELD",), now)
    trainees = facts.trainee_facts(conn, cls)
    s = svc.policy.settings
    exclusive = svc.policy.work_as_training_excludes_pre_job
    own = {t.id_number: own_exclusions(cls, t, s.min_attendance_ratio, exclusive_rule=exclusive) for t in trainees}
    caps = _cap_codes(conn, trainees, s.min_attendance_ratio, s.annual_cap, uscc, class_id, own)
    codes = {t.id_number: (own[t.id_number] | ({caps[t.id_number]} if t.id_number in caps else set())) for t in trainees}
    _sync_exclusions(conn, uscc, class_id, codes, run_id, now)

    frozen = _frozen_lines(conn, uscc, class_id)
    lines: list[Line] = []
    for t in trainees:
        if t.held:  # nothing moves for a held trainee: what was computed before stays as it was
            lines += frozen.get(t.id_number, [])
        elif not codes[t.id_number]:
            lines += trainee_lines(svc.policy, cls, t)
    earned = earned_by_payee(lines)
    already = ledger.paid(conn, uscc, class_id)
    for payee in already:
        earned.setdefault(payee, 0)
    people = {line.payee for line in lines if line.payee_is_person} | ledger.person_payees(conn, uscc, class_id)
    _store_earned(conn, uscc, class_id, earned, people, lines, run_id, now)
    per_trainee: dict[str, int] = {t.id_number: 0 for t in trainees}
    for line in lines:
        per_trainee[line.id_number] = per_trainee.get(line.id_number, 0) + line.amount_fen
    result = Settled(uscc, class_id, "settled", earned, per_trainee=per_trainee, exclusions=codes)
    for payee, due in dues(earned, already).items():
        kind = "settlement" if due > 0 else "recovery"
        payee_kind = "person" if payee in people else "organisation"
        if ledger.write(conn, uscc, class_id, payee, kind, due, run_id, now, payee_kind=payee_kind):
            result.entries.append((payee, kind, due))
            if kind == "recovery":
                _note(conn, "SET-RECOVERY", uscc, class_id, None, {"payee": payee, "amount_fen": due}, run_id, now)
    return result


def _cap_codes(conn: Connection, trainees: list[TraineeFacts], min_ratio, annual_cap: int,  # noqa: ANN001
               uscc: str, class_id: str, own: dict[str, set[str]]) -> dict[str, str]:
    """ENR-REPEAT-LEVEL / ENR-ANNUAL-CAP for this class, from each person's classes anywhere."""
    by_person = facts.person_classes(conn, [t.id_number for t in trainees], min_ratio)
    out = {}
    for t in trainees:
        this_ok = not t.held and not own[t.id_number] and bool(t.passed)
        mine = [pc if (pc.uscc, pc.class_id) != (uscc, class_id) else replace(pc, otherwise_eligible=this_ok)
                for pc in by_person.get(t.id_number, [])]
        code = cap_exclusions(mine, annual_cap).get((uscc, class_id))
        if code:
            out[t.id_number] = code
    return out


def _sync_exclusions(conn: Connection, uscc: str, class_id: str, codes: dict[str, set[str]], run_id: str,
                     now: datetime) -> None:
    """Open an exclusion finding per new (code, trainee); resolve the ones whose condition is gone."""
    f = db.findings
    existing = conn.execute(select(f.c.id, f.c.rule_code, f.c.id_number, f.c.status).where(
        f.c.uscc == uscc, f.c.class_id == class_id, f.c.rule_code.in_(facts.SETTLEMENT_CODES))).all()
    active = {(r.rule_code, r.id_number) for r in existing if r.status in ("open", "confirmed", "dismissed")}
    wanted = {(c, idn) for idn, cs in codes.items() for c in cs if c in facts.SETTLEMENT_CODES}
    for r in existing:
        if r.status == "open" and (r.rule_code, r.id_number) not in wanted:
            conn.execute(update(f).where(f.c.id == r.id).values(status="resolved", resolved_at=now))
    for code, idn in sorted(wanted - active):
        conn.execute(insert(f).values(rule_code=code, stage="settlement", effect=RULES[code].effect.value, status="open",
                                      uscc=uscc, class_id=class_id, id_number=idn, evidence="{}", run_id=run_id,
                                      created_at=now))


def _frozen_lines(conn: Connection, uscc: str, class_id: str) -> dict[str, list[Line]]:
    out: dict[str, list[Line]] = {}
    ta = db.trainee_amounts
    for r in conn.execute(select(ta).where(ta.c.uscc == uscc, ta.c.class_id == class_id)).mappings():
        out.setdefault(r["id_number"], []).append(Line(r["id_number"], r["payee"], r["amount_fen"], r["what"], r["clause"]))
    return out


def _store_earned(conn: Connection, uscc: str, class_id: str, earned: dict[str, int], people: set[str],
                  lines: list[Line], run_id: str, now: datetime) -> None:
    conn.execute(delete(db.earned).where(db.earned.c.uscc == uscc, db.earned.c.class_id == class_id))
    conn.execute(delete(db.trainee_amounts).where(db.trainee_amounts.c.uscc == uscc, db.trainee_amounts.c.class_id == class_id))
    if earned:
        conn.execute(insert(db.earned), [{"uscc": uscc, "class_id": class_id, "payee": p, "earned_fen": v,
                                          "payee_kind": "person" if p in people else "organisation",
                                          "computed_at": now, "run_id": run_id} for p, v in earned.items()])
    merged: dict[tuple, Line] = {}
    for line in lines:
        k = (line.id_number, line.payee, line.what)
        merged[k] = Line(*k[:2], merged[k].amount_fen + line.amount_fen if k in merged else line.amount_fen, k[2],
                         line.clause)
    if merged:
        conn.execute(insert(db.trainee_amounts), [
            {"uscc": uscc, "class_id": class_id, "id_number": m.id_number, "payee": m.payee, "what": m.what,
             "amount_fen": m.amount_fen, "clause": m.clause, "computed_at": now} for m in merged.values()])


def _note(conn: Connection, code: str, uscc: str, class_id: str, id_number: str | None, evidence: dict, run_id: str,
          now: datetime) -> None:
    """A money-stage finding, once while it stands (warnings each time they happen)."""
    f = db.findings
    rule = RULES[code]
    status = "open" if rule.effect.value.startswith("hold") else "none"
    if status == "open" and conn.execute(select(func.count()).select_from(f).where(
            f.c.rule_code == code, f.c.uscc == uscc, f.c.class_id == class_id, f.c.status == "open")).scalar_one():
        return
    conn.execute(insert(f).values(rule_code=code, stage=rule.stage, effect=rule.effect.value, status=status, uscc=uscc,
                                  class_id=class_id, id_number=id_number,
                                  evidence=json.dumps(evidence, ensure_ascii=False), run_id=run_id, created_at=now))


def _resolve(conn: Connection, uscc: str, class_id: str, codes: tuple[str, ...], now: datetime) -> None:
    f = db.findings
    conn.execute(update(f).where(f.c.uscc == uscc, f.c.class_id == class_id, f.c.rule_code.in_(codes),
                                 f.c.status == "open").values(status="resolved", resolved_at=now))


def projection(svc: Services, conn: Connection, uscc: str, class_id: str) -> tuple[int, int]:
    """(projected institution subsidy, what the class has earned so far) for a claim's gate."""
    cls = facts.class_facts(conn, uscc, class_id)
    if cls is None:
        return 0, 0
    free = facts.trainee_facts(conn, cls, class_holds=False)  # read once: the class's holds only add `held`
    projected = projected_fen(svc.policy, cls, free)
    class_held = bool(facts.hold_sets(conn, cls)[0][None])
    trainees = [replace(t, held=True) for t in free] if class_held else free
    s = svc.policy.settings
    exclusive = svc.policy.work_as_training_excludes_pre_job
    lines = [line for t in trainees if not t.held and not own_exclusions(cls, t, s.min_attendance_ratio, exclusive_rule=exclusive)
             for line in trainee_lines(svc.policy, cls, t)]
    return projected, sum(line.amount_fen for line in lines)


def pay_advance(svc: Services, uscc: str, class_id: str, run_id: str) -> int:
    """Pay an accepted advance claim once the class has no open hold; 0 when nothing is due."""
    now = svc.now()
    c = db.claims
    with svc.engine.begin() as conn:
        ledger.lock_class(conn, uscc, class_id)
        claim = conn.execute(select(c).where(c.c.uscc == uscc, c.c.class_id == class_id, c.c.kind == "advance")).mappings().first()
        if claim is None:
            return 0
        cls = facts.class_facts(conn, uscc, class_id)
        already = conn.execute(select(func.count()).select_from(db.ledger).where(
            db.ledger.c.uscc == uscc, db.ledger.c.class_id == class_id, db.ledger.c.kind == "advance")).scalar_one() > 0
        held = bool(facts.class_held(conn, uscc, class_id))
        if cls is None or already:
            return 0
        d = decide(svc.policy, cls, claim["amount_fen"], claim["projected_fen"] or 0, already_advanced=False,
                   class_held=held)
        if d.rejected or held or d.approved_fen <= 0:  # an approved 0 writes nothing and is no advance
            if held:
                _note(conn, "ADV-HELD", uscc, class_id, None, {"reason": "class has an open hold"}, run_id, now)
            return 0
        if ledger.write(conn, uscc, class_id, uscc, "advance", d.approved_fen, run_id, now, seq=1):
            _resolve(conn, uscc, class_id, ("ADV-HELD",), now)
            return d.approved_fen
        return 0


def due_classes(svc: Services, as_of: date) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(classes with an advance claim not yet paid, classes with a final claim whose last session has passed)."""
    c, lg, s = db.claims, db.ledger, db.sessions
    with svc.engine.connect() as conn:
        advances = conn.execute(select(c.c.uscc, c.c.class_id).where(c.c.kind == "advance", ~select(lg.c.id).where(
            lg.c.uscc == c.c.uscc, lg.c.class_id == c.c.class_id, lg.c.kind == "advance").exists())
            .order_by(c.c.uscc, c.c.class_id)).all()
        last = select(s.c.uscc, s.c.class_id, func.max(s.c.session_date).label("last")).group_by(s.c.uscc, s.c.class_id).subquery()
        finals = conn.execute(select(c.c.uscc, c.c.class_id).select_from(
            c.join(last, and_(last.c.uscc == c.c.uscc, last.c.class_id == c.c.class_id)))
            .where(c.c.kind == "final", last.c.last < as_of).order_by(c.c.uscc, c.c.class_id)).all()
    return [tuple(r) for r in advances], [tuple(r) for r in finals]
