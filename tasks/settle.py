"""Use cases: pay a class's advance, settle a class differentially (spec/policy.md, "Arithmetic").

Each runs in one transaction under a per-class lock; the ledger's UNIQUE key is the second line.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from infra import db
from infra.bootstrap import Services
from schemas.advance import decide, projected_fen
from schemas.eligibility import PersonClass, TraineeFacts, cap_exclusions, own_exclusions
from schemas.rules import RULES
from schemas.settlement import Line, dues, earned_by_payee, trainee_lines
from tasks import credit, facts, ledger, special
from tasks.facts import Key


@dataclass
class Settled:
    uscc: str
    class_id: str
    status: str  # settled | held | unknown
    earned: dict[str, int] = field(default_factory=dict)
    entries: list[tuple[str, str, int]] = field(default_factory=list)  # payee, kind, amount_fen
    per_trainee: dict[str, int] = field(default_factory=dict)  # id_number → amount earned (all payees)
    exclusions: dict[str, set[str]] = field(default_factory=dict)


log = logging.getLogger(__name__)

def settle_class(svc: Services, uscc: str, class_id: str, run_id: str, *, dry_run: bool = False,
                 booked_on: date | None = None) -> Settled:
    """Compute what the class earned per payee now and write the difference to what was paid
    (a dry run computes the same and rolls everything back)."""
    return settle_classes(svc, [(uscc, class_id)], run_id, dry_run=dry_run, booked_on=booked_on)[0]


def settle_classes(svc: Services, keys: list[Key], run_id: str, *, dry_run: bool = False,
                   booked_on: date | None = None) -> list[Settled]:
    """settle_class for many classes in one transaction: the facts of all of them read with a few set
    queries, the pure engine run in memory class by class, every write batched. Entries are booked on
    `booked_on` (the run's as-of date; by default today in Asia/Shanghai)."""
    with svc.engine.connect() as conn:
        tx = conn.begin()
        try:
            result = _settle(svc, conn, keys, run_id, booked_on or svc.now().date())
        except BaseException:
            tx.rollback()
            raise
        if dry_run:
            tx.rollback()
        else:
            tx.commit()
    if not dry_run:  # 重大情况专报 of a big recovery order, at once (issue 12.4)
        try:
            special.publish_recoveries(svc, [(s.uscc, s.class_id) for s in result
                                             if any(kind == "recovery" for _, kind, _ in s.entries)])
        except Exception:  # the money is booked; the nightly run publishes what is missing (special.publish_missing)
            log.exception("special reports of recoveries not published now; the nightly run will")
    return result


def _settle(svc: Services, conn: Connection, keys: list[Key], run_id: str, booked_on: date) -> list[Settled]:
    now = svc.now()
    ledger.lock_classes(conn, keys)
    found = facts.classes_facts(conn, keys)
    held = facts.held_classes(conn, list(found))
    _notes(conn, "SET-HELD", [(*k, None, {"reason": "class has an open hold"}) for k in found if k in held], run_id, now)
    free = [k for k in found if k not in held]
    _resolve(conn, free, ("SET-HELD",), now)
    trainees_of = facts.classes_trainee_facts(conn, [found[k] for k in free])
    s = svc.policy.settings
    exclusive = svc.policy.work_as_training_excludes_pre_job
    ids = sorted({t.id_number for ts in trainees_of.values() for t in ts})
    by_person = facts.person_classes(conn, ids, s.min_attendance_ratio, blocked=())  # `blocked` applied per class below
    # what is read of `blocked` below: these people's classes (the cap and repeat rules) and the classes settled
    blocked = facts.blocking(conn, [*free, *{(pc.uscc, pc.class_id) for pcs in by_person.values() for pc in pcs}])
    existing = _settlement_findings(conn, free)
    frozen = _frozen_lines(conn, free)
    already_fund_of = ledger.paid_by_class_fund(conn, free)
    people_of = ledger.person_payees_by_class(conn, free)
    stored, entries, out = [], [], {}
    for key in free:
        cls, trainees = found[key], trainees_of[key]
        own = {t.id_number: own_exclusions(cls, t, s.min_attendance_ratio, exclusive_rule=exclusive) for t in trainees}
        caps = _cap_codes(trainees, by_person, blocked, s.annual_cap, key, own)
        codes = {t.id_number: (own[t.id_number] | ({caps[t.id_number]} if t.id_number in caps else set()))
                 for t in trainees}
        _sync_exclusions(conn, key, codes, existing.get(key, []), blocked, run_id, now)
        lines: list[Line] = []
        for t in trainees:
            if t.held:  # nothing moves for a held trainee: what was computed before stays as it was
                lines += frozen.get((*key, t.id_number), [])
            elif not codes[t.id_number]:
                lines += trainee_lines(svc.policy, cls, t)
        earned = earned_by_payee(lines)
        already_f = already_fund_of.get(key, {})
        already: dict[str, int] = {}
        for (payee, _), v in already_f.items():
            already[payee] = already.get(payee, 0) + v
        for payee in already:
            earned.setdefault(payee, 0)
        people = {line.payee for line in lines if line.payee_is_person} | people_of.get(key, set())
        stored.append((key, earned, people, lines))
        per_trainee: dict[str, int] = {t.id_number: 0 for t in trainees}
        for line in lines:
            per_trainee[line.id_number] = per_trainee.get(line.id_number, 0) + line.amount_fen
        out[key] = Settled(*key, "settled", earned, per_trainee=per_trainee, exclusions=codes)
        # differential per payee and fund: a payee paid from two accounts is settled on each (issue 12)
        earned_f: dict[tuple[str, str], int] = {}
        for line in lines:
            pf = (line.payee, svc.policy.fund_for(cls.training_type, line.what))
            earned_f[pf] = earned_f.get(pf, 0) + line.amount_fen
        for (payee, fund), due in dues(earned_f, already_f).items():
            entries.append((key, payee, "settlement" if due > 0 else "recovery", due,
                            "person" if payee in people else "organisation", fund))
    _store_earned(conn, stored, run_id, now)
    written = ledger.write_many(conn, [(*k, payee, kind, due, pk, fund) for k, payee, kind, due, pk, fund in entries],
                                run_id, now, booked_on=booked_on)
    for (key, payee, kind, due, *_), ok in zip(entries, written, strict=True):
        if ok:
            out[key].entries.append((payee, kind, due))
    _notes(conn, "SET-RECOVERY", [(*key, None, {"payee": payee, "amount_fen": due})
                                  for (key, payee, kind, due, *_), ok in zip(entries, written, strict=True)
                                  if ok and kind == "recovery"], run_id, now)
    return [out.get(k) or Settled(*k, "held" if k in held else "unknown") for k in keys]


def _cap_codes(trainees: list[TraineeFacts], by_person: dict[str, list[PersonClass]], blocked: Counter,
               annual_cap: int, key: Key, own: dict[str, set[str]]) -> dict[str, str]:
    """ENR-REPEAT-LEVEL / ENR-ANNUAL-CAP for this class, from each person's classes anywhere."""
    out = {}
    for t in trainees:
        this_ok = not t.held and not own[t.id_number] and bool(t.passed)
        mine = [replace(pc, otherwise_eligible=this_ok) if (pc.uscc, pc.class_id) == key else
                replace(pc, otherwise_eligible=pc.otherwise_eligible and not facts.is_blocked(
                    blocked, pc.uscc, pc.class_id, t.id_number)) for pc in by_person.get(t.id_number, [])]
        code = cap_exclusions(mine, annual_cap).get(key)
        if code:
            out[t.id_number] = code
    return out


def _settlement_findings(conn: Connection, keys: list[Key]) -> dict[Key, list]:
    f = db.findings
    out: dict[Key, list] = {}
    if keys:
        for r in conn.execute(select(f.c.id, f.c.uscc, f.c.class_id, f.c.rule_code, f.c.id_number, f.c.status, f.c.effect)
                              .where(facts.of(f, keys), f.c.rule_code.in_(facts.SETTLEMENT_CODES))):
            out.setdefault((r.uscc, r.class_id), []).append(r)
    return out


def _sync_exclusions(conn: Connection, key: Key, codes: dict[str, set[str]], existing: list, blocked: Counter,
                     run_id: str, now: datetime) -> None:
    """Open an exclusion finding per new (code, trainee); resolve the ones whose condition is gone. `blocked`
    follows, so the next class's cap and repeat rules see this class as the stored findings will."""
    f = db.findings
    active = {(r.rule_code, r.id_number) for r in existing if r.status in ("open", "confirmed", "dismissed")}
    wanted = {(c, idn) for idn, cs in codes.items() for c in cs if c in facts.SETTLEMENT_CODES}
    gone = [r for r in existing if r.status == "open" and (r.rule_code, r.id_number) not in wanted]
    if gone:
        conn.execute(update(f).where(f.c.id.in_([r.id for r in gone])).values(status="resolved", resolved_at=now))
    new = sorted(wanted - active)
    if new:
        conn.execute(insert(f), [{"rule_code": code, "stage": "settlement", "effect": RULES[code].effect.value,
                                  "status": "open", "uscc": key[0], "class_id": key[1], "id_number": idn,
                                  "evidence": "{}", "run_id": run_id, "created_at": now} for code, idn in new])
    for code, idn, step in [(r.rule_code, r.id_number, -1) for r in gone] + [(c, i, 1) for c, i in new]:
        effect = RULES[code].effect.value
        if effect in facts.BLOCKING_EFFECTS and code not in facts.NOT_BLOCKING:
            blocked[(*key, idn)] += step
            if blocked[(*key, idn)] <= 0:
                del blocked[(*key, idn)]


def _frozen_lines(conn: Connection, keys: list[Key]) -> dict[tuple[str, str, str], list[Line]]:
    out: dict[tuple[str, str, str], list[Line]] = {}
    ta = db.trainee_amounts
    if keys:
        for r in conn.execute(select(ta).where(facts.of(ta, keys))).mappings():
            out.setdefault((r["uscc"], r["class_id"], r["id_number"]), []).append(
                Line(r["id_number"], r["payee"], r["amount_fen"], r["what"], r["clause"]))
    return out


def _store_earned(conn: Connection, stored: list[tuple[Key, dict[str, int], set[str], list[Line]]], run_id: str,
                  now: datetime) -> None:
    keys = [k for k, *_ in stored]
    if not keys:
        return
    conn.execute(delete(db.earned).where(facts.of(db.earned, keys)))
    conn.execute(delete(db.trainee_amounts).where(facts.of(db.trainee_amounts, keys)))
    earned_rows, amount_rows = [], []
    for (uscc, class_id), earned, people, lines in stored:
        earned_rows += [{"uscc": uscc, "class_id": class_id, "payee": p, "earned_fen": v,
                         "payee_kind": "person" if p in people else "organisation",
                         "computed_at": now, "run_id": run_id} for p, v in earned.items()]
        merged: dict[tuple, Line] = {}
        for line in lines:
            k = (line.id_number, line.payee, line.what)
            merged[k] = Line(*k[:2], merged[k].amount_fen + line.amount_fen if k in merged else line.amount_fen, k[2],
                             line.clause)
        amount_rows += [{"uscc": uscc, "class_id": class_id, "id_number": m.id_number, "payee": m.payee, "what": m.what,
                         "amount_fen": m.amount_fen, "clause": m.clause, "computed_at": now} for m in merged.values()]
    if earned_rows:
        conn.execute(insert(db.earned), earned_rows)
    if amount_rows:
        conn.execute(insert(db.trainee_amounts), amount_rows)


def _notes(conn: Connection, code: str, items: list[tuple[str, str, str | None, dict]], run_id: str,
           now: datetime) -> None:
    """Money-stage findings (uscc, class_id, id_number, evidence), once per class while one stands open
    (warnings each time they happen)."""
    if not items:
        return
    f = db.findings
    rule = RULES[code]
    status = "open" if rule.effect.value.startswith("hold") else "none"
    if status == "open":
        standing = set(conn.execute(select(f.c.uscc, f.c.class_id).where(
            f.c.rule_code == code, f.c.status == "open", facts.of(f, [(u, c) for u, c, *_ in items]))).all())
        items = [i for i in items if (i[0], i[1]) not in standing]
    if items:
        conn.execute(insert(f), [{"rule_code": code, "stage": rule.stage, "effect": rule.effect.value, "status": status,
                                  "uscc": u, "class_id": c, "id_number": idn,
                                  "evidence": json.dumps(evidence, ensure_ascii=False), "run_id": run_id,
                                  "created_at": now} for u, c, idn, evidence in items])


def _resolve(conn: Connection, keys: list[Key], codes: tuple[str, ...], now: datetime) -> None:
    f = db.findings
    if keys:
        conn.execute(update(f).where(facts.of(f, keys), f.c.rule_code.in_(codes),
                                     f.c.status == "open").values(status="resolved", resolved_at=now))


def projection(svc: Services, conn: Connection, uscc: str, class_id: str) -> tuple[int, int]:
    """(projected institution subsidy, what the class has earned so far) for a claim's gate."""
    return projections(svc, conn, [(uscc, class_id)]).get((uscc, class_id), (0, 0))


def projections(svc: Services, conn: Connection, keys: list[Key]) -> dict[Key, tuple[int, int]]:
    """projection() of many classes with the same few queries; unknown classes are left out."""
    found = facts.classes_facts(conn, keys)
    free_of = facts.classes_trainee_facts(conn, list(found.values()), class_holds=False)  # the class's holds only add `held`
    holds_of = facts.classes_hold_sets(conn, list(found))
    s = svc.policy.settings
    exclusive = svc.policy.work_as_training_excludes_pre_job
    out = {}
    for key, cls in found.items():
        free = free_of[key]
        projected = projected_fen(svc.policy, cls, free)
        trainees = [replace(t, held=True) for t in free] if holds_of[key][0][None] else free
        lines = [line for t in trainees
                 if not t.held and not own_exclusions(cls, t, s.min_attendance_ratio, exclusive_rule=exclusive)
                 for line in trainee_lines(svc.policy, cls, t)]
        out[key] = (projected, sum(line.amount_fen for line in lines))
    return out


def pay_advance(svc: Services, uscc: str, class_id: str, run_id: str, *, booked_on: date | None = None) -> int:
    """Pay an accepted advance claim once the class has no open hold; 0 when nothing is due."""
    return pay_advances(svc, [(uscc, class_id)], run_id, booked_on=booked_on).get((uscc, class_id), 0)


def pay_advances(svc: Services, keys: list[Key], run_id: str, *, booked_on: date | None = None) -> dict[Key, int]:
    """pay_advance for many classes in one transaction; returns the classes paid now with their amount.
    Booked on `booked_on` (the run's as-of date; by default the day it is processed, Asia/Shanghai), from
    the fund of the class's amount row."""
    now = svc.now()
    booked_on = booked_on or now.date()
    c, lg = db.claims, db.ledger
    with svc.engine.begin() as conn:
        ledger.lock_classes(conn, keys)
        if not keys:
            return {}
        claims = {(r["uscc"], r["class_id"]): r for r in conn.execute(
            select(c).where(facts.of(c, keys), c.c.kind == "advance")).mappings()}
        found = facts.classes_facts(conn, list(claims))
        already = set(conn.execute(select(lg.c.uscc, lg.c.class_id).where(
            facts.of(lg, list(claims)), lg.c.kind == "advance").distinct()).all())
        held = facts.held_classes(conn, list(claims))
        # 信用支付 (issue 12.6): only the policy's ratings receive an advance; a blacklisted institution none
        ratings, allowed = credit.current_ratings(conn), svc.policy.credit.advance_ratings
        barred = credit.blacklisted(conn, ratings)
        waiting, no_credit, due = [], [], []
        for key, claim in claims.items():
            if key not in found or key in already:
                continue
            d = decide(svc.policy, found[key], claim["amount_fen"], claim["projected_fen"] or 0, already_advanced=False,
                       class_held=key in held)
            if key in held:
                waiting.append((*key, None, {"reason": "class has an open hold"}))
            elif key[0] in barred or ratings.get(key[0]) not in allowed:
                no_credit.append((*key, None, {"rating": ratings.get(key[0]), "blacklisted": key[0] in barred,
                                               "advance_ratings": list(allowed)}))
            elif not d.rejected and d.approved_fen > 0:  # an approved 0 writes nothing and is no advance
                due.append((key, d.approved_fen))
        _notes(conn, "ADV-HELD", waiting, run_id, now)
        _notes(conn, "ADV-CREDIT", no_credit, run_id, now)
        written = ledger.write_many(conn, [(*k, k[0], "advance", fen, "organisation",
                                            svc.policy.fund_for(found[k].training_type)) for k, fen in due],
                                    run_id, now, booked_on=booked_on, seq=1)
        paid = {k: fen for (k, fen), ok in zip(due, written, strict=True) if ok}
        _resolve(conn, list(paid), ("ADV-HELD", "ADV-CREDIT"), now)
        return paid


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


def finals_due(conn: Connection, keys: list[Key], as_of: date) -> set[Key]:
    """Of these classes (each with a final claim), the ones due_classes names as final: their last session
    has passed. A few classes' sessions instead of every class's (tasks/money.after_claims, per claim upload)."""
    s = db.sessions
    return {(uscc, class_id) for uscc, class_id in conn.execute(
        select(s.c.uscc, s.c.class_id).where(facts.of(s, keys)).group_by(s.c.uscc, s.c.class_id)
        .having(func.max(s.c.session_date) < as_of))}
