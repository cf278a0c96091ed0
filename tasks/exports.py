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
