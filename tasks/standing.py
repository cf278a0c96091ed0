"""Answers that stay true (issue 11.3): an answered upload's rows as they stand now.

The gate's verdicts (`row_verdicts`) are the record of what the upload's own run decided. Since then a
later upload or the nightly run may have opened a hold on one of its trainees (the counterpart of an
ENR-OVERLAP), resolved a finding, or an auditor may have confirmed or dismissed a hold. The outbox
answer shows the row as it stands now, the way `export trainees` reads it: a roster row carries every
open or confirmed hold and exclusion the gates and the nightly run put on its trainee (the money run's own
exclusions show in the money exports); any row drops a hold that was dismissed or resolved. A class-level
hold is answered on the class's own filing and schedule rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from infra import db
from infra.bootstrap import Services
from schemas.rows import match_headers, parse_cells
from schemas.rules import RULES, Effect, reasons, verdict_for
from tasks.facts import DERIVED_HOLDS, SETTLEMENT_CODES
from tasks.kinds import KINDS

_ENTITY = {Effect.HOLD_TRAINEE.value, Effect.HOLD_CLASS.value, Effect.EXCLUDE.value}
_STANDING = ("open", "confirmed")
_RELEASED = {"dismissed": ("审核后解除", "dismissed by an auditor"), "resolved": ("条件已消除", "resolved")}
# Decided by the money run (and recomputed at every settlement): they show in the money exports, not in an answer
# that would change with whatever happens to re-answer it next.
_MONEY_CODES = frozenset(SETTLEMENT_CODES) | frozenset(DERIVED_HOLDS)
# One row per trainee and class: every other trainee-level hold or exclusion of the enrolment shows on it.
_TRAINEE_KINDS = ("roster",)

Entity = tuple[str | None, str | None, str | None]  # (uscc, class_id, id_number or None for the class)


def _codes(text: str) -> set[str]:
    return set(filter(None, text.split(";")))


def current(conn: Connection, upload: Mapping[str, Any], verdicts: list[Mapping[str, Any]]
            ) -> tuple[list[dict[str, Any]], datetime | None]:
    """Each row as it stands now, and when the latest change to any of them happened (None: as gated)."""
    rows = [dict(v) for v in verdicts]
    kind = KINDS.get(upload["kind"]) if upload["area"] == "inbox" else None
    if kind is None or not rows or not upload["header"]:
        return rows, None
    positions, missing, _ = match_headers(kind.model, json.loads(upload["header"]).get("cells", []))
    if missing:
        return rows, None
    trainee_rows = kind.name in _TRAINEE_KINDS
    entities: dict[int, tuple[str | None, str | None]] = {}
    for r in rows:  # parse only the rows that can change: a rejected row stays rejected
        if r["verdict"] != "rejected" and (trainee_rows or any(RULES[c].effect.value in _ENTITY for c in _codes(r["rule_codes"]))):
            values, _ = parse_cells(kind.model, positions, json.loads(r["raw"]))
            entities[r["row_no"]] = (values.get("class_id"), values.get("id_number"))
    classes = sorted({c for c, _ in entities.values() if c})
    if not classes:
        return rows, None
    f = db.findings
    found = conn.execute(select(f.c.id, f.c.rule_code, f.c.effect, f.c.status, f.c.class_id, f.c.id_number, f.c.created_at,
                                f.c.resolved_at)
                         .where(f.c.uscc == upload["uscc"], f.c.class_id.in_(classes), f.c.effect.in_(sorted(_ENTITY)))
                         .order_by(f.c.id)).all()
    decided = dict(conn.execute(select(db.audit_log.c.subject, db.audit_log.c.at).where(
        db.audit_log.c.subject.in_([f"finding:{x.id}" for x in found if x.status in ("dismissed", "confirmed")]))).all())
    standing: dict[tuple, Any] = {}
    released: dict[tuple, Any] = {}
    by_trainee: dict[tuple, list[Any]] = {}
    for x in found:
        key = (x.rule_code, x.class_id, x.id_number)
        if x.status in _STANDING:
            standing[key] = x
            released.pop(key, None)
        elif x.status in _RELEASED and key not in standing:
            released[key] = x
    for (_code, c, i), x in standing.items():
        by_trainee.setdefault((c, i), []).append(x)
    latest: datetime | None = None
    changed = False
    for r in rows:
        if r["row_no"] not in entities:
            continue
        class_id, id_number = entities[r["row_no"]]
        gate = _codes(r["rule_codes"])
        keep, gone, times = set(), {}, []
        for code in gate:
            if RULES[code].effect.value not in _ENTITY:
                keep.add(code)
                continue
            key = (code, class_id, None if RULES[code].effect == Effect.HOLD_CLASS else id_number)
            if key in released and key not in standing:
                gone[code] = released[key].status
                times.append(released[key].resolved_at or decided.get(f"finding:{released[key].id}"))
            else:
                keep.add(code)
        if trainee_rows:
            for x in by_trainee.get((class_id, id_number), []) if id_number else []:
                if x.rule_code not in gate and x.rule_code not in _MONEY_CODES:
                    keep.add(x.rule_code)
                    times.append(x.created_at)
        if keep == gate:
            continue
        zh, en = reasons(sorted(keep)) if keep else ("", "")
        for code, status in sorted(gone.items()):
            zh = "；".join(filter(None, [zh, f"{code}: {_RELEASED[status][0]}"]))
            en = "; ".join(filter(None, [en, f"{code}: {_RELEASED[status][1]}"]))
        changed = True
        r.update(verdict=verdict_for(sorted(keep)).value, rule_codes=";".join(sorted(keep)), reason_zh=zh, reason_en=en)
        latest = max([t for t in times if t is not None] + ([latest] if latest else []), default=latest)
    return rows, (latest or upload["processed_at"]) if changed else None


def touched_uploads(conn: Connection, entities: Iterable[Entity], answering: Iterable[int] = ()) -> list[int]:
    """Answered uploads whose rows these trainees or classes touch: the roster that enrolled the
    trainee, and every upload whose own rows opened a finding on them (and its duplicates). `answering`:
    uploads whose answer is being written (outbox.Answers.pending), answered for this purpose."""
    wanted = {e for e in entities if e[0] and e[1]}
    if not wanted:
        return []
    e, f, u = db.enrolments, db.findings, db.uploads
    usccs, classes = sorted({w[0] for w in wanted}), sorted({w[1] for w in wanted})
    ids: set[int] = set()
    for r in conn.execute(select(e.c.uscc, e.c.class_id, e.c.id_number, e.c.upload_id).where(
            e.c.uscc.in_(usccs), e.c.class_id.in_(classes))):
        if (r.uscc, r.class_id, r.id_number) in wanted or (r.uscc, r.class_id, None) in wanted:
            ids.add(r.upload_id)
    for r in conn.execute(select(f.c.uscc, f.c.class_id, f.c.id_number, f.c.upload_id).where(
            f.c.uscc.in_(usccs), f.c.class_id.in_(classes), f.c.upload_id.is_not(None))):
        if (r.uscc, r.class_id, r.id_number) in wanted:
            ids.add(r.upload_id)
    if not ids:
        return []
    return list(conn.execute(select(u.c.id).where(
        or_(u.c.id.in_(sorted(ids)), u.c.duplicate_of.in_(sorted(ids))),
        or_(u.c.answered_at.is_not(None), u.c.id.in_(sorted(set(answering)))))
        .order_by(u.c.id)).scalars())


def reanswer(svc: Services, entities: Iterable[Entity], *, besides: int | Iterable[int] | None = None,
             answers: Any = None) -> list[int]:
    """Answer again, once each, every answered upload these trainees or classes touch (besides the ones named,
    answered by the caller); returns their ids. Their answers are written together (outbox.answer_many), or
    by a batch's `answers` (outbox.Answers) behind its next round."""
    from tasks import outbox

    entities = list(entities)
    if not any(e[0] and e[1] for e in entities):
        return []  # nothing named: no connection taken
    skip = set() if besides is None else {besides} if isinstance(besides, int) else set(besides)
    with svc.engine.connect() as conn:
        ids = [i for i in touched_uploads(conn, entities, answers.pending() if answers else ()) if i not in skip]
    if answers is not None:
        answers.write(ids)
    else:
        outbox.answer_many(svc, ids)
    return ids
