"""Use case: which objects are waiting, in the order the spec wants them processed."""

from __future__ import annotations

from sqlalchemy import select

from infra import db
from infra.bootstrap import Services
from schemas.layout import BadKey, route


def pending_keys(svc: Services) -> list[str]:
    """Unprocessed objects under reference/ and inbox/: reference first, then per institution in
    stage order, objects of one stage in the order they landed (spec/lifecycle.md)."""
    objects = svc.store.list("reference/") + svc.store.list("inbox/")
    with svc.engine.connect() as conn:
        done = {(k, e) for k, e in conn.execute(
            select(db.uploads.c.key, db.uploads.c.etag).where(
                db.uploads.c.bucket == svc.store.bucket,
                db.uploads.c.status.in_(("done", "rejected", "quarantined", "duplicate"))))}
    waiting = []
    for o in objects:
        if o.key.endswith("/") or (o.key, o.etag) in done:
            continue
        try:
            order = route(o.key).order
        except BadKey:
            order = (2, "", 0)
        waiting.append((order, o.last_modified, o.key))
    waiting.sort()
    return [k for _, _, k in waiting]


def unanswered(svc: Services) -> list[int]:
    """Uploads whose processing committed but whose outbox answer was not written (a crash in between)."""
    u = db.uploads
    with svc.engine.connect() as conn:
        return list(conn.execute(select(u.c.id).where(
            u.c.answered_at.is_(None), u.c.status.in_(("done", "rejected", "quarantined", "duplicate")))).scalars())


def waiting_before(svc: Services, key: str) -> list[str]:
    """Pending objects that must go first when `key` is triggered: reference data, and the same
    institution's uploads of earlier stages (or of the same stage that landed earlier)."""
    try:
        mine = route(key)
    except BadKey:
        return []
    out = []
    for k in pending_keys(svc):
        if k == key:
            break
        r = route(k)
        if r.area == "reference" or r.uscc == mine.uscc:
            out.append(k)
    return out
