"""Auditor re-runs (spec/lifecycle.md, "Auditor re-run"): today's rules and policy applied to stored
data, with a report of what changed; a dry run changes nothing but the audit log."""

from __future__ import annotations

from prefect import flow

from tasks.prefect import rerun_stage


@flow(name="rerun")
def rerun(stage: str = "all", class_ref: str | None = None, institution: str | None = None,
          date_from: str | None = None, date_to: str | None = None, dry_run: bool = True,
          auditor: str = "", reason: str = "") -> dict:
    """Re-run a stage (filing … certificate, advance, settlement or all) for a class, an institution or a date range."""
    return rerun_stage(stage, class_ref, institution, date_from, date_to, dry_run, auditor, reason)
