"""Enrollment gate: roster (学员花名册) uploads (spec/rules.md, ENR-*).

The yearly cap and repeat rules (ENR-ANNUAL-CAP, ENR-REPEAT-LEVEL) need outcomes of
later stages and are decided at settlement.
"""

from __future__ import annotations

from expectations.checks import ColumnCheck, RowCheck, format_checks, unknown_class_check
from schemas.enrollment import RosterRow


def _people(where_e: str, where_r: str) -> str:
    """Everyone enrolled anywhere plus the rows of this upload (a person may be in two of our classes),
    narrowed by the caller to the phones or people of this upload so the rule reads an index, not the table."""
    return f"""(
    SELECT e.uscc, e.class_id, e.id_number, e.phone FROM enrolments e
    WHERE {where_e} AND NOT EXISTS (SELECT 1 FROM {{batch}} AS r WHERE r.upload_id = $upload AND r.uscc = e.uscc
                      AND r.class_id = e.class_id AND r.id_number = e.id_number)
    UNION ALL
    SELECT r.uscc, r.class_id, r.id_number, r.phone FROM {{batch}} AS r
    WHERE r.upload_id = $upload AND r.format_errors IS NULL AND r.id_problem IS NULL AND {where_r}
)"""


_IN_BATCH_CLASSES = ("EXISTS (SELECT 1 FROM {batch} AS k WHERE k.upload_id = $upload AND k.uscc = e.uscc "
                     "AND k.class_id = e.class_id)")
_SAME_PERSON = "e.id_number IN (SELECT k.id_number FROM {batch} AS k WHERE k.upload_id = $upload)"
_SAME_PHONE = "e.phone IN (SELECT k.phone FROM {batch} AS k WHERE k.upload_id = $upload)"


def roster_checks() -> list[ColumnCheck | RowCheck]:
    return [
        *format_checks(RosterRow, {"category": "category", "payer": "payer"}),
        unknown_class_check(),
        ColumnCheck("ENR-ID-INVALID", "null", "id_problem"),
        RowCheck("ENR-DUPLICATE", "person once per class", """
            SELECT b.row_no, b.class_id, b.id_number FROM {batch} AS b
            JOIN {batch} AS a ON a.upload_id = b.upload_id AND a.class_id = b.class_id
                 AND a.id_number = b.id_number AND a.row_no < b.row_no
            WHERE b.upload_id = $upload"""),
        RowCheck("ENR-AGE", "age at class start within limits", """
            SELECT b.row_no, b.class_id, b.id_number FROM {batch} AS b
            JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
            WHERE b.upload_id = $upload AND b.birth_ymd IS NOT NULL
            AND (b.birth_ymd + $min_age * 10000 > $start_ymd
                 OR b.birth_ymd + ($max_age + 1) * 10000 <= $start_ymd)"""),
        RowCheck("ENR-PENSIONER", "not drawing a pension", """
            SELECT b.row_no, b.class_id, b.id_number FROM {batch} AS b
            JOIN pensioners p ON p.id_number = b.id_number
            WHERE b.upload_id = $upload"""),
        RowCheck("ENR-CATEGORY-CONFLICT", "declared category agrees with insurance", """
            SELECT DISTINCT b.row_no, b.class_id, b.id_number, 'another-institution' AS detail
            FROM {batch} AS b JOIN insured i ON i.id_number = b.id_number
            WHERE b.upload_id = $upload AND b.category IN ('unemployed', 'hardship', 'graduate', 'school_leaver')
            AND (b.employer_uscc IS NULL OR i.employer_uscc <> b.employer_uscc)"""),
        RowCheck("ENR-ELIGIBILITY", "row has what its training type needs", """
            SELECT b.row_no, b.class_id, b.id_number,
                   CASE WHEN b.employer_uscc IS NULL THEN 'employer_uscc required'
                        ELSE 'hardship or low-income required' END AS detail
            FROM {batch} AS b JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
            WHERE b.upload_id = $upload AND (
                (b.employer_uscc IS NULL AND (c.training_type IN ($employer_types) OR b.payer = 'employer'))
                OR (c.training_type = 'work_as_training' AND b.category <> 'hardship'
                    AND NOT EXISTS (SELECT 1 FROM low_income l WHERE l.id_number = b.id_number)))"""),
        RowCheck("ENR-OVER-CAPACITY", "enrolled within the filed capacity", f"""
            SELECT b.row_no, b.class_id, b.id_number, 'enrolled ' || n.people || ' > capacity ' || c.capacity AS detail
            FROM {{batch}} AS b JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
            JOIN (SELECT p.uscc, p.class_id, COUNT(DISTINCT p.id_number) AS people FROM {_people(_IN_BATCH_CLASSES, "1 = 1")} AS p
                  GROUP BY p.uscc, p.class_id) AS n ON n.uscc = b.uscc AND n.class_id = b.class_id
            WHERE b.upload_id = $upload AND n.people > c.capacity"""),
        RowCheck("ENR-OVERLAP", "one class at a time per person", f"""
            SELECT DISTINCT b.row_no, b.class_id, b.id_number, p.uscc AS other_uscc,
                   p.class_id AS other_class_id, p.id_number AS other_id_number,
                   CASE WHEN p.uscc = b.uscc THEN 'also in ' || p.class_id ELSE 'another-institution' END AS detail
            FROM {{batch}} AS b
            JOIN {_people(_SAME_PERSON, "1 = 1")} AS p ON p.id_number = b.id_number
                 AND NOT (p.uscc = b.uscc AND p.class_id = b.class_id)
            JOIN sessions mine ON mine.uscc = b.uscc AND mine.class_id = b.class_id
            JOIN sessions theirs ON theirs.uscc = p.uscc AND theirs.class_id = p.class_id
            WHERE b.upload_id = $upload AND mine.start_at < theirs.end_at AND theirs.start_at < mine.end_at"""),
        RowCheck("ENR-SHARED-PHONE", "a phone belongs to few people", f"""
            SELECT DISTINCT b.row_no, b.class_id, b.id_number, p.uscc AS other_uscc, p.class_id AS other_class_id,
                   p.id_number AS other_id_number, 'phone shared by ' || n.people || ' people' AS detail
            FROM {{batch}} AS b
            JOIN (SELECT q.phone, COUNT(DISTINCT q.id_number) AS people FROM {_people(_SAME_PHONE, "1 = 1")} AS q
                  GROUP BY q.phone) AS n ON n.phone = b.phone
            JOIN {_people(_SAME_PHONE, "1 = 1")} AS p ON p.phone = b.phone AND p.id_number <> b.id_number
            WHERE b.upload_id = $upload AND b.id_problem IS NULL AND n.people >= $shared_phone_min_people"""),
    ]
