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


def is_final(svc: Services, key: str) -> bool:
    """Whether the object now under `key` (its current ETag) has been processed to the end."""
    info = svc.store.head(key)
    if info is None:
        return True
    u = db.uploads
    with svc.engine.connect() as conn:
        return conn.execute(select(u.c.id).where(
            u.c.bucket == svc.store.bucket, u.c.key == key, u.c.etag == info.etag,
            u.c.status.in_(("done", "rejected", "quarantined", "duplicate")))).first() is not None


def unanswered(svc: Services) -> list[int]:
    """Uploads whose processing committed but whose outbox answer was not written (a crash in between)."""
    u = db.uploads
    with svc.engine.connect() as conn:
        return list(conn.execute(select(u.c.id).where(
            u.c.answered_at.is_(None), u.c.status.in_(("done", "rejected", "quarantined", "duplicate")))).scalars())


def waiting_with(svc: Services, key: str) -> list[str]:
    """What a triggered run for `key` processes, in order: pending reference data and every pending
    upload of the same institution (earlier stages first), so a burst is drained by its first run."""
    keys = _institution_of(pending_keys(svc), key)
    return keys if key in keys else [*keys, key]


def batch_with(svc: Services, keys: list[str], limit: int) -> list[str]:
    """What a triggered run for `keys` processes, in processing order: what `waiting_with` names for
    each, plus other pending uploads up to `limit` objects in all, so a burst is gated together."""
    pending = pending_keys(svc)
    mine = {k for key in keys for k in _institution_of(pending, key)}
    chosen = mine | set([k for k in pending if k not in mine][: max(0, limit - len(mine))])
    return [k for k in pending if k in chosen] + [k for k in keys if k not in chosen]


def _institution_of(pending: list[str], key: str) -> list[str]:
    try:
        mine = route(key)
    except BadKey:
        return [key]
    return [k for k in pending if _belongs(k, mine.uscc)]


def _belongs(key: str, uscc: str | None) -> bool:
    """Pending reference data or the institution's own uploads; a misplaced key belongs to no one's run
    (its own trigger or the sweep quarantines it) and must never stop another institution's."""
    try:
        r = route(key)
    except BadKey:
        return False
    return r.area == "reference" or r.uscc == uscc
