"""Use case: answer the uploader — <name>.result.csv (every row, verdict, reasons) and <name>.summary.json."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, update

from infra import db
from infra.bootstrap import Services
from infra.objectstore import put_all
from schemas.layout import Route, outbox_prefix
from schemas.rules import RULES, reasons
from tasks import standing

_FORMULA_START = ("=", "+", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Cells people open in Excel must not run as formulas (CSV injection): prefix a quote."""
    if cell.startswith(_FORMULA_START) or (cell.startswith("-") and not _is_number(cell)):
        return "'" + cell
    return cell


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def answer(svc: Services, upload_id: int) -> str:
    """Write the outbox pair for an upload (a duplicate gets its original's verdicts); returns the prefix."""
    u = db.uploads
    with svc.engine.connect() as conn:
        up = conn.execute(select(u).where(u.c.id == upload_id)).mappings().one()
        source = up["duplicate_of"] or upload_id
        src = conn.execute(select(u).where(u.c.id == source)).mappings().one()
        verdicts = conn.execute(
            select(db.row_verdicts).where(db.row_verdicts.c.upload_id == source).order_by(db.row_verdicts.c.row_no)
        ).mappings().all()
        verdicts, changed_at = standing.current(conn, src, verdicts)  # what happened since the gate (issue 11.3)
    r = Route(up["area"], up["kind"], up["name"], up["uscc"])
    prefix = outbox_prefix(r)
    header_info = json.loads(src["header"]) if src["header"] else {"cells": [], "ignored": []}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([*header_info["cells"], "row_no", "verdict", "rule_codes", "reason_zh", "reason_en"])
    for v in verdicts:
        cells = [neutralise(c) for c in json.loads(v["raw"])]
        w.writerow([*cells, v["row_no"], v["verdict"], v["rule_codes"], neutralise(v["reason_zh"] or ""),
                    neutralise(v["reason_en"] or "")])
    reason_zh, reason_en = _file_reasons(src["reason"])
    if not verdicts and src["status"] in ("quarantined", "rejected"):
        code = (src["reason"] or "").partition(": ")[0]
        w.writerow([""] * len(header_info["cells"]) + [0, "rejected", code, reason_zh, reason_en])
    by_code = rows_by_code(verdicts)
    summary: dict[str, Any] = {
        "key": up["key"], "upload_id": upload_id, "run_id": up["run_id"], "sha256": up["sha256"],
        "status": up["status"], "duplicate": up["status"] == "duplicate", "duplicate_of": up["duplicate_of"],
        "gate": _gate_outcome(src["status"], src["rows_rejected"], src["rows_flagged"]),
        "failed_checks": [{"rule_code": c["rule_code"], "check": c["check"], "rows": c["rows"]}
                          for c in json.loads(src["gate_checks"] or "[]") if not c["success"] and c["rows"]],
        "rule_codes": {code: {"rows": n, "effect": RULES[code].effect.value, "zh": RULES[code].zh,
                              "en": RULES[code].en} for code, n in sorted(by_code.items())},
        "reason": src["reason"], "reason_zh": reason_zh, "reason_en": reason_en,
        "rows": {"total": src["rows_total"] or 0, "accepted": src["rows_accepted"] or 0,
                 "rejected": src["rows_rejected"] or 0, "accepted_flagged": src["rows_flagged"] or 0},
        "updated_at": str(max(changed_at, up["processed_at"]) if changed_at and up["processed_at"] else up["processed_at"]),
        "ignored_columns": header_info.get("ignored", []),
        "data_docs": (f"reports/{src['processed_at']:%Y-%m-%d}/datadocs/upload-{source}-{src['kind']}.html"
                      if src["gate_checks"] and src["processed_at"] else None),
        "processed_at": str(up["processed_at"]),
    }
    if changed_at is not None:  # the counts of the rows as they stand now
        summary["rows"] |= {v: sum(1 for r in verdicts if r["verdict"] == v) for v in ("accepted", "rejected", "accepted_flagged")}
    put_all(svc.store, [  # side by side; answered_at is set only once both landed
        (f"{prefix}.result.csv", ("\ufeff" + buf.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"),
        (f"{prefix}.summary.json", json.dumps(summary, ensure_ascii=False, indent=1).encode("utf-8"), "application/json"),
    ])
    with svc.engine.begin() as conn:
        conn.execute(update(u).where(u.c.id == upload_id).values(answered_at=svc.now()))
    return prefix


def rows_by_code(verdicts: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """How many rows carry each rule code: the counts an institution checks against the verdicts."""
    return Counter(code for v in verdicts for code in set((v["rule_codes"] or "").split(";")) if code)


def _file_reasons(reason: str | None) -> tuple[str, str]:
    """A file-level reason ("CODE: detail") in Chinese and English; empty when the file was not rejected."""
    code, _, detail = (reason or "").partition(": ")
    if code not in RULES:
        return reason or "", reason or ""
    return reasons([code], {code: detail})


def _gate_outcome(status: str, rejected: int | None, flagged: int | None) -> str:
    if status in ("quarantined", "rejected"):
        return "file_rejected"
    if rejected:
        return "rows_rejected"
    if flagged:
        return "passed_with_flags"
    return "passed"
