"""What differs between upload kinds: row model, staging table, target table, derived columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table

from infra import db
from schemas.assessment import AssessmentRow
from schemas.attendance import AttendanceRow
from schemas.certificate import CertificateRow
from schemas.claim import ClaimRow
from schemas.enrollment import RosterRow
from schemas.filing import FilingRow, ScheduleRow
from schemas.idcard import birth_date, id_problem
from schemas.policy import RegionPolicy
from schemas.rows import UploadRow


@dataclass(frozen=True)
class StageContext:
    uscc: str
    received_on: date
    today: date
    policy: RegionPolicy


def _filing(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
    start, end = row["start_date"], row["end_date"]
    row["period_days"] = (end - start).days + 1 if start and end and end >= start else None
    row["filed_on"] = row["filed_on"] or ctx.received_on
    tt, level = row["training_type"], row["level"]
    row["policy_has_standard"] = bool(tt and level and ctx.policy.has_standard(tt, level))
    return row


def _schedule(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
    day, start, end = row["session_date"], row["start_time"], row["end_time"]
    row["start_at"] = row["end_at"] = row["minutes"] = None
    if day and start and end:
        if end <= start:
            row["format_errors"] = _add_error(row.get("format_errors"), "end_time", "end not after start")
        else:
            row["start_at"] = datetime.combine(day, start)
            row["end_at"] = datetime.combine(day, end)
            row["minutes"] = int((row["end_at"] - row["start_at"]).total_seconds() // 60)
    return row


def _roster(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
    number = row["id_number"]
    row["id_problem"] = id_problem(number, ctx.today) if number else None
    row["birth_ymd"] = int(birth_date(number).strftime("%Y%m%d")) if number and row["id_problem"] is None else None
    return row


def _attendance(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
    cin, cout = row["check_in"], row["check_out"]
    # Rounded up, so 14 h and one second is over a 14 h limit; negative when out precedes in.
    row["record_minutes"] = -(-int((cout - cin).total_seconds()) // 60) if cin and cout else None
    return row


def _as_is(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
    return row


def _add_error(existing: str | None, field: str, reason: str) -> str:
    part = f"{field}: {reason}"
    return f"{existing}; {part}" if existing else part


@dataclass(frozen=True)
class Kind:
    name: str
    stage: str
    model: type[UploadRow]
    staging: Table
    target: Table
    key: tuple[str, ...]  # natural key in the target table, uscc first
    derive: Callable[[dict[str, Any], StageContext], dict[str, Any]]

    def stage_row(self, values: dict[str, Any], errors: dict[str, str], upload_id: int, row_no: int, uscc: str | None,
                  ctx: StageContext) -> dict[str, Any]:
        """One parsed row as its staging table holds it: tagged with its upload, reasons kept, columns derived."""
        # `values` is the parser's own fresh dict (schemas/vector.parse_table, rows.parse_cells): tagged in
        # place, not copied, one dict less per row (issue 10)
        values.update(upload_id=upload_id, row_no=row_no, uscc=uscc,
                      format_errors="; ".join(f"{f}: {m}" for f, m in errors.items()) if errors else None)
        return self.derive(values, ctx)

    @property
    def promoted_columns(self) -> list[str]:
        """Target columns filled from staging (the rest are defaults)."""
        staged = {c.name for c in self.staging.columns}
        return [c.name for c in self.target.columns if c.name in staged and c.name not in ("id", "upload_id")]


KINDS: dict[str, Kind] = {
    "filing": Kind("filing", "filing", FilingRow, db.stg_filing, db.classes, ("uscc", "class_id"), _filing),
    "schedule": Kind("schedule", "filing", ScheduleRow, db.stg_schedule, db.sessions,
                     ("uscc", "class_id", "session_date", "start_time"), _schedule),
    "roster": Kind("roster", "enrollment", RosterRow, db.stg_roster, db.enrolments,
                   ("uscc", "class_id", "id_number"), _roster),
    "attendance": Kind("attendance", "attendance", AttendanceRow, db.stg_attendance, db.attendance,
                       ("uscc", "class_id", "id_number", "check_in"), _attendance),
    "assessment": Kind("assessment", "assessment", AssessmentRow, db.stg_assessment, db.assessments,
                       ("uscc", "class_id", "id_number"), _as_is),
    "certificate": Kind("certificate", "certificate", CertificateRow, db.stg_certificate, db.certificates,
                        ("certificate_no",), _as_is),
    "claim": Kind("claim", "advance", ClaimRow, db.stg_claim, db.claims, ("uscc", "class_id", "kind"), _as_is),
}

# Uploads after which attended hours of the classes they name are recomputed.
HOURS_KINDS = frozenset({"schedule", "roster", "attendance"})
