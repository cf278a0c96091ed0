"""Check definitions: what a gate expects, each tagged with its rule code (spec/rules.md).

A ColumnCheck becomes a GX column expectation; a RowCheck becomes an
UnexpectedRowsExpectation whose SQL names the offending staged rows. Both know how to
fetch every offending row themselves, because GX caps the ids it returns at 20.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from string import Template
from typing import Any

import great_expectations as gx
from great_expectations.expectations import UnexpectedRowsExpectation
from great_expectations.expectations.row_conditions import Column

from schemas.codes import canonical_values
from schemas.rows import UploadRow

_JOIN = re.compile(r"\bjoin\b", re.I)
BATCH_ALIAS = re.compile(r"\{batch\}(?! AS [a-z]+\b)")  # every {batch} must carry an alias
# The gated uploads of a run: a check written for "this upload" covers every upload of a batch. Uploads
# gated together never share an entity (tasks/batching.py), so each row is judged as if alone.
_THIS_UPLOAD = re.compile(r"\b([a-z]+)\.upload_id = \$upload\b")
# A SELECT naming the staged row of a hit (each branch of a UNION does) names its upload with it.
_HIT_ROW = re.compile(r"\b(SELECT (?:DISTINCT )?)([a-z]+)\.row_no\b")


def uploads_in(uploads: Sequence[int]) -> str:
    """The SQL list of a gate run's upload ids (integers only: nothing user-made reaches the SQL)."""
    return ", ".join(str(int(u)) for u in uploads)


@dataclass(frozen=True)
class ColumnCheck:
    code: str
    kind: str  # not_null | null | in_set
    column: str
    values: tuple[str, ...] = ()
    detail: str = ""

    @property
    def name(self) -> str:
        return f"{self.code}:{self.kind}:{self.column}"

    def expectation(self, uploads: Sequence[int]) -> Any:
        meta = {"rule_code": self.code, "check": self.name}
        cond = {"row_condition": Column("upload_id").is_in([int(u) for u in uploads]),
                "description": f"{self.code}: {self.detail or self.kind + ' ' + self.column}"}
        if self.kind == "not_null":
            return gx.expectations.ExpectColumnValuesToNotBeNull(column=self.column, meta=meta, **cond)
        if self.kind == "null":
            return gx.expectations.ExpectColumnValuesToBeNull(column=self.column, meta=meta, **cond)
        if self.kind == "in_set":
            return gx.expectations.ExpectColumnValuesToBeInSet(column=self.column, value_set=list(self.values), meta=meta, **cond)
        raise ValueError(self.kind)

    def predicate(self) -> str:
        c = self.column
        if self.kind == "not_null":
            return f"{c} IS NULL"
        if self.kind == "null":
            return f"{c} IS NOT NULL"
        quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in self.values)
        return f"{c} IS NOT NULL AND {c} NOT IN ({quoted})"


@dataclass(frozen=True)
class RowCheck:
    """SQL returning offending staged rows: row_no, and optionally class_id, id_number, detail,
    other_uscc, other_class_id, other_id_number (the counterpart record of a cross-record rule).
    `{batch}` is the staging table; `$upload` and the policy settings are filled in per run."""

    code: str
    name: str
    sql: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, uploads: Sequence[int], values: dict[str, Any]) -> str:
        """The check's SQL for the rows of these uploads; each offending row names its upload (hit_upload)."""
        sql = _THIS_UPLOAD.sub(r"\1.upload_id IN ($uploads)", self.sql)
        sql, found = _HIT_ROW.subn(r"\1\2.upload_id AS hit_upload, \2.row_no", sql)
        if not found:
            raise ValueError(f"check {self.name}: the outer SELECT must start with <alias>.row_no")
        return Template(sql).substitute({**values, **self.params, "uploads": uploads_in(uploads)})

    def expectation(self, uploads: Sequence[int], values: dict[str, Any]) -> Any:
        sql = self.render(uploads, values)
        if not _JOIN.search(sql):
            # GX renders {batch} as "(subquery)" only for queries with a JOIN and as
            # "(subquery) AS subselect" otherwise, which would clash with our alias: give it a join.
            sql = sql.replace("{batch} AS b", "{batch} AS b CROSS JOIN (SELECT 1 AS one) AS gx_join", 1)
        return UnexpectedRowsExpectation(
            unexpected_rows_query=sql,
            meta={"rule_code": self.code, "check": self.name},
            description=f"{self.code}: {self.name}",
        )


def format_checks(model: type[UploadRow], code_lists: dict[str, str]) -> list[ColumnCheck]:
    """ROW-FORMAT: every cell parsed, every required cell present, every code in its list."""
    checks = [ColumnCheck("ROW-FORMAT", "null", "format_errors")]
    checks += [ColumnCheck("ROW-FORMAT", "not_null", f, detail=f"missing {f}") for f in model.required_columns()]
    checks += [
        ColumnCheck("ROW-FORMAT", "in_set", f, tuple(canonical_values(lst)), detail=f"unknown {f}")
        for f, lst in code_lists.items()
    ]
    return checks


def once_per_file(what: str, key: tuple[str, ...], *, code: str = "ROW-FORMAT") -> RowCheck:
    """A natural key twice in one file: the first row stands, the repeats are rejected."""
    same = " AND ".join(f"a.{k} = b.{k}" for k in key)
    person = ", b.id_number" if "id_number" in key else ""
    return RowCheck(code, f"{what} once per file", f"""
        SELECT b.row_no, b.class_id{person}, '{what} repeated in the file' AS detail FROM {{batch}} AS b
        JOIN {{batch}} AS a ON a.upload_id = b.upload_id AND {same} AND a.row_no < b.row_no
        WHERE b.upload_id = $upload""")


def not_enrolled_check(code: str, name: str) -> RowCheck:
    """A row about a person not on the class roster (ghost trainee); unknown classes are ROW-UNKNOWN-CLASS."""
    return RowCheck(code, name, """
        SELECT b.row_no, b.class_id, b.id_number FROM {batch} AS b
        JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
        LEFT JOIN enrolments e ON e.uscc = b.uscc AND e.class_id = b.class_id AND e.id_number = b.id_number
        WHERE b.upload_id = $upload AND b.id_number IS NOT NULL AND e.id IS NULL""")


def unknown_class_check() -> RowCheck:
    """ROW-UNKNOWN-CLASS: every class a file names must be filed under the path's institution."""
    return RowCheck("ROW-UNKNOWN-CLASS", "class filed under the uploader", """
        SELECT b.row_no, b.class_id FROM {batch} AS b
        LEFT JOIN classes c ON c.uscc = b.uscc AND c.class_id = b.class_id
        WHERE b.upload_id = $upload AND b.class_id IS NOT NULL AND c.id IS NULL""")
