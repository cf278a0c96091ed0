"""Use case: exports for auditors and finance, CSV or JSON, personal data masked unless asked."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from sqlalchemy import func, select

from infra import db, logmask
from infra.bootstrap import Services
from schemas.cells import fen_to_yuan
from schemas.idcard import mask_id
from schemas.rules import RULES, reasons
from tasks.outbox import neutralise

FINDING_COLUMNS = ["finding_id", "rule_code", "stage", "effect", "status", "uscc", "class_id", "id_number",
                   "reason_zh", "reason_en", "evidence", "run_id", "created_at"]
_ID_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{17}[0-9X])(?![0-9])")


def mask_text(text: str) -> str:
    """Every 18-character ID-shaped number and every mobile number in free text (evidence, keys)."""
    return logmask.mask_text(_ID_IN_TEXT.sub(lambda m: mask_id(m.group(1)) or "", text))


def findings(svc: Services, *, unmask: bool = False) -> list[dict[str, Any]]:
    f = db.findings
    with svc.engine.connect() as conn:
        rows = conn.execute(select(f).order_by(f.c.id)).mappings().all()
    out = []
    for r in rows:
        evidence = r["evidence"] if unmask else mask_text(r["evidence"])
        zh, en = _finding_reasons(r["rule_code"], evidence)
        out.append({
            "finding_id": r["id"], "rule_code": r["rule_code"], "stage": r["stage"], "effect": r["effect"],
            "status": r["status"], "uscc": r["uscc"], "class_id": r["class_id"] if unmask or not r["class_id"] else mask_text(r["class_id"]),
            "id_number": r["id_number"] if unmask else mask_id(r["id_number"]),
            "reason_zh": zh, "reason_en": en, "evidence": _evidence(evidence),
            "run_id": r["run_id"], "created_at": str(r["created_at"]),
        })
    return out


def _evidence(text: str | None) -> Any:
    """An object in JSON exports (a string holding JSON is no use to a reader's tools); CSV writes it as JSON."""
    try:
        return json.loads(text) if text else {}
    except ValueError:  # evidence written by hand or by an older version: kept as it is
        return {"text": text}


def _finding_reasons(code: str, evidence: str | None) -> tuple[str, str]:
    """The rule's reason in Chinese and English with the finding's own detail, as the outbox words it."""
    if code not in RULES:
        return "", ""
    ev = _evidence(evidence)
    detail = (ev.get("detail") or ev.get("reason")) if isinstance(ev, dict) else None
    return reasons([code], {code: str(detail)} if detail else None)


TRAINEE_COLUMNS = ["uscc", "class_id", "id_number", "name", "enrolment_verdict", "attended_hours", "scheduled_hours",
                   "attendance_ratio", "sessions_attended", "assessment", "score", "certificate_no", "open_holds",
                   "exclusions"]
_HOLDS = ("hold_trainee", "hold_class")


def trainees(svc: Services, *, unmask: bool = False) -> list[dict[str, Any]]:
    """Per class and trainee: verdict, hours, assessment, certificate, open holds and exclusions."""
    e, h, a, c, f = db.enrolments, db.attendance_hours, db.assessments, db.certificates, db.findings
    with svc.engine.connect() as conn:
        people = conn.execute(select(e.c.uscc, e.c.class_id, e.c.id_number, e.c.name).order_by(
            e.c.uscc, e.c.class_id, e.c.id_number)).all()
        hours = {(r.uscc, r.class_id, r.id_number): r for r in conn.execute(select(h))}
        exams = {(r.uscc, r.class_id, r.id_number): r for r in conn.execute(select(a))}
        certs: dict[tuple, list[str]] = {}
        for r in conn.execute(select(c.c.uscc, c.c.class_id, c.c.id_number, c.c.certificate_no).order_by(c.c.certificate_no)):
            certs.setdefault((r.uscc, r.class_id, r.id_number), []).append(r.certificate_no)
        active = conn.execute(select(f.c.rule_code, f.c.effect, f.c.status, f.c.uscc, f.c.class_id, f.c.id_number)
                              .where(f.c.status.in_(("open", "confirmed")))).all()
    holds: dict[tuple, set[str]] = {}
    exclusions: dict[tuple, set[str]] = {}
    for r in active:
        key = (r.uscc, r.class_id, r.id_number)  # id_number None: the whole class
        if r.effect in _HOLDS and r.status == "open":
            holds.setdefault(key, set()).add(r.rule_code)
        elif r.effect == "exclude" or r.effect in _HOLDS:  # a confirmed hold stays excluded
            exclusions.setdefault(key, set()).add(r.rule_code)
    out = []
    for p in people:
        key, cls = (p.uscc, p.class_id, p.id_number), (p.uscc, p.class_id, None)
        hr, ex = hours.get(key), exams.get(key)
        held = holds.get(key, set()) | holds.get(cls, set())
        excluded = exclusions.get(key, set()) | exclusions.get(cls, set())
        out.append({
            "uscc": p.uscc, "class_id": p.class_id, "id_number": p.id_number if unmask else mask_id(p.id_number),
            "name": p.name, "enrolment_verdict": "accepted_flagged" if held or excluded else "accepted",
            "attended_hours": _hours(hr.attended_minutes) if hr else "0.00",
            "scheduled_hours": _hours(hr.scheduled_minutes) if hr else "0.00",
            "attendance_ratio": f"{hr.attended_minutes / hr.scheduled_minutes:.4f}" if hr and hr.scheduled_minutes else "",
            "sessions_attended": hr.sessions_attended if hr else 0,
            "assessment": ("passed" if ex.passed else "failed") if ex else "",
            "score": str(ex.score) if ex else "",
            "certificate_no": ";".join(certs.get(key, [])),
            "open_holds": ";".join(sorted(held)), "exclusions": ";".join(sorted(excluded)),
        })
    return out


LEDGER_COLUMNS = ["entry_id", "created_at", "booked_on", "fund", "uscc", "class_id", "payee", "kind", "amount_yuan",
                  "idempotency_key", "run_id"]
SETTLEMENT_COLUMNS = ["uscc", "class_id", "payee", "earned_yuan", "paid_yuan", "due_yuan", "status"]


def _payee(value: str, kind: str, unmask: bool) -> str:
    """A payee is an organisation's USCC (shown) or a person's ID number (masked unless asked)."""
    return value if unmask or kind != "person" else (mask_id(value) or "")


def ledger(svc: Services, *, unmask: bool = False) -> list[dict[str, Any]]:
    lg = db.ledger
    with svc.engine.connect() as conn:
        rows = conn.execute(select(lg).order_by(lg.c.id)).mappings().all()
    return [{"entry_id": r["id"], "created_at": str(r["created_at"]), "booked_on": str(r["booked_on"]), "fund": r["fund"],
             "uscc": r["uscc"], "class_id": r["class_id"],
             "payee": _payee(r["payee"], r["payee_kind"], unmask), "kind": r["kind"],
             "amount_yuan": fen_to_yuan(r["amount_fen"]),
             "idempotency_key": r["idempotency_key"].replace(r["payee"], _payee(r["payee"], r["payee_kind"], unmask)),
             "run_id": r["run_id"]}
            for r in rows]


def settlements(svc: Services, *, unmask: bool = False) -> list[dict[str, Any]]:
    from tasks.facts import class_held

    e, lg = db.earned, db.ledger
    with svc.engine.connect() as conn:
        earned = conn.execute(select(e).order_by(e.c.uscc, e.c.class_id, e.c.payee)).mappings().all()
        paid = {(u, c, p): int(v) for u, c, p, v in conn.execute(
            select(lg.c.uscc, lg.c.class_id, lg.c.payee, func.sum(lg.c.amount_fen)).group_by(lg.c.uscc, lg.c.class_id, lg.c.payee))}
        held = {k for k in {(r["uscc"], r["class_id"]) for r in earned} if class_held(conn, *k)}  # once per class
    out = []
    for r in earned:
        k = (r["uscc"], r["class_id"], r["payee"])
        due = r["earned_fen"] - paid.get(k, 0)
        status = "held" if k[:2] in held else ("settled" if due == 0 else "due")
        out.append({"uscc": k[0], "class_id": k[1], "payee": _payee(k[2], r["payee_kind"], unmask), "earned_yuan": fen_to_yuan(r["earned_fen"]),
                    "paid_yuan": fen_to_yuan(paid.get(k, 0)), "due_yuan": fen_to_yuan(due), "status": status})
    return out


def _hours(minutes: int) -> str:
    whole, rest = divmod(minutes * 100 // 60, 100)
    return f"{whole}.{rest:02d}"


def render(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> str:
    """CSV (UTF-8 with BOM for Excel, formula-safe) or JSON."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1, default=str)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: neutralise(_cell(r[k])) for k in columns})
    return "\ufeff" + buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
