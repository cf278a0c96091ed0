"""Use case: turn a gate's hits into verdicts and findings, and promote accepted rows — in one transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, insert, or_, select, text, update
from sqlalchemy.engine import Connection

from expectations.gate import GateResult, Hit
from infra import db
from infra.bootstrap import Services
from infra.database import analyze_stale, bulk_copy, bulk_insert, lock_findings
from schemas.codes import UPLOAD_STAGE
from schemas.layout import Route
from schemas.rules import RULES, Effect, Verdict, finding_status, reasons
from tasks import hours
from tasks.crossinst import Counterparts, pair_tag
from tasks.kinds import HOURS_KINDS, Kind
from tasks.verdict_rows import COLUMNS as VERDICT_COLUMNS
from tasks.verdict_rows import verdict_rows as build_verdict_rows

_ENTITY_EFFECTS = {Effect.HOLD_CLASS, Effect.HOLD_TRAINEE, Effect.EXCLUDE}


def reject_file(svc: Services, r: Route, upload_id: int, run_id: str, key: str, code: str, reason: str,
                raws: dict[int, list[str]], *, status: str = "rejected") -> dict[str, int]:
    """A file-level rule: every row rejected with the code, nothing loaded, one finding."""
    zh, en = reasons([code], {code: reason})
    verdicts = [
        {"upload_id": upload_id, "row_no": line, "verdict": Verdict.REJECTED.value, "rule_codes": code,
         "reason_zh": zh, "reason_en": en, "raw": json.dumps(cells, ensure_ascii=False)}
        for line, cells in raws.items()
    ]
    with svc.engine.begin() as conn:
        if verdicts:
            bulk_insert(conn, db.row_verdicts, verdicts)
        conn.execute(insert(db.findings).values(
            rule_code=code, stage=UPLOAD_STAGE.get(r.kind, "filing") if r.area == "inbox" else "filing",
            effect=RULES[code].effect.value, status="none", uscc=r.uscc,
            evidence=json.dumps({"key": key, "reason": reason, "reason_zh": zh, "reason_en": en}, ensure_ascii=False),
            run_id=run_id, upload_id=upload_id, created_at=svc.now(),
        ))
        counts = {"total": len(verdicts), "accepted": 0, "rejected": len(verdicts), "flagged": 0}
        finish_upload(conn, svc, upload_id, status, counts, reason=f"{code}: {reason}")
    return counts | {"file_rejected": 1}


def codes_by_row(hits: list[Hit]) -> dict[int, dict[str, str]]:
    """Row number → {rule code: detail}, details of repeated hits joined once each."""
    codes: dict[int, dict[str, str]] = defaultdict(dict)
    for h in hits:
        parts = [p for p in (codes[h.row_no].get(h.code), h.detail) if p]
        codes[h.row_no][h.code] = "; ".join(dict.fromkeys(parts))
    return codes


def apply_gate(svc: Services, r: Route, kind: Kind, upload_id: int, run_id: str, key: str,
               result: GateResult, raws: dict[int, list[str]]) -> dict[str, int]:
    """Verdicts for every row, findings for every hit, accepted rows promoted with history."""
    file_hits = [h for h in result.hits if RULES[h.code].effect == Effect.REJECT_FILE]
    staging = kind.staging
    if file_hits:
        code = file_hits[0].code
        detail = f"rows {', '.join(str(h.row_no) for h in file_hits[:20])}: {file_hits[0].detail or ''}".strip()
        with svc.engine.begin() as conn:
            conn.execute(delete(staging).where(staging.c.upload_id == upload_id))
        return reject_file(svc, r, upload_id, run_id, key, code, detail, raws)

    verdict_rows, rejected, tally = build_verdict_rows(upload_id, raws, codes_by_row(result.hits))

    with svc.engine.begin() as conn:
        lock_findings(conn)
        bulk_copy(conn, db.row_verdicts, VERDICT_COLUMNS, verdict_rows)
        _record_findings(conn, svc, r, kind, upload_id, run_id, key, result.hits)
        for at in range(0, len(rejected), 5000):  # one statement per 5,000 rejected rows, not one per row
            conn.execute(delete(staging).where(staging.c.upload_id == upload_id,
                                               staging.c.row_no.in_(rejected[at:at + 5000])))
        _promote(conn, kind, upload_id)
        if kind.name in HOURS_KINDS:
            hours.recompute(conn, svc.policy, f"SELECT DISTINCT uscc, class_id FROM {staging.name} WHERE upload_id = :u",
                            {"u": upload_id}, svc.now())
        conn.execute(delete(staging).where(staging.c.upload_id == upload_id))
        finish_upload(conn, svc, upload_id, "done", tally, gate_checks=json.dumps(result.outcomes, ensure_ascii=False))
    fresh_statistics(svc)  # the next upload's promotion and gate plan on what is stored now
    return tally


def fresh_statistics(svc: Services) -> list[str]:
    """ANALYZE the stored tables that changed enough since their last ANALYZE (settings analyze_min_rows,
    analyze_fraction); one cheap call when none did."""
    stored = [name for name in db.metadata.tables if not name.startswith("stg_")]
    return analyze_stale(svc.engine, stored, svc.settings.analyze_min_rows, svc.settings.analyze_fraction)


def _record_findings(conn: Connection, svc: Services, r: Route, kind: Kind, upload_id: int, run_id: str,
                     key: str, hits: list[Hit]) -> None:
    """One finding per hit; holds and exclusions once per entity; counterparts of cross-record rules too
    (another institution's side as a warning unless the two collude: tasks/crossinst.py)."""
    now = svc.now()
    rows: list[dict[str, Any]] = []
    seen: set[tuple] = set()
    staged_ids = _staged_ids(conn, kind, upload_id) if any(h.id_number is None for h in hits) else {}
    counterparts = Counterparts(conn, svc.policy.settings, r.uscc, upload_id, now)
    standing = _standing_findings(conn, r.uscc, [h for h in hits if RULES[h.code].effect in _ENTITY_EFFECTS])
    for h in hits:
        rule = RULES[h.code]
        stage = rule.stage if rule.stage != "any" else kind.stage
        entity_id = None if rule.effect == Effect.HOLD_CLASS else h.id_number
        if entity_id is None and rule.effect not in _ENTITY_EFFECTS:
            # A check that selects no ID (ROW-UNKNOWN-CLASS, ROW-FORMAT …) still names the row's trainee
            # (spec/rules.md: a finding carries the person's ID number where one is involved).
            entity_id = staged_ids.get(h.row_no)
        parties = [(r.uscc, h.class_id, entity_id, h.row_no, upload_id)]
        if h.other_class_id is not None:
            other_id = None if rule.effect == Effect.HOLD_CLASS else (h.other_id_number or h.id_number)
            parties.append((h.other_uscc, h.other_class_id, other_id, None, None))
        for uscc, class_id, id_number, row_no, up in parties:
            effect = rule.effect if row_no is not None else counterparts.effect(rule.effect, uscc)
            entity = (h.code, uscc, class_id, id_number) if rule.effect in _ENTITY_EFFECTS else (h.code, row_no, up, uscc, class_id)
            if entity in seen:
                continue
            seen.add(entity)
            if rule.effect in _ENTITY_EFFECTS and _stands(standing, h.code, uscc, class_id, id_number,
                                                          warned=effect != rule.effect):
                continue
            evidence = {"key": key, "row_no": row_no, "detail": h.detail}
            if row_no is None:
                evidence = {"detected_by": key, "row_no": h.row_no, "with": {"uscc": r.uscc, "class_id": h.class_id}, "detail": h.detail}
            if h.other_uscc is not None and h.other_uscc != r.uscc:
                evidence["pair"] = pair_tag(r.uscc, h.other_uscc)
            rows.append({"rule_code": h.code, "stage": stage, "effect": effect.value,
                         "status": finding_status(effect), "uscc": uscc, "class_id": class_id,
                         "id_number": id_number, "evidence": json.dumps(evidence, ensure_ascii=False),
                         "run_id": run_id, "upload_id": up, "row_no": row_no, "created_at": now})
    if rows:
        conn.execute(insert(db.findings), rows)


def _staged_ids(conn: Connection, kind: Kind, upload_id: int) -> dict[int, str]:
    """Row number → the ID number it names, for an upload whose file has an ID column."""
    staging = kind.staging
    if "id_number" not in staging.c:
        return {}
    rows = conn.execute(select(staging.c.row_no, staging.c.id_number).where(
        staging.c.upload_id == upload_id, staging.c.id_number.is_not(None)))
    return {row_no: id_number for row_no, id_number in rows}


Standing = set[tuple[str, str | None, str | None, str | None, str]]  # (code, uscc, class, id number, status)


def _standing_findings(conn: Connection, uploader: str | None, hits: list[Hit]) -> Standing:
    """Every open, confirmed or warned-only finding of these hits' codes on their classes, read once per
    upload (_stands answers for each entity what one query per entity answered: the findings this upload records are
    written after all of them are decided, so none of them changes the answer)."""
    if not hits:
        return set()
    f = db.findings
    usccs = {uploader} | {h.other_uscc for h in hits}
    classes = {c for h in hits for c in (h.class_id, h.other_class_id)}
    named = f.c.class_id.in_(sorted(c for c in classes if c is not None))
    rows = conn.execute(select(f.c.rule_code, f.c.uscc, f.c.class_id, f.c.id_number, f.c.status).where(
        f.c.rule_code.in_(sorted({h.code for h in hits})), or_(named, f.c.class_id.is_(None)) if None in classes else named,
        or_(f.c.uscc.in_(sorted(u for u in usccs if u is not None)), f.c.uscc.is_(None)),
        f.c.status.in_(("open", "confirmed", "none"))))
    return {tuple(row) for row in rows}  # type: ignore[misc]


def _stands(standing: Standing, code: str, uscc: str | None, class_id: str | None, id_number: str | None,
            *, warned: bool = False) -> bool:
    """A standing finding on the entity; for a counterpart warning, an earlier warning stands as well."""
    return any((code, uscc, class_id, id_number, status) in standing
               for status in (("open", "confirmed", "none") if warned else ("open", "confirmed")))


def _json_row(dialect: str, table_alias: str, columns: list[str]) -> str:
    fn = "json_object" if dialect == "sqlite" else "json_build_object"
    args = ", ".join(f"'{c}', {table_alias}.{c}" for c in columns)
    return f"{fn}({args})" + ("" if dialect == "sqlite" else "::text")


def keep_history(conn: Connection, kind: Kind, where: str, upload_id: int) -> None:
    """Copy the target rows `where` selects (alias t, parameter :u) to row_history before they go."""
    target = kind.target.name
    key_text = " || '/' || ".join(f"CAST(t.{k} AS TEXT)" for k in kind.key)
    cols = [c.name for c in kind.target.columns if c.name != "id"]
    conn.execute(text(
        f"INSERT INTO row_history (table_name, natural_key, replaced_by_upload, old_row, replaced_at) "
        f"SELECT '{target}', {key_text}, :u, {_json_row(conn.dialect.name, 't', cols)}, CURRENT_TIMESTAMP "
        f"FROM {target} t WHERE {where}"), {"u": upload_id})


def _replaced(kind: Kind, table: str) -> str:
    """The target rows (`table`: its name or alias) that a staged row of upload :u replaces: same natural key.
    Narrowed first to the upload's classes, which the key's unique index leads with: without it PostgreSQL
    scanned the whole target table twice per upload (history, then delete), a cost growing with all that is
    stored (attendance: ~140k rows at 200 classes). The narrowing is implied by the key match: same rows."""
    staging = kind.staging.name
    match = " AND ".join(f"s.{k} = {table}.{k}" for k in kind.key)
    replaced = f"EXISTS (SELECT 1 FROM {staging} s WHERE s.upload_id = :u AND {match})"
    if kind.key[:2] == ("uscc", "class_id") and len(kind.key) > 2:
        classes = f"SELECT s.uscc, s.class_id FROM {staging} s WHERE s.upload_id = :u"
        replaced = f"({table}.uscc, {table}.class_id) IN ({classes}) AND {replaced}"
    return replaced


def _replaces_any(conn: Connection, kind: Kind, upload_id: int) -> bool:
    """Whether any staged row of upload :u has a stored row with its natural key (the match _replaced uses).
    Most uploads bring only new keys (a day's first attendance); then the history copy and the delete, which
    each read the upload's classes in the target, are skipped: both would select no row.
    The scalar subquery (not EXISTS) keeps it one index probe per staged row, stopping at the first hit:
    PostgreSQL planned EXISTS as a hash join over the whole target table, a cost growing with all stored."""
    target, staging = kind.target.name, kind.staging.name
    match = " AND ".join(f"t.{k} = s.{k}" for k in kind.key)
    return conn.execute(text(
        f"SELECT 1 FROM {staging} s WHERE s.upload_id = :u "
        f"AND (SELECT 1 FROM {target} t WHERE {match} LIMIT 1) IS NOT NULL LIMIT 1"),
        {"u": upload_id}).first() is not None


def _promote(conn: Connection, kind: Kind, upload_id: int) -> None:
    """Replace rows with the same natural key (old versions to row_history), then insert the staged rows."""
    target, staging = kind.target.name, kind.staging.name
    if _replaces_any(conn, kind, upload_id):
        keep_history(conn, kind, _replaced(kind, "t"), upload_id)
        conn.execute(text(f"DELETE FROM {target} WHERE {_replaced(kind, target)}"), {"u": upload_id})
    promoted = kind.promoted_columns
    conn.execute(text(
        f"INSERT INTO {target} ({', '.join(promoted)}, upload_id) "
        f"SELECT {', '.join(promoted)}, :u FROM {staging} WHERE upload_id = :u"), {"u": upload_id})


def finish_upload(conn: Connection, svc: Services, upload_id: int, status: str, counts: dict[str, int],
                  reason: str | None = None, **more: Any) -> None:
    """The upload's outcome and counts (and `more` columns, e.g. gate_checks) in one statement."""
    conn.execute(update(db.uploads).where(db.uploads.c.id == upload_id).values(
        status=status, reason=reason, processed_at=svc.now(), rows_total=counts["total"],
        rows_accepted=counts["accepted"], rows_rejected=counts["rejected"], rows_flagged=counts["flagged"], **more))
