"""Read models of the console's operator pages (issue 14): uploads with status, reasons and answers,
the ones failed or stuck; and the reports in the bucket."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, or_, select

from infra import db
from infra.bootstrap import Services
from schemas.layout import Route, outbox_prefix
from tasks.console_queries import Masker, prefect_ui, run_url


def uploads(svc: Services, institution: str | None = None, status: str | None = None, limit: int = 200) -> list[dict]:
    u, i = db.uploads, db.institutions
    stuck_before = svc.now() - timedelta(seconds=svc.settings.processing_lease_seconds)
    q = select(u, i.c.name.label("institution")).select_from(u.outerjoin(i, i.c.uscc == u.c.uscc))
    if institution:
        q = q.where(u.c.uscc == institution)
    if status == "attention":
        q = q.where(or_(u.c.status == "failed", and_(u.c.status == "processing", or_(
            u.c.claimed_at.is_(None), u.c.claimed_at <= stuck_before))))
    elif status:
        q = q.where(u.c.status == status)
    with svc.engine.connect() as conn:
        rows = conn.execute(q.order_by(u.c.id.desc()).limit(limit)).mappings().all()
        mask = Masker(conn)
    ui = prefect_ui(svc)
    out = []
    for r in rows:
        stuck = r["status"] == "processing" and (r["claimed_at"] is None or r["claimed_at"] <= stuck_before)
        prefix = outbox_prefix(Route(r["area"], r["kind"], r["name"], r["uscc"]))
        out.append({"id": r["id"], "key": mask(r["key"]), "uscc": r["uscc"] or "",
                    "institution": r["institution"] or "", "kind": r["kind"], "status": r["status"],
                    "stuck": stuck, "may_process": r["status"] == "failed" or stuck,
                    "reason": mask(r["reason"]), "received_at": r["received_at"],
                    "counts": (r["rows_total"], r["rows_accepted"], r["rows_rejected"], r["rows_flagged"]),
                    "answers": [mask(prefix + ".result.csv"), mask(prefix + ".summary.json")]
                    if r["answered_at"] else [], "run_url": run_url(ui, r["run_id"])})
    return out


def upload_institutions(svc: Services) -> list[tuple[str, str]]:
    u, i = db.uploads, db.institutions
    with svc.engine.connect() as conn:
        rows = conn.execute(select(u.c.uscc, func.max(i.c.name)).select_from(u.outerjoin(i, i.c.uscc == u.c.uscc))
                            .where(u.c.uscc.is_not(None)).group_by(u.c.uscc).order_by(u.c.uscc)).all()
    return [(a, b or a) for a, b in rows]


def upload_key(svc: Services, upload_id: int) -> tuple[str, bool] | None:
    """(object key, whether it may be processed again: failed, or processing past its lease)."""
    u = db.uploads
    with svc.engine.connect() as conn:
        r = conn.execute(select(u.c.key, u.c.status, u.c.claimed_at).where(u.c.id == upload_id)).first()
    if r is None:
        return None
    expired = svc.now() - timedelta(seconds=svc.settings.processing_lease_seconds)
    return r.key, r.status == "failed" or (r.status == "processing" and (r.claimed_at is None or r.claimed_at <= expired))

