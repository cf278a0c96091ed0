"""Which uploads may share one gate run, so a burst costs one GX validation per kind, not one per file.

A gate run judges staged rows against what is promoted; one upload at a time, a later upload
sees what an earlier one promoted. Uploads gated together do not see each other, so they must
not be able to meet in any rule: they share no institution (every rule about a class, a claim
or an institution's own history stays in upload order) and no entity a cross-record rule joins
on — a person, a phone, a device, a teacher, a venue, a certificate number, an employer. An
upload that meets an earlier one goes into a later round, after the earlier one is applied:
the verdicts are those of processing the uploads one by one in the given order.

A filing only *defines* a class's teacher and venue (no filing rule compares them): two filings
naming one teacher may share a run, while a schedule — whose sessions clash through the teacher
and venue of its class — meets both the filings that define them and the other schedules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Columns whose values tie a staged row to rows of other institutions (expectations/*.py joins).
ENTITY_COLUMNS = {
    "id_number": "person", "phone": "phone", "device_id": "device", "teacher_id": "teacher", "venue": "venue",
    "certificate_no": "certificate", "employer_uscc": "employer", "assessor_uscc": "institution",
}


# Filing columns that only define what later schedules are checked against.
DEFINED_BY_FILING = ("teacher_id", "venue")


@dataclass(frozen=True)
class Meets:
    """What an upload may meet others on: `shared` entities meet everything naming them; `defines`
    meets only uploads that share them, not other uploads that merely define them too."""
    shared: frozenset
    defines: frozenset = frozenset()


def entities(uscc: str | None, rows: Iterable[Mapping[str, Any]], kind: str = "",
             class_entities: Mapping[tuple[str, str], Iterable[tuple[str, str]]] | None = None) -> Meets:
    """Everything an upload's rows could meet another upload on. `class_entities` adds what a row's
    class brings (a schedule's sessions meet other classes through the class's teacher and venue)."""
    shared: set[tuple[str, str]] = {("institution", uscc or "")}
    defines: set[tuple[str, str]] = set()
    for row in rows:
        for column, what in ENTITY_COLUMNS.items():
            value = row.get(column)
            if value is not None and value != "":
                (defines if kind == "filing" and column in DEFINED_BY_FILING else shared).add((what, str(value)))
        if class_entities and row.get("class_id") is not None:
            shared.update(class_entities.get((uscc or "", str(row["class_id"])), ()))
    return Meets(frozenset(shared), frozenset(defines))


def rounds(uploads: Sequence[Meets]) -> list[int]:
    """Round of each upload (in processing order): one after the last earlier upload it meets, so no
    two uploads of a round meet and every meeting keeps its order."""
    shared: dict[Any, int] = {}  # entity → last round of an upload sharing it
    defined: dict[Any, int] = {}  # entity → last round of an upload defining it
    out = []
    for m in uploads:
        r = 1 + max([shared[k] for k in m.shared | m.defines if k in shared]
                    + [defined[k] for k in m.shared if k in defined], default=-1)
        for k in m.shared:
            shared[k] = max(shared.get(k, -1), r)
        for k in m.defines:
            defined[k] = max(defined.get(k, -1), r)
        out.append(r)
    return out
