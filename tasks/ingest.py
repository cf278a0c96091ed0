"""Use case: one uploaded object → staged, gated, applied, answered (spec/lifecycle.md).

Every row ends accepted, rejected (with reasons) or accepted_flagged; an unreadable
file is quarantined and answered; the same bytes twice change nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, delete, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from infra import db
from infra.bootstrap import Services
from infra.budget import OverBudget, read_upload
from infra.database import analyze_staging, bulk_insert
from infra.objectstore import background, head_all, put_all
from schemas.files import Table, TooLarge, Unreadable
from schemas.layout import BadKey, Route, route
from schemas.rows import match_headers
from schemas.rules import reasons
from schemas.vector import parse_table
from tasks import apply as applying
from tasks import batching, money, outbox, reference, standing
from tasks.datadocs import data_docs_key
from tasks.kinds import KINDS, Kind, StageContext

if TYPE_CHECKING:
    from expectations.gate import Gate, GateResult

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
    return claim_many(svc, [(key, etag, size, r)])[0]


def claim_many(svc: Services, objects: list[tuple[str, str, int, Route]]) -> list[tuple[int, bool]]:
    """claim() for every (key, ETag, size, route) of a batch in one transaction: one statement finds them, one
    takes back the failed and the expired, one registers the new (a conflict means another worker registered
    it first and owns its processing). An object named twice is processed by its first mention."""
    t = db.uploads
    now = svc.now()
    bucket = svc.store.bucket
    pairs = list(dict.fromkeys((key, etag) for key, etag, _, _ in objects))
    expired = now - timedelta(seconds=svc.settings.processing_lease_seconds)
    lease_over = or_(t.c.status == "failed", and_(t.c.status == "processing", or_(t.c.claimed_at.is_(None),
                                                                                 t.c.claimed_at <= expired)))
    found: dict[tuple[str, str], tuple[int, bool]] = {}
    with svc.engine.begin() as conn:
        for at in range(0, len(pairs), 500):
            found.update({(row.key, row.etag): (row.id, row.status not in FINAL) for row in conn.execute(
                select(t.c.id, t.c.key, t.c.etag, t.c.status).where(
                    t.c.bucket == bucket, tuple_(t.c.key, t.c.etag).in_(pairs[at:at + 500])))})
        retry = [upload_id for upload_id, open_ in found.values() if open_]
        taken = set(conn.execute(update(t).where(t.c.id.in_(retry), lease_over).values(
            status="processing", reason=None, claimed_at=now).returning(t.c.id)).scalars()) if retry else set()
        mine = {pair: (upload_id, upload_id in taken) for pair, (upload_id, _) in found.items()}
        first: dict[tuple[str, str], tuple[int, Route]] = {}
        for key, etag, size, r in objects:
            first.setdefault((key, etag), (size, r))
        new = [{"bucket": bucket, "key": key, "etag": etag, "size_bytes": size, "area": r.area, "uscc": r.uscc,
                "kind": r.kind, "name": r.name, "status": "processing", "received_at": now, "claimed_at": now}
               for (key, etag), (size, r) in first.items() if (key, etag) not in found]
        if new:
            insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            stmt = insert(t).on_conflict_do_nothing(index_elements=["bucket", "key", "etag"]).returning(
                t.c.id, t.c.key, t.c.etag)
            mine.update({(row.key, row.etag): (row.id, True) for row in conn.execute(stmt, new)})
            lost = [(n["key"], n["etag"]) for n in new if (n["key"], n["etag"]) not in mine]
            if lost:  # registered by another worker since our look: theirs to process
                mine.update({(row.key, row.etag): (row.id, False) for row in conn.execute(
                    select(t.c.id, t.c.key, t.c.etag).where(t.c.bucket == bucket, tuple_(t.c.key, t.c.etag).in_(lost)))})
    out = []
    for key, etag, _, _ in objects:
        out.append(mine[(key, etag)])
        mine[(key, etag)] = (mine[(key, etag)][0], False)  # a second mention is not processed again
    return out


@dataclass
class Parsed:
    """An upload read, parsed and waiting for its gate run (rows not yet staged)."""
    key: str
    r: Route
    kind: Kind
    upload_id: int
    rows: list[dict[str, Any]]
    raws: dict[int, list[str]]
    header: str  # the file's header cells (JSON) for uploads.header, written with the staged rows
    entities: batching.Meets | None = None


def process_object(svc: Services, key: str, run_id: str) -> Outcome:
    """Process one object under inbox/ or reference/ exactly once per (key, ETag) and per sha256."""
    return process_batch(svc, [key], run_id)[0]


def process_batch(svc: Services, keys: list[str], run_id: str) -> list[Outcome]:
    """Process objects in the given order with the verdicts of processing them one by one; uploads of
    one kind that cannot meet in any rule (tasks/batching.py) share one gate run."""
    outcomes: dict[int, Outcome] = {}
    parsed: list[tuple[int, Parsed]] = []
    repeats: list[tuple[int, str, Route, int]] = []  # same bytes as an upload of this batch: decided after it
    shas: dict[tuple[str | None, str, str], int] = {}
    docs: Docs = []  # rendered once every answer of the batch is out
    answers = outbox.Answers(svc)  # each round's answer PUTs land while the next round is checked and applied
    unread: dict[int, Route] = {}  # claimed here, not read yet: marked failed if the batch fails
    try:
        found: list[tuple[int, str, Route, Any]] = []
        routes: dict[int, Route] = {}
        for i, key in enumerate(keys):
            try:
                routes[i] = route(key)
            except BadKey as exc:
                outcomes[i] = _misplaced(svc, key, str(exc))
        heads = dict(zip(routes, head_all(svc.store, [keys[i] for i in routes]), strict=True))
        for i, r in routes.items():
            key, info = keys[i], heads[i]
            if info is None:
                outcomes[i] = Outcome(key, "skipped", reason="object is gone")
                continue
            found.append((i, key, r, info))
        claims = claim_many(svc, [(key, info.etag, info.size, r) for _, key, r, info in found])
        unread = {upload_id: r for (_, _, r, _), (upload_id, mine) in zip(found, claims, strict=True) if mine}
        for (i, key, r, info), (upload_id, mine) in zip(found, claims, strict=True):
            unread.pop(upload_id, None)
            got = _read(svc, key, r, info.size, upload_id, mine, run_id, shas)
            if isinstance(got, Outcome):
                outcomes[i] = got
            elif isinstance(got, tuple):
                repeats.append((i, key, *got))
            else:
                parsed.append((i, got))
        position = {id(p): i for i, p in parsed}
        for p, outcome in _gate_rounds(svc, _rounds(svc, [p for _, p in parsed]), run_id, docs, answers):
            outcomes[position[id(p)]] = outcome
        answers.flush()
        for i, key, r, upload_id in repeats:
            outcomes[i] = _after_original(svc, key, r, upload_id, run_id, docs, answers)
        answers.flush()
    except Exception as exc:
        try:
            answers.flush()  # none of its PUTs still running while the batch's failure is recorded
        except Exception:
            log.exception("answers of batch %s not all written; the sweep writes them", run_id)
        done = {o.upload_id for o in outcomes.values()}
        for p in (p for _, p in parsed if p.upload_id not in done):
            log.exception("processing %s failed", p.key)
            _cleanup(svc, p.r, p.upload_id, f"{type(exc).__name__}: {exc}")
        for _, _key, r, upload_id in repeats:
            _cleanup(svc, r, upload_id, f"{type(exc).__name__}: {exc}")
        for upload_id, r in unread.items():
            _cleanup(svc, r, upload_id, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        for upload_ids, kind, validation, gated_at in docs:
            _publish_data_docs(svc, upload_ids, kind, validation, gated_at)
    return [outcomes[i] for i in range(len(keys))]


def _read(svc: Services, key: str, r: Route, size: int, upload_id: int, mine: bool, run_id: str,
          shas: dict) -> Outcome | Parsed | tuple[Route, int]:
    """Read and parse one claimed object: a final outcome (skipped, duplicate, quarantined, rejected file,
    reference data replaced), its parsed rows for a gate run, or (route, id) when it repeats the bytes
    of an upload still in this batch."""
    if not mine:
        if _unanswered(svc, upload_id):  # a retry after the answer was cut off: write only the answer
            outbox.answer(svc, upload_id)
            return Outcome(key, "skipped", upload_id, reason="already processed; its missing answer written now")
        return Outcome(key, "skipped", upload_id, reason="already processed")
    try:
        return _parse(svc, key, r, upload_id, size, run_id, shas)
    except Exception as exc:
        log.exception("processing %s failed", key)
        _cleanup(svc, r, upload_id, f"{type(exc).__name__}: {exc}")
        raise


def archive_key(key: str, sha256: str) -> str:
    """Where a processed original is kept (issue 13, "Originals kept"): institutions cannot delete their
    uploads (infra/tenants.py) but may overwrite them; the bytes we processed stay here."""
    return f"archive/{key}@{sha256[:16]}"


def _parse(svc: Services, key: str, r: Route, upload_id: int, size: int, run_id: str,
           shas: dict) -> Outcome | Parsed | tuple[Route, int]:
    s = svc.settings
    if size > s.max_file_bytes:
        return _quarantine(svc, key, r, upload_id, run_id, "FILE-TOO-LARGE", f"{size} bytes > {s.max_file_bytes}")
    data = svc.store.get(key, limit=s.max_file_bytes + 1)  # replaced by a larger object since the HEAD: still bounded
    if len(data) > s.max_file_bytes:
        return _quarantine(svc, key, r, upload_id, run_id, "FILE-TOO-LARGE", f"more than {s.max_file_bytes} bytes")
    sha = hashlib.sha256(data).hexdigest()
    # the bytes processed stay, whatever the uploader overwrites later; the PUT runs while the rows are parsed
    archived = background().submit(svc.store.put, archive_key(key, sha), data)
    try:
        return _parse_kept(svc, key, r, upload_id, run_id, shas, data, sha, archived.result)
    except BaseException:
        wait([archived])
        raise


def _parse_kept(svc: Services, key: str, r: Route, upload_id: int, run_id: str, shas: dict, data: bytes,
                sha: str, archived: Callable[[], None]) -> Outcome | Parsed | tuple[Route, int]:
    """_parse once the bytes are read; `archived()` waits for their archive copy (raising if it failed), called
    before anything this upload decides is written, so a failed archive leaves it unprocessed as before."""
    s = svc.settings
    repeat = (r.uscc, r.kind, sha) in shas
    with svc.engine.begin() as conn:  # one round trip: the sha noted, and an earlier copy looked up
        conn.execute(update(db.uploads).where(db.uploads.c.id == upload_id).values(sha256=sha, run_id=run_id))
        original = None if repeat else _earlier_copy(conn, r, sha, upload_id)
    if repeat:
        archived()
        return r, upload_id
    shas[(r.uscc, r.kind, sha)] = upload_id
    if original is not None:
        archived()
        return _duplicate(svc, key, upload_id, original)
    try:
        table = read_upload(s, data)
    except Unreadable as exc:
        archived()
        return _quarantine(svc, key, r, upload_id, run_id, "FILE-UNREADABLE", str(exc))
    except TooLarge as exc:
        archived()
        return _quarantine(svc, key, r, upload_id, run_id, "FILE-TOO-LARGE", str(exc))
    except OverBudget as exc:
        archived()
        return _quarantine(svc, key, r, upload_id, run_id, "FILE-TOO-LARGE", exc.reason)

    model = reference.MODELS[r.kind] if r.area == "reference" else KINDS[r.kind].model
    positions, missing, extra = match_headers(model, table.header)
    header = [("" if h is None else str(h)) for h in table.header]
    raws = _raws(table, len(header))
    archived()
    header_json = json.dumps({"cells": header, "ignored": extra}, ensure_ascii=False)
    if missing or r.area == "reference":  # answered now; a gated upload's header is written as it is staged
        _set(svc, upload_id, header=header_json)
    if missing:
        reason = "missing: " + ", ".join(f"{m} ({model.en_header(m)}/{model.zh_header(m)})" for m in missing)
        counts = applying.reject_file(svc, r, upload_id, run_id, key, "FILE-MISSING-COLUMN", reason, raws)
        outbox.answer(svc, upload_id)
        return Outcome(key, "rejected", upload_id, counts, reason)

    parsed = parse_table(model, positions, table, s.parse_row_wise_below)

    if r.area == "reference":
        counts = reference.replace_dataset(svc, r, upload_id, run_id, parsed, raws)
        outbox.answer(svc, upload_id)
        return Outcome(key, "rejected" if counts.get("file_rejected") else "done", upload_id, counts)

    kind = KINDS[r.kind]
    today = svc.now().date()
    ctx = StageContext(uscc=r.uscc or "", received_on=today, today=today, policy=svc.policy)
    staged = [kind.stage_row(values, errors, upload_id, line, r.uscc, ctx) for line, values, errors in parsed]
    return Parsed(key, r, kind, upload_id, staged, raws, header_json)


def _rounds(svc: Services, uploads: list[Parsed]) -> list[list[Parsed]]:
    """Gate runs in order: by round (tasks/batching.py), then by kind in stage order."""
    if len(uploads) <= 1:
        return [uploads] if uploads else []
    teachers = _class_entities(svc, uploads)
    for p in uploads:
        p.entities = batching.entities(p.r.uscc, p.rows, p.kind.name, teachers if p.kind.name == "schedule" else None)
    order = {name: i for i, name in enumerate(KINDS)}
    groups: dict[tuple[int, int], list[Parsed]] = {}
    for p, n in zip(uploads, batching.rounds([p.entities for p in uploads]), strict=True):
        groups.setdefault((n, order[p.kind.name]), []).append(p)
    return [groups[k] for k in sorted(groups)]


def _class_entities(svc: Services, uploads: list[Parsed]) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """Teacher and venue of every class a schedule in the batch names: filed before, or in this batch."""
    wanted = {(p.r.uscc or "", str(row["class_id"])) for p in uploads if p.kind.name == "schedule"
              for row in p.rows if row.get("class_id") is not None}
    out: dict[tuple[str, str], set[tuple[str, str]]] = {}
    if not wanted:
        return out

    def add(uscc: str, class_id: str, teacher: str | None, venue: str | None) -> None:
        if (uscc, class_id) in wanted:
            found = out.setdefault((uscc, class_id), set())
            found.update(("teacher", t) for t in (teacher,) if t)
            found.update(("venue", v) for v in (venue,) if v)

    c = db.classes
    with svc.engine.connect() as conn:
        for row in conn.execute(select(c.c.uscc, c.c.class_id, c.c.teacher_id, c.c.venue).where(
                c.c.uscc.in_({u for u, _ in wanted}))):
            add(row.uscc, row.class_id, row.teacher_id, row.venue)
    for p in uploads:
        if p.kind.name == "filing":
            for row in p.rows:
                add(p.r.uscc or "", str(row.get("class_id")), row.get("teacher_id"), row.get("venue"))
    return out


Docs = list[tuple[list[int], str, Any, datetime]]  # (uploads, kind, GX validation, when) of each gate run, published last

# Kinds whose verdicts come from the gate's SQL alone, so a later round may be judged ahead in an earlier
# round's run and checked afterwards (_gate_ahead). A claim also reads and writes money inputs around its run.
# Attendance's row checks (clash, bursts, devices over every check-in) are most of its gate's cost: checking
# each upload again costs more than the GX runs it saves (bench.province: +1.5 CPU-s of 5 at 30 classes).
_AHEAD = frozenset(KINDS) - {"claim", "attendance"}


def _gate_rounds(svc: Services, rounds: list[list[Parsed]], run_id: str, docs: Docs,
                 answers: outbox.Answers) -> list[tuple[Parsed, Outcome]]:
    """Every round in order. Consecutive rounds of one kind (a burst of rosters naming the same trainees: one
    round each) are first judged in one gate run (_gate_ahead)."""
    done: list[tuple[Parsed, Outcome]] = []
    i = 0
    while i < len(rounds):
        chain = [rounds[i]]
        while (rounds[i][0].kind.name in _AHEAD and i + len(chain) < len(rounds)
               and rounds[i + len(chain)][0].kind is rounds[i][0].kind):
            chain.append(rounds[i + len(chain)])
        i += len(chain)
        if len(chain) > 1 and _try_ahead(svc.gate(), chain[0][0].kind.name):
            done += _gate_ahead(svc, chain, run_id, docs, answers)
            continue
        for batch in chain:
            done += zip(batch, _gate(svc, batch, run_id, docs, answers), strict=True)
    return done


def _try_ahead(gate: Gate, kind: str) -> bool:
    """Whether to judge this kind's rounds ahead: not for a while after it gained nothing (a judged-ahead run
    that kept nothing beyond its first round cost one GX run more than round by round): 2, 4 … 16 chains."""
    waits = gate.ahead_waits
    if waits.get(kind, (0, 0))[0] > 0:
        waits[kind] = (waits[kind][0] - 1, waits[kind][1])
        return False
    return True


def _tried_ahead(gate: Gate, kind: str, *, gained: bool) -> None:
    waits = gate.ahead_waits
    misses = 0 if gained else waits.get(kind, (0, 0))[1] + 1
    waits[kind] = (min(2 ** misses, 16) if misses else 0, misses)


def _gate_ahead(svc: Services, chain: list[list[Parsed]], run_id: str, docs: Docs,
                answers: outbox.Answers) -> list[tuple[Parsed, Outcome]]:
    """Rounds of one kind in one gate run; then, round by round, each upload is kept if a run over it alone,
    at that moment, would judge it the same (Gate.same_alone: its row checks' SQL, a few plain queries) and
    applied. In one run an upload is judged before the earlier rounds are applied, and its checks may see
    the staged rows of the others: the uploads of a round where that changes anything are gated again
    together (they cannot meet each other, and all they meet before them is applied), so every verdict is
    the one of processing the uploads one by one."""
    batch = [p for r in chain for p in r]
    kind = batch[0].kind
    stage_many(svc, kind, {p.upload_id: p.rows for p in batch}, {p.upload_id: p.header for p in batch})
    gate = svc.gate()
    gated_at = svc.now()
    result = gate.run(kind.name, kind.staging.name, [p.upload_id for p in batch])
    done: list[tuple[Parsed, Outcome]] = []
    kept: list[int] = []
    for r in chain:
        same = gate.same_alone_many(result, kind.staging.name, [p.upload_id for p in r])
        again = [p for p in r if p.upload_id not in same]
        applied = [(p, _apply(svc, kind, p, result.for_upload(p.upload_id), run_id)) for p in r if p.upload_id in same]
        done += _answered(svc, applied, answers)
        kept += [p.upload_id for p, _ in applied]
        if again:
            done += zip(again, _gate(svc, again, run_id, docs, answers), strict=True)
    first = {p.upload_id for p in chain[0]}
    _tried_ahead(gate, kind.name, gained=any(u not in first for u in kept))
    if kept:
        docs.append((kept, kind.name, result.validation, gated_at))
    return done


def _gate(svc: Services, batch: list[Parsed], run_id: str, docs: Docs, answers: outbox.Answers) -> list[Outcome]:
    """One gate run over uploads of one kind that cannot meet; then each upload applied and answered in order.
    Its Data Docs go to `docs`: institutions wait for the answers of every round, auditors read the Data Docs
    later, so rendering them does not hold up the next round."""
    kind = batch[0].kind
    if kind.name == "claim":
        money.claim_inputs_many(svc, [(p.r.uscc or "", p.rows) for p in batch])
    stage_many(svc, kind, {p.upload_id: p.rows for p in batch}, {p.upload_id: p.header for p in batch})
    gated_at = svc.now()
    result = svc.gate().run(kind.name, kind.staging.name, [p.upload_id for p in batch])
    applied = [(p, _apply(svc, kind, p, result.for_upload(p.upload_id), run_id)) for p in batch]
    docs.append(([p.upload_id for p in batch], kind.name, result.validation, gated_at))
    return [outcome for _, outcome in _answered(svc, applied, answers)]


@dataclass
class Applied:
    """An upload applied and not yet answered, with the entities of other classes its hits named."""
    outcome: Outcome
    others: set[tuple[str | None, str | None, str | None]]


def _apply(svc: Services, kind: Kind, p: Parsed, mine: GateResult, run_id: str) -> Applied:
    """One upload's part of a gate run: verdicts, findings and promoted rows (its own transaction); answered
    with its round (_answered)."""
    counts = applying.apply_gate(svc, p.r, kind, p.upload_id, run_id, p.key, mine, p.raws)
    if kind.name == "claim" and not counts.get("file_rejected"):
        money.after_claims(svc, p.r.uscc or "", p.upload_id, run_id)
    outcome = Outcome(p.key, "rejected" if counts.get("file_rejected") else "done", p.upload_id, counts)
    return Applied(outcome, {(h.other_uscc, h.other_class_id, h.other_id_number or h.id_number)
                             for h in mine.hits if h.other_class_id is not None})


def _answered(svc: Services, applied: list[tuple[Parsed, Applied]], answers: outbox.Answers
              ) -> list[tuple[Parsed, Outcome]]:
    """Answer a round's applied uploads together (outbox.Answers: one read, the PUTs side by side, landing while
    the next round is checked and applied), then once every answered upload their holds on other classes'
    trainees touch (issue 11.3). The uploads of a round cannot meet (tasks/batching.py), so none changes
    another's answer: answering them after the last of them is applied writes what answering each right after
    its own apply wrote."""
    if not applied:
        return []
    ids = [a.outcome.upload_id for _, a in applied if a.outcome.upload_id is not None]
    answers.write(ids)  # their PUTs land while the next round is checked and applied (outbox.Answers)
    # a hold this round opened on another class's trainee changes that roster's answer too (issue 11.3)
    standing.reanswer(svc, set().union(*(a.others for _, a in applied)), besides=ids, answers=answers)
    return [(p, a.outcome) for p, a in applied]


def _duplicate(svc: Services, key: str, upload_id: int, original: int) -> Outcome:
    _set(svc, upload_id, status="duplicate", duplicate_of=original, processed_at=svc.now())
    outbox.answer(svc, upload_id)
    return Outcome(key, "duplicate", upload_id, reason=f"same bytes as upload {original}")


def _after_original(svc: Services, key: str, r: Route, upload_id: int, run_id: str, docs: Docs,
                    answers: outbox.Answers) -> Outcome:
    """The same bytes as an upload gated earlier in this batch: a duplicate of it, as one by one."""
    with svc.engine.connect() as conn:
        sha = conn.execute(select(db.uploads.c.sha256).where(db.uploads.c.id == upload_id)).scalar_one()
        original = _earlier_copy(conn, r, sha, upload_id)
    if original is None:  # no finished original to be a copy of: these bytes are gated themselves
        got = _parse(svc, key, r, upload_id, 0, run_id, {})
        return _gate(svc, [got], run_id, docs, answers)[0] if isinstance(got, Parsed) else got  # type: ignore[return-value]
    return _duplicate(svc, key, upload_id, original)


def stage_many(svc: Services, kind: Kind, rows: dict[int, list[dict[str, Any]]],
               headers: dict[int, str] | None = None) -> None:
    """Replace the staged rows of these uploads and commit, so the gate's own connection sees them; their
    header cells (uploads.header, for the answer) in the same transaction: one commit for the round."""
    with svc.engine.begin() as conn:
        if headers:
            u = db.uploads
            conn.execute(update(u).where(u.c.id == bindparam("upload")).values(header=bindparam("cells")),
                         [{"upload": i, "cells": h} for i, h in headers.items()])
        conn.execute(delete(kind.staging).where(kind.staging.c.upload_id.in_(list(rows))))
        every = [row for part in rows.values() for row in part]
        if every:
            bulk_insert(conn, kind.staging, every)
    analyze_staging(svc.engine, kind.staging.name)
    applying.fresh_statistics(svc)  # the gate joins the staged rows with what earlier rounds stored


def stage(svc: Services, kind: Kind, upload_id: int, rows: list[dict[str, Any]]) -> None:
    """Replace the upload's staged rows and commit, so the gate's own connection sees them; fresh statistics."""
    stage_many(svc, kind, {upload_id: rows})


def _publish_data_docs(svc: Services, upload_ids: list[int], kind: str, validation: Any, gated_at: datetime) -> None:
    """Data Docs of this gate run under reports/<processed date>/datadocs/ (the key the answer names; offline,
    masked), the run named after its uploads and time, rendered once and kept under each upload it covered;
    never fails the uploads."""
    from expectations.datadocs import name_run, offline_html

    try:
        name_run(validation, kind, upload_ids, gated_at)
        html = offline_html(validation, "\x00title\x00", svc.settings.datadocs_static_url)
        with svc.engine.connect() as conn:
            processed = dict(conn.execute(select(db.uploads.c.id, db.uploads.c.processed_at)
                                          .where(db.uploads.c.id.in_(upload_ids))).all())
        pages = []
        for upload_id in upload_ids:
            day = (processed.get(upload_id) or svc.now()).date().isoformat()
            page = html.replace("\x00title\x00", f"上传 {upload_id} 的数据文档（{kind}）· Data Docs of upload {upload_id} ({kind})", 1)
            pages.append((data_docs_key(day, upload_id, kind), page.encode("utf-8"), "text/html; charset=utf-8"))
        put_all(svc.store, pages)
    except Exception:
        log.exception("Data Docs for uploads %s not published", upload_ids)


def _raws(table: Table, width: int) -> dict[int, list[str]]:
    """Each data row's cells as text, padded to the header's width (what the answers repeat). A plainly split
    CSV (table.cells) holds only strings, which _raw leaves as they are: only the padding is left to do."""
    if table.cells is None:
        return {line: _raw(cells, width) for line, cells in table.rows}
    return {line: cells if len(cells) >= width else cells + [""] * (width - len(cells)) for line, cells in table.rows}


def _raw(cells: list[Any], width: int) -> list[str]:
    out = ["" if c is None else (c.isoformat(sep=" ") if hasattr(c, "isoformat") else str(c)) for c in cells]
    return out + [""] * (width - len(out))


def _earlier_copy(conn: Connection, r: Route, sha: str, upload_id: int) -> int | None:
    """An earlier upload of the same bytes for the same institution and kind (spec/uploads.md)."""
    t = db.uploads
    same_owner = t.c.uscc.is_(None) if r.uscc is None else t.c.uscc == r.uscc
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
    _copy_to_quarantine(svc, key)
    svc.store.put(f"quarantine/{key}.reason.txt", _reason_text(code, reason), "text/plain; charset=utf-8")
    applying.reject_file(svc, r, upload_id, run_id, key, code, reason, {}, status="quarantined")
    outbox.answer(svc, upload_id)
    return Outcome(key, "quarantined", upload_id, reason=f"{code}: {reason}")


def _misplaced(svc: Services, key: str, reason: str) -> Outcome:
    """A key outside the layout cannot be routed or answered in an outbox: quarantine it with the reason."""
    if svc.store.head(f"quarantine/{key}.reason.txt") is None:
        _copy_to_quarantine(svc, key)
        svc.store.put(f"quarantine/{key}.reason.txt", _reason_text("FILE-UNREADABLE", reason), "text/plain; charset=utf-8")
    return Outcome(key, "quarantined", reason=reason)


def _reason_text(code: str, reason: str) -> bytes:
    """The quarantine reason file: the rule in Chinese and in English, each with the detail."""
    zh, en = reasons([code], {code: reason})
    return f"{zh}\n{en}\n".encode()


def _copy_to_quarantine(svc: Services, key: str) -> None:
    """A server-side copy: an oversized or hostile object is never read into the worker to be kept."""
    try:
        svc.store.copy(key, f"quarantine/{key}")
    except Exception:  # gone meanwhile: still quarantined by its reason file
        log.warning("could not copy %s to quarantine", key, exc_info=True)


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
