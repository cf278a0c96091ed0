"""Use cases around claim uploads and the nightly money run: projections for the gate, then
advances paid and classes settled through the ledger."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from infra import db
from infra.bootstrap import Services
from schemas.money import share_floor
from tasks import settle

log = logging.getLogger(__name__)


def claim_inputs(svc: Services, uscc: str, staged: list[dict[str, Any]]) -> None:
    """Fill each staged claim with the money engine's projection, cap and computed subsidy."""
    claim_inputs_many(svc, [(uscc, staged)])


def claim_inputs_many(svc: Services, uploads: list[tuple[str, list[dict[str, Any]]]]) -> None:
    """claim_inputs for the uploads of a gate round with one set of projection queries: a projection reads
    only its own class's facts, and filling the staged rows writes nothing, so each is what it was alone."""
    keys = sorted({(uscc, r["class_id"]) for uscc, staged in uploads for r in staged if r.get("class_id")})
    if not keys:
        numbers = {}
    else:
        with svc.engine.connect() as conn:
            numbers = settle.projections(svc, conn, keys)
    for uscc, staged in uploads:
        for r in staged:
            projected, earned = numbers.get((uscc, r.get("class_id") or ""), (0, 0))
            r["projected_fen"], r["earned_fen"] = projected, earned
            r["cap_fen"] = share_floor(projected, svc.policy.settings.advance_share)


def after_claims(svc: Services, uscc: str, upload_id: int, run_id: str) -> None:
    """Pay the advances this upload claimed; settle its final claims whose last session has passed (what
    settle.due_classes names as due, asked of these classes only)."""
    with svc.engine.connect() as conn:
        claimed = conn.execute(select(db.claims.c.class_id, db.claims.c.kind).where(
            db.claims.c.upload_id == upload_id, db.claims.c.uscc == uscc)).all()
        finals = sorted({c for c, kind in claimed if kind != "advance"})
        due_final = settle.finals_due(conn, [(uscc, c) for c in finals], svc.now().date()) if finals else set()
    advances = [(uscc, c) for c, kind in claimed if kind == "advance"]
    if advances:  # nothing to lock or pay otherwise
        settle.pay_advances(svc, advances, run_id)
    due = [(uscc, c) for c, kind in claimed if kind != "advance" and (uscc, c) in due_final]
    if due:
        settle.settle_classes(svc, due, run_id)


@dataclass
class MoneyRun:
    as_of: date
    advances_paid: list[tuple[str, str, int]] = field(default_factory=list)
    settled: list[settle.Settled] = field(default_factory=list)
    unbalanced: list[dict[str, Any]] = field(default_factory=list)


def pay_and_settle(svc: Services, as_of: date, run_id: str) -> MoneyRun:
    """The nightly money step: due advances, then every class whose final claim is due, then the ledger check."""
    out = MoneyRun(as_of)
    advances, finals = settle.due_classes(svc, as_of)
    size = svc.settings.money_batch_classes
    for i in range(0, len(advances), size):  # in key order, as a class-by-class run would
        paid = settle.pay_advances(svc, advances[i:i + size], run_id, booked_on=as_of)
        out.advances_paid += [(u, c, paid[(u, c)]) for u, c in advances[i:i + size] if (u, c) in paid]
    for i in range(0, len(finals), size):
        out.settled += settle.settle_classes(svc, finals[i:i + size], run_id, booked_on=as_of)
    out.unbalanced = svc.gate().ledger_balances()
    if out.unbalanced:
        log.error("ledger does not balance for %d payees: %s", len(out.unbalanced), out.unbalanced[:5])
    return out
