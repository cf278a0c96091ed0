"""Cross-institution rules over the whole database, run every night (spec/rules.md, ".../nightly").

Each query returns the entities a rule stands on now: (uscc, class_id, id_number or NULL for a
class, completed). `completed` is 1 when the entity's record is the latest upload among the records of a
pattern it is part of, or the pattern lies within one institution (spec/rules.md: only that side is
held; the other institution's side is a warning). The nightly run opens findings for new entities and
resolves open ones whose condition is gone; an auditor's decision is never overturned.
"""

from __future__ import annotations

_OVERLAP = "s1.start_at < s2.end_at AND s2.start_at < s1.end_at"

_LATEST = "MAX(CASE WHEN {b}.uscc = {a}.uscc OR {a}.upload_id >= {b}.upload_id THEN 1 ELSE 0 END) AS completed"

NIGHTLY_RULES: dict[str, str] = {
    "ENR-OVERLAP": f"""
        SELECT e1.uscc, e1.class_id, e1.id_number, {_LATEST.format(a="e1", b="e2")} FROM enrolments e1
        JOIN enrolments e2 ON e2.id_number = e1.id_number AND NOT (e2.uscc = e1.uscc AND e2.class_id = e1.class_id)
        JOIN sessions s1 ON s1.uscc = e1.uscc AND s1.class_id = e1.class_id
        JOIN sessions s2 ON s2.uscc = e2.uscc AND s2.class_id = e2.class_id
        WHERE {_OVERLAP}
        GROUP BY e1.uscc, e1.class_id, e1.id_number""",
    "ATT-CLASH": f"""
        SELECT a1.uscc, a1.class_id, a1.id_number, {_LATEST.format(a="a1", b="a2")} FROM attendance a1
        JOIN (SELECT id_number FROM attendance GROUP BY id_number
              HAVING MIN(uscc) <> MAX(uscc) OR MIN(class_id) <> MAX(class_id)) AS many ON many.id_number = a1.id_number
        JOIN attendance a2 ON a2.id_number = a1.id_number AND NOT (a2.uscc = a1.uscc AND a2.class_id = a1.class_id)
        WHERE a1.check_in < a2.check_out AND a2.check_in < a1.check_out
        GROUP BY a1.uscc, a1.class_id, a1.id_number""",
    "FIL-TEACHER-CLASH": f"""
        SELECT c1.uscc, c1.class_id, NULL AS id_number, {_LATEST.format(a="c1", b="c2")} FROM classes c1
        JOIN classes c2 ON c2.teacher_id = c1.teacher_id AND NOT (c2.uscc = c1.uscc AND c2.class_id = c1.class_id)
        JOIN sessions s1 ON s1.uscc = c1.uscc AND s1.class_id = c1.class_id
        JOIN sessions s2 ON s2.uscc = c2.uscc AND s2.class_id = c2.class_id
        WHERE {_OVERLAP}
        GROUP BY c1.uscc, c1.class_id""",
    "FIL-VENUE-CLASH": f"""
        SELECT DISTINCT c1.uscc, c1.class_id, NULL AS id_number, 1 AS completed FROM classes c1
        JOIN classes c2 ON c2.venue = c1.venue AND c2.uscc <> c1.uscc
        JOIN sessions s1 ON s1.uscc = c1.uscc AND s1.class_id = c1.class_id
        JOIN sessions s2 ON s2.uscc = c2.uscc AND s2.class_id = c2.class_id
        WHERE {_OVERLAP}""",
    "ATT-DEVICE-SHARED": """
        SELECT DISTINCT a.uscc, a.class_id, NULL AS id_number, 1 AS completed FROM attendance a
        JOIN (SELECT device_id, substr(CAST(check_in AS TEXT), 1, 10) AS day FROM attendance
              GROUP BY device_id, substr(CAST(check_in AS TEXT), 1, 10) HAVING MIN(uscc) <> MAX(uscc)) AS shared
             ON shared.device_id = a.device_id AND shared.day = substr(CAST(a.check_in AS TEXT), 1, 10)""",
    "ENR-SHARED-PHONE": """
        SELECT e.uscc, e.class_id, e.id_number,
               MAX(CASE WHEN shared.lo = shared.hi OR e.upload_id = shared.latest THEN 1 ELSE 0 END) AS completed
        FROM enrolments e
        JOIN (SELECT phone, MIN(uscc) AS lo, MAX(uscc) AS hi, MAX(upload_id) AS latest FROM enrolments GROUP BY phone
              HAVING COUNT(DISTINCT id_number) >= $shared_phone_min_people) AS shared ON shared.phone = e.phone
        GROUP BY e.uscc, e.class_id, e.id_number""",
}
