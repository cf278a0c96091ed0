"""Read models of the console's institution pages (issue 14: "the institution's credit record"; issue 12.6):
the current rating, its history with reasons and evidence, whether the institution is barred (禁入) and
whether it may receive advances (信用支付, the policy's `advance_ratings`). Read through tasks/credit.py, as
`skillsub credit show` does; free text is masked like every console page."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from infra import db
from infra.bootstrap import Services
from tasks.console_queries import Masker
from tasks.credit import blacklisted, current_ratings

SOURCES = {"monthly": "月度评定 monthly", "fraud": "确认违规降级 fraud downgrade", "override": "审计员调整 override"}


def institutions(svc: Services) -> list[dict]:
    """Every registered institution with its current rating, barred or not, and its open holds."""
    i, f = db.institutions, db.findings
    with svc.engine.connect() as conn:
        ratings = current_ratings(conn)
        barred = blacklisted(conn, ratings)
        holds = dict(conn.execute(select(f.c.uscc, func.count()).where(f.c.status == "open", f.c.uscc.is_not(None))
                                  .group_by(f.c.uscc)).all())
        rows = conn.execute(select(i.c.uscc, i.c.name, i.c.kind).order_by(i.c.uscc)).all()
    allowed = svc.policy.credit.advance_ratings
    return [{"uscc": u, "name": n, "kind": k, "rating": ratings.get(u, ""), "blacklisted": u in barred,
             "may_advance": u not in barred and ratings.get(u) in allowed, "open_holds": int(holds.get(u, 0))}
            for u, n, k in rows]


def _flat(v: object) -> str:
    if isinstance(v, dict):
        return " · ".join(f"{k} {_flat(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(_flat(x) for x in v)
    return str(v)


def _evidence(mask: Masker, text: str, reason: str) -> list[tuple[str, str]]:
    """The evidence as (key, value) lines; an override's evidence (its reason) is already in the reasons."""
    try:
        ev = json.loads(text or "{}")
    except ValueError:
        return [("", mask(text))]
    return [(str(k), mask(_flat(v))) for k, v in ev.items() if not (k == "reason" and v == reason)]


def institution_page(svc: Services, uscc: str) -> dict | None:
    """One institution's credit record (newest rating first), or None when it is not in the registry."""
    i, r, u = db.institutions, db.credit_ratings, db.uploads
    with svc.engine.connect() as conn:
        inst = conn.execute(select(i).where(i.c.uscc == uscc)).mappings().first()
        if inst is None:
            return None
        ratings = current_ratings(conn)
        barred = uscc in blacklisted(conn, ratings)
        rows = conn.execute(select(r).where(r.c.uscc == uscc).order_by(r.c.id.desc())).mappings().all()
        uploads = conn.execute(select(func.count()).where(u.c.uscc == uscc)).scalar_one()
        mask = Masker(conn)
    rating = ratings.get(uscc, inst["rating"])
    allowed = list(svc.policy.credit.advance_ratings)
    history = [{"effective_on": row["effective_on"], "rating": row["rating"], "previous": row["previous"] or "",
                "source": SOURCES.get(row["source"], row["source"]), "decided_by": row["decided_by"],
                "reason_zh": mask(row["reason_zh"]), "reason_en": mask(row["reason_en"]),
                "evidence": _evidence(mask, row["evidence"], row["reason_zh"])} for row in rows]
    return {"uscc": uscc, "name": inst["name"], "kind": inst["kind"], "rating": rating,
            "source": SOURCES.get(rows[0]["source"], rows[0]["source"]) if rows else "登记等级 registry",
            "registry_rating": inst["rating"], "registry_barred": bool(inst["blacklisted"]), "blacklisted": barred,
            "may_advance": not barred and rating in allowed, "advance_ratings": allowed, "history": history,
            "uploads": int(uploads), "ratings": ("A", "B", "C", "D")}
