"""Flows that process uploads: one object (the trigger path) or everything pending (CLI, nightly sweep)."""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.stages import STAGE_FLOWS
from schemas.codes import UPLOAD_STAGE
from schemas.layout import BadKey, route
from tasks.keyref import shown
from tasks.prefect import (
    answer_unanswered,
    list_pending,
    list_waiting_with,
    process_object,
    process_objects,
    services,
)


@flow(name="process-upload", log_prints=False)
def process_upload(key: str) -> dict:
    """Process one object that landed under inbox/ or reference/ — with the rest of its institution's
    pending uploads, in stage order (uploads landing together keep their order; a burst is drained
    by its first run and the later runs find nothing to do). `key` may be masked (the listener masks
    ID and phone numbers: flow-run parameters are stored and shown by Prefect); so are the stage
    flows' parameters."""
    outcome: dict = {"key": key, "status": "skipped"}
    for waiting in list_waiting_with(key):
        try:
            r = route(waiting)
        except BadKey:
            result = process_object(waiting)  # misplaced: quarantined with the reason
        else:
            stage_flow = STAGE_FLOWS.get("reference" if r.area == "reference" else UPLOAD_STAGE[r.kind])
            result = stage_flow(shown(waiting)) if stage_flow else process_object(waiting)
        if key in (waiting, shown(waiting)):
            outcome = result
    return outcome


@flow(name="process-pending")
def process_pending() -> list[dict]:
    """Process every waiting object, reference first, then per institution in stage order."""
    logger = get_run_logger()
    answer_unanswered()
    keys = list_pending()
    size = services().settings.batch_max_uploads
    outcomes: list[dict] = []
    # In processing order, in bites: stage order within an institution decides what a roster can see,
    # and uploads that cannot meet share one gate run (tasks/batching.py).
    for start in range(0, len(keys), size):
        for outcome in process_objects(keys[start:start + size]):
            logger.info("%s → %s", outcome["key"], outcome["status"])
            outcomes.append(outcome)
    return outcomes
