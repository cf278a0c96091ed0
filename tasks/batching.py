"""Which uploads may share one gate run, so a burst costs one GX validation per kind, not one per file.

A gate run judges staged rows against what is promoted; one upload at a time, a later upload
sees what an earlier one promoted. Uploads gated together do not see each other, so they must
not be able to meet in any rule: they share no institution (every rule about a class, a claim
or an institution's own history stays in upload order) and no entity a cross-record rule joins
on — a person, a phone, a device, a teacher, a venue, a certificate number, an employer. An
upload that meets an earlier one goes into a later round, after the earlier one is applied:
the verdicts are those of processing the uploads one by one in the given order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Columns whose values tie a staged row to rows of other institutions (expectations/*.py joins).
ENTITY_COLUMNS = {
    "id_number": "person", "phone": "phone", "device_id": "device", "teacher_id": "teacher", "venue": "venue",
    "certificate_no": "certificate", "employer_uscc": "employer", "assessor_uscc": "institution",
}


def entities(uscc: str | None, rows: Iterable[Mapping[str, Any]],
             class_entities: Mapping[tuple[str, str], Iterable[tuple[str, str]]] | None = None) -> frozenset:
    """Everything an upload's rows could meet another upload on. `class_entities` adds what a row's
    class brings (a schedule's sessions meet other classes through the class's teacher and venue)."""
    out: set[tuple[str, str]] = {("institution", uscc or "")}
    for row in rows:
        for column, what in ENTITY_COLUMNS.items():
            value = row.get(column)
            if value is not None and value != "":
                out.add((what, str(value)))
        if class_entities and row.get("class_id") is not None:
            out.update(class_entities.get((uscc or "", str(row["class_id"])), ()))
    return frozenset(out)


def rounds(uploads: Sequence[frozenset]) -> list[int]:
    """Round of each upload (in processing order): one after the last earlier upload it meets, so no
    two uploads of a round meet and every meeting keeps its order."""
    last: dict[Any, int] = {}
    out = []
    for keys in uploads:
        r = 1 + max((last[k] for k in keys if k in last), default=-1)
        for k in keys:
            last[k] = r if last.get(k, -1) < r else last[k]
        out.append(r)
    return out
