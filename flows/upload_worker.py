"""The warm upload worker: a long-lived Prefect task worker that processes landed objects.

Started by `skillsub stack up` (scale out by starting more: `python -m flows.upload_worker`). It
imports Prefect, Great Expectations and the gates once and runs each stage's suite once before it
serves; the upload listener submits landed objects with `process_landed.delay(keys)`, so an upload
is answered without a new interpreter. Each submission is a task run in the Prefect UI with its
gate artifacts.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("skillsub.upload_worker")


def warm_up() -> None:
    """Pay every first-use cost now: readers, the GX context, each stage's suite and the database pool."""
    import openpyxl  # noqa: F401 - XLSX uploads must not pay for the import

    from infra.budget import start_forker
    from tasks import ingest  # noqa: F401
    from tasks.kinds import KINDS
    from tasks.prefect import services

    svc = services()  # the composition root also masks personal data in every log record
    start_forker()  # each XLSX is read in a child forked from it (infra/budget.py)
    for kind in KINDS.values():
        svc.gate().run(kind.name, kind.staging.name, -1)  # upload -1 has no rows: the suite alone


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s upload-worker %(name)s %(message)s")
    log.setLevel(logging.INFO)
    logging.getLogger("tasks").setLevel(logging.INFO)
    from prefect.task_worker import serve

    from tasks.prefect import process_landed, services

    warm_up()
    ready = os.environ.get("SKILLSUB_READY_FILE")
    if ready:
        Path(ready).touch()
    log.info("warm; serving process-upload")
    serve(process_landed, limit=services().settings.upload_worker_limit)


if __name__ == "__main__":
    main()
