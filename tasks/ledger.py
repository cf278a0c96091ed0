"""The append-only ledger: one entry per payment purpose, idempotent by its key.

Every entry carries `booked_on` (the as-of date of the run that booked it) and `fund` (the account it is
paid from, issue 12 point 1). The key is (class, payee, kind, sequence number) — never the amount, so an amount that
goes A→B→A is still paid each time it changes. The database decides: a UNIQUE key and
INSERT … ON CONFLICT DO NOTHING, so a retry or a concurrent run never writes twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from infra import db


def lock_class(conn: Connection, uscc: str, class_id: str) -> None:
    """Serialise money work on one class across processes (PostgreSQL advisory lock, released at commit)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"money:{uscc}/{class_id}"})


def lock_classes(conn: Connection, keys: list[tuple[str, str]]) -> None:
    """lock_class for many classes at once, always in the same order, so two batches never deadlock."""
    if conn.dialect.name == "postgresql" and keys:
        conn.execute(text("SELECT pg_advisory_xact_lock(h) FROM (SELECT hashtextextended(k, 0) AS h "
                          "FROM unnest(CAST(:ks AS text[])) AS k ORDER BY 1) AS locks"),
                     {"ks": sorted({f"money:{u}/{c}" for u, c in keys})})


def person_payees(conn: Connection, uscc: str, class_id: str) -> set[str]:
    lg = db.ledger
    return set(conn.execute(select(lg.c.payee).where(lg.c.uscc == uscc, lg.c.class_id == class_id,
                                                     lg.c.payee_kind == "person")).scalars())


def paid(conn: Connection, uscc: str, class_id: str) -> dict[str, int]:
    """Signed sum of ledger entries per payee of a class (the advance counts as paid to the institution)."""
    lg = db.ledger
    out: dict[str, int] = defaultdict(int)
    for payee, total in conn.execute(select(lg.c.payee, func.sum(lg.c.amount_fen)).where(
            lg.c.uscc == uscc, lg.c.class_id == class_id).group_by(lg.c.payee)):
        out[payee] = int(total)
    return dict(out)


def paid_by_class_fund(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[tuple[str, str], int]]:
    """Signed sums per (payee, fund) of many classes: a settlement is differential per account."""
    lg = db.ledger
    out: dict[tuple[str, str], dict[tuple[str, str], int]] = defaultdict(dict)
    for i in range(0, len(keys), 5_000):
        for u, c, payee, fund, total in conn.execute(
                select(lg.c.uscc, lg.c.class_id, lg.c.payee, lg.c.fund, func.sum(lg.c.amount_fen))
                .where(tuple_(lg.c.uscc, lg.c.class_id).in_(keys[i:i + 5_000]))
                .group_by(lg.c.uscc, lg.c.class_id, lg.c.payee, lg.c.fund)):
            out[(u, c)][(payee, fund)] = int(total)
    return dict(out)


def paid_by_class(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, int]]:
    """paid() of many classes in one query."""
    lg = db.ledger
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    if keys:
        for u, c, payee, total in conn.execute(select(lg.c.uscc, lg.c.class_id, lg.c.payee, func.sum(lg.c.amount_fen))
                                               .where(tuple_(lg.c.uscc, lg.c.class_id).in_(keys))
                                               .group_by(lg.c.uscc, lg.c.class_id, lg.c.payee)):
            out[(u, c)][payee] = int(total)
    return dict(out)


def person_payees_by_class(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    lg = db.ledger
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    if keys:
        for u, c, payee in conn.execute(select(lg.c.uscc, lg.c.class_id, lg.c.payee).where(
                tuple_(lg.c.uscc, lg.c.class_id).in_(keys), lg.c.payee_kind == "person").distinct()):
            out[(u, c)].add(payee)
    return dict(out)


def idempotency_key(uscc: str, class_id: str, payee: str, kind: str, seq: int) -> str:
    return f"{uscc}/{class_id}/{payee}/{kind}/{seq}"


def write(conn: Connection, uscc: str, class_id: str, payee: str, kind: str, amount_fen: int, run_id: str,
          now: datetime, *, booked_on: date, fund: str, payee_kind: str = "organisation", seq: int | None = None) -> bool:
    """Append one entry; False when its key already exists (someone wrote this purpose first)."""
    lg = db.ledger
    if seq is None:
        seq = 1 + int(conn.execute(select(func.coalesce(func.max(lg.c.seq), 0)).where(
            lg.c.uscc == uscc, lg.c.class_id == class_id, lg.c.payee == payee, lg.c.kind == kind)).scalar_one())
    values = {"uscc": uscc, "class_id": class_id, "payee": payee, "payee_kind": payee_kind, "kind": kind, "amount_fen": amount_fen, "seq": seq,
              "idempotency_key": idempotency_key(uscc, class_id, payee, kind, seq), "run_id": run_id, "created_at": now,
              "booked_on": booked_on, "fund": fund}
    stmt = (pg_insert(lg) if conn.dialect.name == "postgresql" else sqlite_insert(lg)).values(**values)
    return conn.execute(stmt.on_conflict_do_nothing().returning(lg.c.id)).first() is not None


def write_many(conn: Connection, entries: list[tuple[str, str, str, str, int, str, str]], run_id: str, now: datetime, *,
               booked_on: date, seq: int | None = None) -> list[bool]:
    """write() for many entries (uscc, class_id, payee, kind, amount_fen, payee_kind, fund) in one batched
    INSERT … ON CONFLICT DO NOTHING; per entry, False when its key already existed. Two entries of one
    purpose in a batch (one payee paid from two funds) take consecutive sequence numbers."""
    lg = db.ledger
    if not entries:
        return []
    seqs: dict[tuple[str, str, str, str], int] = {}
    if seq is None:
        keys = sorted({e[:2] for e in entries})
        for i in range(0, len(keys), 5_000):  # by class: a row-value IN of every purpose plans far slower
            seqs.update({(u, c, p, k): int(m) for u, c, p, k, m in conn.execute(
                select(lg.c.uscc, lg.c.class_id, lg.c.payee, lg.c.kind, func.max(lg.c.seq))
                .where(tuple_(lg.c.uscc, lg.c.class_id).in_(keys[i:i + 5_000]))
                .group_by(lg.c.uscc, lg.c.class_id, lg.c.payee, lg.c.kind))})
    rows = []
    for uscc, class_id, payee, kind, amount_fen, payee_kind, fund in entries:
        n = seq if seq is not None else 1 + seqs.get((uscc, class_id, payee, kind), 0)
        if seq is None:
            seqs[(uscc, class_id, payee, kind)] = n
        rows.append({"uscc": uscc, "class_id": class_id, "payee": payee, "payee_kind": payee_kind, "kind": kind,
                     "amount_fen": amount_fen, "seq": n, "idempotency_key": idempotency_key(uscc, class_id, payee, kind, n),
                     "run_id": run_id, "created_at": now, "booked_on": booked_on, "fund": fund})
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(lg).on_conflict_do_nothing().returning(lg.c.idempotency_key)
    written = set(conn.execute(stmt, rows).scalars())  # SQLAlchemy sends it as multi-row INSERTs in pages
    return [r["idempotency_key"] in written for r in rows]
