"""Use case: the numbers of a monthly, quarterly or annual report (issue 12 point 2), read with set-based
queries; money by the ledger's `booked_on`, so a report for a period equals the ledger for that period.

Chinese first, English alongside: labels come from schemas/codes.py and schemas/report_period.py.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, select, tuple_
from sqlalchemy.engine import Connection

from infra import db
from infra.bootstrap import Services
from schemas.codes import CATEGORY, TRAINING_TYPE
from schemas.idcard import mask_id
from schemas.report_period import KIND_ZH, Period, change, money_block, progress, rate, yuan
from tasks import report_credit
from tasks.exports import mask_text

FUNNEL = ("enrolled", "trained", "passed", "certified")
FUNNEL_LABELS = {"enrolled": ("报名", "enrolled"), "trained": ("完成培训", "trained"),
                 "passed": ("考核合格", "passed"), "certified": ("取得证书", "certified")}
DECISIONS = ("opened", "confirmed", "dismissed", "resolved")


def zh(table: dict[str, str], code: str | None) -> str:
    """The first Chinese spelling of a code (schemas/codes.py tables map every spelling to its code)."""
    for spelling, c in table.items():
        if c == code and not spelling.isascii():
            return spelling
    return code or ""


def _between(col, start: date, end: date):  # noqa: ANN001, ANN202
    return and_(col >= start, col < end)


def _at_between(col, start: date, end: date):  # noqa: ANN001, ANN202
    """A DateTime column within [start, end) of dates."""
    return and_(col >= datetime.combine(start, datetime.min.time()), col < datetime.combine(end, datetime.min.time()))


def _class_join(left):  # noqa: ANN001, ANN202
    c = db.classes
    return left.join(c, and_(c.c.uscc == left.c.uscc, c.c.class_id == left.c.class_id))


def money_by(conn: Connection, start: date, end: date) -> tuple[dict[str, int], dict[str, int]]:
    """Sums of the ledger entries booked in [start, end): by kind, by fund (integer fen, exact)."""
    lg = db.ledger
    by_kind: dict[str, int] = defaultdict(int)
    by_fund: dict[str, int] = defaultdict(int)
    for kind, fund, total in conn.execute(select(lg.c.kind, lg.c.fund, func.sum(lg.c.amount_fen))
                                          .where(_between(lg.c.booked_on, start, end)).group_by(lg.c.kind, lg.c.fund)):
        by_kind[kind] += int(total)
        by_fund[fund] += int(total)
    return dict(by_kind), dict(by_fund)


def money_per_month(conn: Connection, months: list[date], end: date) -> list[dict]:
    lg = db.ledger
    per: dict[tuple[str, str], int] = defaultdict(int)
    for day, kind, total in conn.execute(select(lg.c.booked_on, lg.c.kind, func.sum(lg.c.amount_fen))
                                         .where(_between(lg.c.booked_on, months[0], end))
                                         .group_by(lg.c.booked_on, lg.c.kind)):
        per[(str(day)[:7], kind)] += int(total)
    return [{"month": f"{m:%Y-%m}", **{k: per[(f'{m:%Y-%m}', k)] for k in ("advance", "settlement", "recovery")}}
            for m in months]


def _funnel(conn: Connection, p: Period, ratio: Decimal) -> dict[tuple[str, str], dict[str, int]]:
    """Per (training type, category): enrolled in the period, trained (a class that ended in the period,
    attended at least the minimum share), passed (examined in the period), certified (issued in the period)."""
    c, e, ah, a, cert = db.classes, db.enrolments, db.attendance_hours, db.assessments, db.certificates
    key = (c.c.training_type, e.c.category)
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FUNNEL, 0))
    enrol = _class_join(e)
    share = int(ratio * 10_000)
    on_person = and_(e.c.uscc == ah.c.uscc, e.c.class_id == ah.c.class_id, e.c.id_number == ah.c.id_number)
    queries = {
        "enrolled": select(*key, func.count()).select_from(enrol).where(_between(e.c.enrolled_on, p.start, p.end)),
        "trained": select(*key, func.count()).select_from(enrol.join(ah, on_person)).where(
            _between(c.c.end_date, p.start, p.end), ah.c.attended_minutes * 10_000 >= ah.c.scheduled_minutes * share),
        "passed": select(*key, func.count()).select_from(enrol.join(a, and_(
            a.c.uscc == e.c.uscc, a.c.class_id == e.c.class_id, a.c.id_number == e.c.id_number))).where(
            _between(a.c.exam_date, p.start, p.end), a.c.passed.is_(True)),
        "certified": select(*key, func.count(func.distinct(e.c.id))).select_from(enrol.join(cert, and_(
            cert.c.uscc == e.c.uscc, cert.c.class_id == e.c.class_id, cert.c.id_number == e.c.id_number))).where(
            _between(cert.c.issued_on, p.start, p.end)),
    }
    for step, q in queries.items():
        for ttype, cat, n in conn.execute(q.group_by(*key)):
            out[(ttype, cat)][step] = int(n)
    return dict(out)


def _attendance(conn: Connection, p: Period) -> dict[str | None, tuple[int, int]]:
    """Attended and scheduled minutes of the classes that ended in the period, per training type and in all."""
    c, ah = db.classes, db.attendance_hours
    out: dict[str | None, tuple[int, int]] = {}
    for ttype, att, sched in conn.execute(
            select(c.c.training_type, func.sum(ah.c.attended_minutes), func.sum(ah.c.scheduled_minutes))
            .select_from(_class_join(ah)).where(_between(c.c.end_date, p.start, p.end)).group_by(c.c.training_type)):
        out[ttype] = (int(att or 0), int(sched or 0))
    out[None] = (sum(v[0] for v in out.values()), sum(v[1] for v in out.values()))
    return out


def _findings(conn: Connection, p: Period) -> dict[str, dict[str, int]]:
    """Per rule family (the code's prefix): holds opened, confirmed, dismissed and resolved in the period."""
    f, d = db.findings, db.decisions
    per: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DECISIONS, 0))

    def add(rows, step: str | None = None) -> None:  # noqa: ANN001
        for code, *rest in rows:
            per[code.split("-")[0]][step or rest[0]] += int(rest[-1])

    add(conn.execute(select(f.c.rule_code, func.count()).where(_at_between(f.c.created_at, p.start, p.end),
                                                              f.c.status != "none").group_by(f.c.rule_code)), "opened")
    add(conn.execute(select(f.c.rule_code, case((d.c.decision == "confirm", "confirmed"), else_="dismissed"), func.count())
                     .select_from(d.join(f, f.c.id == d.c.finding_id)).where(_at_between(d.c.at, p.start, p.end))
                     .group_by(f.c.rule_code, d.c.decision)))
    add(conn.execute(select(f.c.rule_code, func.count()).where(_at_between(f.c.resolved_at, p.start, p.end))
                     .group_by(f.c.rule_code)), "resolved")
    return dict(sorted(per.items()))


def headline(conn: Connection, p: Period, ratio: Decimal) -> dict[str, int]:
    """The numbers compared with the previous period and with the year's targets."""
    c, f = db.classes, db.findings
    funnel = _funnel(conn, p, ratio)
    by_kind, _ = money_by(conn, p.start, p.end)
    return {
        "classes_filed": int(conn.execute(select(func.count()).where(_between(c.c.filed_on, p.start, p.end))).scalar_one()),
        "classes_finished": int(conn.execute(select(func.count()).where(_between(c.c.end_date, p.start, p.end))).scalar_one()),
        **{step: sum(v[step] for v in funnel.values()) for step in FUNNEL},
        "findings_opened": int(conn.execute(select(func.count()).where(
            _at_between(f.c.created_at, p.start, p.end), f.c.status != "none")).scalar_one()),
        "money_net_fen": sum(by_kind.values()),
    }


def _payee(payee: str, kind: str) -> str:
    return (mask_id(payee) or "") if kind == "person" else payee


def _recoveries(conn: Connection, p: Period, names: dict[str, str]) -> list[dict]:
    lg = db.ledger
    rows = conn.execute(select(lg).where(lg.c.kind == "recovery", _between(lg.c.booked_on, p.start, p.end))
                        .order_by(lg.c.booked_on, lg.c.id)).mappings()
    return [{"booked_on": str(r["booked_on"]), "uscc": r["uscc"], "institution": names.get(r["uscc"], ""),
             "class_id": mask_text(r["class_id"]), "payee": _payee(r["payee"], r["payee_kind"]), "fund": r["fund"],
             "amount_fen": int(r["amount_fen"]), "amount_yuan": yuan(r["amount_fen"])} for r in rows]


def _unsettled_advances(conn: Connection, p: Period, names: dict[str, str]) -> list[dict]:
    """Advances booked by the period's end whose class had no settlement or recovery booked by then."""
    lg = db.ledger
    later = select(lg.c.uscc, lg.c.class_id).where(lg.c.kind != "advance", lg.c.booked_on < p.end)
    rows = conn.execute(select(lg).where(lg.c.kind == "advance", lg.c.booked_on < p.end,
                                         tuple_(lg.c.uscc, lg.c.class_id).not_in(later))
                        .order_by(lg.c.booked_on, lg.c.id)).mappings()
    return [{"booked_on": str(r["booked_on"]), "uscc": r["uscc"], "institution": names.get(r["uscc"], ""),
             "class_id": mask_text(r["class_id"]), "fund": r["fund"], "amount_fen": int(r["amount_fen"]),
             "amount_yuan": yuan(r["amount_fen"]), "days_outstanding": (p.end - r["booked_on"]).days - 1} for r in rows]


def _institutions(conn: Connection, p: Period, names: dict[str, str], ratings: dict[str, str]) -> list[dict]:
    """Per institution: classes filed, trainees enrolled, pass rate (of those examined) and certification rate
    (of those passed) in the period, money booked, holds opened, rating."""
    c, e, a, cert, lg, f = db.classes, db.enrolments, db.assessments, db.certificates, db.ledger, db.findings
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts = {
        "classes": select(c.c.uscc, func.count()).where(_between(c.c.filed_on, p.start, p.end)),
        "trainees": select(e.c.uscc, func.count()).where(_between(e.c.enrolled_on, p.start, p.end)),
        "examined": select(a.c.uscc, func.count()).where(_between(a.c.exam_date, p.start, p.end)),
        "passed": select(a.c.uscc, func.count()).where(_between(a.c.exam_date, p.start, p.end), a.c.passed.is_(True)),
        "certified": select(cert.c.uscc, func.count(func.distinct(cert.c.class_id + "|" + cert.c.id_number))).where(_between(cert.c.issued_on, p.start, p.end)),
        "money_fen": select(lg.c.uscc, func.sum(lg.c.amount_fen)).where(_between(lg.c.booked_on, p.start, p.end)),
        "findings": select(f.c.uscc, func.count()).where(_at_between(f.c.created_at, p.start, p.end), f.c.status != "none",
                                                         f.c.uscc.is_not(None)),
    }
    for name, q in counts.items():
        for uscc, n in conn.execute(q.group_by(q.selected_columns[0])):
            per[uscc][name] = int(n or 0)
    return [{"uscc": u, "name": names.get(u, ""), "classes": v["classes"], "trainees": v["trainees"],
             "examined": v["examined"], "passed": v["passed"], "certified": v["certified"],
             "pass_rate": rate(v["passed"], v["examined"]), "certification_rate": rate(v["certified"], v["passed"]),
             "money_fen": v["money_fen"], "money_yuan": yuan(v["money_fen"]), "findings": v["findings"],
             "rating": ratings.get(u, "")} for u, v in sorted(per.items())]


def build(svc: Services, period: Period, *, version: int = 1, supersedes: str | None = None) -> dict:
    """The report model: every number of the period, JSON-serialisable (the JSON format is this dict)."""
    ratio = svc.policy.settings.min_attendance_ratio
    with svc.engine.connect() as conn:
        names = {u: n for u, n in conn.execute(select(db.institutions.c.uscc, db.institutions.c.name))}
        credit = report_credit.section(conn, period, names)  # the period's ratings, as published with it
        ratings = {r["uscc"]: r["rating"] for r in credit["institutions"]}
        funnel = _funnel(conn, period, ratio)
        attendance = _attendance(conn, period)
        findings = _findings(conn, period)
        by_kind, by_fund = money_by(conn, period.start, period.end)
        per_month = money_per_month(conn, period.trailing_months(), period.end)
        now, before = headline(conn, period, ratio), headline(conn, period.previous(), ratio)
        ytd = headline(conn, Period("annual", period.year_start, period.end), ratio)
        recoveries = _recoveries(conn, period, names)
        unsettled = _unsettled_advances(conn, period, names)
        institutions = _institutions(conn, period, names, ratings)
    targets = svc.policy.targets
    rating_counts: dict[str, int] = defaultdict(int)
    for u in {*names, *ratings}:
        rating_counts[ratings.get(u) or "—"] += 1
    return {
        "report": {"kind": period.kind, "kind_zh": KIND_ZH[period.kind], "period": period.label,
                   "title_zh": f"{svc.policy.name}职业技能培训补贴{period.title_zh}{KIND_ZH[period.kind]}",
                   "title_en": f"{svc.policy.region.title()} subsidised training {period.kind} report {period.label}",
                   "from": str(period.start), "to": str(period.end), "region": svc.policy.region,
                   "generated_at": str(svc.now()), "version": version, "supersedes": supersedes},
        "classes": {"filed": now["classes_filed"], "finished": now["classes_finished"]},
        "people": {"totals": {s: now[s] for s in FUNNEL},
                   "by_type_category": [{"training_type": t, "training_type_zh": zh(TRAINING_TYPE, t), "category": k,
                                         "category_zh": zh(CATEGORY, k), **v} for (t, k), v in sorted(funnel.items())]},
        "attendance": {"overall": rate(*attendance[None]),
                       "by_training_type": [{"training_type": t, "training_type_zh": zh(TRAINING_TYPE, t),
                                             "attended_minutes": a, "scheduled_minutes": s, "rate": rate(a, s)}
                                            for t, (a, s) in sorted(attendance.items(), key=lambda x: str(x[0]))
                                            if t is not None]},
        "findings": {"by_family": [{"family": fam, **v} for fam, v in findings.items()],
                     "totals": {d: sum(v[d] for v in findings.values()) for d in DECISIONS}},
        "money": {**money_block(by_kind, by_fund), "per_month": per_month},
        "recoveries": recoveries,
        "advances_unsettled": unsettled,
        "institutions": institutions,
        "ratings": dict(sorted(rating_counts.items())),
        "credit": credit,
        "change": {"previous": period.previous().label, **{k: change(now[k], before[k]) for k in now}},
        "targets": None if targets is None else {
            "year": period.start.year, "to": str(period.end),
            "classes": progress(ytd["classes_filed"], targets.classes),
            "trained": progress(ytd["trained"], targets.trained),
            "certified": progress(ytd["certified"], targets.certified),
            "subsidy": None if targets.subsidy_yuan is None else {
                "done_yuan": yuan(ytd["money_net_fen"]), "target_yuan": f"{targets.subsidy_yuan:.2f}",
                "percent": rate(ytd["money_net_fen"], int(targets.subsidy_yuan * 100))}},
    }
