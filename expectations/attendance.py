"""Attendance gate (spec/rules.md, ATT-*): ghosts, impossible records, one person in two places,
device bursts and cloned class-wide patterns — all as SQL over staged plus stored records."""

from __future__ import annotations

from collections.abc import Callable

from expectations.checks import (
    ColumnCheck,
    RowCheck,
    format_checks,
    not_enrolled_check,
    once_per_file,
    unknown_class_check,
)
from schemas.attendance import AttendanceRow

# Stored records not replaced by this upload, plus this upload's rows that belong to an enrolled
# trainee and a scheduled session (ghosts and stray records are rejected, not evidence), as CTEs: `$name`
# and its two parts. `keep(alias)` narrows both parts to the keys a rule can hit at all (_candidates); a rule
# groups by that key, so whole groups stay. The parts are MATERIALIZED (PostgreSQL 12+, SQLite 3.35+) so
# that the narrowing comes first, whatever the planner estimates: it put the enrolment and session probes
# of every staged record, or the "replaced?" probe of every stored one, before a semi-join on the keys.
_RECORDS = """$name_stored AS MATERIALIZED (
        SELECT a.uscc, a.class_id, a.id_number, a.check_in, a.check_out, a.device_id FROM attendance a WHERE $keep_a),
    $name_staged AS MATERIALIZED (
        SELECT r.uscc, r.class_id, r.id_number, r.check_in, r.check_out, r.device_id, r.row_no FROM {batch} AS r
        WHERE r.upload_id = $upload AND r.format_errors IS NULL AND r.record_minutes >= 0 AND $keep_r),
    $name AS (
        SELECT a.uscc, a.class_id, a.id_number, a.check_in, a.check_out, a.device_id, 0 AS row_no FROM $name_stored AS a
        WHERE NOT EXISTS (SELECT 1 FROM {batch} AS r WHERE r.upload_id = $upload AND r.uscc = a.uscc
              AND r.class_id = a.class_id AND r.id_number = a.id_number AND r.check_in = a.check_in)
        UNION ALL
        SELECT r.uscc, r.class_id, r.id_number, r.check_in, r.check_out, r.device_id, r.row_no FROM $name_staged AS r
        WHERE EXISTS (SELECT 1 FROM enrolments e WHERE e.uscc = r.uscc AND e.class_id = r.class_id AND e.id_number = r.id_number)
        AND EXISTS (SELECT 1 FROM sessions s WHERE s.uscc = r.uscc AND s.class_id = r.class_id
                    AND s.start_at < r.check_out AND r.check_in < s.end_at))"""


def _records(name: str, keep: Callable[[str], str]) -> str:
    return _RECORDS.replace("$name", name).replace("$keep_a", keep("a")).replace("$keep_r", keep("r"))


def _candidates(keys: str, group: str, narrow: str, having: str) -> str:
    """The `keys` of the groups (`group`, over alias c) that meet `having` among the stored rows (narrowed
    to this upload's people, devices or classes) and the well-formed staged ones. The records are a subset
    of those rows and each `having` used here holds for the whole once it holds for a subset, so every group
    a rule can flag is among these keys; the rule then builds its records once (a CTE), for these keys only.
    Why: PostgreSQL estimated the records at 1 row and probed the staging index once per record, twice per
    rule (ATT-CLASH ~2–12 s a run over 140k staged rows, now ~0.05 s); the keys are a handful."""
    return f"""SELECT {keys} FROM (
            SELECT k.uscc, k.class_id, k.id_number, k.check_in, k.device_id FROM {{batch}} AS k
            WHERE k.upload_id = $upload AND k.format_errors IS NULL AND k.record_minutes >= 0
            UNION ALL
            SELECT a.uscc, a.class_id, a.id_number, a.check_in, a.device_id FROM attendance a WHERE {narrow}
        ) AS c GROUP BY {group} HAVING {having}"""


_MANY_CLASSES = "MIN({t}.uscc) <> MAX({t}.uscc) OR MIN({t}.class_id) <> MAX({t}.class_id)"


def _day(alias: str) -> str:
    return f"substr(CAST({alias}.check_in AS TEXT), 1, 10)"


_SAME_PEOPLE = "a.id_number IN (SELECT k.id_number FROM {batch} AS k WHERE k.upload_id = $upload)"
_SAME_DEVICES = "a.device_id IN (SELECT k.device_id FROM {batch} AS k WHERE k.upload_id = $upload)"
_SAME_CLASSES = ("EXISTS (SELECT 1 FROM {batch} AS k WHERE k.upload_id = $upload AND k.uscc = a.uscc "
                 "AND k.class_id = a.class_id)")


def attendance_checks() -> list[ColumnCheck | RowCheck]:
    return [
        *format_checks(AttendanceRow, {"method": "method"}),
        unknown_class_check(),
        once_per_file("record", ("class_id", "id_number", "check_in")),
        not_enrolled_check("ATT-NOT-ENROLLED", "checked-in person is on the roster"),
        RowCheck("ATT-INVALID-TIME", "check-out after check-in, within the longest record", """
            SELECT b.row_no, b.class_id, b.id_number, 'record of ' || b.record_minutes || ' minutes' AS detail
            FROM {batch} AS b
            WHERE b.upload_id = $upload AND (b.record_minutes < 0 OR b.record_minutes > $max_record_minutes)"""),
        RowCheck("ATT-OUTSIDE-SESSION", "record overlaps a scheduled session", """
            SELECT b.row_no, b.class_id, b.id_number FROM {batch} AS b
            JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
            WHERE b.upload_id = $upload AND b.record_minutes >= 0 AND NOT EXISTS (
                SELECT 1 FROM sessions s WHERE s.uscc = b.uscc AND s.class_id = b.class_id
                AND s.start_at < b.check_out AND b.check_in < s.end_at)"""),
        RowCheck("ATT-CLASH", "one person in one class at a time", f"""
            WITH clash_people AS ({_candidates("c.id_number", "c.id_number", _SAME_PEOPLE, _MANY_CLASSES.format(t="c"))}),
            {_records("clash_records", lambda t: f"{t}.id_number IN (SELECT p.id_number FROM clash_people AS p)")}
            SELECT DISTINCT b.row_no, b.class_id, b.id_number, o.uscc AS other_uscc, o.class_id AS other_class_id,
                   o.id_number AS other_id_number,
                   CASE WHEN o.uscc = b.uscc THEN 'also checked in to ' || o.class_id ELSE 'another-institution' END AS detail
            FROM {{batch}} AS b
            JOIN (SELECT m.id_number FROM clash_records AS m GROUP BY m.id_number
                  HAVING {_MANY_CLASSES.format(t="m")}) AS many
                 ON many.id_number = b.id_number
            JOIN clash_records AS o
                 ON o.id_number = b.id_number AND NOT (o.uscc = b.uscc AND o.class_id = b.class_id)
            WHERE b.upload_id = $upload AND b.format_errors IS NULL AND b.record_minutes >= 0
            AND o.check_in < b.check_out AND b.check_in < o.check_out"""),
        RowCheck("ATT-BURST", "no burst of check-ins on one device in one second", f"""
            WITH burst_seconds AS ({_candidates("c.device_id, c.check_in", "c.device_id, c.check_in", _SAME_DEVICES,
                                                 "COUNT(*) >= $burst_min_checkins")}),
            {_records("burst_records", lambda t: f"EXISTS (SELECT 1 FROM burst_seconds AS q WHERE q.device_id = {t}.device_id "
                                                  f"AND q.check_in = {t}.check_in)")}
            SELECT DISTINCT b.row_no, b.class_id, o.uscc AS other_uscc, o.class_id AS other_class_id,
                   n.records || ' check-ins on ' || b.device_id || ' at one second' AS detail
            FROM {{batch}} AS b
            JOIN (SELECT g.device_id, g.check_in, COUNT(*) AS records FROM burst_records AS g
                  GROUP BY g.device_id, g.check_in HAVING COUNT(*) >= $burst_min_checkins) AS n
                 ON n.device_id = b.device_id AND n.check_in = b.check_in
            JOIN burst_records AS o ON o.device_id = b.device_id AND o.check_in = b.check_in
            WHERE b.upload_id = $upload AND b.format_errors IS NULL"""),
        # A cloned day has >= cloned_min_class_size records at one check-in second: a class whose stored and
        # well-formed staged rows have no such second on cloned_min_days days cannot be cloned (rows only add).
        RowCheck("ATT-CLONED-PATTERN", "check-in times of a whole class are not cloned", f"""
            WITH cloned_classes AS (
                SELECT t.uscc, t.class_id FROM (
                    {_candidates("c.uscc, c.class_id, c.check_in", "c.uscc, c.class_id, c.check_in", _SAME_CLASSES,
                                 "COUNT(*) >= $cloned_min_class_size")}
                ) AS t GROUP BY t.uscc, t.class_id HAVING COUNT(DISTINCT {_day("t")}) >= $cloned_min_days),
            {_records("cloned_records", lambda t: f"EXISTS (SELECT 1 FROM cloned_classes AS q WHERE q.uscc = {t}.uscc "
                                                  f"AND q.class_id = {t}.class_id)")}
            SELECT b.row_no, b.class_id, d.days || ' days with identical check-in and check-out' AS detail
            FROM {{batch}} AS b
            JOIN (SELECT p.uscc, p.class_id, COUNT(*) AS days FROM (
                      SELECT g.uscc, g.class_id, {_day("g")} AS day FROM cloned_records AS g
                      GROUP BY g.uscc, g.class_id, {_day("g")}
                      HAVING COUNT(DISTINCT g.id_number) >= $cloned_min_class_size
                         AND COUNT(DISTINCT g.check_in) = 1 AND COUNT(DISTINCT g.check_out) = 1) AS p
                  GROUP BY p.uscc, p.class_id HAVING COUNT(*) >= $cloned_min_days) AS d
                 ON d.uscc = b.uscc AND d.class_id = b.class_id
            WHERE b.upload_id = $upload"""),
        RowCheck("ATT-DEVICE-SHARED", "a device serves one institution a day", f"""
            WITH shared_devices AS ({_candidates("c.device_id", f"c.device_id, {_day('c')}", _SAME_DEVICES,
                                                  "MIN(c.uscc) <> MAX(c.uscc)")}),
            {_records("shared_records", lambda t: f"{t}.device_id IN (SELECT q.device_id FROM shared_devices AS q)")}
            SELECT DISTINCT b.row_no, b.class_id, o.uscc AS other_uscc, o.class_id AS other_class_id,
                   'another-institution' AS detail
            FROM {{batch}} AS b
            JOIN (SELECT g.device_id, {_day("g")} AS day FROM shared_records AS g
                  GROUP BY g.device_id, {_day("g")} HAVING MIN(g.uscc) <> MAX(g.uscc)) AS shared
                 ON shared.device_id = b.device_id AND shared.day = {_day("b")}
            JOIN shared_records AS o
                 ON o.device_id = b.device_id AND o.uscc <> b.uscc AND {_day("o")} = shared.day
            WHERE b.upload_id = $upload AND b.format_errors IS NULL"""),
    ]
