"""Cross-institution findings (spec/rules.md): one institution's upload never freezes another's money.

A rule relating records of two institutions holds the rows of the institution whose upload completed the
pattern; the other institution's rows get the same code as `warn`, which an auditor may escalate. When the
same two institutions meet in such findings repeatedly (policy: collusion_min_meetings uploads within
collusion_window_days, each side having completed at least one), both sides are held.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Connection

from infra import db
from schemas.policy import PolicySettings
from schemas.rules import HOLD_EFFECTS, Effect


def pair_tag(a: str | None, b: str | None) -> str:
    """The two institutions of a finding, in a fixed order, as kept in its evidence ("pair")."""
    return "|".join(sorted((a or "", b or "")))


class Counterparts:
    """The effect for the other institution's side of the patterns one upload completed (pairs looked up once)."""

    def __init__(self, conn: Connection, settings: PolicySettings, uploader: str | None, upload_id: int,
                 now: datetime) -> None:
        self.conn, self.settings, self.uploader, self.upload_id, self.now = conn, settings, uploader, upload_id, now
        self._colluding: dict[str, bool] = {}

    def effect(self, rule_effect: Effect, other: str | None) -> Effect:
        if other == self.uploader or rule_effect not in HOLD_EFFECTS:
            return rule_effect  # within one institution every party is held; warnings stay warnings
        return rule_effect if self.colluding(other) else Effect.WARN

    def colluding(self, other: str | None) -> bool:
        tag = pair_tag(self.uploader, other)
        if tag not in self._colluding:
            f = db.findings
            since = self.now - timedelta(days=self.settings.collusion_window_days)
            met = self.conn.execute(select(f.c.upload_id, f.c.uscc).distinct().where(
                f.c.upload_id.is_not(None), f.c.created_at >= since,
                f.c.evidence.like(f'%"pair": "{tag}"%'))).all()
            meetings = {u for u, _ in met} | {self.upload_id}
            completed_by = {uscc for _, uscc in met} | {self.uploader}
            self._colluding[tag] = (len(meetings) >= self.settings.collusion_min_meetings
                                    and {self.uploader, other} <= completed_by)
        return self._colluding[tag]
