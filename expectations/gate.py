"""Gate runner: validates one upload's staged rows with its GX suite and turns failures into hits.

GX decides pass/fail per expectation (and is what auditors see in Data Docs); for a
failed expectation the runner fetches every offending row with the check's own SQL,
because GX returns at most 20 row ids on SQL backends (notes/traps.md).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx
from great_expectations.expectations import UnexpectedRowsExpectation
from sqlalchemy import Connection, Engine, text

from expectations import advance, assessment, attendance, certificate, enrollment, filing, settlement
from expectations.checks import (
    ColumnCheck,
    RowCheck,
    format_checks,
    once_per_file,
    unknown_class_check,
    uploads_in,
)
from expectations.gx_speed import configuration_cached, rows_counted_only
from schemas.claim import ClaimRow
from schemas.codes import EMPLOYER_TRAINING_TYPES
from schemas.policy import RegionPolicy

log = logging.getLogger(__name__)
logging.getLogger("great_expectations").setLevel(logging.WARNING)

CHECKS = {
    "filing": filing.filing_checks,
    "schedule": filing.schedule_checks,
    "roster": enrollment.roster_checks,
    "attendance": attendance.attendance_checks,
    "assessment": assessment.assessment_checks,
    "certificate": certificate.certificate_checks,
    "claim": lambda: [*format_checks(ClaimRow, {"kind": "claim_kind"}), unknown_class_check(), once_per_file("claim", ("class_id", "kind")),
                      *advance.advance_checks(), *settlement.settlement_checks()],
}



@dataclass(frozen=True)
class Hit:
    code: str
    row_no: int
    class_id: str | None = None
    id_number: str | None = None
    detail: str | None = None
    other_uscc: str | None = None
    other_class_id: str | None = None
    other_id_number: str | None = None
    upload_id: int = 0  # the upload the offending row came from (a gate run may cover several)


@dataclass
class GateResult:
    kind: str
    success: bool
    hits: list[Hit]
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # check, rule_code, success, rows
    validation: Any = None  # the GX validation result, for Data Docs
    uploads: tuple[int, ...] = ()
    # check → upload → (offending rows as GX counts them, rows that became hits)
    rows_by_upload: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)
    hits_by_check: dict[str, list[Hit]] = field(default_factory=dict)  # the hits of each failed check

    def for_upload(self, upload_id: int) -> GateResult:
        """This upload's part of a gate run over several: its hits, and each check failed only where
        its own rows broke it (what a run over this upload alone reports)."""
        if self.uploads == (upload_id,):
            return self
        hits = [h for h in self.hits if h.upload_id == upload_id]
        outcomes = []
        for o in self.outcomes:
            seen, kept = self.rows_by_upload.get(o["check"], {}).get(upload_id, (0, 0))
            outcomes.append({**o, "success": seen == 0, "rows": kept})
        return GateResult(self.kind, all(o["success"] for o in outcomes), hits, outcomes, self.validation,
                          (upload_id,), {})


def sql_values(dialect: str, policy: RegionPolicy) -> dict[str, Any]:
    """Policy thresholds and dialect fragments the check SQL is rendered with."""
    s = policy.settings
    employer_types = set(EMPLOYER_TRAINING_TYPES) | {
        t for a in policy.amounts if a.paid_to == "employer" for t in a.training_types
    }
    if dialect == "sqlite":
        start_ymd = "CAST(strftime('%Y%m%d', c.start_date) AS INTEGER)"
    else:
        start_ymd = "CAST(to_char(c.start_date, 'YYYYMMDD') AS INTEGER)"
    return {
        "true": "TRUE", "false": "FALSE", "start_ymd": start_ymd,
        "min_age": s.min_age, "max_age": s.max_age,
        "max_hours_per_day": s.max_hours_per_day, "hours_mismatch_tolerance": s.hours_mismatch_tolerance,
        "shared_phone_min_people": s.shared_phone_min_people,
        "max_record_minutes": int(s.max_record_hours * 60), "burst_min_checkins": s.burst_min_checkins,
        "cloned_min_class_size": s.cloned_min_class_size, "cloned_min_days": s.cloned_min_days,
        "uniform_min_class_size": s.uniform_min_class_size, "pass_mark": s.pass_mark,
        "min_attendance_ratio": s.min_attendance_ratio,
        "employer_types": ", ".join(f"'{t}'" for t in sorted(employer_types)),
        "advance_ratings": ", ".join(f"'{r}'" for r in policy.credit.advance_ratings) or "''",  # validated A–D
    }


class Gate:
    """One GX ephemeral context per engine; SQL assets are safe to share across threads."""

    _lock = threading.Lock()

    def __init__(self, engine: Engine, policy: RegionPolicy) -> None:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.engine = engine
        self.policy = policy
        self.values = sql_values(engine.dialect.name, policy)
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        url = engine.url.render_as_string(hide_password=False)
        if engine.dialect.name == "sqlite":
            self.source = self.context.data_sources.add_sqlite("skillsub", connection_string=url)
        else:
            # pre-ping: after a lost connection (server restart, terminated backends) the next run reconnects
            self.source = self.context.data_sources.add_postgres("skillsub", connection_string=url,
                                                                 kwargs={"pool_pre_ping": True})
        self._batches: dict[str, Any] = {}
        # kind → (chains still to gate round by round, judged-ahead runs in a row that gained nothing): tasks/ingest.py
        self.ahead_waits: dict[str, tuple[int, int]] = {}

    def _batch_definition(self, table: str) -> Any:
        with self._lock:
            if table not in self._batches:
                asset = self.source.add_table_asset(table, table_name=table)
                self._batches[table] = asset.add_batch_definition_whole_table("staged")
            return self._batches[table]

    def suite(self, kind: str, uploads: Sequence[int]) -> tuple[gx.ExpectationSuite, list[ColumnCheck | RowCheck]]:
        checks = CHECKS[kind]()
        suite = gx.ExpectationSuite(name=f"{kind}-upload-{'-'.join(str(u) for u in uploads[:5])}")
        for check in checks:
            if isinstance(check, RowCheck):
                suite.add_expectation(check.expectation(uploads, self.values))
            else:
                suite.add_expectation(check.expectation(uploads))
        # Guard against the silent-empty-suite trap: every check must be in the suite.
        if len(suite.expectations) != len(checks):
            raise RuntimeError(f"{kind} suite has {len(suite.expectations)} of {len(checks)} expectations")
        return suite, checks

    def run(self, kind: str, table: str, uploads: int | Sequence[int]) -> GateResult:
        """One GX validation over the staged rows of one upload or of a batch of uploads of one kind."""
        ids = (uploads,) if isinstance(uploads, int) else tuple(uploads)
        suite, checks = self.suite(kind, ids)
        batch = self._batch_definition(table).get_batch()
        # GX's per-expectation bookkeeping once per expectation, and each row check's SQL run once by GX (the
        # count), since offending_rows fetches the rows of a failed one anyway (gx_speed.py)
        with configuration_cached(), rows_counted_only():
            result = batch.validate(suite, result_format="BOOLEAN_ONLY")
        by_name = {c.name: c for c in checks}
        hits: list[Hit] = []
        outcomes = []
        per_upload: dict[str, dict[int, tuple[int, int]]] = {}
        by_check: dict[str, list[Hit]] = {}
        for r in result.results:
            name = r.expectation_config.meta["check"]
            rows: Sequence[Hit] = []
            if not r.success:
                problem = _exception(r.exception_info)
                if problem:
                    raise RuntimeError(f"gate check {name} failed to run: {problem}")
                seen, rows = self.offending_rows(by_name[name], table, ids)
                hits.extend(rows)
                by_check[name] = list(rows)
                per_upload[name] = {u: (seen.get(u, 0), len({h.row_no for h in rows if h.upload_id == u})) for u in ids}
            outcomes.append({"check": name, "rule_code": by_name[name].code, "success": bool(r.success),
                             "rows": len({(h.upload_id, h.row_no) for h in rows})})  # rows, not hits: a row meets several others
        return GateResult(kind, bool(result.success), hits, outcomes, result, ids, per_upload, by_check)

    def same_alone(self, result: GateResult, table: str, upload_id: int) -> bool:
        """Whether a run over this upload alone, now, would judge it as `result` did (same_alone_many)."""
        return upload_id in self.same_alone_many(result, table, [upload_id])

    def same_alone_many(self, result: GateResult, table: str, upload_ids: Sequence[int]) -> set[int]:
        """The uploads of one round (they cannot meet: tasks/batching.py) that a run over each alone, now, would
        judge as `result` did: every row check's SQL (what GX counts and what becomes hits) gives the same
        offending rows for it. Column checks read the staged row alone and cannot differ. One query per row
        check over the round's uploads together: since no rule meets two of them, each upload's rows in it are
        the rows of a query over that upload alone (what _gate's one run per round relies on too)."""
        ids = list(dict.fromkeys(upload_ids))
        same = set(ids)
        with self.engine.connect() as conn:  # one checkout (and pre-ping) for every check
            for check in CHECKS[result.kind]():
                if not isinstance(check, RowCheck) or not same:
                    continue
                seen, hits = self.offending_rows(check, table, sorted(same), conn)
                judged = result.hits_by_check.get(check.name, [])
                for upload_id in list(same):
                    before = result.rows_by_upload.get(check.name, {}).get(upload_id, (0, 0))[0]
                    if seen.get(upload_id, 0) != before or Counter(h for h in hits if h.upload_id == upload_id) \
                            != Counter(h for h in judged if h.upload_id == upload_id):
                        log.debug("upload %s alone differs in %s: %s rows, %s judged", upload_id, check.name,
                                  seen.get(upload_id, 0), before)
                        same.discard(upload_id)
        return same

    def ledger_balances(self) -> list[dict[str, Any]]:
        """The settlement gate's invariant over every settled class: ledger sums equal earned amounts.
        Returns the rows that break it (none, unless something wrote money outside the rules)."""
        suite = gx.ExpectationSuite(name="settlement-ledger")
        for name, sql in (("ledger sums to earned", settlement.LEDGER_BALANCES),
                          ("no ledger payee without an earned amount", settlement.LEDGER_WITHOUT_EARNED)):
            suite.add_expectation(UnexpectedRowsExpectation(
                unexpected_rows_query=sql, meta={"rule_code": "SET-LEDGER-BALANCE", "check": name}, description=name))
        with rows_counted_only():  # the broken rows are fetched below (gx_speed.py)
            result = self._batch_definition("earned").get_batch().validate(suite, result_format="BOOLEAN_ONLY")
        broken: list[dict[str, Any]] = []
        for r in result.results:
            problem = _exception(r.exception_info)
            if problem:
                raise RuntimeError(f"ledger check failed to run: {problem}")
            if not r.success:
                sql = {"ledger sums to earned": settlement.LEDGER_BALANCES}.get(
                    r.expectation_config.meta["check"], settlement.LEDGER_WITHOUT_EARNED).replace("{batch}", "earned")
                with self.engine.connect() as conn:
                    broken += [dict(m) for m in conn.execute(text(sql)).mappings()]
        return broken

    def _columns(self, table: str) -> set[str]:
        from infra.db import metadata

        return {c.name for c in metadata.tables[table].columns}

    def offending_rows(self, check: ColumnCheck | RowCheck, table: str, uploads: Sequence[int],
                       conn: Connection | None = None) -> tuple[dict[int, int], list[Hit]]:
        """Every offending row of the check (GX names at most 20), and per upload how many GX saw."""
        if isinstance(check, RowCheck):
            sql = check.render(uploads, self.values).replace("{batch}", table)
        else:
            cols = "upload_id AS hit_upload, row_no, class_id" + (", id_number" if "id_number" in self._columns(table) else "")
            detail = check.column if check.kind == "null" else f"'{check.detail}'"  # the column says why
            sql = (f"SELECT {cols}, {detail} AS detail, format_errors FROM {table} "
                   f"WHERE upload_id IN ({uploads_in(uploads)}) AND {check.predicate()}")
        if conn is None:
            with self.engine.connect() as own:
                rows = own.execute(text(sql)).mappings().all()
        else:
            rows = conn.execute(text(sql)).mappings().all()
        seen: dict[int, int] = {}
        for m in rows:
            seen[int(m["hit_upload"])] = seen.get(int(m["hit_upload"]), 0) + 1
        if isinstance(check, ColumnCheck) and check.kind == "not_null":
            # A cell that failed to parse is already explained; "missing" would say it twice.
            rows = [m for m in rows if f"{check.column}:" not in (m["format_errors"] or "")]
        return seen, [
            Hit(check.code, int(m["row_no"]), m.get("class_id"), m.get("id_number"), m.get("detail"),
                m.get("other_uscc"), m.get("other_class_id"), m.get("other_id_number"), int(m["hit_upload"]))
            for m in rows
        ]


def _exception(info: Any) -> str | None:
    """GX reports a check that could not run either flat or keyed by metric: a gate must not read it as a hit."""
    if not info:
        return None
    if isinstance(info, dict) and "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    if isinstance(info, dict):
        for value in info.values():
            inner = value if isinstance(value, dict) else getattr(value, "to_json_dict", lambda: {})()
            if inner.get("raised_exception"):
                return str(inner.get("exception_message"))
    return None
