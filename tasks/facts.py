"""Reads the facts the pure money engine needs for one class, in a handful of set queries."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Container
from decimal import Decimal

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.engine import Connection

from infra import db
from schemas.eligibility import Certificate, ClassFacts, PersonClass, TraineeFacts, attendance_ok

# Holds decided by the money stages themselves: they say "waiting", they do not hold anything new.
DERIVED_HOLDS = ("ADV-HELD", "SET-HELD", "ADV-CREDIT")
# Exclusions recomputed at every settlement from the facts (stale ones are resolved, never carried over).
SETTLEMENT_CODES = ("ATT-LOW", "ENR-NOT-INSURED", "ENR-EXCLUSIVE", "ENR-ANNUAL-CAP", "ENR-REPEAT-LEVEL")
# A finding of these effects makes a person's class not count for the cap and repeat rules, unless it
# is one of those rules itself (they are what is being decided) or a money stage's waiting note.
BLOCKING_EFFECTS = ("hold_trainee", "hold_class", "exclude")
NOT_BLOCKING = ("ENR-ANNUAL-CAP", "ENR-REPEAT-LEVEL", *DERIVED_HOLDS)


Key = tuple[str, str]  # (uscc, class_id)
# A read narrowed to a few classes (one upload's) beats reading the province; past this many classes (a nightly
# batch) PostgreSQL plans the long row-value IN slower than it scans every blocking finding.
_NARROW_UP_TO = 100


def of(table, keys: list[Key]):  # noqa: ANN001, ANN201
    """WHERE clause: the table's rows of these classes (a row-value IN, one statement for all of them)."""
    return tuple_(table.c.uscc, table.c.class_id).in_(list(keys))


def class_facts(conn: Connection, uscc: str, class_id: str) -> ClassFacts | None:
    return classes_facts(conn, [(uscc, class_id)]).get((uscc, class_id))


def classes_facts(conn: Connection, keys: list[Key]) -> dict[Key, ClassFacts]:
    c, i, o, s = db.classes, db.institutions, db.occupations, db.subsidy_catalog
    if not keys:
        return {}
    rows = conn.execute(
        select(c, i.c.kind.label("institution_kind"), o.c.shortage, s.c.amount_fen.label("catalog_fen"))
        .select_from(c.outerjoin(i, i.c.uscc == c.c.uscc).outerjoin(o, o.c.occupation_code == c.c.occupation_code)
                     .outerjoin(s, and_(s.c.occupation_code == c.c.occupation_code, s.c.level == c.c.level,
                                        s.c.training_type == c.c.training_type)))
        .where(of(c, keys))).mappings()
    return {(row["uscc"], row["class_id"]): ClassFacts(
        row["uscc"], row["class_id"], row["training_type"], row["level"], row["occupation_code"], bool(row["project_based"]),
        row["start_date"], row["end_date"], row["institution_kind"] or "unknown", bool(row["shortage"]), row["catalog_fen"])
        for row in rows}


def class_held(conn: Connection, uscc: str, class_id: str) -> list[str]:
    """Open hold_class findings (the money stages' own waiting notes aside)."""
    return held_classes(conn, [(uscc, class_id)]).get((uscc, class_id), [])


def held_classes(conn: Connection, keys: list[Key]) -> dict[Key, list[str]]:
    """Open hold_class findings by class, for the classes that have any."""
    f = db.findings
    out: dict[Key, list[str]] = defaultdict(list)
    if keys:
        for u, c, code in conn.execute(select(f.c.uscc, f.c.class_id, f.c.rule_code).where(
                of(f, keys), f.c.effect == "hold_class", f.c.status == "open", f.c.rule_code.not_in(DERIVED_HOLDS))):
            out[(u, c)].append(code)
    return dict(out)


Holds = tuple[dict[str | None, set[str]], dict[str | None, set[str]]]


def hold_sets(conn: Connection, cls: ClassFacts) -> Holds:
    """(open holds, exclusions) of a class by trainee; key None holds the class-level ones."""
    return classes_hold_sets(conn, [(cls.uscc, cls.class_id)])[(cls.uscc, cls.class_id)]


def classes_hold_sets(conn: Connection, keys: list[Key]) -> dict[Key, Holds]:
    f = db.findings
    out: dict[Key, Holds] = {k: (defaultdict(set), defaultdict(set)) for k in keys}
    if not keys:
        return out
    for r in conn.execute(select(f.c.uscc, f.c.class_id, f.c.rule_code, f.c.effect, f.c.status, f.c.id_number).where(
            of(f, keys), f.c.status.in_(("open", "confirmed")))):
        holds, excluded = out[(r.uscc, r.class_id)]
        if r.effect in ("hold_trainee", "hold_class") and r.status == "open" and r.rule_code not in DERIVED_HOLDS:
            holds[r.id_number].add(r.rule_code)
        elif r.effect in ("hold_trainee", "hold_class") and r.status == "confirmed":
            excluded[r.id_number].add(r.rule_code)  # a confirmed fraud hold stays excluded
        elif r.effect == "exclude" and r.rule_code not in SETTLEMENT_CODES:
            excluded[r.id_number].add(r.rule_code)
    return out


def trainee_facts(conn: Connection, cls: ClassFacts, *, class_holds: bool = True) -> list[TraineeFacts]:
    """Facts per enrolled trainee; `held` includes the class's own holds unless class_holds is False
    (an advance's projection: a held class waits with ADV-HELD, its trainees still count)."""
    return classes_trainee_facts(conn, [cls], class_holds=class_holds)[(cls.uscc, cls.class_id)]


def classes_trainee_facts(conn: Connection, classes: list[ClassFacts], *,
                          class_holds: bool = True) -> dict[Key, list[TraineeFacts]]:
    """trainee_facts of many classes with the same few queries as one class."""
    e, h, a = db.enrolments, db.attendance_hours, db.assessments
    keys = [(c.uscc, c.class_id) for c in classes]
    out: dict[Key, list[TraineeFacts]] = {k: [] for k in keys}
    if not keys:
        return out
    people = conn.execute(
        select(e, h.c.attended_minutes, h.c.scheduled_minutes, h.c.attendance_days, a.c.passed, a.c.assessor_uscc)
        .select_from(e.outerjoin(h, and_(h.c.uscc == e.c.uscc, h.c.class_id == e.c.class_id, h.c.id_number == e.c.id_number))
                     .outerjoin(a, and_(a.c.uscc == e.c.uscc, a.c.class_id == e.c.class_id, a.c.id_number == e.c.id_number)))
        .where(of(e, keys)).order_by(e.c.uscc, e.c.class_id, e.c.id_number)).mappings().all()
    ids = select(e.c.id_number).where(of(e, keys)).scalar_subquery()
    certs: dict[tuple[str, str, str], list[Certificate]] = defaultdict(list)
    for r in conn.execute(select(db.certificates).where(of(db.certificates, keys))
                          .order_by(db.certificates.c.id)).mappings():
        certs[(r["uscc"], r["class_id"], r["id_number"])].append(Certificate(r["certificate_type"], r["level"], r["issued_on"]))
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
    hold_sets_of = classes_hold_sets(conn, keys)
    by_key = {(c.uscc, c.class_id): c for c in classes}
    for p in people:
        idn, key = p["id_number"], (p["uscc"], p["class_id"])
        cls, (holds, excluded) = by_key[key], hold_sets_of[key]
        out[key].append(TraineeFacts(
            id_number=idn, category=p["category"], payer=p["payer"], employer_uscc=p["employer_uscc"],
            employer_difficult=p["employer_uscc"] in difficult, low_income_kinds=frozenset(low[idn]),
            insured_employers=frozenset(insured[idn]), attended_minutes=p["attended_minutes"] or 0,
            scheduled_minutes=p["scheduled_minutes"] or 0, attendance_days=p["attendance_days"] or 0,
            passed=p["passed"], certificates=tuple(certs[(*key, idn)]),
            held=bool(holds[idn] or (class_holds and holds[None])),
            excluded=frozenset(excluded[idn] | excluded[None]),
            pre_job_with_employer=cls.training_type == "work_as_training" and (idn, p["employer_uscc"]) in pre_job,
            self_evaluated_by=p["assessor_uscc"] if p["assessor_uscc"] in self_eval
            and p["assessor_uscc"] == p["employer_uscc"] else None,
        ))
    return out


def blocking(conn: Connection, keys: list[Key] | None = None) -> Counter:
    """Findings that make a class not otherwise eligible for a person, counted per (uscc, class_id, id_number);
    of the classes `keys` only when given (what one settlement reads: its people's classes), else of all."""
    f = db.findings
    where = [f.c.status.in_(("open", "confirmed")), f.c.effect.in_(BLOCKING_EFFECTS), f.c.rule_code.not_in(NOT_BLOCKING)]
    stmt = select(f.c.uscc, f.c.class_id, f.c.id_number, func.count()).group_by(f.c.uscc, f.c.class_id, f.c.id_number)
    keys = None if keys is None else sorted(set(keys))
    if keys is None or len(keys) > _NARROW_UP_TO:
        return Counter({(u, c, i): n for u, c, i, n in conn.execute(stmt.where(*where))})
    return Counter({(u, c, i): n for u, c, i, n in conn.execute(stmt.where(*where, of(f, keys)))})


def person_classes(conn: Connection, ids: list[str], min_ratio: Decimal,
                   blocked: Container | None = None) -> dict[str, list[PersonClass]]:
    """Every class of these people with whether it is otherwise subsidy-eligible (for the cap and repeat rules);
    `blocked` (default: the stored findings) holds the (uscc, class_id, id_number) that are held or excluded."""
    e, c, h, a = db.enrolments, db.classes, db.attendance_hours, db.assessments
    if not ids:
        return {}
    if blocked is None:
        blocked = +blocking(conn)
    out: dict[str, list[PersonClass]] = defaultdict(list)
    for i in range(0, len(ids), 10_000):  # bound the statement's parameters
        rows = conn.execute(
            select(e.c.id_number, c.c.uscc, c.c.class_id, c.c.occupation_code, c.c.level, c.c.start_date, c.c.end_date,
                   a.c.passed, h.c.attended_minutes, h.c.scheduled_minutes)
            .select_from(e.join(c, and_(c.c.uscc == e.c.uscc, c.c.class_id == e.c.class_id))
                         .outerjoin(h, and_(h.c.uscc == e.c.uscc, h.c.class_id == e.c.class_id, h.c.id_number == e.c.id_number))
                         .outerjoin(a, and_(a.c.uscc == e.c.uscc, a.c.class_id == e.c.class_id, a.c.id_number == e.c.id_number)))
            .where(e.c.id_number.in_(ids[i:i + 10_000]))).mappings().all()
        for r in rows:
            t = TraineeFacts(r["id_number"], "", "", attended_minutes=r["attended_minutes"] or 0,
                             scheduled_minutes=r["scheduled_minutes"] or 0)
            ok = bool(r["passed"]) and attendance_ok(t, min_ratio) and not is_blocked(
                blocked, r["uscc"], r["class_id"], r["id_number"])
            out[r["id_number"]].append(PersonClass(r["uscc"], r["class_id"], r["occupation_code"], r["level"],
                                                   r["start_date"], r["end_date"], ok))
    return out


def is_blocked(blocked: Container, uscc: str, class_id: str, id_number: str) -> bool:
    return (uscc, class_id, id_number) in blocked or (uscc, class_id, None) in blocked
