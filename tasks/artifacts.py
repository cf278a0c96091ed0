"""What people see in the Prefect UI: a table and a summary per gate run, the nightly funnel.

Personal data is masked: ID numbers keep region and last four digits, phone numbers their first three
and last four, in object keys and class ids too; uploaders' text is escaped before it reaches Markdown.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from sqlalchemy import func, select

from infra import db
from infra.bootstrap import Services
from schemas.cells import fen_to_yuan
from schemas.idcard import mask_id
from tasks.keyref import markdown, shown


def gate_tables(svc: Services, upload_id: int) -> tuple[list[dict], str]:
    """(rule code, findings, effect, examples) for one upload, and a markdown summary."""
    f, u = db.findings, db.uploads
    with svc.engine.connect() as conn:
        up = conn.execute(select(u).where(u.c.id == upload_id)).mappings().one()
        rows = conn.execute(select(f.c.rule_code, f.c.effect, f.c.class_id, f.c.id_number).where(
            f.c.upload_id == upload_id)).all()
    counts: Counter[tuple[str, str]] = Counter((r.rule_code, r.effect) for r in rows)
    examples: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if len(examples[r.rule_code]) < 3:
            examples[r.rule_code].append(shown(f"{r.class_id or ''} {mask_id(r.id_number) or ''}".strip()))
    table = [{"rule_code": code, "findings": n, "effect": effect, "examples": "; ".join(examples[code])}
             for (code, effect), n in sorted(counts.items())]
    answer = f"s3://{svc.store.bucket}/outbox/{up['uscc'] or 'reference'}/{up['kind']}/{up['name']}.result.csv"
    summary = (f"### {markdown(shown(up['key']))}\n\n"
               f"- status **{up['status']}**, run `{up['run_id']}`, sha256 `{(up['sha256'] or '')[:12]}…`\n"
               f"- rows: {up['rows_total'] or 0} — accepted {up['rows_accepted'] or 0}, rejected {up['rows_rejected'] or 0}, "
               f"flagged {up['rows_flagged'] or 0}\n"
               f"- failed checks: {', '.join(c['rule_code'] for c in json.loads(up['gate_checks'] or '[]') if not c['success']) or 'none'}\n"
               f"- answer: {markdown(shown(answer))}\n")
    return table, summary


def funnel(svc: Services) -> list[dict]:
    """filed → enrolled → attended → passed → certified → paid, over everything stored."""
    with svc.engine.connect() as conn:
        def count(q):  # noqa: ANN001, ANN202
            return conn.execute(q).scalar_one()

        paid = count(select(func.count(func.distinct(db.ledger.c.class_id))))
        return [
            {"step": "filed classes", "count": count(select(func.count()).select_from(db.classes))},
            {"step": "enrolled trainees", "count": count(select(func.count()).select_from(db.enrolments))},
            {"step": "attended ≥ 1 session", "count": count(select(func.count()).select_from(db.attendance_hours).where(
                db.attendance_hours.c.sessions_attended > 0))},
            {"step": "passed", "count": count(select(func.count()).select_from(db.assessments).where(
                db.assessments.c.passed.is_(True)))},
            {"step": "certified", "count": count(select(func.count()).select_from(db.certificates))},
            {"step": "classes paid", "count": paid},
        ]


def money_moved(svc: Services, run_id: str) -> list[dict]:
    lg = db.ledger
    with svc.engine.connect() as conn:
        rows = conn.execute(select(lg.c.kind, func.count(), func.sum(lg.c.amount_fen)).where(lg.c.run_id == run_id)
                            .group_by(lg.c.kind)).all()
    return [{"kind": k, "entries": n, "amount_yuan": fen_to_yuan(int(total))} for k, n, total in rows]
