"""Use case: attended hours per trainee and class (spec/policy.md, "check-in tolerance", "online sessions").

A session counts, whole or not at all, when one accepted record of the trainee checks in
by start + tolerance and out no earlier than end − tolerance; offline sessions need a
social_card or face record, online sessions an online one. Records are not stitched.
Recomputed set-based for the classes an upload names; stored in attendance_hours.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from schemas.policy import RegionPolicy


def _window(dialect: str, tolerance: int) -> str:
    if dialect == "sqlite":
        return (f"datetime(a.check_in) <= datetime(s.start_at, '+{tolerance} minutes') "
                f"AND datetime(a.check_out) >= datetime(s.end_at, '-{tolerance} minutes')")
    return (f"a.check_in <= s.start_at + interval '{tolerance} minutes' "
            f"AND a.check_out >= s.end_at - interval '{tolerance} minutes'")


def recompute(conn: Connection, policy: RegionPolicy, classes_sql: str, params: dict, now: datetime) -> None:
    """Replace attendance_hours for the classes `classes_sql` selects (columns uscc, class_id)."""
    s = policy.settings
    online = "COALESCE(SUM(CASE WHEN x.mode = 'online' THEN x.minutes ELSE 0 END), 0)"
    counted_online = online
    if s.online_share_cap is not None:
        cap = f"CAST(t.minutes * {s.online_share_cap} AS INTEGER)"
        counted_online = f"CASE WHEN {online} > {cap} THEN {cap} ELSE {online} END"

    def named(alias: str) -> str:
        # every subquery is limited to the named classes: the sessions × attendance join over the
        # whole database made each upload cost the size of everything stored (traps.md)
        return f"EXISTS (SELECT 1 FROM ({classes_sql}) AS k WHERE k.uscc = {alias}.uscc AND k.class_id = {alias}.class_id)"

    conn.execute(text(
        "DELETE FROM attendance_hours WHERE EXISTS (SELECT 1 FROM (" + classes_sql + ") AS k "
        "WHERE k.uscc = attendance_hours.uscc AND k.class_id = attendance_hours.class_id)"), params)
    conn.execute(text(f"""
        INSERT INTO attendance_hours (uscc, class_id, id_number, sessions_attended, attended_minutes,
                                      online_minutes, scheduled_minutes, attendance_days, computed_at)
        SELECT e.uscc, e.class_id, e.id_number, COUNT(x.session_id),
               COALESCE(SUM(CASE WHEN x.mode = 'offline' THEN x.minutes ELSE 0 END), 0) + {counted_online},
               {online}, t.minutes, COUNT(DISTINCT x.session_date), :now
        FROM enrolments e
        JOIN (SELECT uscc, class_id, SUM(minutes) AS minutes FROM sessions s WHERE {named("s")}
              GROUP BY uscc, class_id) AS t
             ON t.uscc = e.uscc AND t.class_id = e.class_id
        LEFT JOIN (
            SELECT DISTINCT s.id AS session_id, a.uscc, a.class_id, a.id_number, s.minutes, s.mode, s.session_date
            FROM sessions s JOIN attendance a ON a.uscc = s.uscc AND a.class_id = s.class_id
            WHERE {named("s")} AND {_window(conn.dialect.name, s.check_in_tolerance_minutes)}
            AND ((s.mode = 'offline' AND a.method IN ('social_card', 'face')) OR (s.mode = 'online' AND a.method = 'online'))
        ) AS x ON x.uscc = e.uscc AND x.class_id = e.class_id AND x.id_number = e.id_number
        WHERE {named("e")}
        GROUP BY e.uscc, e.class_id, e.id_number, t.minutes"""), {**params, "now": now})
