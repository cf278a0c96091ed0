"""Advance gate (spec/rules.md, ADV-*): eligible class, at most 50 % of the projected subsidy,
once per class, not while the class is held. The projection comes from the money engine."""

from __future__ import annotations

from expectations.checks import RowCheck
from expectations.credit import CURRENT_RATING

_CLASS_HELD = """EXISTS (SELECT 1 FROM findings f WHERE f.uscc = b.uscc AND f.class_id = b.class_id
    AND f.effect = 'hold_class' AND f.status = 'open' AND f.rule_code NOT IN ('ADV-HELD', 'SET-HELD', 'ADV-CREDIT'))"""


def advance_checks() -> list[RowCheck]:
    return [
        RowCheck("ADV-NOT-ELIGIBLE", "project class or enterprise, with an institution share", """
            SELECT b.row_no, b.class_id FROM {batch} AS b
            JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
            LEFT JOIN institutions i ON i.uscc = b.uscc
            WHERE b.upload_id = $upload AND b.kind = 'advance'
            AND ((c.project_based = FALSE AND COALESCE(i.kind, '') <> 'enterprise') OR COALESCE(b.projected_fen, 0) = 0)"""),
        RowCheck("ADV-DUPLICATE", "one advance per class", """
            SELECT DISTINCT b.row_no, b.class_id FROM {batch} AS b
            JOIN ledger l ON l.uscc = b.uscc AND l.class_id = b.class_id AND l.kind = 'advance'
            WHERE b.upload_id = $upload AND b.kind = 'advance'"""),
        RowCheck("ADV-OVER-CAP", "at most half the projected subsidy", """
            SELECT b.row_no, b.class_id, 'cut to ' || b.cap_fen || ' fen' AS detail FROM {batch} AS b
            WHERE b.upload_id = $upload AND b.kind = 'advance' AND b.amount_fen > b.cap_fen AND b.projected_fen > 0"""),
        RowCheck("ADV-HELD", "no open hold on the class", f"""
            SELECT b.row_no, b.class_id FROM {{batch}} AS b
            WHERE b.upload_id = $upload AND b.kind = 'advance' AND {_CLASS_HELD}"""),
        # 信用支付 (issue 12.6): the institution's current rating must be one the policy pays in advance
        RowCheck("ADV-CREDIT", "institution's rating receives advances", f"""
            SELECT b.row_no, b.class_id, 'rating ' || {CURRENT_RATING.format(i="i")} AS detail FROM {{batch}} AS b
            JOIN institutions i ON i.uscc = b.uscc
            WHERE b.upload_id = $upload AND b.kind = 'advance' AND (i.blacklisted = $true
                OR {CURRENT_RATING.format(i="i")} NOT IN ($advance_ratings))"""),
    ]
