"""Attendance gate (spec/rules.md, ATT-*): ghosts, impossible records, one person in two places,
device bursts and cloned class-wide patterns — all as SQL over staged plus stored records."""

from __future__ import annotations

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
# trainee and a scheduled session (ghosts and stray records are rejected, not evidence).
_RECORDS = """(
    SELECT a.uscc, a.class_id, a.id_number, a.check_in, a.check_out, a.device_id, 0 AS row_no FROM attendance a
    WHERE $narrow AND NOT EXISTS (SELECT 1 FROM {batch} AS r WHERE r.upload_id = $upload AND r.uscc = a.uscc
          AND r.class_id = a.class_id AND r.id_number = a.id_number AND r.check_in = a.check_in)
    UNION ALL
    SELECT r.uscc, r.class_id, r.id_number, r.check_in, r.check_out, r.device_id, r.row_no FROM {batch} AS r
    WHERE r.upload_id = $upload AND r.format_errors IS NULL AND r.record_minutes >= 0
    AND EXISTS (SELECT 1 FROM enrolments e WHERE e.uscc = r.uscc AND e.class_id = r.class_id AND e.id_number = r.id_number)
    AND EXISTS (SELECT 1 FROM sessions s WHERE s.uscc = r.uscc AND s.class_id = r.class_id
                AND s.start_at < r.check_out AND r.check_in < s.end_at)
)"""


def _records(narrow: str) -> str:
    return _RECORDS.replace("$narrow", narrow)


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
            SELECT DISTINCT b.row_no, b.class_id, b.id_number, o.uscc AS other_uscc, o.class_id AS other_class_id,
                   o.id_number AS other_id_number,
                   CASE WHEN o.uscc = b.uscc THEN 'also checked in to ' || o.class_id ELSE 'another-institution' END AS detail
            FROM {{batch}} AS b
            JOIN (SELECT m.id_number FROM {_records(_SAME_PEOPLE)} AS m GROUP BY m.id_number
                  HAVING MIN(m.uscc) <> MAX(m.uscc) OR MIN(m.class_id) <> MAX(m.class_id)) AS many
                 ON many.id_number = b.id_number
            JOIN {_records(_SAME_PEOPLE)} AS o
                 ON o.id_number = b.id_number AND NOT (o.uscc = b.uscc AND o.class_id = b.class_id)
            WHERE b.upload_id = $upload AND b.format_errors IS NULL AND b.record_minutes >= 0
            AND o.check_in < b.check_out AND b.check_in < o.check_out"""),
        RowCheck("ATT-BURST", "no burst of check-ins on one device in one second", f"""
            SELECT DISTINCT b.row_no, b.class_id, o.uscc AS other_uscc, o.class_id AS other_class_id,
                   n.records || ' check-ins on ' || b.device_id || ' at one second' AS detail
            FROM {{batch}} AS b
            JOIN (SELECT g.device_id, g.check_in, COUNT(*) AS records FROM {_records(_SAME_DEVICES)} AS g
                  GROUP BY g.device_id, g.check_in HAVING COUNT(*) >= $burst_min_checkins) AS n
                 ON n.device_id = b.device_id AND n.check_in = b.check_in
            JOIN {_records(_SAME_DEVICES)} AS o ON o.device_id = b.device_id AND o.check_in = b.check_in
            WHERE b.upload_id = $upload AND b.format_errors IS NULL"""),
        RowCheck("ATT-CLONED-PATTERN", "check-in times of a whole class are not cloned", f"""
            SELECT b.row_no, b.class_id, d.days || ' days with identical check-in and check-out' AS detail
            FROM {{batch}} AS b
            JOIN (SELECT p.uscc, p.class_id, COUNT(*) AS days FROM (
                      SELECT g.uscc, g.class_id, substr(CAST(g.check_in AS TEXT), 1, 10) AS day
                      FROM {_records(_SAME_CLASSES)} AS g
                      GROUP BY g.uscc, g.class_id, substr(CAST(g.check_in AS TEXT), 1, 10)
                      HAVING COUNT(DISTINCT g.id_number) >= $cloned_min_class_size
                         AND COUNT(DISTINCT g.check_in) = 1 AND COUNT(DISTINCT g.check_out) = 1) AS p
                  GROUP BY p.uscc, p.class_id HAVING COUNT(*) >= $cloned_min_days) AS d
                 ON d.uscc = b.uscc AND d.class_id = b.class_id
            WHERE b.upload_id = $upload"""),
        RowCheck("ATT-DEVICE-SHARED", "a device serves one institution a day", f"""
            SELECT DISTINCT b.row_no, b.class_id, o.uscc AS other_uscc, o.class_id AS other_class_id,
                   'another-institution' AS detail
            FROM {{batch}} AS b
            JOIN (SELECT g.device_id, substr(CAST(g.check_in AS TEXT), 1, 10) AS day FROM {_records(_SAME_DEVICES)} AS g
                  GROUP BY g.device_id, substr(CAST(g.check_in AS TEXT), 1, 10) HAVING MIN(g.uscc) <> MAX(g.uscc)) AS shared
                 ON shared.device_id = b.device_id AND shared.day = substr(CAST(b.check_in AS TEXT), 1, 10)
            JOIN {_records(_SAME_DEVICES)} AS o
                 ON o.device_id = b.device_id AND o.uscc <> b.uscc AND substr(CAST(o.check_in AS TEXT), 1, 10) = shared.day
            WHERE b.upload_id = $upload AND b.format_errors IS NULL"""),
    ]
