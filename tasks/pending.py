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


def waiting_with(svc: Services, key: str) -> list[str]:
    """What a triggered run for `key` processes, in order: pending reference data and every pending
    upload of the same institution (earlier stages first), so a burst is drained by its first run."""
    try:
        mine = route(key)
    except BadKey:
        return [key]
    keys = [k for k in pending_keys(svc) if _belongs(k, mine.uscc)]
    return keys if key in keys else [*keys, key]


def _belongs(key: str, uscc: str | None) -> bool:
    """Pending reference data or the institution's own uploads; a misplaced key belongs to no one's run
    (its own trigger or the sweep quarantines it) and must never stop another institution's."""
    try:
        r = route(key)
    except BadKey:
        return False
    return r.area == "reference" or r.uscc == uscc
