"""Use case: a reference upload replaces its dataset as a whole; the replaced rows go to reference_history.

A file with any unparseable row replaces nothing (no partial registries): the
department gets every row's verdict and the current version stays in force.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select

from infra import db
from infra.bootstrap import Services
from infra.database import bulk_insert
from schemas.layout import Route
from schemas.reference import (
    InstitutionRef,
    InsuredRef,
    LowIncomeRef,
    OccupationRef,
    PensionerRef,
    SubsidyCatalogRef,
)
from schemas.rows import UploadRow
from schemas.rules import reasons
from tasks.apply import finish_upload

MODELS: dict[str, type[UploadRow]] = {
    "institutions": InstitutionRef,
    "occupations": OccupationRef,
    "subsidy_catalog": SubsidyCatalogRef,
    "pensioners": PensionerRef,
    "low_income": LowIncomeRef,
    "insured": InsuredRef,
}


def replace_dataset(svc: Services, r: Route, upload_id: int, run_id: str,
                    parsed: list[tuple[int, dict[str, Any], dict[str, str]]], raws: dict[int, list[str]]) -> dict[str, int]:
    model = MODELS[r.kind]
    required = model.required_columns()
    verdicts, good, seen = [], [], set()
    for line, values, errors in parsed:
        problems = dict(errors)
        for f in required:
            if values.get(f) is None and f not in problems:
                problems[f] = "missing"
        key = tuple(values.get(k) for k in model.natural_key)
        if not problems and key in seen:
            problems["row"] = "repeated in the file"
        seen.add(key)
        detail = "; ".join(f"{k}: {v}" for k, v in problems.items())
        zh, en = reasons(["ROW-FORMAT"], {"ROW-FORMAT": detail}) if problems else ("", "")
        verdicts.append({"upload_id": upload_id, "row_no": line, "verdict": "rejected" if problems else "accepted",
                         "rule_codes": "ROW-FORMAT" if problems else "", "reason_zh": zh, "reason_en": en,
                         "raw": json.dumps(raws[line], ensure_ascii=False)})
        if not problems:
            good.append({**values, "upload_id": upload_id})
    bad = sum(1 for v in verdicts if v["verdict"] == "rejected")
    table = db.REFERENCE_TABLES[r.kind]
    with svc.engine.begin() as conn:
        if verdicts:
            bulk_insert(conn, db.row_verdicts, verdicts)
        if bad:
            counts = {"total": len(verdicts), "accepted": 0, "rejected": bad, "flagged": 0}
            finish_upload(conn, svc, upload_id, "rejected", counts, reason=f"ROW-FORMAT: {bad} bad rows; dataset not replaced")
            return counts | {"file_rejected": 1}
        old = conn.execute(select(table)).mappings().all()
        if old:
            conn.execute(insert(db.reference_history), [
                {"dataset": r.kind, "upload_id": o.get("upload_id"), "replaced_by_upload": upload_id,
                 "row": json.dumps(dict(o), default=str, ensure_ascii=False)} for o in old])
        conn.execute(delete(table))
        if r.kind == "institutions":
            for g in good:
                g["difficult"] = bool(g["difficult"])
                g["self_evaluation"] = bool(g["self_evaluation"])
            conn.execute(delete(db.institution_occupations))
            pairs = {(g["uscc"], code.strip()) for g in good
                     for code in g["qualified_occupations"].replace("；", ";").split(";") if code.strip()}
            if pairs:
                conn.execute(insert(db.institution_occupations), [{"uscc": u, "occupation_code": c} for u, c in pairs])
        if good:
            conn.execute(insert(table), good)
        counts = {"total": len(verdicts), "accepted": len(good), "rejected": 0, "flagged": 0}
        finish_upload(conn, svc, upload_id, "done", counts)
    return counts
