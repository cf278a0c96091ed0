"""Use case: re-run a gate stage (filing … certificate) over the rows already stored, with today's rules.

spec/lifecycle.md, "Auditor re-run". Every upload keeps each input row as uploaded (`row_verdicts.raw`),
so a re-run parses those rows again, stages them under their upload, runs the stage's suite and compares
the new rule codes with the stored ones: rows whose verdict changed, rule codes added and removed.
A dry run throws the staged rows away; a real run updates the verdicts, opens findings for added codes,
resolves open findings whose code is gone (an auditor's decision is never undone), re-promotes the rows
this upload still owns (a later upload of the same key wins) and answers the institution's outbox again.
A file rejected whole stays rejected until it is uploaded again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.engine import Connection

from infra import db
from infra.bootstrap import Services
from infra.database import lock_findings
from schemas.codes import STAGES
from schemas.layout import Route
from schemas.rows import match_headers, parse_cells
from schemas.rules import Verdict, reasons, verdict_for
from tasks import apply as applying
from tasks import hours, ingest, outbox, standing
from tasks.kinds import HOURS_KINDS, KINDS, Kind, StageContext

GATE_STAGES = STAGES[:5]  # filing … certificate: the stages with a gate over stored rows
STAGE_KINDS = {"filing": ("filing", "schedule"), "enrollment": ("roster",), "attendance": ("attendance",),
               "assessment": ("assessment",), "certificate": ("certificate",)}


@dataclass(frozen=True)
class RowChange:
    """One stored row whose rule codes changed under today's rules."""

    stage: str
    upload_id: int
    row_no: int
    uscc: str | None
    class_id: str | None
    id_number: str | None
    before: str  # verdict
    after: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


def regate_stage(svc: Services, stage: str, scope: set[tuple[str, str]] | None, institution: str | None, *,
                 dry_run: bool, run_id: str) -> tuple[list[RowChange], int]:
    """Re-gate every done upload of the stage's kinds, limited to the classes in `scope` (None: all of
    the institution's rows), in upload order so later uploads keep winning; (changes, rows checked)."""
    changes: list[RowChange] = []
    checked = 0
    for kind_name in STAGE_KINDS[stage]:
        kind = KINDS[kind_name]
        for upload in _uploads(svc, kind_name, scope, institution):
            found, n = _regate_upload(svc, kind, upload, scope, dry_run=dry_run, run_id=run_id)
            changes += found
            checked += n
    return changes, checked


def _uploads(svc: Services, kind: str, scope: set[tuple[str, str]] | None, institution: str | None) -> list[dict]:
    u = db.uploads
    q = select(u).where(u.c.area == "inbox", u.c.kind == kind, u.c.status == "done")
    if institution:
        q = q.where(u.c.uscc == institution)
    if scope is not None:
        q = q.where(u.c.uscc.in_(sorted({uscc for uscc, _ in scope})))
    with svc.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q.order_by(u.c.id)).mappings()]


def _stored_rows(svc: Services, upload_id: int) -> dict[int, dict[str, Any]]:
    v = db.row_verdicts
    with svc.engine.connect() as conn:
        rows = conn.execute(select(v.c.row_no, v.c.verdict, v.c.rule_codes, v.c.raw).where(
            v.c.upload_id == upload_id).order_by(v.c.row_no)).mappings().all()
    return {r["row_no"]: dict(r) for r in rows}


def _regate_upload(svc: Services, kind: Kind, upload: dict, scope: set[tuple[str, str]] | None, *,
                   dry_run: bool, run_id: str) -> tuple[list[RowChange], int]:
    upload_id, uscc = upload["id"], upload["uscc"]
    stored = _stored_rows(svc, upload_id)
    header = json.loads(upload["header"] or "{}").get("cells", [])
    positions, missing, _ = match_headers(kind.model, header)
    if missing or not stored:
        return [], 0
    received = upload["received_at"].date()
    ctx = StageContext(uscc=uscc or "", received_on=received, today=received, policy=svc.policy)
    staged = []
    for row_no, stored_row in stored.items():
        cells = json.loads(stored_row["raw"])
        values, errors = parse_cells(kind.model, positions, cells)
        if scope is not None and (uscc, values.get("class_id")) not in scope:
            continue
        staged.append(kind.stage_row(values, errors, upload_id, row_no, uscc, ctx))
    if not staged:
        return [], 0
    staging = kind.staging
    ingest.stage(svc, kind, upload_id, staged)
    try:
        result = svc.gate().run(kind.name, staging.name, upload_id)
        new_codes = applying.codes_by_row(result.hits)
        changes = []
        for row in staged:
            n = row["row_no"]
            before = set(filter(None, stored[n]["rule_codes"].split(";")))
            after = set(new_codes.get(n, {}))
            if before != after:
                changes.append(RowChange(kind.stage, upload_id, n, uscc, row.get("class_id"), row.get("id_number"),
                                         stored[n]["verdict"], verdict_for(sorted(after)).value,
                                         tuple(sorted(after - before)), tuple(sorted(before - after))))
        if not dry_run:
            _apply(svc, kind, upload, staged, new_codes, changes, result.hits, run_id)
    finally:
        with svc.engine.begin() as conn:
            conn.execute(delete(staging).where(staging.c.upload_id == upload_id))
    if changes and not dry_run:
        outbox.answer(svc, upload_id)
        standing.reanswer(svc, {(h.other_uscc, h.other_class_id, h.other_id_number or h.id_number)
                                for h in result.hits if h.other_class_id is not None}, besides=upload_id)
    return changes, len(staged)


def _apply(svc: Services, kind: Kind, upload: dict, staged: list[dict], new_codes: dict[int, dict[str, str]],
           changes: list[RowChange], hits: list, run_id: str) -> None:
    """One transaction: verdicts, findings added and resolved, the rows this upload owns re-promoted."""
    upload_id = upload["id"]
    added = {(c.row_no, code) for c in changes for code in c.added}
    removed = {(c.row_no, code) for c in changes for code in c.removed}
    now = svc.now()
    with svc.engine.begin() as conn:
        lock_findings(conn)
        v, f = db.row_verdicts, db.findings
        verdicts = []
        for c in changes:
            codes = new_codes.get(c.row_no, {})
            zh, en = reasons(list(codes), codes) if codes else ("", "")
            verdicts.append({"r": c.row_no, "verdict": c.after, "rule_codes": ";".join(sorted(codes)), "reason_zh": zh,
                             "reason_en": en})
        if verdicts:  # one executemany each, not a statement per row
            conn.execute(update(v).where(v.c.upload_id == upload_id, v.c.row_no == bindparam("r")), verdicts)
        r = Route("inbox", kind.name, upload["name"], upload["uscc"])
        applying._record_findings(conn, svc, r, kind, upload_id, run_id, upload["key"],
                                  [h for h in hits if (h.row_no, h.code) in added])
        if removed:
            conn.execute(update(f).where(f.c.upload_id == upload_id, f.c.row_no == bindparam("r"),
                                         f.c.rule_code == bindparam("c"), f.c.status.in_(("open", "none")))
                         .values(status="resolved", resolved_at=now), [{"r": n, "c": c} for n, c in sorted(removed)])
        _repromote(conn, kind, upload_id, [r["row_no"] for r in staged
                                           if verdict_for(sorted(new_codes.get(r["row_no"], {}))) == Verdict.REJECTED])
        if kind.name in HOURS_KINDS:
            hours.recompute(conn, svc.policy, f"SELECT DISTINCT uscc, class_id FROM {kind.staging.name} WHERE upload_id = :u",
                            {"u": upload_id}, now)
        _recount(conn, upload_id)


def _repromote(conn: Connection, kind: Kind, upload_id: int, rejected: list[int]) -> None:
    """Rows now rejected leave the target (to row_history); the rest replace what this upload owns,
    or fill a key nobody holds; a key a later upload holds is left alone."""
    target, staging = kind.target.name, kind.staging.name
    match = " AND ".join(f"s.{k} = t.{k}" for k in kind.key)
    out = f"s.row_no IN ({', '.join(str(int(n)) for n in rejected)})" if rejected else "FALSE"
    owned = f"SELECT t.id FROM {target} t JOIN {staging} s ON {match} WHERE s.upload_id = :u AND t.upload_id = :u"
    applying.keep_history(conn, kind, f"t.id IN ({owned} AND {out})", upload_id)
    conn.execute(text(f"DELETE FROM {target} WHERE id IN ({owned})"), {"u": upload_id})
    promoted = kind.promoted_columns
    conn.execute(text(
        f"INSERT INTO {target} ({', '.join(promoted)}, upload_id) "
        f"SELECT {', '.join(promoted)}, :u FROM {staging} s WHERE s.upload_id = :u AND NOT ({out}) "
        f"AND NOT EXISTS (SELECT 1 FROM {target} t WHERE {match})"), {"u": upload_id})


def _recount(conn: Connection, upload_id: int) -> None:
    v = db.row_verdicts
    counts = dict(conn.execute(select(v.c.verdict, text("COUNT(*)")).where(v.c.upload_id == upload_id)
                               .group_by(v.c.verdict)).all())
    conn.execute(update(db.uploads).where(db.uploads.c.id == upload_id).values(
        rows_accepted=counts.get(Verdict.ACCEPTED.value, 0), rows_rejected=counts.get(Verdict.REJECTED.value, 0),
        rows_flagged=counts.get(Verdict.ACCEPTED_FLAGGED.value, 0)))
