"""Use cases: institution credit ratings (issue 12.6; 苏州 (十八) 信用等级评定, 山西 三(九)).

Every rating an institution is given is one append-only row of `credit_ratings` (its latest row is its
rating; before any, the registry's) and, when it changes, one audit-log entry with its evidence:
- `recompute(svc, month)`: the monthly publication, from the record over the policy's window;
- `after_confirmed_fraud(...)`: between publications only a confirmed fraud changes it, at once
  (called by tasks/review.py inside the auditor's decision);
- `override(...)`: an auditor's rating, with a reason; it is the starting point from then on.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, literal, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from infra import db
from infra.bootstrap import Services
from schemas.credit import Record, after_fraud, is_blacklisted, score
from schemas.policy import RATINGS

MONTHLY_ACTOR = "credit.monthly"


class CreditRefused(Exception):
    """An override cannot be recorded; the message says why in one line."""


@dataclass(frozen=True)
class Change:
    uscc: str
    rating: str
    previous: str
    source: str


def month_bounds(month: str) -> tuple[date, date]:
    """'YYYY-MM' → (first day, last day)."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise CreditRefused(f"month {month!r}: use YYYY-MM") from None
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


def _latest_ids():  # noqa: ANN202
    r = db.credit_ratings
    return select(r.c.uscc, func.max(r.c.id).label("id")).group_by(r.c.uscc).subquery()


def current_ratings(conn: Connection) -> dict[str, str]:
    """The latest rating per registered institution; the registry's where none was given yet."""
    i, r, last = db.institutions, db.credit_ratings, _latest_ids()
    rows = conn.execute(select(i.c.uscc, func.coalesce(r.c.rating, i.c.rating))
                        .select_from(i.outerjoin(last, last.c.uscc == i.c.uscc).outerjoin(r, r.c.id == last.c.id)))
    return {u: rating for u, rating in rows}


def blacklisted(conn: Connection, ratings: dict[str, str] | None = None) -> set[str]:
    """Institutions barred from subsidised training: the registry's 是否禁入, or rated D."""
    flagged = set(conn.execute(select(db.institutions.c.uscc).where(db.institutions.c.blacklisted.is_(True))).scalars())
    ratings = current_ratings(conn) if ratings is None else ratings
    return flagged | {u for u, rating in ratings.items() if is_blacklisted(rating)}


def _insert_rows(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Append rating rows; the event keys actually written (a repeated publication writes nothing)."""
    if not rows:
        return set()
    r = db.credit_ratings
    stmt = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(r).on_conflict_do_nothing()
    return set(conn.execute(stmt.returning(r.c.event_key), rows).scalars())


def _audit(conn: Connection, now: datetime, actor: str, rows: list[dict[str, Any]], extra: dict | None = None) -> None:
    if rows:
        conn.execute(insert(db.audit_log), [{
            "at": now, "actor": actor, "action": f"credit.{row['source']}", "subject": f"institution:{row['uscc']}",
            "detail": json.dumps({"rating": row["rating"], "previous": row["previous"], "reason_zh": row["reason_zh"],
                                  "reason_en": row["reason_en"], "evidence": json.loads(row["evidence"]),
                                  "effective_on": row["effective_on"].isoformat(), **(extra or {})},
                                 ensure_ascii=False)} for row in rows])


def records(conn: Connection, svc: Services, month: str) -> dict[str, Record]:
    """Each registered institution's record over the rating window ending with `month` (confirmed frauds
    up to now: a monthly publication never undoes a downgrade made after the month ended), each figure
    one grouped query. After an auditor's override only what happened since counts."""
    policy = svc.policy.credit
    first, last = month_bounds(month)
    y, m = divmod(first.year * 12 + first.month - 1 - (policy.window_months - 1), 12)
    start = date(y, m + 1, 1)
    end = datetime.combine(last, datetime.max.time())
    i, r = db.institutions, db.credit_ratings
    ov_last = (select(r.c.uscc, func.max(r.c.id).label("id")).where(r.c.source == "override", r.c.effective_on <= last)
               .group_by(r.c.uscc).subquery())
    ov = select(r.c.uscc, r.c.rating, r.c.effective_on).join(ov_last, ov_last.c.id == r.c.id).subquery()
    starts = {u: (reg, rating, since) for u, reg, rating, since in conn.execute(
        select(i.c.uscc, i.c.rating, ov.c.rating, ov.c.effective_on).select_from(i.outerjoin(ov, ov.c.uscc == i.c.uscc)))}

    def since(col, upto=end):  # noqa: ANN001, ANN202
        """The event column within the window, and after the institution's override if any."""
        return and_(col >= start, col <= upto, or_(ov.c.effective_on.is_(None), col >= ov.c.effective_on))

    def grouped(uscc_col, *cols, where, frm) -> dict[str, tuple]:  # noqa: ANN001
        q = select(uscc_col, *cols).select_from(frm.outerjoin(ov, ov.c.uscc == uscc_col)).where(where).group_by(uscc_col)
        return {row[0]: tuple(row[1:]) for row in conn.execute(q)}

    f, d, lg, up, c, a, ce = db.findings, db.decisions, db.ledger, db.uploads, db.classes, db.assessments, db.certificates
    fake = list(svc.policy.credit.fake_training_codes)
    confirmed = f.join(d, and_(d.c.finding_id == f.c.id, d.c.decision == "confirm"))
    fraud = grouped(f.c.uscc, func.count(func.distinct(f.c.class_id)), where=since(d.c.at, svc.now()), frm=confirmed)
    fakes: dict[str, list[str]] = {}
    for u, code in conn.execute(select(f.c.uscc, f.c.rule_code).select_from(confirmed.outerjoin(ov, ov.c.uscc == f.c.uscc))
                                .where(since(d.c.at, svc.now()), f.c.rule_code.in_(fake)).distinct()):
        fakes.setdefault(u, []).append(code)
    recov = grouped(lg.c.uscc, func.count(), -func.sum(lg.c.amount_fen), where=and_(lg.c.kind == "recovery",
                    since(lg.c.created_at)), frm=lg)
    rows = grouped(up.c.uscc, func.coalesce(func.sum(up.c.rows_total), 0), func.coalesce(func.sum(up.c.rows_rejected), 0),
                   where=and_(up.c.area == "inbox", up.c.uscc.is_not(None), since(up.c.received_at)), frm=up)
    # "late": FIL-LATE of spec/rules.md, a class filed after it started (补备案)
    late = grouped(c.c.uscc, func.count(), func.sum(case((c.c.filed_on > c.c.start_date, 1), else_=0)),
                   where=since(c.c.filed_on, last), frm=c)
    certified = select(literal(1)).where(ce.c.uscc == a.c.uscc, ce.c.class_id == a.c.class_id,
                                         ce.c.id_number == a.c.id_number).exists()
    exams = grouped(a.c.uscc, func.count(), func.sum(case((a.c.passed.is_(True), 1), else_=0)),
                    func.sum(case((and_(a.c.passed.is_(True), certified), 1), else_=0)),
                    where=since(a.c.exam_date, last), frm=a)
    out = {}
    for u, (registry, overridden, _) in starts.items():
        n_rec, rec_fen = recov.get(u, (0, 0))
        total, rejected = rows.get(u, (0, 0))
        filed, n_late = late.get(u, (0, 0))
        assessed, passed, certs = exams.get(u, (0, 0, 0))
        out[u] = Record(u, overridden or registry, int(fraud.get(u, (0,))[0]), tuple(sorted(fakes.get(u, []))),
                        int(n_rec), int(rec_fen or 0), int(total), int(rejected), int(filed), int(n_late or 0),
                        int(assessed), int(passed or 0), int(certs or 0))
    return out


def recompute(svc: Services, month: str) -> list[Change]:
    """The monthly publication: one rating row per institution for `month` (a second run writes nothing),
    an audit entry for each rating that changed; returns the changes."""
    _, last = month_bounds(month)
    now = svc.now()
    with svc.engine.begin() as conn:
        before = current_ratings(conn)
        rated = {u: score(rec, svc.policy.credit) for u, rec in records(conn, svc, month).items()}
        rows = [{"uscc": u, "rating": x.rating, "previous": before.get(u), "reason_zh": x.reason_zh, "reason_en": x.reason_en,
                 "evidence": json.dumps(x.evidence | {"month": month}, ensure_ascii=False), "source": "monthly",
                 "decided_by": MONTHLY_ACTOR, "effective_on": last + timedelta(days=1),
                 "event_key": f"monthly:{month}:{u}", "created_at": now} for u, x in sorted(rated.items())]
        written = _insert_rows(conn, rows)
        changed = [row for row in rows if row["event_key"] in written and row["rating"] != row["previous"]]
        _audit(conn, now, MONTHLY_ACTOR, changed, {"month": month})
    return [Change(row["uscc"], row["rating"], row["previous"], "monthly") for row in changed]


def after_confirmed_fraud(conn: Connection, svc: Services, finding: Any, auditor: str) -> Change | None:
    """An auditor confirmed a hold: the institution is downgraded at once (a confirmed 虚假培训 to D), once
    per class between two publications; None when the rating does not move."""
    uscc = finding["uscc"]
    if not uscc:
        return None
    r = db.credit_ratings
    if conn.dialect.name == "postgresql":  # two confirmations at once for one institution: one after the other
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"credit:{uscc}"})
    current = current_ratings(conn).get(uscc)
    if current is None:
        return None
    published = conn.execute(select(func.coalesce(func.max(r.c.id), 0)).where(
        r.c.uscc == uscc, r.c.source.in_(("monthly", "override")))).scalar_one()
    rating, zh, en = after_fraud(current, finding["rule_code"], svc.policy.credit)
    if rating == current:
        return None
    fake = finding["rule_code"] in svc.policy.credit.fake_training_codes
    now = svc.now()
    row = {"uscc": uscc, "rating": rating, "previous": current, "reason_zh": zh, "reason_en": en,
           "evidence": json.dumps({"finding_id": finding["id"], "rule_code": finding["rule_code"],
                                   "class_id": finding["class_id"], "fake_training": fake}, ensure_ascii=False),
           "source": "fraud", "decided_by": auditor, "effective_on": now.date(),
           "event_key": f"fraud:{uscc}:{'fake' if fake else finding['class_id']}:after-{published}", "created_at": now}
    if not _insert_rows(conn, [row]):
        return None  # this class (or a fake training) already moved the rating since the last publication
    _audit(conn, now, auditor, [row], {"finding_id": finding["id"]})
    return Change(uscc, rating, current, "fraud")


def override(svc: Services, uscc: str, rating: str, reason: str, auditor: str) -> Change:
    """An auditor sets the rating; the reason is required and lands in the audit log."""
    rating = rating.strip().upper()
    if rating not in RATINGS:
        raise CreditRefused(f"rating {rating!r}: use one of {', '.join(RATINGS)}")
    if not reason.strip() or not auditor.strip():
        raise CreditRefused("an override needs a reason and the auditor's name")
    now = svc.now()
    with svc.engine.begin() as conn:
        current = current_ratings(conn)
        if uscc not in current:
            raise CreditRefused(f"institution {uscc} is not in the registry")
        row = {"uscc": uscc, "rating": rating, "previous": current[uscc], "reason_zh": reason.strip(),
               "reason_en": reason.strip(), "evidence": json.dumps({"reason": reason.strip()}, ensure_ascii=False),
               "source": "override", "decided_by": auditor.strip(), "effective_on": now.date(),
               "event_key": f"override:{uscc}:{uuid.uuid4().hex}", "created_at": now}
        _insert_rows(conn, [row])
        _audit(conn, now, auditor.strip(), [row])
    return Change(uscc, rating, current[uscc], "override")


def show(svc: Services, uscc: str | None = None) -> list[dict[str, Any]]:
    """Every institution's current rating (with its latest reason), or one institution's whole history."""
    i, r = db.institutions, db.credit_ratings
    with svc.engine.connect() as conn:
        barred = blacklisted(conn)
        if uscc:
            rows = conn.execute(select(r).where(r.c.uscc == uscc).order_by(r.c.id)).mappings().all()
            return [{k: row[k] for k in ("uscc", "rating", "previous", "source", "decided_by", "effective_on",
                                         "reason_zh", "reason_en")} for row in rows]
        last = _latest_ids()
        rows = conn.execute(select(i.c.uscc, i.c.name, i.c.rating.label("registry"), r.c.rating, r.c.source,
                                   r.c.effective_on, r.c.reason_zh, r.c.reason_en)
                            .select_from(i.outerjoin(last, last.c.uscc == i.c.uscc).outerjoin(r, r.c.id == last.c.id))
                            .order_by(i.c.uscc)).mappings().all()
    return [{"uscc": row["uscc"], "name": row["name"], "rating": row["rating"] or row["registry"],
             "source": row["source"] or "registry", "effective_on": row["effective_on"],
             "blacklisted": row["uscc"] in barred, "reason_zh": row["reason_zh"] or "", "reason_en": row["reason_en"] or ""}
            for row in rows]
