"""Read models of the department's console (issue 14): set-based queries, personal data masked; the
auditor's queue and finding pages here, class pages in tasks/console_classes.py, uploads and reports in
tasks/console_uploads.py.

The console is a thin adapter: it reads through these functions and decides through tasks/review.py,
tasks/rerun.py and tasks/ingest.py, the code paths of `skillsub review`, `rerun` and `process`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, insert, select
from sqlalchemy.engine import Connection

from infra import db, logmask
from infra.bootstrap import Services
from schemas.cells import clean
from schemas.idcard import mask_id
from schemas.rules import HOLD_EFFECTS, RULES
from tasks import exports

PAGE = 25
_NAME_HEADERS = {"name", "姓名", "学员姓名"}  # a trainee's name is shown as on the class page: 张**
HOLDS = tuple(e.value for e in HOLD_EFFECTS)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def yuan(fen: int | None) -> str:
    """¥1,950.00 (integer fen to yuan with two decimals; recoveries keep their sign)."""
    fen = int(fen or 0)
    return ("-" if fen < 0 else "") + f"¥{Decimal(abs(fen)) / 100:,.2f}"


def mask_name(name: str | None) -> str:
    """张三丰 → 张**: the family name is enough to tell trainees apart on one page."""
    return (name[:1] + "*" * max(1, len(name) - 1)) if name else ""


_ID_SHAPED = re.compile(r"(?<![0-9A-Za-z])([0-9]{17}[0-9X])(?![0-9A-Za-z])")


class Masker:
    """Every ID-shaped number and mobile number in free text masked (as exports do), except the credit
    codes of known organisations (institutions, uploaders): an all-digit USCC is shaped like an ID
    number, and an institution's code is no personal data."""

    def __init__(self, conn: Connection) -> None:
        i, u = db.institutions, db.uploads
        self.orgs = set(conn.execute(select(i.c.uscc).union(select(u.c.uscc).where(u.c.uscc.is_not(None)))).scalars())

    def __call__(self, text: str | None) -> str:
        if not text:
            return ""
        text = _ID_SHAPED.sub(lambda m: m.group(1) if m.group(1) in self.orgs else (mask_id(m.group(1)) or ""), text)
        return logmask.mask_text(text)


def run_url(ui_url: str | None, run_id: str | None) -> str | None:
    """The Prefect UI page of a flow run; only for real run ids (tests and re-runs from the console use labels)."""
    if ui_url and run_id and _UUID.match(run_id):
        return f"{ui_url.rstrip('/')}/runs/flow-run/{run_id}"
    return None


# --- the auditors' findings queue
@dataclass
class QueueFilter:
    rule: str | None = None
    stage: str | None = None
    institution: str | None = None
    status: str | None = "open"


def at_stake():  # noqa: ANN202
    """Money at stake per finding: what the trainee's amounts are (frozen while held), else the catalogue
    subsidy of the class's occupation and level; a class-level finding, the class's earnings."""
    f, c, cat, ta, ea, i = db.findings, db.classes, db.subsidy_catalog, db.trainee_amounts, db.earned, db.institutions
    per_trainee = select(ta.c.uscc, ta.c.class_id, ta.c.id_number, func.sum(ta.c.amount_fen).label("fen")) \
        .group_by(ta.c.uscc, ta.c.class_id, ta.c.id_number).subquery("per_trainee")
    per_class = select(ea.c.uscc, ea.c.class_id, func.sum(ea.c.earned_fen).label("fen")) \
        .group_by(ea.c.uscc, ea.c.class_id).subquery("per_class")
    joined = f.outerjoin(c, and_(c.c.uscc == f.c.uscc, c.c.class_id == f.c.class_id)) \
        .outerjoin(cat, and_(cat.c.occupation_code == c.c.occupation_code, cat.c.level == c.c.level,
                             cat.c.training_type == c.c.training_type)) \
        .outerjoin(per_trainee, and_(per_trainee.c.uscc == f.c.uscc, per_trainee.c.class_id == f.c.class_id,
                                     per_trainee.c.id_number == f.c.id_number)) \
        .outerjoin(per_class, and_(per_class.c.uscc == f.c.uscc, per_class.c.class_id == f.c.class_id)) \
        .outerjoin(i, i.c.uscc == f.c.uscc)
    stake = case((f.c.id_number.is_not(None), func.coalesce(per_trainee.c.fen, cat.c.amount_fen, 0)),
                 else_=func.coalesce(per_class.c.fen, 0)).label("at_stake_fen")
    return joined, stake


def findings_queue(svc: Services, flt: QueueFilter, page: int = 1, per_page: int = PAGE) -> tuple[list[dict], int]:
    """One page of findings, most money at stake first (LIMIT/OFFSET; filters use ix_findings_queue and
    ix_findings_rule), and how many match."""
    f = db.findings
    joined, stake = at_stake()
    where = []
    if flt.status:
        where.append(f.c.status == flt.status)
    if flt.stage:
        where.append(f.c.stage == flt.stage)
    if flt.rule:
        where.append(f.c.rule_code == flt.rule)
    if flt.institution:
        where.append(f.c.uscc == flt.institution)
    q = select(f.c.id, f.c.rule_code, f.c.stage, f.c.effect, f.c.status, f.c.uscc, f.c.class_id, f.c.id_number,
               f.c.created_at, f.c.upload_id, db.institutions.c.name.label("institution"), stake).select_from(joined).where(*where) \
        .order_by(stake.desc(), f.c.id).limit(per_page).offset((max(page, 1) - 1) * per_page)
    with svc.engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
        total = conn.execute(select(func.count()).select_from(f).where(*where)).scalar_one()
    return [finding_row(r) for r in rows], total


def queue_choices(svc: Services) -> dict[str, list]:
    """What the queue's filters offer: rule codes, stages and institutions that have findings."""
    f, i = db.findings, db.institutions
    with svc.engine.connect() as conn:
        rules = list(conn.execute(select(f.c.rule_code).distinct().order_by(f.c.rule_code)).scalars())
        stages = list(conn.execute(select(f.c.stage).distinct().order_by(f.c.stage)).scalars())
        insts = conn.execute(select(f.c.uscc, func.max(i.c.name)).select_from(f.outerjoin(i, i.c.uscc == f.c.uscc))
                             .where(f.c.uscc.is_not(None)).group_by(f.c.uscc).order_by(f.c.uscc)).all()
    return {"rules": rules, "stages": stages, "institutions": [(u, n or u) for u, n in insts],
            "statuses": ["open", "none", "confirmed", "dismissed", "resolved"]}


def finding_row(r: Any) -> dict:
    rule = RULES.get(r["rule_code"])
    return {"id": r["id"], "rule_code": r["rule_code"], "stage": r["stage"], "effect": r["effect"],
            "status": r["status"], "uscc": r["uscc"], "class_id": r["class_id"],
            "trainee": mask_id(r["id_number"]) or "", "created_at": r["created_at"],
            "upload_id": r["upload_id"], "institution": r.get("institution") or "", "at_stake": yuan(r["at_stake_fen"]) if "at_stake_fen" in r else "",
            "title_zh": getattr(rule, "zh", "") or "", "title_en": getattr(rule, "en", "") or ""}


# --- one finding
@dataclass
class FindingPage:
    finding: dict
    raw: dict | None
    decision: dict | None
    evidence: Any
    reason_zh: str
    reason_en: str
    related: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    class_pk: int | None = None
    run_url: str | None = None


def finding_page(svc: Services, finding_id: int) -> FindingPage | None:
    f, d = db.findings, db.decisions
    joined, stake = at_stake()
    with svc.engine.connect() as conn:
        row = conn.execute(select(f, db.institutions.c.name.label("institution"), stake).select_from(joined)
                           .where(f.c.id == finding_id)).mappings().first()
        if row is None:
            return None
        decision = conn.execute(select(d.c.decision, d.c.auditor, d.c.reason, d.c.at)
                                .where(d.c.finding_id == finding_id)).mappings().first()
        raw = _raw_row(conn, row)
        related = [finding_row(r) for r in conn.execute(
            select(f).where(f.c.id_number == row["id_number"], f.c.id != finding_id).order_by(f.c.id).limit(50)
        ).mappings()] if row["id_number"] else []
        history = _history(conn, row["id_number"]) if row["id_number"] else []
        class_pk = conn.execute(select(db.classes.c.id).where(db.classes.c.uscc == row["uscc"],
                                                              db.classes.c.class_id == row["class_id"])).scalar()
        evidence = Masker(conn)(row["evidence"] or "{}")
    zh, en = exports._finding_reasons(row["rule_code"], evidence)
    try:
        ev = json.loads(evidence)
    except ValueError:
        ev = evidence
    if isinstance(ev, dict):  # nested values read as JSON, not as Python's repr
        ev = {k: v if isinstance(v, str | int | float) else json.dumps(v, ensure_ascii=False) for k, v in ev.items()}
    return FindingPage(finding_row(row), raw, dict(decision) if decision else None, ev, zh, en, related, history,
                       class_pk, run_url(prefect_ui(svc), row["run_id"]))


def _raw_row(conn: Connection, row: Any) -> dict | None:
    """The row as the institution uploaded it (row_verdicts.raw, under the file's own header), masked;
    for a finding without a row (a later stage's), the trainee's roster row."""
    v, u = db.row_verdicts, db.uploads
    q = None
    if row["upload_id"] is not None and row["row_no"] is not None:
        q = select(v, u.c.header, u.c.key, u.c.kind).join(u, u.c.id == v.c.upload_id) \
            .where(v.c.upload_id == row["upload_id"], v.c.row_no == row["row_no"])
    elif row["id_number"]:
        e = db.enrolments
        q = select(v, u.c.header, u.c.key, u.c.kind).join(u, u.c.id == v.c.upload_id) \
            .join(e, e.c.upload_id == v.c.upload_id) \
            .where(e.c.uscc == row["uscc"], e.c.class_id == row["class_id"], e.c.id_number == row["id_number"],
                   v.c.raw.contains(row["id_number"])).limit(1)
    found = conn.execute(q).mappings().first() if q is not None else None
    if found is None:
        return None
    header = (json.loads(found["header"]) if found["header"] else {}).get("cells") or []
    cells = json.loads(found["raw"])
    header = list(header) + [f"#{i + 1}" for i in range(len(header), len(cells))]
    mask = Masker(conn)
    return {"upload_id": found["upload_id"], "row_no": found["row_no"], "kind": found["kind"],
            "verdict": found["verdict"], "rule_codes": found["rule_codes"],
            "key": mask(found["key"]),
            "cells": [(h, mask_name(str(c)) if (clean(h) or "").lower() in _NAME_HEADERS else mask(str(c)))
                      for h, c in zip(header, cells, strict=False)]}


def _history(conn: Connection, id_number: str) -> list[dict]:
    """The trainee's classes anywhere: enrolment, hours, assessment, certificate, amounts and holds."""
    e, h, a, ce, ta, c, f = (db.enrolments, db.attendance_hours, db.assessments, db.certificates, db.trainee_amounts,
                              db.classes, db.findings)
    amounts = select(ta.c.uscc, ta.c.class_id, func.sum(ta.c.amount_fen).label("fen")) \
        .where(ta.c.id_number == id_number).group_by(ta.c.uscc, ta.c.class_id).subquery()
    holds = select(f.c.uscc, f.c.class_id, func.count().label("n")).where(
        f.c.id_number == id_number, f.c.status == "open").group_by(f.c.uscc, f.c.class_id).subquery()
    q = select(e.c.uscc, e.c.class_id, e.c.status, e.c.enrolled_on, c.c.id.label("class_pk"), c.c.start_date,
               c.c.end_date, h.c.attended_minutes, h.c.scheduled_minutes, a.c.passed, ce.c.certificate_no,
               amounts.c.fen, holds.c.n) \
        .select_from(e.outerjoin(c, and_(c.c.uscc == e.c.uscc, c.c.class_id == e.c.class_id))
                     .outerjoin(h, and_(h.c.uscc == e.c.uscc, h.c.class_id == e.c.class_id, h.c.id_number == e.c.id_number))
                     .outerjoin(a, and_(a.c.uscc == e.c.uscc, a.c.class_id == e.c.class_id, a.c.id_number == e.c.id_number))
                     .outerjoin(ce, and_(ce.c.uscc == e.c.uscc, ce.c.class_id == e.c.class_id,
                                         ce.c.id_number == e.c.id_number))
                     .outerjoin(amounts, and_(amounts.c.uscc == e.c.uscc, amounts.c.class_id == e.c.class_id))
                     .outerjoin(holds, and_(holds.c.uscc == e.c.uscc, holds.c.class_id == e.c.class_id))) \
        .where(e.c.id_number == id_number).order_by(c.c.start_date, e.c.uscc, e.c.class_id)
    return [{"uscc": r.uscc, "class_id": r.class_id, "class_pk": r.class_pk, "status": r.status,
             "enrolled_on": r.enrolled_on, "dates": f"{r.start_date} – {r.end_date}" if r.start_date else "",
             "hours": hours_text(r.attended_minutes, r.scheduled_minutes),
             "passed": {True: "是 yes", False: "否 no"}.get(r.passed, ""),
             "certificate": "✓" if r.certificate_no else "", "amount": yuan(r.fen), "open_holds": r.n or 0}
            for r in conn.execute(q)]


def hours_text(attended: int | None, scheduled: int | None) -> str:
    if attended is None:
        return ""
    return f"{Decimal(attended) / 60:.1f} / {Decimal(scheduled or 0) / 60:.1f} h"


def reveal_id(svc: Services, finding_id: int, user: str) -> str | None:
    """The trainee's full ID number for one finding, for an auditor; the reveal itself is audit-logged."""
    f = db.findings
    with svc.engine.begin() as conn:
        id_number = conn.execute(select(f.c.id_number).where(f.c.id == finding_id)).scalar()
        if id_number:
            conn.execute(insert(db.audit_log).values(
                at=svc.now(), actor=user, action="console.reveal_id", subject=f"finding:{finding_id}",
                detail=json.dumps({"id_number": mask_id(id_number)})))
    return id_number


# --- what a decision moves, before it is made
@dataclass
class Preview:
    decision: str
    kind: str  # money | frozen | unpaid | none
    moves: list[dict] = field(default_factory=list)  # payee, kind, amount (signed yuan)
    trainee_before: str = ""
    trainee_after: str = ""


def decision_preview(svc: Services, finding_id: int, decision: str) -> Preview:
    """The settlement the decision would cause, computed by the money code itself on a transaction that is
    rolled back (the decision inserted, the class settled differentially, nothing kept): e.g. confirming
    fraud on a paid trainee orders a recovery; dismissing a hold pays what was withheld."""
    from tasks.settle import _settle  # the settlement itself, on our connection, so the decision is seen

    f = db.findings
    with svc.engine.connect() as conn:
        tx = conn.begin()  # everything below is rolled back
        try:
            row = conn.execute(select(f).where(f.c.id == finding_id)).mappings().first()
            if row is None or decision == "escalate" or row["status"] != "open" or row["effect"] not in HOLDS:
                return Preview(decision, "frozen" if decision == "escalate" else "none")
            key = (row["uscc"], row["class_id"])
            claims = db.claims
            if conn.execute(select(claims.c.id).where(claims.c.uscc == key[0], claims.c.class_id == key[1],
                                                      claims.c.kind == "final")).first() is None:
                return Preview(decision, "unpaid")
            ta = db.trainee_amounts
            before = conn.execute(select(func.coalesce(func.sum(ta.c.amount_fen), 0)).where(
                ta.c.uscc == key[0], ta.c.class_id == key[1], ta.c.id_number == row["id_number"])).scalar_one()
            conn.execute(insert(db.decisions).values(finding_id=finding_id, decision=decision, auditor="preview",
                                                     reason="preview", at=svc.now()))
            [settled] = _settle(svc, conn, [key], "preview", svc.now().date())
        finally:
            tx.rollback()
    moves = [{"payee": logmask.mask_text(p), "kind": k, "amount": yuan(a), "fen": a}
             for p, k, a in settled.entries]
    if not row["id_number"]:  # a class hold: what moves is the class's, no one trainee's
        return Preview(decision, "money" if moves else "none", moves)
    after = settled.per_trainee.get(row["id_number"], 0)
    return Preview(decision, "money" if moves else "none", moves, yuan(before), yuan(after))


def prefect_ui(svc: Services) -> str | None:
    return (svc.settings.stack_state() or {}).get("prefect_ui_url")


def audit_entry(svc: Services, actor: str, action: str, subject: str, detail: dict) -> None:
    with svc.engine.begin() as conn:
        conn.execute(insert(db.audit_log).values(at=svc.now(), actor=actor, action=action, subject=subject,
                                                 detail=json.dumps(detail, ensure_ascii=False)))

