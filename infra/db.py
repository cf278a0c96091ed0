"""Database tables (SQLAlchemy 2 Core metadata; Alembic migrations in infra/migrations).

Natural keys are UNIQUE constraints so a replayed upload can never duplicate a row;
money tables (later stages) add CHECK constraints as well.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    func,
)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
})


def _id() -> Column:
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


def _created() -> Column:
    return Column("created_at", DateTime(timezone=False), nullable=False, server_default=func.current_timestamp())


uploads = Table(
    "uploads", metadata, _id(),
    Column("bucket", String(63), nullable=False),
    Column("key", Text, nullable=False),
    Column("etag", String(80), nullable=False),
    Column("sha256", String(64)),
    Column("size_bytes", BigInteger),
    Column("area", String(16), nullable=False),  # inbox | reference
    Column("uscc", String(18)),
    Column("kind", String(32), nullable=False),  # upload kind or reference dataset
    Column("name", Text, nullable=False),
    Column("status", String(16), nullable=False),  # processing | done | quarantined | duplicate | failed
    Column("reason", Text),
    Column("duplicate_of", BigInteger),
    Column("run_id", String(64)),
    Column("rows_total", Integer),
    Column("rows_accepted", Integer),
    Column("rows_rejected", Integer),
    Column("rows_flagged", Integer),
    Column("header", Text),  # the file's header cells (JSON), for the outbox answer
    Column("answered_at", DateTime),  # outbox written
    Column("gate_checks", Text),  # the gate's outcome per expectation (JSON): check, rule code, success, rows
    Column("claimed_at", DateTime),  # start of the current processing lease
    Column("received_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("processed_at", DateTime),
    UniqueConstraint("bucket", "key", "etag", name="uq_uploads_object"),
    Index("ix_uploads_sha", "sha256", "uscc", "kind"),
)

row_verdicts = Table(
    "row_verdicts", metadata, _id(),
    Column("upload_id", BigInteger, nullable=False),
    Column("row_no", Integer, nullable=False),
    Column("verdict", String(20), nullable=False),
    Column("rule_codes", Text, nullable=False, server_default=""),
    Column("reason_zh", Text),
    Column("reason_en", Text),
    Column("raw", Text, nullable=False),  # the row as uploaded (JSON): nothing is lost
    UniqueConstraint("upload_id", "row_no", name="uq_row_verdicts_row"),
)

findings = Table(
    "findings", metadata, _id(),
    Column("rule_code", String(32), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("effect", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # none | open | confirmed | dismissed | resolved
    Column("uscc", String(18)),
    Column("class_id", String(200)),
    Column("id_number", String(18)),
    Column("evidence", Text, nullable=False, server_default="{}"),
    Column("run_id", String(64)),
    Column("upload_id", BigInteger),
    Column("row_no", Integer),
    _created(),
    Column("resolved_at", DateTime),
    Index("ix_findings_entity", "uscc", "class_id", "id_number"),
    Index("ix_findings_rule", "rule_code", "status"),
)

audit_log = Table(
    "audit_log", metadata, _id(),
    Column("at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("actor", String(100), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", Text),
    Column("detail", Text, nullable=False, server_default="{}"),
    # Set by a database trigger, never by the application (infra/auditchain.py): the chain position,
    # the database's session_user, the previous entry's hash and this entry's hash.
    Column("seq", BigInteger),
    Column("db_user", String(64)),
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
    Index("uq_audit_log_seq", "seq", unique=True),
)

decisions = Table(  # append-only: an auditor's decision on a hold; findings.status follows it (infra/decisionguard.py)
    "decisions", metadata, _id(),
    Column("finding_id", BigInteger, nullable=False),
    Column("decision", String(16), nullable=False),  # confirm | dismiss
    Column("auditor", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", DateTime, nullable=False, server_default=func.current_timestamp()),
    UniqueConstraint("finding_id", name="uq_decisions_finding_id"),
    CheckConstraint("decision IN ('confirm', 'dismiss')", name="decision"),
)

row_history = Table(
    "row_history", metadata, _id(),
    Column("table_name", String(32), nullable=False),
    Column("natural_key", Text, nullable=False),
    Column("replaced_by_upload", BigInteger, nullable=False),
    Column("old_row", Text, nullable=False),
    Column("replaced_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)

reference_history = Table(
    "reference_history", metadata, _id(),
    Column("dataset", String(32), nullable=False),
    Column("upload_id", BigInteger),  # the upload whose rows these were
    Column("replaced_by_upload", BigInteger, nullable=False),
    Column("row", Text, nullable=False),
    Column("replaced_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)

# --- reference registries (current version; replaced whole, old rows in reference_history)
institutions = Table(
    "institutions", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("qualified_occupations", Text, nullable=False),
    Column("rating", String(1), nullable=False),
    Column("blacklisted", Boolean, nullable=False),
    Column("difficult", Boolean, nullable=False, server_default="0"),
    Column("self_evaluation", Boolean, nullable=False, server_default="0"),  # 自主评价备案 (苏州 (四)6)
    Column("upload_id", BigInteger),
)
institution_occupations = Table(  # qualified_occupations exploded, so FIL-INST-UNQUALIFIED is a join
    "institution_occupations", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("occupation_code", String(32), primary_key=True),  # '*' = all
)
occupations = Table(
    "occupations", metadata,
    Column("occupation_code", String(32), primary_key=True),
    Column("occupation_name", Text, nullable=False),
    Column("shortage", Boolean, nullable=False),
    Column("upload_id", BigInteger),
)
subsidy_catalog = Table(
    "subsidy_catalog", metadata,
    Column("occupation_code", String(32), primary_key=True),
    Column("level", String(8), primary_key=True),
    Column("training_type", String(32), primary_key=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("upload_id", BigInteger),
)
pensioners = Table(
    "pensioners", metadata,
    Column("id_number", String(18), primary_key=True),
    Column("upload_id", BigInteger),
)
low_income = Table(
    "low_income", metadata,
    Column("id_number", String(18), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("upload_id", BigInteger),
)
insured = Table(
    "insured", metadata,
    Column("id_number", String(18), primary_key=True),
    Column("employer_uscc", String(18), primary_key=True),
    Column("upload_id", BigInteger),
)

# --- lifecycle entities
classes = Table(
    "classes", metadata, _id(),
    Column("uscc", String(18), nullable=False),
    Column("class_id", String(200), nullable=False),
    Column("occupation_code", String(32), nullable=False),
    Column("occupation_name", Text, nullable=False),
    Column("level", String(8), nullable=False),
    Column("training_type", String(32), nullable=False),
    Column("project_based", Boolean, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("planned_hours", Numeric(10, 2), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("venue", Text, nullable=False),
    Column("teacher_id", String(18), nullable=False),
    Column("filed_on", Date, nullable=False),
    Column("status", String(16), nullable=False, server_default="filed"),
    Column("upload_id", BigInteger, nullable=False),
    UniqueConstraint("uscc", "class_id", name="uq_classes_key"),
    Index("ix_classes_teacher", "teacher_id"),
)
sessions = Table(
    "sessions", metadata, _id(),
    Column("uscc", String(18), nullable=False),
    Column("class_id", String(200), nullable=False),
    Column("session_date", Date, nullable=False),
    Column("start_time", Time, nullable=False),
    Column("end_time", Time, nullable=False),
    Column("start_at", DateTime, nullable=False),
    Column("end_at", DateTime, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("mode", String(8), nullable=False),
    Column("upload_id", BigInteger, nullable=False),
    UniqueConstraint("uscc", "class_id", "session_date", "start_time", name="uq_sessions_key"),
    Index("ix_sessions_time", "start_at", "end_at"),
)
enrolments = Table(
    "enrolments", metadata, _id(),
    Column("uscc", String(18), nullable=False),
    Column("class_id", String(200), nullable=False),
    Column("id_number", String(18), nullable=False),
    Column("name", Text, nullable=False),
    Column("phone", String(11), nullable=False),
    Column("category", String(16), nullable=False),
    Column("employer_uscc", String(18)),
    Column("payer", String(16), nullable=False),
    Column("enrolled_on", Date, nullable=False),
    Column("status", String(16), nullable=False, server_default="enrolled"),
    Column("upload_id", BigInteger, nullable=False),
    UniqueConstraint("uscc", "class_id", "id_number", name="uq_enrolments_key"),
    Index("ix_enrolments_person", "id_number"),
    Index("ix_enrolments_phone", "phone"),
)

attendance = Table(
    "attendance", metadata, _id(),
    Column("uscc", String(18), nullable=False),
    Column("class_id", String(200), nullable=False),
    Column("id_number", String(18), nullable=False),
    Column("check_in", DateTime, nullable=False),
    Column("check_out", DateTime, nullable=False),
    Column("method", String(16), nullable=False),
    Column("device_id", String(200), nullable=False),
    Column("upload_id", BigInteger, nullable=False),
    UniqueConstraint("uscc", "class_id", "id_number", "check_in", name="uq_attendance_key"),
    Index("ix_attendance_person", "id_number", "check_in"),
    Index("ix_attendance_device", "device_id", "check_in"),
)
assessments = Table(
    "assessments", metadata, _id(),
    Column("uscc", String(18), nullable=False),
    Column("class_id", String(200), nullable=False),
    Column("id_number", String(18), nullable=False),
    Column("exam_date", Date, nullable=False),
    Column("score", Numeric(5, 2), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("assessor_uscc", String(18), nullable=False),
    Column("upload_id", BigInteger, nullable=False),
    UniqueConstraint("uscc", "class_id", "id_number", name="uq_assessments_key"),
)
certificates = Table(
    "certificates", metadata, _id(),
    Column("certificate_no", String(200), nullable=False),
    Column("uscc", String(18), nullable=False),
    Column("class_id", String(200), nullable=False),
    Column("id_number", String(18), nullable=False),
    Column("certificate_type", String(24), nullable=False),
    Column("occupation_code", String(32), nullable=False),
    Column("level", String(8), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("upload_id", BigInteger, nullable=False),
    UniqueConstraint("certificate_no", name="uq_certificates_no"),
    Index("ix_certificates_person", "uscc", "class_id", "id_number"),
)
# Attended hours per trainee and class, recomputed set-based whenever a class's schedule,
# roster or attendance changes; later stages and reports read it instead of recomputing.
attendance_hours = Table(
    "attendance_hours", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("class_id", String(200), primary_key=True),
    Column("id_number", String(18), primary_key=True),
    Column("sessions_attended", Integer, nullable=False),
    Column("attended_minutes", Integer, nullable=False),
    Column("online_minutes", Integer, nullable=False),
    Column("scheduled_minutes", Integer, nullable=False),
    Column("attendance_days", Integer, nullable=False),
    Column("computed_at", DateTime, nullable=False),
)

# --- money
claims = Table(
    "claims", metadata, _id(),
    Column("uscc", String(18), nullable=False),
    Column("class_id", String(200), nullable=False),
    Column("kind", String(8), nullable=False),  # advance | final
    Column("amount_fen", BigInteger, nullable=False),  # requested
    Column("projected_fen", BigInteger),  # advance: the institution's projected subsidy when claimed
    Column("cap_fen", BigInteger),  # advance: floor(50 % × projected)
    Column("earned_fen", BigInteger),  # final: the computed subsidy when claimed
    Column("upload_id", BigInteger, nullable=False),
    UniqueConstraint("uscc", "class_id", "kind", name="uq_claims_key"),
    CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
)
# Append-only (triggers in migration 0006): every payment, advance, settlement or recovery is one entry.
ledger = Table(
    "ledger", metadata, _id(),
    _created(),
    Column("uscc", String(18), nullable=False),
    Column("class_id", String(200), nullable=False),
    Column("payee", String(18), nullable=False),
    Column("payee_kind", String(12), nullable=False),  # organisation | person (a person's ID is masked in exports)
    Column("kind", String(12), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("idempotency_key", String(300), nullable=False),
    Column("run_id", String(64)),
    # issue 12: the as-of date of the run that booked it, and the account it is paid from (migration 0011)
    Column("booked_on", Date, nullable=False),
    Column("fund", String(64), nullable=False),
    UniqueConstraint("idempotency_key", name="uq_ledger_idempotency_key"),
    UniqueConstraint("uscc", "class_id", "payee", "kind", "seq", name="uq_ledger_purpose"),
    CheckConstraint("(kind = 'advance' AND amount_fen > 0) OR (kind = 'settlement' AND amount_fen > 0) "
                    "OR (kind = 'recovery' AND amount_fen < 0)", name="sign_by_kind"),
    CheckConstraint("seq >= 1", name="seq_positive"),
    Index("ix_ledger_class", "uscc", "class_id"),
    Index("ix_ledger_booked_on", "booked_on"),
)
# What a class has earned now, per payee (derived state, replaced on every settlement run).
earned = Table(
    "earned", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("class_id", String(200), primary_key=True),
    Column("payee", String(18), primary_key=True),
    Column("payee_kind", String(12), nullable=False),
    Column("earned_fen", BigInteger, nullable=False),
    Column("computed_at", DateTime, nullable=False),
    Column("run_id", String(64)),
    CheckConstraint("earned_fen >= 0", name="earned_not_negative"),
)
# Per trainee and payee, the amounts behind `earned`: the explanation, and what a held trainee keeps frozen.
trainee_amounts = Table(
    "trainee_amounts", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("class_id", String(200), primary_key=True),
    Column("id_number", String(18), primary_key=True),
    Column("payee", String(18), primary_key=True),
    Column("what", String(16), primary_key=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("clause", Text, nullable=False),
    Column("computed_at", DateTime, nullable=False),
)

# --- credit (issue 12.6) and special reports (issue 12.4)
# Append-only (triggers in migration 0012): every rating an institution was given, why, and by whom;
# its latest row is its rating (tasks/credit.py, current_ratings), the registry's before any.
credit_ratings = Table(
    "credit_ratings", metadata, _id(),
    Column("uscc", String(18), nullable=False),
    Column("rating", String(1), nullable=False),
    Column("previous", String(1)),
    Column("reason_zh", Text, nullable=False),
    Column("reason_en", Text, nullable=False),
    Column("evidence", Text, nullable=False, server_default="{}"),
    Column("source", String(16), nullable=False),  # monthly | fraud | override
    Column("decided_by", String(100), nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("event_key", String(200), nullable=False),  # one row per month, fraud decision or override
    _created(),
    UniqueConstraint("event_key", name="uq_credit_ratings_event_key"),
    CheckConstraint("rating IN ('A', 'B', 'C', 'D')", name="rating"),
    CheckConstraint("previous IS NULL OR previous IN ('A', 'B', 'C', 'D')", name="previous"),
    CheckConstraint("source IN ('monthly', 'fraud', 'override')", name="source"),
    Index("ix_credit_ratings_uscc", "uscc", "id"),
)
# 重大情况专报: one row per reported event (a confirmed fraud, a recovery order above the threshold), so a
# second publication of the same event finds it and writes nothing.
special_reports = Table(
    "special_reports", metadata, _id(),
    Column("event_key", String(300), nullable=False),
    Column("kind", String(16), nullable=False),  # fraud | recovery
    Column("uscc", String(18), nullable=False),
    Column("class_id", String(200)),
    Column("amount_fen", BigInteger),
    Column("object_key", Text, nullable=False),
    _created(),
    UniqueConstraint("event_key", name="uq_special_reports_event_key"),
    CheckConstraint("kind IN ('fraud', 'recovery')", name="kind"),
)

# --- staging: parsed rows of one upload, gated, then promoted or dropped
def _staging(name: str, *cols: Column) -> Table:
    return Table(
        name, metadata,
        Column("upload_id", BigInteger, primary_key=True),
        Column("row_no", Integer, primary_key=True),
        *cols,
        Column("format_errors", Text),  # field: reason; NULL when every cell parsed
    )


stg_filing = _staging(
    "stg_filing",
    Column("uscc", String(18), nullable=False),  # from the path: trusted, unlike the cells
    Column("class_id", Text), Column("institution_uscc", String(18)), Column("occupation_code", Text),
    Column("occupation_name", Text), Column("level", String(8)), Column("training_type", String(32)),
    Column("project_based", Boolean), Column("start_date", Date), Column("end_date", Date),
    Column("planned_hours", Numeric(10, 2)), Column("capacity", Integer), Column("venue", Text),
    Column("teacher_id", String(18)), Column("filed_on", Date),
    Column("period_days", Integer), Column("policy_has_standard", Boolean, nullable=False),
)
stg_schedule = _staging(
    "stg_schedule",
    Column("uscc", String(18), nullable=False),
    Column("class_id", Text), Column("session_date", Date), Column("start_time", Time),
    Column("end_time", Time), Column("mode", String(8)),
    Column("start_at", DateTime), Column("end_at", DateTime), Column("minutes", Integer),
)
stg_roster = _staging(
    "stg_roster",
    Column("uscc", String(18), nullable=False),
    Column("class_id", Text), Column("id_number", String(18)), Column("name", Text), Column("phone", String(11)),
    Column("category", String(16)), Column("employer_uscc", String(18)), Column("payer", String(16)),
    Column("enrolled_on", Date),
    Column("id_problem", Text), Column("birth_ymd", Integer),
)

stg_attendance = _staging(
    "stg_attendance",
    Column("uscc", String(18), nullable=False),
    Column("class_id", Text), Column("id_number", String(18)), Column("check_in", DateTime),
    Column("check_out", DateTime), Column("method", String(16)), Column("device_id", Text),
    Column("record_minutes", Integer),  # check_out − check_in; negative when out is before in
)
stg_assessment = _staging(
    "stg_assessment",
    Column("uscc", String(18), nullable=False),
    Column("class_id", Text), Column("id_number", String(18)), Column("exam_date", Date),
    Column("score", Numeric(7, 2)), Column("passed", Boolean), Column("assessor_uscc", String(18)),
)
stg_certificate = _staging(
    "stg_certificate",
    Column("uscc", String(18), nullable=False),
    Column("certificate_no", Text), Column("class_id", Text), Column("id_number", String(18)),
    Column("certificate_type", String(24)), Column("occupation_code", Text), Column("level", String(8)),
    Column("issued_on", Date),
)

stg_claim = _staging(
    "stg_claim",
    Column("uscc", String(18), nullable=False),
    Column("class_id", Text), Column("kind", String(8)), Column("amount_fen", BigInteger),
    Column("projected_fen", BigInteger), Column("cap_fen", BigInteger), Column("earned_fen", BigInteger),
)

# Staged rows are joined on their natural keys by the gates' cross-record rules.
Index("ix_stg_roster_person", stg_roster.c.upload_id, stg_roster.c.id_number)
Index("ix_stg_roster_class", stg_roster.c.upload_id, stg_roster.c.uscc, stg_roster.c.class_id)
Index("ix_stg_roster_phone", stg_roster.c.upload_id, stg_roster.c.phone)
Index("ix_stg_schedule_class", stg_schedule.c.upload_id, stg_schedule.c.uscc, stg_schedule.c.class_id)
Index("ix_stg_filing_class", stg_filing.c.upload_id, stg_filing.c.class_id)
Index("ix_sessions_class", sessions.c.uscc, sessions.c.class_id)
Index("ix_stg_attendance_person", stg_attendance.c.upload_id, stg_attendance.c.id_number, stg_attendance.c.check_in)
Index("ix_stg_attendance_class", stg_attendance.c.upload_id, stg_attendance.c.uscc, stg_attendance.c.class_id)
Index("ix_stg_attendance_device", stg_attendance.c.upload_id, stg_attendance.c.device_id, stg_attendance.c.check_in)
Index("ix_stg_assessment_class", stg_assessment.c.upload_id, stg_assessment.c.uscc, stg_assessment.c.class_id)
Index("ix_stg_certificate_no", stg_certificate.c.upload_id, stg_certificate.c.certificate_no)

STAGING = {"filing": stg_filing, "schedule": stg_schedule, "roster": stg_roster,
           "attendance": stg_attendance, "assessment": stg_assessment, "certificate": stg_certificate,
           "claim": stg_claim}
REFERENCE_TABLES = {
    "institutions": institutions,
    "occupations": occupations,
    "subsidy_catalog": subsidy_catalog,
    "pensioners": pensioners,
    "low_income": low_income,
    "insured": insured,
}

# --- the department's console (issue 14): its users and their login attempts (throttling)
console_users = Table(
    "console_users", metadata, _id(),
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),  # Argon2id, never the password
    Column("disabled", Boolean, nullable=False, server_default="0"),
    _created(),
    UniqueConstraint("name", name="uq_console_users_name"),
    CheckConstraint("role IN ('auditor', 'operator', 'viewer')", name="role"),
)
login_attempts = Table(
    "login_attempts", metadata, _id(),
    Column("at", DateTime, nullable=False),
    Column("username", String(100), nullable=False),
    Column("client", String(64), nullable=False),  # the client's address
    Column("ok", Boolean, nullable=False),
    Index("ix_login_attempts_user", "username", "at"),
    Index("ix_login_attempts_client", "client", "at"),
)
# The auditors' queue filters open holds by status, stage, rule and institution.
Index("ix_findings_queue", findings.c.status, findings.c.stage, findings.c.uscc)
