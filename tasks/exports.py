"""Use case: exports for auditors and finance, CSV or JSON, personal data masked unless asked."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from sqlalchemy import select

from infra import db
from infra.bootstrap import Services
from schemas.idcard import mask_id
from tasks.outbox import neutralise

FINDING_COLUMNS = ["finding_id", "rule_code", "stage", "effect", "status", "uscc", "class_id", "id_number",
                   "evidence", "run_id", "created_at"]
_ID_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{17}[0-9X])(?![0-9])")


def mask_text(text: str) -> str:
    return _ID_IN_TEXT.sub(lambda m: mask_id(m.group(1)) or "", text)


def findings(svc: Services, *, unmask: bool = False) -> list[dict[str, Any]]:
    f = db.findings
    with svc.engine.connect() as conn:
        rows = conn.execute(select(f).order_by(f.c.id)).mappings().all()
    out = []
    for r in rows:
        out.append({
            "finding_id": r["id"], "rule_code": r["rule_code"], "stage": r["stage"], "effect": r["effect"],
            "status": r["status"], "uscc": r["uscc"], "class_id": r["class_id"],
            "id_number": r["id_number"] if unmask else mask_id(r["id_number"]),
            "evidence": r["evidence"] if unmask else mask_text(r["evidence"]),
            "run_id": r["run_id"], "created_at": str(r["created_at"]),
        })
    return out


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
        w.writerow({k: neutralise("" if r[k] is None else str(r[k])) for k in columns})
    return "\ufeff" + buf.getvalue()
