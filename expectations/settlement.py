"""Settlement gate (spec/rules.md, SET-*) and the ledger invariant: for every settled class and
payee, the signed sum of ledger entries equals what the class has earned."""

from __future__ import annotations

from expectations.advance import _CLASS_HELD
from expectations.checks import RowCheck


def settlement_checks() -> list[RowCheck]:
    return [
        RowCheck("SET-OVERCLAIM", "requested no more than the computed subsidy", """
            SELECT b.row_no, b.class_id, 'computed ' || COALESCE(b.earned_fen, 0) || ' fen' AS detail FROM {batch} AS b
            WHERE b.upload_id = $upload AND b.kind = 'final' AND b.amount_fen > COALESCE(b.earned_fen, 0)"""),
        RowCheck("SET-HELD", "no open hold on the class when settling", f"""
            SELECT b.row_no, b.class_id FROM {{batch}} AS b
            WHERE b.upload_id = $upload AND b.kind = 'final' AND {_CLASS_HELD}"""),
    ]


# Rows of `earned` (one per settled class and payee) whose ledger does not add up; and ledger
# payees of a settled class with no earned row. Either is a defect, never a normal outcome.
LEDGER_BALANCES = """
    SELECT e.uscc, e.class_id, e.payee, e.earned_fen, COALESCE(SUM(l.amount_fen), 0) AS paid_fen
    FROM {batch} AS e LEFT JOIN ledger l ON l.uscc = e.uscc AND l.class_id = e.class_id AND l.payee = e.payee
    GROUP BY e.uscc, e.class_id, e.payee, e.earned_fen
    HAVING COALESCE(SUM(l.amount_fen), 0) <> e.earned_fen"""
LEDGER_WITHOUT_EARNED = """
    SELECT l.uscc, l.class_id, l.payee FROM ledger l
    JOIN (SELECT DISTINCT k.uscc, k.class_id FROM {batch} AS k) AS s ON s.uscc = l.uscc AND s.class_id = l.class_id
    WHERE NOT EXISTS (SELECT 1 FROM {batch} AS e WHERE e.uscc = l.uscc AND e.class_id = l.class_id AND e.payee = l.payee)"""
