"""Flows that process uploads: one object (the trigger path) or everything pending (CLI, nightly sweep)."""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.stages import STAGE_FLOWS
from schemas.codes import UPLOAD_STAGE
from schemas.layout import BadKey, route
from tasks.prefect import answer_unanswered, list_pending, list_waiting_before, process_object


@flow(name="process-upload", log_prints=False)
def process_upload(key: str) -> dict:
    """Process one object that landed under inbox/ or reference/, in its stage's flow, after whatever
    of its institution must go first (uploads landing together keep their stage order)."""
    for earlier in list_waiting_before(key):
        process_object(earlier)
    try:
        r = route(key)
    except BadKey:
        return process_object(key)  # misplaced: quarantined with the reason
    stage = "reference" if r.area == "reference" else UPLOAD_STAGE[r.kind]
    stage_flow = STAGE_FLOWS.get(stage)
    return stage_flow(key) if stage_flow else process_object(key)


@flow(name="process-pending")
def process_pending() -> list[dict]:
    """Process every waiting object, reference first, then per institution in stage order."""
    logger = get_run_logger()
    answer_unanswered()
    outcomes = []
    for key in list_pending():
        # Sequential on purpose: stage order within an institution decides what a roster can see.
        outcome = process_object(key)
        logger.info("%s → %s", key, outcome["status"])
        outcomes.append(outcome)
    return outcomes
