"""Use case: the public disclosure of fund use (issue 12 point 5; 山西 "定期向社会公开…补贴资金使用情况").

Per institution and training type: classes, trainees, subsidy paid and recoveries in the period. Only
aggregates of organisations leave this module: no class id (an institution may name a class after a
person), no payee, no ID number, phone or name — the query never selects a person's column.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from sqlalchemy import and_, func, select

from infra import db
from infra.bootstrap import Services
from schemas.codes import TRAINING_TYPE
from schemas.report_period import Period, yuan
from tasks.period_report import zh

COLUMNS = [("institution", "机构名称 institution"), ("uscc", "统一社会信用代码 USCC"),
           ("training_type", "培训类型 training type"), ("classes", "班级数 classes"), ("trainees", "培训人数 trainees"),
           ("paid_yuan", "拨付补贴（元） subsidy paid (yuan)"), ("recovered_yuan", "追回（元） recovered (yuan)")]


def rows(svc: Services, period: Period) -> list[dict]:
    """Classes that ended in the period and their trainees; money booked in the period (advances and
    settlements paid, recoveries as a positive amount recovered), by institution and training type."""
    c, e, lg, i = db.classes, db.enrolments, db.ledger, db.institutions
    per: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    ended = and_(c.c.end_date >= period.start, c.c.end_date < period.end)
    on_class = and_(lg.c.uscc == c.c.uscc, lg.c.class_id == c.c.class_id)
    in_period = and_(lg.c.booked_on >= period.start, lg.c.booked_on < period.end)
    with svc.engine.connect() as conn:
        names = {u: n for u, n in conn.execute(select(i.c.uscc, i.c.name))}
        for u, t, n in conn.execute(select(c.c.uscc, c.c.training_type, func.count()).where(ended)
                                    .group_by(c.c.uscc, c.c.training_type)):
            per[(u, t)]["classes"] = int(n)
        for u, t, n in conn.execute(select(c.c.uscc, c.c.training_type, func.count())
                                    .select_from(e.join(c, and_(e.c.uscc == c.c.uscc, e.c.class_id == c.c.class_id)))
                                    .where(ended).group_by(c.c.uscc, c.c.training_type)):
            per[(u, t)]["trainees"] = int(n)
        for u, t, kind, total in conn.execute(select(c.c.uscc, c.c.training_type, lg.c.kind, func.sum(lg.c.amount_fen))
                                              .select_from(lg.join(c, on_class)).where(in_period)
                                              .group_by(c.c.uscc, c.c.training_type, lg.c.kind)):
            per[(u, t)]["recovered" if kind == "recovery" else "paid"] += abs(int(total))
    return [{"institution": names.get(u, ""), "uscc": u, "training_type": f"{zh(TRAINING_TYPE, t)} {t}",
             "classes": v["classes"], "trainees": v["trainees"], "paid_fen": v["paid"], "paid_yuan": yuan(v["paid"]),
             "recovered_fen": v["recovered"], "recovered_yuan": yuan(v["recovered"])} for (u, t), v in sorted(per.items())]


def title(svc: Services, period: Period) -> tuple[str, str]:
    return (f"{svc.policy.name}职业技能培训补贴资金使用情况公开（{period.title_zh}）",
            f"{svc.policy.region.title()} subsidised training: use of funds, {period.label}")


def to_csv(data: list[dict]) -> bytes:
    """UTF-8 with BOM (Excel opens it in Chinese); cells that look like formulas are neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([label for _, label in COLUMNS])
    for r in data:
        w.writerow([_safe(r[k]) for k, _ in COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode()


def _safe(v: object) -> object:
    return "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") and not v[1:].replace(".", "").isdigit() else v


def to_html(svc: Services, period: Period, data: list[dict]) -> bytes:
    from tasks.report_render import ENV

    zh_title, en_title = title(svc, period)
    return ENV.get_template("disclosure.html.j2").render(
        title_zh=zh_title, title_en=en_title, period=period, columns=COLUMNS, rows=data,
        totals={f"{k}_yuan": yuan(sum(r[f"{k}_fen"] for r in data)) for k in ("paid", "recovered")},
        counts={k: sum(r[k] for r in data) for k in ("classes", "trainees")}).encode()
