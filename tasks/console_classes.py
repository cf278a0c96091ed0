"""Read models of the console's class pages (issue 14, viewer): funnel, hours per trainee, holds,
money earned, paid and due per payee, ledger entries with their Prefect runs; personal data masked."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from infra import db
from infra.bootstrap import Services
from schemas.idcard import mask_id
from tasks.console_queries import (
    HOLDS,
    at_stake,
    finding_row,
    hours_text,
    mask_name,
    prefect_ui,
    run_url,
    yuan,
)


def classes_list(svc: Services) -> list[dict]:
    c, i, e, led, ea = db.classes, db.institutions, db.enrolments, db.ledger, db.earned
    enrolled = select(e.c.uscc, e.c.class_id, func.count().label("n")).group_by(e.c.uscc, e.c.class_id).subquery()
    paid = select(led.c.uscc, led.c.class_id, func.sum(led.c.amount_fen).label("fen")) \
        .group_by(led.c.uscc, led.c.class_id).subquery()
    earned = select(ea.c.uscc, ea.c.class_id, func.sum(ea.c.earned_fen).label("fen")) \
        .group_by(ea.c.uscc, ea.c.class_id).subquery()
    q = select(c.c.id, c.c.uscc, c.c.class_id, c.c.occupation_name, c.c.level, c.c.start_date, c.c.end_date,
               c.c.status, i.c.name, enrolled.c.n, paid.c.fen.label("paid"), earned.c.fen.label("earned")) \
        .select_from(c.outerjoin(i, i.c.uscc == c.c.uscc)
                     .outerjoin(enrolled, and_(enrolled.c.uscc == c.c.uscc, enrolled.c.class_id == c.c.class_id))
                     .outerjoin(paid, and_(paid.c.uscc == c.c.uscc, paid.c.class_id == c.c.class_id))
                     .outerjoin(earned, and_(earned.c.uscc == c.c.uscc, earned.c.class_id == c.c.class_id))) \
        .order_by(c.c.start_date.desc(), c.c.uscc, c.c.class_id).limit(500)
    with svc.engine.connect() as conn:
        return [dict(r._mapping) | {"paid_yuan": yuan(r.paid), "earned_yuan": yuan(r.earned)} for r in conn.execute(q)]


def class_page(svc: Services, class_pk: int) -> dict | None:
    c = db.classes
    with svc.engine.connect() as conn:
        cls = conn.execute(select(c, db.institutions.c.name.label("institution"))
                           .select_from(c.outerjoin(db.institutions, db.institutions.c.uscc == c.c.uscc))
                           .where(c.c.id == class_pk)).mappings().first()
        if cls is None:
            return None
        key = (cls["uscc"], cls["class_id"])
        trainees = _trainees(conn, key)
        holds = _class_findings(conn, key)
        money = _money(conn, key)
        ledger = _ledger(conn, key, prefect_ui(svc))
    ratio = svc.policy.settings.min_attendance_ratio
    funnel = [
        ("报名 enrolled", len(trainees)),
        ("名册通过 roster accepted", sum(t["status"] == "enrolled" for t in trainees)),
        (f"出勤达标 attendance ≥ {ratio:.0%}", sum(t["ratio"] is not None and t["ratio"] >= ratio for t in trainees)),
        ("考核通过 passed", sum(t["passed"] is True for t in trainees)),
        ("取得证书 certified", sum(bool(t["certificate"]) for t in trainees)),
        ("获得补贴 earning a subsidy", sum(t["fen"] > 0 for t in trainees)),
    ]
    return {"cls": dict(cls), "trainees": trainees, "holds": holds, "money": money, "ledger": ledger,
            "funnel": funnel}


def _trainees(conn: Connection, key: tuple[str, str]) -> list[dict]:
    e, h, a, ce, ta, f = (db.enrolments, db.attendance_hours, db.assessments, db.certificates, db.trainee_amounts,
                          db.findings)
    amounts = select(ta.c.id_number, func.sum(ta.c.amount_fen).label("fen")) \
        .where(ta.c.uscc == key[0], ta.c.class_id == key[1]).group_by(ta.c.id_number).subquery()
    holds = select(f.c.id_number, func.count().label("n")).where(
        f.c.uscc == key[0], f.c.class_id == key[1], f.c.status == "open", f.c.effect.in_(HOLDS)) \
        .group_by(f.c.id_number).subquery()
    same = and_(h.c.uscc == e.c.uscc, h.c.class_id == e.c.class_id, h.c.id_number == e.c.id_number)
    q = select(e.c.id_number, e.c.name, e.c.phone, e.c.category, e.c.status, h.c.attended_minutes,
               h.c.scheduled_minutes, a.c.passed, a.c.score, ce.c.certificate_no, amounts.c.fen, holds.c.n) \
        .select_from(e.outerjoin(h, same)
                     .outerjoin(a, and_(a.c.uscc == e.c.uscc, a.c.class_id == e.c.class_id, a.c.id_number == e.c.id_number))
                     .outerjoin(ce, and_(ce.c.uscc == e.c.uscc, ce.c.class_id == e.c.class_id,
                                         ce.c.id_number == e.c.id_number))
                     .outerjoin(amounts, amounts.c.id_number == e.c.id_number)
                     .outerjoin(holds, holds.c.id_number == e.c.id_number)) \
        .where(e.c.uscc == key[0], e.c.class_id == key[1]).order_by(e.c.id)
    out = []
    for r in conn.execute(q):
        ratio = (Decimal(r.attended_minutes) / Decimal(r.scheduled_minutes)
                 if r.attended_minutes is not None and r.scheduled_minutes else None)
        out.append({"trainee": mask_id(r.id_number), "name": mask_name(r.name), "phone": mask_id(r.phone),
                    "category": r.category, "status": r.status, "hours": hours_text(r.attended_minutes, r.scheduled_minutes),
                    "ratio": ratio, "passed": r.passed, "score": r.score, "certificate": r.certificate_no or "",
                    "fen": int(r.fen or 0), "amount": yuan(r.fen), "held": bool(r.n)})
    return out


def _class_findings(conn: Connection, key: tuple[str, str]) -> list[dict]:
    f = db.findings
    joined, stake = at_stake()
    rows = conn.execute(select(f, stake).select_from(joined).where(
        f.c.uscc == key[0], f.c.class_id == key[1], or_(f.c.effect.in_(HOLDS), f.c.status.in_(("confirmed", "dismissed"))))
        .order_by(f.c.id)).mappings()
    return [finding_row(r) for r in rows]


def _money(conn: Connection, key: tuple[str, str]) -> list[dict]:
    """Per payee: earned now, paid (the ledger's sum), due = earned − paid (negative: to recover)."""
    ea, led = db.earned, db.ledger
    earned = dict(conn.execute(select(ea.c.payee, ea.c.earned_fen).where(ea.c.uscc == key[0], ea.c.class_id == key[1])).all())
    paid = dict(conn.execute(select(led.c.payee, func.sum(led.c.amount_fen)).where(
        led.c.uscc == key[0], led.c.class_id == key[1]).group_by(led.c.payee)).all())
    kinds = dict(conn.execute(select(led.c.payee, func.max(led.c.payee_kind)).where(
        led.c.uscc == key[0], led.c.class_id == key[1]).group_by(led.c.payee)).all())
    out = []
    for payee in sorted(set(earned) | set(paid)):
        e, p = int(earned.get(payee, 0)), int(paid.get(payee, 0))
        out.append({"payee": mask_id(payee) if kinds.get(payee) == "person" else payee, "earned": yuan(e),
                    "paid": yuan(p), "due": yuan(e - p)})
    return out


def _ledger(conn: Connection, key: tuple[str, str], ui: str | None) -> list[dict]:
    led = db.ledger
    rows = conn.execute(select(led).where(led.c.uscc == key[0], led.c.class_id == key[1]).order_by(led.c.id)).mappings()
    return [{"id": r["id"], "at": r["created_at"], "kind": r["kind"], "seq": r["seq"],
             "payee": mask_id(r["payee"]) if r["payee_kind"] == "person" else r["payee"], "amount": yuan(r["amount_fen"]),
             "run_id": r["run_id"], "run_url": run_url(ui, r["run_id"])} for r in rows]
