"""Reads the facts the pure money engine needs for one class, in a handful of set queries."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from infra import db
from schemas.eligibility import Certificate, ClassFacts, PersonClass, TraineeFacts, attendance_ok

# Holds decided by the money stages themselves: they say "waiting", they do not hold anything new.
DERIVED_HOLDS = ("ADV-HELD", "SET-HELD")
# Exclusions recomputed at every settlement from the facts (stale ones are resolved, never carried over).
SETTLEMENT_CODES = ("ATT-LOW", "ENR-NOT-INSURED", "ENR-EXCLUSIVE", "ENR-ANNUAL-CAP", "ENR-REPEAT-LEVEL")


def class_facts(conn: Connection, uscc: str, class_id: str) -> ClassFacts | None:
    c, i, o, s = db.classes, db.institutions, db.occupations, db.subsidy_catalog
    row = conn.execute(
        select(c, i.c.kind.label("institution_kind"), o.c.shortage, s.c.amount_fen.label("catalog_fen"))
        .select_from(c.outerjoin(i, i.c.uscc == c.c.uscc).outerjoin(o, o.c.occupation_code == c.c.occupation_code)
                     .outerjoin(s, and_(s.c.occupation_code == c.c.occupation_code, s.c.level == c.c.level,
                                        s.c.training_type == c.c.training_type)))
        .where(c.c.uscc == uscc, c.c.class_id == class_id)).mappings().first()
    if row is None:
        return None
    return ClassFacts(uscc, class_id, row["training_type"], row["level"], row["occupation_code"], bool(row["project_based"]),
                      row["start_date"], row["end_date"], row["institution_kind"] or "unknown", bool(row["shortage"]),
                      row["catalog_fen"])


def class_held(conn: Connection, uscc: str, class_id: str) -> list[str]:
    """Open hold_class findings (the money stages' own waiting notes aside)."""
    f = db.findings
    return list(conn.execute(select(f.c.rule_code).where(
        f.c.uscc == uscc, f.c.class_id == class_id, f.c.effect == "hold_class", f.c.status == "open",
        f.c.rule_code.not_in(DERIVED_HOLDS))).scalars())


def hold_sets(conn: Connection, cls: ClassFacts) -> tuple[dict[str | None, set[str]], dict[str | None, set[str]]]:
    """(open holds, exclusions) of a class by trainee; key None holds the class-level ones."""
    f = db.findings
    holds: dict[str | None, set[str]] = defaultdict(set)
    excluded: dict[str | None, set[str]] = defaultdict(set)
    for r in conn.execute(select(f.c.rule_code, f.c.effect, f.c.status, f.c.id_number).where(
            f.c.uscc == cls.uscc, f.c.class_id == cls.class_id, f.c.status.in_(("open", "confirmed")))):
        if r.effect in ("hold_trainee", "hold_class") and r.status == "open" and r.rule_code not in DERIVED_HOLDS:
            holds[r.id_number].add(r.rule_code)
        elif r.effect in ("hold_trainee", "hold_class") and r.status == "confirmed":
            excluded[r.id_number].add(r.rule_code)  # a confirmed fraud hold stays excluded
        elif r.effect == "exclude" and r.rule_code not in SETTLEMENT_CODES:
            excluded[r.id_number].add(r.rule_code)
    return holds, excluded


def trainee_facts(conn: Connection, cls: ClassFacts, *, class_holds: bool = True) -> list[TraineeFacts]:
    """Facts per enrolled trainee; `held` includes the class's own holds unless class_holds is False
    (an advance's projection: a held class waits with ADV-HELD, its trainees still count)."""
    e, h, a = db.enrolments, db.attendance_hours, db.assessments
    people = conn.execute(
        select(e, h.c.attended_minutes, h.c.scheduled_minutes, h.c.attendance_days, a.c.passed, a.c.assessor_uscc)
        .select_from(e.outerjoin(h, and_(h.c.uscc == e.c.uscc, h.c.class_id == e.c.class_id, h.c.id_number == e.c.id_number))
                     .outerjoin(a, and_(a.c.uscc == e.c.uscc, a.c.class_id == e.c.class_id, a.c.id_number == e.c.id_number)))
        .where(e.c.uscc == cls.uscc, e.c.class_id == cls.class_id).order_by(e.c.id_number)).mappings().all()
    ids = select(e.c.id_number).where(e.c.uscc == cls.uscc, e.c.class_id == cls.class_id).scalar_subquery()
    certs: dict[str, list[Certificate]] = defaultdict(list)
    for r in conn.execute(select(db.certificates).where(db.certificates.c.uscc == cls.uscc,
                                                        db.certificates.c.class_id == cls.class_id)).mappings():
        certs[r["id_number"]].append(Certificate(r["certificate_type"], r["level"], r["issued_on"]))
    low: dict[str, set[str]] = defaultdict(set)
    for idn, kind in conn.execute(select(db.low_income.c.id_number, db.low_income.c.kind).where(db.low_income.c.id_number.in_(ids))):
        low[idn].add(kind)
    insured: dict[str, set[str]] = defaultdict(set)
    for idn, emp in conn.execute(select(db.insured.c.id_number, db.insured.c.employer_uscc).where(db.insured.c.id_number.in_(ids))):
        insured[idn].add(emp)
    difficult = set(conn.execute(select(db.institutions.c.uscc).where(db.institutions.c.difficult.is_(True))).scalars())
    self_eval = set(conn.execute(select(db.institutions.c.uscc).where(db.institutions.c.self_evaluation.is_(True))).scalars())
    pre_job = set(conn.execute(
        select(e.c.id_number, e.c.employer_uscc).select_from(e.join(db.classes, and_(
            db.classes.c.uscc == e.c.uscc, db.classes.c.class_id == e.c.class_id)))
        .where(db.classes.c.training_type == "pre_job", e.c.id_number.in_(ids))).all())
    holds, excluded = hold_sets(conn, cls)
    out = []
    for p in people:
        idn = p["id_number"]
        out.append(TraineeFacts(
            id_number=idn, category=p["category"], payer=p["payer"], employer_uscc=p["employer_uscc"],
            employer_difficult=p["employer_uscc"] in difficult, low_income_kinds=frozenset(low[idn]),
            insured_employers=frozenset(insured[idn]), attended_minutes=p["attended_minutes"] or 0,
            scheduled_minutes=p["scheduled_minutes"] or 0, attendance_days=p["attendance_days"] or 0,
            passed=p["passed"], certificates=tuple(certs[idn]),
            held=bool(holds[idn] or (class_holds and holds[None])),
            excluded=frozenset(excluded[idn] | excluded[None]),
            pre_job_with_employer=cls.training_type == "work_as_training" and (idn, p["employer_uscc"]) in pre_job,
            self_evaluated_by=p["assessor_uscc"] if p["assessor_uscc"] in self_eval
            and p["assessor_uscc"] == p["employer_uscc"] else None,
        ))
    return out


def person_classes(conn: Connection, ids: list[str], min_ratio: Decimal) -> dict[str, list[PersonClass]]:
    """Every class of these people with whether it is otherwise subsidy-eligible (for the cap and repeat rules)."""
    e, c, h, a, f = db.enrolments, db.classes, db.attendance_hours, db.assessments, db.findings
    if not ids:
        return {}
    blocked = set(conn.execute(select(f.c.uscc, f.c.class_id, f.c.id_number).where(
        f.c.status.in_(("open", "confirmed")), f.c.effect.in_(("hold_trainee", "hold_class", "exclude")),
        f.c.rule_code.not_in(("ENR-ANNUAL-CAP", "ENR-REPEAT-LEVEL", *DERIVED_HOLDS)))).all())
    rows = conn.execute(
        select(e.c.id_number, c.c.uscc, c.c.class_id, c.c.occupation_code, c.c.level, c.c.start_date, c.c.end_date,
               a.c.passed, h.c.attended_minutes, h.c.scheduled_minutes)
        .select_from(e.join(c, and_(c.c.uscc == e.c.uscc, c.c.class_id == e.c.class_id))
                     .outerjoin(h, and_(h.c.uscc == e.c.uscc, h.c.class_id == e.c.class_id, h.c.id_number == e.c.id_number))
                     .outerjoin(a, and_(a.c.uscc == e.c.uscc, a.c.class_id == e.c.class_id, a.c.id_number == e.c.id_number)))
        .where(e.c.id_number.in_(ids))).mappings().all()
    out: dict[str, list[PersonClass]] = defaultdict(list)
    for r in rows:
        t = TraineeFacts(r["id_number"], "", "", attended_minutes=r["attended_minutes"] or 0,
                         scheduled_minutes=r["scheduled_minutes"] or 0)
        ok = bool(r["passed"]) and attendance_ok(t, min_ratio) and not (
            {(r["uscc"], r["class_id"], r["id_number"]), (r["uscc"], r["class_id"], None)} & blocked)
        out[r["id_number"]].append(PersonClass(r["uscc"], r["class_id"], r["occupation_code"], r["level"],
                                               r["start_date"], r["end_date"], ok))
    return out
