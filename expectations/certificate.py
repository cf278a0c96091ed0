"""Certificate gate (spec/rules.md, CRT-*): a certificate follows a pass, matches the class and
carries a number no one else holds."""

from __future__ import annotations

from expectations.checks import ColumnCheck, RowCheck, format_checks, unknown_class_check
from schemas.certificate import CertificateRow


def certificate_checks() -> list[ColumnCheck | RowCheck]:
    return [
        *format_checks(CertificateRow, {"certificate_type": "certificate_type", "level": "level"}),
        unknown_class_check(),
        RowCheck("CRT-NO-PASS", "a passed assessment comes first", """
            SELECT b.row_no, b.class_id, b.id_number FROM {batch} AS b
            JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
            WHERE b.upload_id = $upload AND b.id_number IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM assessments a WHERE a.uscc = b.uscc AND a.class_id = b.class_id
                AND a.id_number = b.id_number AND a.passed = TRUE)"""),
        RowCheck("CRT-MISMATCH", "occupation and level of the class", """
            SELECT b.row_no, b.class_id, b.id_number,
                   'class is ' || c.occupation_code || ' level ' || c.level AS detail FROM {batch} AS b
            JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
            WHERE b.upload_id = $upload AND (b.occupation_code <> c.occupation_code OR b.level <> c.level)"""),
        RowCheck("CRT-BEFORE-EXAM", "issued on or after the exam", """
            SELECT b.row_no, b.class_id, b.id_number, 'exam on ' || a.exam_date AS detail FROM {batch} AS b
            JOIN assessments a ON a.uscc = b.uscc AND a.class_id = b.class_id AND a.id_number = b.id_number
            WHERE b.upload_id = $upload AND b.issued_on < a.exam_date"""),
        RowCheck("CRT-DUPLICATE-NO", "number held by one person of one class", """
            SELECT b.row_no, b.class_id, b.id_number, 'number already held in class ' || c.class_id AS detail
            FROM {batch} AS b JOIN certificates c ON c.certificate_no = b.certificate_no
            WHERE b.upload_id = $upload
            AND NOT (c.uscc = b.uscc AND c.class_id = b.class_id AND c.id_number = b.id_number)
            UNION
            SELECT b.row_no, b.class_id, b.id_number, 'number repeated in the file' AS detail
            FROM {batch} AS b JOIN {batch} AS a ON a.upload_id = b.upload_id
                 AND a.certificate_no = b.certificate_no AND a.row_no < b.row_no
            WHERE b.upload_id = $upload"""),
    ]
