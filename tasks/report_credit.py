"""The credit section of a period report, "信用等级 Credit ratings" (issue 12.6: ratings "recomputed and
published monthly with the reports, with the reasons"; 苏州 (十八) 信用等级评定).

Per institution: the rating of the period — its monthly publication for the period's last month when there is
one (flows/reports.py recomputes it before publishing), else the rating it held at the period's end (latest
row effective by then), else the registry's — the rating before it, whether it changed and the reasons recorded.
Then every override and fraud downgrade that took effect in the period. Reasons and evidence pass through
the masking helper: an auditor's free text never carries an ID or phone number into a report.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from infra import db
from infra.logmask import mask_text
from schemas.report_period import Period

SOURCE_LABELS = {"monthly": "月度评定 monthly", "fraud": "确认违规降级 fraud downgrade",
                 "override": "审计员调整 override", "registry": "登记等级 registry", "held": "期末等级 held at period end"}


def _latest(conn: Connection, where) -> dict[str, dict]:  # noqa: ANN001
    """The latest credit_ratings row per institution among those matching `where`."""
    r = db.credit_ratings
    last = select(r.c.uscc, func.max(r.c.id).label("id")).where(where).group_by(r.c.uscc).subquery()
    return {row["uscc"]: dict(row) for row in conn.execute(select(r).join(last, last.c.id == r.c.id)).mappings()}


def _evidence(text: str) -> dict:
    try:
        ev = json.loads(text or "{}")
    except ValueError:
        return {}
    return json.loads(mask_text(json.dumps(ev, ensure_ascii=False)))


def section(conn: Connection, period: Period, names: dict[str, str]) -> dict:
    """The JSON-serialisable `credit` block of a report; `institutions[*].rating` is the rating the report's
    institution table and its "institutions by rating" chart show."""
    r, i = db.credit_ratings, db.institutions
    last_day = period.end - timedelta(days=1)
    month = f"{last_day:%Y-%m}"
    published = _latest(conn, r.c.event_key.like(f"monthly:{month}:%"))
    held = _latest(conn, r.c.effective_on <= last_day)
    registry = {u: (rating, bool(barred)) for u, rating, barred in conn.execute(select(i.c.uscc, i.c.rating, i.c.blacklisted))}
    rows = []
    for uscc in sorted(registry):
        row, source = (published.get(uscc), "monthly") if uscc in published else (held.get(uscc), "held")
        rating = row["rating"] if row else registry[uscc][0]
        previous = (row["previous"] if source == "monthly" else None) if row else None
        rows.append({"uscc": uscc, "name": names.get(uscc, ""), "rating": rating, "previous": previous,
                     "changed": previous is not None and previous != rating,
                     "source": source if row else "registry", "effective_on": str(row["effective_on"]) if row else None,
                     "reason_zh": mask_text(row["reason_zh"]) if row and source == "monthly" else "",
                     "reason_en": mask_text(row["reason_en"]) if row and source == "monthly" else "",
                     "blacklisted": registry[uscc][1] or rating == "D"})
    events = conn.execute(select(r).where(r.c.source.in_(("fraud", "override")),
                                          and_(r.c.effective_on >= period.start, r.c.effective_on < period.end))
                          .order_by(r.c.effective_on, r.c.id)).mappings().all()
    return {"month": month, "published": bool(published), "institutions": rows,
            "events": [{"effective_on": str(e["effective_on"]), "uscc": e["uscc"], "name": names.get(e["uscc"], ""),
                        "source": e["source"], "previous": e["previous"], "rating": e["rating"],
                        "reason_zh": mask_text(e["reason_zh"]), "reason_en": mask_text(e["reason_en"]),
                        "decided_by": e["decided_by"], "evidence": _evidence(e["evidence"])} for e in events]}
