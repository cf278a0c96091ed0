"""Assessment gate (spec/rules.md, ASM-*): only enrolled, attending trainees pass; scores are sane."""

from __future__ import annotations

from expectations.checks import (
    ColumnCheck,
    RowCheck,
    format_checks,
    not_enrolled_check,
    once_per_file,
    unknown_class_check,
)
from expectations.credit import BLACKLISTED
from schemas.assessment import AssessmentRow


def assessment_checks() -> list[ColumnCheck | RowCheck]:
    return [
        *format_checks(AssessmentRow, {}),
        unknown_class_check(),
        once_per_file("person", ("class_id", "id_number")),
        not_enrolled_check("ASM-NOT-ENROLLED", "assessed person is on the roster"),
        RowCheck("ASM-SCORE", "score within 0–100 and agreeing with passed", """
            SELECT b.row_no, b.class_id, b.id_number, 'score ' || b.score AS detail FROM {batch} AS b
            WHERE b.upload_id = $upload AND b.score IS NOT NULL AND (b.score < 0 OR b.score > 100
                  OR (b.passed = TRUE AND b.score < $pass_mark) OR (b.passed = FALSE AND b.score >= $pass_mark))"""),
        RowCheck("ASM-LOW-ATTENDANCE", "a pass needs the minimum attendance", """
            SELECT b.row_no, b.class_id, b.id_number,
                   'attended ' || COALESCE(h.attended_minutes, 0) || ' of ' || COALESCE(h.scheduled_minutes, 0) || ' minutes' AS detail
            FROM {batch} AS b
            JOIN enrolments e ON e.uscc = b.uscc AND e.class_id = b.class_id AND e.id_number = b.id_number
            LEFT JOIN attendance_hours h ON h.uscc = b.uscc AND h.class_id = b.class_id AND h.id_number = b.id_number
            WHERE b.upload_id = $upload AND b.passed = TRUE
            AND (COALESCE(h.scheduled_minutes, 0) = 0 OR h.attended_minutes < $min_attendance_ratio * h.scheduled_minutes)"""),
        RowCheck("ASM-BEFORE-END", "exam after the last session", """
            SELECT b.row_no, b.class_id, b.id_number FROM {batch} AS b
            WHERE b.upload_id = $upload AND b.exam_date < (
                SELECT MAX(s.session_date) FROM sessions s WHERE s.uscc = b.uscc AND s.class_id = b.class_id)"""),
        RowCheck("ASM-SELF-ASSESSED", "assessed by someone other than the trainer", """
            SELECT b.row_no, b.class_id, b.id_number FROM {batch} AS b
            WHERE b.upload_id = $upload AND b.assessor_uscc = b.uscc"""),
        # 苏州 (十九) 评价机构信用管理制度和退出机制: only a registered assessment institution that is not
        # barred may assess; an enterprise registered for its own evaluation (自主评价, (四)6) may assess
        # its own employees.
        RowCheck("ASM-ASSESSOR", "assessed by a registered assessment institution", f"""
            SELECT b.row_no, b.class_id, b.id_number, b.assessor_uscc AS detail FROM {{batch}} AS b
            LEFT JOIN institutions i ON i.uscc = b.assessor_uscc
            WHERE b.upload_id = $upload AND b.assessor_uscc IS NOT NULL AND (
                i.uscc IS NULL OR {BLACKLISTED.format(i="i")} OR (i.kind <> 'assessor' AND NOT (
                    i.self_evaluation = $true AND EXISTS (
                        SELECT 1 FROM enrolments e WHERE e.uscc = b.uscc AND e.class_id = b.class_id
                        AND e.id_number = b.id_number AND e.employer_uscc = b.assessor_uscc))))"""),
        RowCheck("ASM-UNIFORM", "scores of a class are not all identical", """
            SELECT b.row_no, b.class_id, 'all ' || u.people || ' scores are ' || u.score AS detail FROM {batch} AS b
            JOIN (SELECT g.uscc, g.class_id, COUNT(DISTINCT g.id_number) AS people, MIN(g.score) AS score FROM (
                      SELECT a.uscc, a.class_id, a.id_number, a.score FROM assessments a
                      WHERE EXISTS (SELECT 1 FROM {batch} AS k WHERE k.upload_id = $upload AND k.uscc = a.uscc
                                    AND k.class_id = a.class_id)
                      AND NOT EXISTS (SELECT 1 FROM {batch} AS r WHERE r.upload_id = $upload AND r.uscc = a.uscc
                                      AND r.class_id = a.class_id AND r.id_number = a.id_number)
                      UNION ALL
                      SELECT r.uscc, r.class_id, r.id_number, r.score FROM {batch} AS r
                      WHERE r.upload_id = $upload AND r.format_errors IS NULL AND r.score IS NOT NULL) AS g
                  GROUP BY g.uscc, g.class_id
                  HAVING COUNT(DISTINCT g.id_number) >= $uniform_min_class_size AND COUNT(DISTINCT g.score) = 1) AS u
                 ON u.uscc = b.uscc AND u.class_id = b.class_id
            WHERE b.upload_id = $upload"""),
    ]
