"""Use case: one uploaded object → staged, gated, applied, answered (spec/lifecycle.md).

Every row ends accepted, rejected (with reasons) or accepted_flagged; an unreadable
file is quarantined and answered; the same bytes twice change nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from infra import db
from infra.bootstrap import Services
from infra.database import analyze_staging, bulk_insert
from schemas.files import TooLarge, Unreadable, read_table
from schemas.layout import BadKey, Route, route
from schemas.rows import match_headers
from schemas.vector import parse_table
from tasks import apply as applying
from tasks import money, outbox, reference
from tasks.kinds import KINDS, Kind, StageContext

log = logging.getLogger(__name__)

FINAL = ("done", "rejected", "quarantined", "duplicate")


@dataclass
class Outcome:
    key: str
    status: str  # done | rejected | quarantined | duplicate | skipped | failed
    upload_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    reason: str | None = None


def claim(svc: Services, key: str, etag: str, size: int, r: Route) -> tuple[int, bool]:
    """Register the object (bucket, key, ETag) once; (upload id, whether this call should process it).
    A claim is a lease: a failed upload, or one whose worker has held it past the lease (killed), is
    claimed again by exactly one caller; one being processed now is left to its worker."""
    t = db.uploads
    now = svc.now()
    where = (t.c.bucket == svc.store.bucket) & (t.c.key == key) & (t.c.etag == etag)
    with svc.engine.begin() as conn:
        row = conn.execute(select(t.c.id, t.c.status).where(where)).first()
        if row is not None:
            if row.status in FINAL:
                return row.id, False
            expired = now - timedelta(seconds=svc.settings.processing_lease_seconds)
            taken = conn.execute(update(t).where(t.c.id == row.id, or_(
                t.c.status == "failed", and_(t.c.status == "processing", or_(t.c.claimed_at.is_(None),
                                                                            t.c.claimed_at <= expired)))
            ).values(status="processing", reason=None, claimed_at=now)).rowcount
            return row.id, taken == 1
    try:
        with svc.engine.begin() as conn:
            new_id = conn.execute(insert(t).values(
                bucket=svc.store.bucket, key=key, etag=etag, size_bytes=size, area=r.area, uscc=r.uscc,
                kind=r.kind, name=r.name, status="processing", received_at=now, claimed_at=now,
            ).returning(t.c.id)).scalar_one()
            return new_id, True
    except IntegrityError:  # another worker registered it first: it owns the processing
        with svc.engine.connect() as conn:
            return conn.execute(select(t.c.id).where(where)).scalar_one(), False


def process_object(svc: Services, key: str, run_id: str) -> Outcome:
    """Process one object under inbox/ or reference/ exactly once per (key, ETag) and per sha256."""
    try:
        r = route(key)
    except BadKey as exc:
        return _misplaced(svc, key, str(exc))
    info = svc.store.head(key)
    if info is None:
        return Outcome(key, "skipped", reason="object is gone")
    upload_id, mine = claim(svc, key, info.etag, info.size, r)
    if not mine:
        if _unanswered(svc, upload_id):  # a retry after the answer was cut off: write only the answer
            outbox.answer(svc, upload_id)
            return Outcome(key, "skipped", upload_id, reason="already processed; its missing answer written now")
        return Outcome(key, "skipped", upload_id, reason="already processed")
    try:
        return _process(svc, key, r, upload_id, info.size, run_id)
    except Exception as exc:
        log.exception("processing %s failed", key)
        _cleanup(svc, r, upload_id, f"{type(exc).__name__}: {exc}")
        raise


def _process(svc: Services, key: str, r: Route, upload_id: int, size: int, run_id: str) -> Outcome:
    s = svc.settings
    if size > s.max_file_bytes:
        return _quarantine(svc, key, r, upload_id, run_id, "FILE-TOO-LARGE", f"{size} bytes > {s.max_file_bytes}")
    data = svc.store.get(key)
    if len(data) > s.max_file_bytes:
        return _quarantine(svc, key, r, upload_id, run_id, "FILE-TOO-LARGE", f"{len(data)} bytes > {s.max_file_bytes}")
    sha = hashlib.sha256(data).hexdigest()
    _set(svc, upload_id, sha256=sha, run_id=run_id)
    original = _earlier_copy(svc, r, sha, upload_id)
    if original is not None:
        _set(svc, upload_id, status="duplicate", duplicate_of=original, processed_at=svc.now())
        outbox.answer(svc, upload_id)
        return Outcome(key, "duplicate", upload_id, reason=f"same bytes as upload {original}")
    try:
        table = read_table(data, max_rows=s.max_rows)
    except Unreadable as exc:
        return _quarantine(svc, key, r, upload_id, run_id, "FILE-UNREADABLE", str(exc))
    except TooLarge as exc:
        return _quarantine(svc, key, r, upload_id, run_id, "FILE-TOO-LARGE", str(exc))

    model = reference.MODELS[r.kind] if r.area == "reference" else KINDS[r.kind].model
    positions, missing, extra = match_headers(model, table.header)
    header = [("" if h is None else str(h)) for h in table.header]
    raws = {line: _raw(cells, len(header)) for line, cells in table.rows}
    _set(svc, upload_id, header=json.dumps({"cells": header, "ignored": extra}, ensure_ascii=False))
    if missing:
        reason = "missing: " + ", ".join(f"{m} ({model.en_header(m)}/{model.zh_header(m)})" for m in missing)
        counts = applying.reject_file(svc, r, upload_id, run_id, key, "FILE-MISSING-COLUMN", reason, raws)
        outbox.answer(svc, upload_id)
        return Outcome(key, "rejected", upload_id, counts, reason)

    parsed = parse_table(model, positions, table)

    if r.area == "reference":
        counts = reference.replace_dataset(svc, r, upload_id, run_id, parsed, raws)
        outbox.answer(svc, upload_id)
        return Outcome(key, "rejected" if counts.get("file_rejected") else "done", upload_id, counts)

    kind = KINDS[r.kind]
    today = svc.now().date()
    ctx = StageContext(uscc=r.uscc or "", received_on=today, today=today, policy=svc.policy)
    staged = [kind.stage_row(values, errors, upload_id, line, r.uscc, ctx) for line, values, errors in parsed]
    if kind.name == "claim":
        money.claim_inputs(svc, r.uscc or "", staged)
    stage(svc, kind, upload_id, staged)
    result = svc.gate().run(kind.name, kind.staging.name, upload_id)
    counts = applying.apply_gate(svc, r, kind, upload_id, run_id, key, result, raws)
    _publish_data_docs(svc, upload_id, kind.name, result.validation)
    if kind.name == "claim" and not counts.get("file_rejected"):
        money.after_claims(svc, r.uscc or "", upload_id, run_id)
    outbox.answer(svc, upload_id)
    status = "rejected" if counts.get("file_rejected") else "done"
    return Outcome(key, status, upload_id, counts)


def stage(svc: Services, kind: Kind, upload_id: int, rows: list[dict[str, Any]]) -> None:
    """Replace the upload's staged rows and commit, so the gate's own connection sees them; fresh statistics."""
    with svc.engine.begin() as conn:
        conn.execute(delete(kind.staging).where(kind.staging.c.upload_id == upload_id))
        if rows:
            bulk_insert(conn, kind.staging, rows)
    analyze_staging(svc.engine, kind.staging.name)


def data_docs_key(day: str, upload_id: int, kind: str) -> str:
    return f"reports/{day}/datadocs/upload-{upload_id}-{kind}.html"


def _publish_data_docs(svc: Services, upload_id: int, kind: str, validation: Any) -> None:
    """Data Docs of this gate run under reports/<date>/datadocs/ (offline, masked); never fails the upload."""
    from expectations.datadocs import offline_html

    try:
        html = offline_html(validation, f"skillsub {kind} gate, upload {upload_id}")
        svc.store.put(data_docs_key(svc.now().date().isoformat(), upload_id, kind), html.encode("utf-8"),
                      "text/html; charset=utf-8")
    except Exception:
        log.exception("Data Docs for upload %s not published", upload_id)


def _raw(cells: list[Any], width: int) -> list[str]:
    out = ["" if c is None else (c.isoformat(sep=" ") if hasattr(c, "isoformat") else str(c)) for c in cells]
    return out + [""] * (width - len(out))


def _earlier_copy(svc: Services, r: Route, sha: str, upload_id: int) -> int | None:
    """An earlier upload of the same bytes for the same institution and kind (spec/uploads.md)."""
    t = db.uploads
    same_owner = t.c.uscc.is_(None) if r.uscc is None else t.c.uscc == r.uscc
    with svc.engine.connect() as conn:
        return conn.execute(
            select(t.c.id).where(t.c.sha256 == sha, same_owner, t.c.kind == r.kind, t.c.id != upload_id,
                                 t.c.status.in_(("done", "rejected", "quarantined")))
            .order_by(t.c.id).limit(1)
        ).scalar()


def _unanswered(svc: Services, upload_id: int) -> bool:
    t = db.uploads
    with svc.engine.connect() as conn:
        return conn.execute(select(t.c.id).where(t.c.id == upload_id, t.c.answered_at.is_(None),
                                                 t.c.status.in_(FINAL))).first() is not None


def _set(svc: Services, upload_id: int, **values: Any) -> None:
    with svc.engine.begin() as conn:
        conn.execute(update(db.uploads).where(db.uploads.c.id == upload_id).values(**values))


def _quarantine(svc: Services, key: str, r: Route, upload_id: int, run_id: str, code: str, reason: str) -> Outcome:
    """Keep a copy under quarantine/ with a reason file; answer the uploader; record the finding."""
    try:
        data = svc.store.get(key)
    except Exception:  # too large to read back is still quarantined by reason alone
        data = b""
    if data:
        svc.store.put(f"quarantine/{key}", data)
    svc.store.put(f"quarantine/{key}.reason.txt", f"{code}: {reason}\n".encode(), "text/plain; charset=utf-8")
    applying.reject_file(svc, r, upload_id, run_id, key, code, reason, {}, status="quarantined")
    outbox.answer(svc, upload_id)
    return Outcome(key, "quarantined", upload_id, reason=f"{code}: {reason}")


def _misplaced(svc: Services, key: str, reason: str) -> Outcome:
    """A key outside the layout cannot be routed or answered in an outbox: quarantine it with the reason."""
    if svc.store.head(f"quarantine/{key}.reason.txt") is None:
        data = svc.store.get(key)
        svc.store.put(f"quarantine/{key}", data)
        svc.store.put(f"quarantine/{key}.reason.txt", f"FILE-UNREADABLE: {reason}\n".encode(), "text/plain; charset=utf-8")
    return Outcome(key, "quarantined", reason=reason)


def _cleanup(svc: Services, r: Route, upload_id: int, reason: str) -> None:
    """A failed run leaves no staged rows and an upload marked failed, to be picked up again. An upload
    whose verdicts already committed keeps them: only its answer is missing, and the next sweep writes it
    (tasks/pending.unanswered) instead of gating the rows a second time."""
    try:
        with svc.engine.begin() as conn:
            if r.area == "inbox":
                staging = KINDS[r.kind].staging
                conn.execute(delete(staging).where(staging.c.upload_id == upload_id))
            conn.execute(update(db.uploads).where(db.uploads.c.id == upload_id, db.uploads.c.status == "processing")
                         .values(status="failed", reason=reason[:2000]))
    except Exception:
        log.exception("could not mark upload %s failed", upload_id)
