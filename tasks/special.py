"""Use case: 重大情况专报 (issue 12.4; 苏州 "建立…重大情况专报制度").

When an auditor confirms fraud (tasks/review.py) or a recovery above the region's
`special_report_recovery_yuan` is ordered (tasks/settle.py), a report is published at once:
`reports/special/<date>/<id>.json` and `.md` in the bucket (Chinese first, English alongside), and a
Prefect markdown artifact when this runs inside a flow or task run. It names the class, the
institution, the amounts (yuan with two decimals, and fen) and the evidence; ID and phone numbers are
masked. One row per event in `special_reports` makes a second publication of the same event a no-op.
"""

from __future__ import annotations

import json
import logging
import sys
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, cast, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from infra import db
from infra.bootstrap import Services
from infra.logmask import mask_text
from schemas.cells import fen_to_yuan
from schemas.idcard import mask_id
from schemas.rules import RULES
from tasks.credit import current_ratings
from tasks.facts import Key, of
from tasks.keyref import markdown

log = logging.getLogger(__name__)
KINDS = {"advance": ("先行拨付", "advance"), "settlement": ("结算", "settlement"), "recovery": ("追回", "recovery")}


def _amount(zh: str, en: str, fen: int) -> dict[str, Any]:
    return {"what_zh": zh, "what_en": en, "fen": int(fen), "yuan": fen_to_yuan(int(fen))}


def _class_part(conn: Connection, uscc: str, class_id: str | None) -> tuple[dict, dict, list[dict]]:
    """(institution, class, money of the class so far) for a report."""
    i, c, lg, e = db.institutions, db.classes, db.ledger, db.earned
    inst = conn.execute(select(i.c.uscc, i.c.name, i.c.kind).where(i.c.uscc == uscc)).mappings().first()
    institution = {"uscc": uscc, "name": inst["name"] if inst else "", "kind": inst["kind"] if inst else "",
                   "rating": current_ratings(conn).get(uscc, "")}
    if class_id is None:
        return institution, {}, []
    cls = conn.execute(select(c.c.class_id, c.c.occupation_code, c.c.occupation_name, c.c.level, c.c.training_type,
                              c.c.start_date, c.c.end_date).where(c.c.uscc == uscc, c.c.class_id == class_id)).mappings().first()
    klass = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in (cls or {"class_id": class_id}).items()}
    paid = dict(conn.execute(select(lg.c.kind, func.sum(lg.c.amount_fen)).where(
        lg.c.uscc == uscc, lg.c.class_id == class_id).group_by(lg.c.kind)).all())
    earned = conn.execute(select(func.coalesce(func.sum(e.c.earned_fen), 0)).where(
        e.c.uscc == uscc, e.c.class_id == class_id)).scalar_one()
    money = [_amount(f"已{zh}", f"{en} booked", paid[k]) for k, (zh, en) in KINDS.items() if k in paid]
    money.append(_amount("核定应得补贴", "subsidy earned as computed", earned))
    return institution, klass, money


def _evidence(conn: Connection, uscc: str, class_id: str | None, only: int | None = None) -> list[dict]:
    """The confirmed findings of the class (or the one finding): rule, reasons, the finding's evidence, the decision."""
    f, d = db.findings, db.decisions
    q = (select(f.c.id, f.c.rule_code, f.c.id_number, f.c.evidence, d.c.auditor, d.c.reason, d.c.at)
         .join(d, and_(d.c.finding_id == f.c.id, d.c.decision == "confirm")))
    q = q.where(f.c.id == only) if only is not None else q.where(f.c.uscc == uscc, f.c.class_id == class_id)
    out = []
    for r in conn.execute(q.order_by(f.c.id)).mappings():
        rule = RULES.get(r["rule_code"])
        out.append({"finding_id": r["id"], "rule_code": r["rule_code"], "reason_zh": rule.zh if rule else "",
                    "reason_en": rule.en if rule else "", "id_number": mask_id(r["id_number"]),
                    "evidence": json.loads(r["evidence"] or "{}"), "decided_by": r["auditor"],
                    "decision_reason": r["reason"], "decided_at": r["at"].isoformat(sep=" ")})
    return out


def _markdown(report: dict) -> str:
    inst, klass = report["institution"], report["class"]
    lines = [f"# 重大情况专报 {report['title_zh']} / Special report: {report['title_en']}", "",
             f"- 编号 / id: `{report['id']}`；日期 / date: {report['date']}",
             f"- 机构 / institution: {markdown(inst['name'])} ({inst['uscc']})，信用等级 / rating: {inst['rating']}"]
    if klass:
        lines.append(f"- 班级 / class: {markdown(klass['class_id'])} — {markdown(str(klass.get('occupation_name', '')))} "
                     f"{klass.get('level', '')} {klass.get('training_type', '')}, {klass.get('start_date', '')} – "
                     f"{klass.get('end_date', '')}")
    lines += ["", "## 金额 / Amounts", "", "| 项目 | item | 元 / yuan | 分 / fen |", "|---|---|---:|---:|"]
    lines += [f"| {a['what_zh']} | {a['what_en']} | {a['yuan']} | {a['fen']} |" for a in report["amounts"]]
    lines += ["", "## 证据 / Evidence", ""]
    for ev in report["evidence"]:
        detail = markdown(json.dumps(ev["evidence"], ensure_ascii=False)) if ev["evidence"] else "—"
        lines.append(f"- {ev['rule_code']}：{ev['reason_zh']} / {ev['reason_en']}；学员 / trainee "
                     f"{markdown(ev['id_number'] or '—')}；证据 / evidence {detail}；"
                     f"{markdown(ev['decided_by'])} 于 {ev['decided_at']} 确认 / confirmed: {markdown(ev['decision_reason'])}")
    if not report["evidence"]:
        lines.append("- —")
    if report.get("rating_change"):
        ch = report["rating_change"]
        lines += ["", f"信用等级 / rating: {ch['previous']} → {ch['rating']}"]
    return "\n".join(lines) + "\n"


def _in_run() -> bool:
    """Inside a Prefect flow or task run (Prefect is then already imported: no import cost outside)."""
    if "prefect" not in sys.modules:
        return False
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def _publish(svc: Services, conn: Connection, event_key: str, kind: str, report: dict) -> str | None:
    """Record the event (None when it was reported already), then write both objects and the artifact;
    a failed write rolls the record back with the caller's transaction."""
    key = f"reports/special/{report['date']}/{report['id']}"
    stmt = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(db.special_reports).on_conflict_do_nothing()
    sr = db.special_reports
    written = conn.execute(stmt.returning(sr.c.id), {
        "event_key": event_key, "kind": kind, "uscc": report["institution"]["uscc"],
        "class_id": report["class"].get("class_id"), "amount_fen": report.get("amount_fen"),
        "object_key": key + ".json", "created_at": svc.now()}).first()
    if written is None:
        return None
    md = mask_text(_markdown(report))
    svc.store.put(key + ".json", mask_text(json.dumps(report, ensure_ascii=False, indent=2)).encode("utf-8"),
                  "application/json")
    svc.store.put(key + ".md", md.encode("utf-8"), "text/markdown; charset=utf-8")
    if _in_run():
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(key="special-report", markdown=md, description=f"重大情况专报 {report['id']}")
    log.info("special report %s published", key)
    return key


def publish_fraud(svc: Services, finding_id: int, rating_change: dict | None = None) -> str | None:
    """The special report of a confirmed fraud; its object key without extension, None if published before."""
    f = db.findings
    with svc.engine.begin() as conn:
        row = conn.execute(select(f.c.uscc, f.c.class_id, f.c.rule_code).where(f.c.id == finding_id)).mappings().first()
        if row is None or not row["uscc"]:
            return None
        institution, klass, money = _class_part(conn, row["uscc"], row["class_id"])
        rule = RULES[row["rule_code"]]
        report = {"id": f"fraud-finding-{finding_id}", "kind": "fraud", "date": svc.now().date().isoformat(),
                  "title_zh": f"审核确认违规：{rule.zh}", "title_en": f"fraud confirmed: {rule.en}",
                  "institution": institution, "class": klass, "amounts": money,
                  "evidence": _evidence(conn, row["uscc"], row["class_id"], only=finding_id),
                  "rating_change": rating_change}
        return _publish(svc, conn, f"fraud:finding:{finding_id}", "fraud", report)


def publish_recoveries(svc: Services, keys: list[Key]) -> list[str]:
    """A special report for each recovery order of these classes above the region's threshold not reported yet."""
    threshold = int(svc.policy.settings.special_report_recovery_yuan * Decimal(100))
    lg, sr = db.ledger, db.special_reports
    if not keys:
        return []
    out = []
    with svc.engine.connect() as conn:
        orders = conn.execute(select(lg).where(
            lg.c.kind == "recovery", -lg.c.amount_fen > threshold,
            ~select(sr.c.id).where(sr.c.event_key == literal("recovery:", String) + lg.c.idempotency_key).exists(),
            of(lg, keys)).order_by(lg.c.id)).mappings().all()
    for o in orders:  # one transaction each: a failed write leaves the reports before it recorded as published
        with svc.engine.begin() as conn:
            institution, klass, money = _class_part(conn, o["uscc"], o["class_id"])
            payee = mask_id(o["payee"]) if o["payee_kind"] == "person" else o["payee"]
            report = {"id": f"recovery-{o['id']}", "kind": "recovery", "date": svc.now().date().isoformat(),
                      "title_zh": f"追回补贴资金 {fen_to_yuan(-o['amount_fen'])} 元",
                      "title_en": f"recovery of {fen_to_yuan(-o['amount_fen'])} yuan ordered",
                      "institution": institution, "class": klass, "amount_fen": int(o["amount_fen"]),
                      "amounts": [_amount(f"本次追回（收款方 {payee}）", f"this recovery order (payee {payee})",
                                          o["amount_fen"]),
                                  _amount("专报门槛", "reporting threshold", threshold), *money],
                      "evidence": _evidence(conn, o["uscc"], o["class_id"])}
            key = _publish(svc, conn, f"recovery:{o['idempotency_key']}", "recovery", report)
            if key:
                out.append(key)
    return out


def publish_missing(svc: Services) -> list[str]:
    """Every confirmed fraud and every recovery order above the threshold not reported yet (a decision taken
    where no object store was configured, a write that failed): reported now."""
    f, d, lg, sr = db.findings, db.decisions, db.ledger, db.special_reports
    threshold = int(svc.policy.settings.special_report_recovery_yuan * Decimal(100))
    with svc.engine.connect() as conn:
        frauds = conn.execute(select(d.c.finding_id).join(f, f.c.id == d.c.finding_id).where(
            d.c.decision == "confirm", f.c.uscc.is_not(None),
            ~select(sr.c.id).where(sr.c.event_key == literal("fraud:finding:", String) + cast(
                d.c.finding_id, String)).exists()).order_by(d.c.finding_id)).scalars().all()
        classes = conn.execute(select(lg.c.uscc, lg.c.class_id).where(
            lg.c.kind == "recovery", -lg.c.amount_fen > threshold,
            ~select(sr.c.id).where(sr.c.event_key == literal("recovery:", String) + lg.c.idempotency_key).exists())
            .distinct()).all()
    out = [k for k in (publish_fraud(svc, i) for i in frauds) if k]
    return out + publish_recoveries(svc, [tuple(k) for k in classes])
