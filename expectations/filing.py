"""Filing gate: filing (开班备案) and schedule (课表) uploads (spec/rules.md, FIL-*)."""

from __future__ import annotations

from expectations.checks import ColumnCheck, RowCheck, format_checks, once_per_file, unknown_class_check
from expectations.credit import BLACKLISTED
from schemas.filing import FilingRow, ScheduleRow

# Classes of other institutions, or other classes of ours, whose stored sessions overlap a staged one.
_STAGED_SESSIONS_OF = """
    SELECT b.upload_id, b.row_no, b.class_id, b.start_at, b.end_at, c.teacher_id, c.venue, c.uscc
    FROM {batch} AS b JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
    WHERE b.upload_id = $upload AND b.format_errors IS NULL AND b.start_at IS NOT NULL"""


def filing_checks() -> list[ColumnCheck | RowCheck]:
    return [
        *format_checks(FilingRow, {"level": "level", "training_type": "training_type"}),
        RowCheck("SEC-FOREIGN-INSTITUTION", "institution cell equals the path", """
            SELECT b.row_no, b.class_id, b.institution_uscc AS detail FROM {batch} AS b
            WHERE b.upload_id = $upload AND b.institution_uscc IS NOT NULL AND b.institution_uscc <> b.uscc"""),
        once_per_file("class", ("class_id",)),
        RowCheck("FIL-INST-UNKNOWN", "institution in the registry", """
            SELECT b.row_no, b.class_id FROM {batch} AS b
            LEFT JOIN institutions i ON i.uscc = b.uscc
            WHERE b.upload_id = $upload AND i.uscc IS NULL"""),
        # 山西 三(九) 禁止其再承担政府补贴性培训: the registry's 是否禁入, or rated D (issue 12.6, expectations/credit.py)
        RowCheck("FIL-INST-BLACKLISTED", "institution not blacklisted", f"""
            SELECT b.row_no, b.class_id FROM {{batch}} AS b
            JOIN institutions i ON i.uscc = b.uscc
            WHERE b.upload_id = $upload AND {BLACKLISTED.format(i="i")}"""),
        RowCheck("FIL-INST-UNQUALIFIED", "institution qualified for the occupation", """
            SELECT b.row_no, b.class_id, b.occupation_code AS detail FROM {batch} AS b
            JOIN institutions i ON i.uscc = b.uscc
            WHERE b.upload_id = $upload AND b.occupation_code IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM institution_occupations q WHERE q.uscc = b.uscc
                AND (q.occupation_code = b.occupation_code OR q.occupation_code = '*'))"""),
        RowCheck("FIL-DATES", "dates and planned hours plausible", """
            SELECT b.row_no, b.class_id FROM {batch} AS b
            WHERE b.upload_id = $upload AND b.start_date IS NOT NULL AND b.end_date IS NOT NULL
            AND (b.end_date < b.start_date
                 OR (b.planned_hours IS NOT NULL AND b.planned_hours > $max_hours_per_day * b.period_days))"""),
        RowCheck("FIL-LATE", "filed before the class starts", """
            SELECT b.row_no, b.class_id FROM {batch} AS b
            WHERE b.upload_id = $upload AND b.filed_on > b.start_date"""),
        RowCheck("FIL-NO-STANDARD", "a subsidy standard exists", """
            SELECT b.row_no, b.class_id, b.training_type AS detail FROM {batch} AS b
            WHERE b.upload_id = $upload AND b.policy_has_standard = $false AND b.training_type IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM subsidy_catalog s WHERE s.occupation_code = b.occupation_code
                            AND s.level = b.level AND s.training_type = b.training_type)"""),
    ]


def schedule_checks() -> list[ColumnCheck | RowCheck]:
    return [
        *format_checks(ScheduleRow, {"mode": "mode"}),
        unknown_class_check(),
        once_per_file("session", ("class_id", "session_date", "start_time")),
        RowCheck("FIL-HOURS-MISMATCH", "session inside the class dates", """
            SELECT b.row_no, b.class_id, 'session outside the class dates' AS detail FROM {batch} AS b
            JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
            WHERE b.upload_id = $upload AND (b.session_date < c.start_date OR b.session_date > c.end_date)"""),
        RowCheck("FIL-HOURS-MISMATCH", "scheduled hours match planned hours", """
            SELECT b.row_no, b.class_id, 'scheduled minutes ' || t.minutes || ' vs planned hours ' || c.planned_hours AS detail
            FROM {batch} AS b
            JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
            JOIN (
                SELECT u.uscc, u.class_id, SUM(u.minutes) AS minutes FROM (
                    SELECT x.uscc, x.class_id, x.minutes FROM {batch} AS x
                    WHERE x.upload_id = $upload AND x.format_errors IS NULL AND x.minutes IS NOT NULL
                    UNION ALL
                    SELECT s.uscc, s.class_id, s.minutes FROM sessions s
                    WHERE EXISTS (SELECT 1 FROM {batch} AS y WHERE y.upload_id = $upload
                                  AND y.uscc = s.uscc AND y.class_id = s.class_id)
                    AND NOT EXISTS (SELECT 1 FROM {batch} AS z WHERE z.upload_id = $upload
                                  AND z.uscc = s.uscc AND z.class_id = s.class_id
                                  AND z.session_date = s.session_date AND z.start_time = s.start_time)
                ) AS u GROUP BY u.uscc, u.class_id
            ) AS t ON t.uscc = b.uscc AND t.class_id = b.class_id
            WHERE b.upload_id = $upload
            AND ABS(t.minutes - c.planned_hours * 60) > $hours_mismatch_tolerance * 60"""),
        RowCheck("FIL-TEACHER-CLASH", "teacher in one place at a time", f"""
            SELECT DISTINCT n.row_no, n.class_id, o.uscc AS other_uscc, o.class_id AS other_class_id,
                   CASE WHEN o.uscc = n.uscc THEN 'teacher also teaches ' || o.class_id ELSE 'another-institution' END AS detail
            FROM ({_STAGED_SESSIONS_OF}) AS n
            JOIN classes oc ON oc.teacher_id = n.teacher_id AND NOT (oc.uscc = n.uscc AND oc.class_id = n.class_id)
            JOIN sessions o ON o.uscc = oc.uscc AND o.class_id = oc.class_id
            WHERE o.start_at < n.end_at AND n.start_at < o.end_at"""),
        RowCheck("FIL-VENUE-CLASH", "venue used by one institution at a time", f"""
            SELECT DISTINCT n.row_no, n.class_id, o.uscc AS other_uscc, o.class_id AS other_class_id,
                   'another-institution' AS detail
            FROM ({_STAGED_SESSIONS_OF}) AS n
            JOIN classes oc ON oc.venue = n.venue AND oc.uscc <> n.uscc
            JOIN sessions o ON o.uscc = oc.uscc AND o.class_id = oc.class_id
            WHERE o.start_at < n.end_at AND n.start_at < o.end_at"""),
    ]
