"""A separate OS process doing the pipeline's work against the test database (and, when given, the real
object store), so tests can kill it for real (SIGKILL) or run two at once.

    python -m tests.integration.worker nightly|sweep|process KEY [--kill-at before-ledger|after-ledger|class:S-2]

Environment: SKILLSUB_DATABASE_URL; S3 via TEST_S3_* (else an empty in-memory store); TEST_AS_OF.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import date, datetime

from infra.bootstrap import Services
from infra.database import make_engine
from infra.objectstore import MemoryStore, ObjectStore, S3Store
from infra.settings import Settings
from tasks import ledger


def _store() -> ObjectStore:
    if os.environ.get("TEST_S3_ENDPOINT"):
        return S3Store(os.environ["TEST_S3_BUCKET"], os.environ["TEST_S3_ENDPOINT"],
                       access_key=os.environ["TEST_S3_ACCESS"], secret_key=os.environ["TEST_S3_SECRET"], retries=2)
    return MemoryStore()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_at(where: str) -> None:
    """Die inside a settlement's transaction: before its ledger writes, right after them, or at a class."""
    original = ledger.write_many

    def write_many(conn, entries, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if where == "before-ledger" or any(f"class:{e[1]}" == where for e in entries):
            _die()
        written = original(conn, entries, *args, **kwargs)
        if where == "after-ledger":
            _die()
        return written

    ledger.write_many = write_many  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    settings = Settings()
    svc = Services(settings=settings, engine=make_engine(settings.db_url), store=_store(), policy=settings.region_policy,
                   now=lambda: datetime(2026, 11, 26, 10, 0, 0))
    if "--kill-at" in argv:
        _kill_at(argv[argv.index("--kill-at") + 1])
    if argv[0] == "process":
        from tasks.ingest import process_object

        print(process_object(svc, argv[1], f"worker-{os.getpid()}").status)
    elif argv[0] == "sweep":  # what the inbox watcher does
        from tasks.ingest import process_object
        from tasks.pending import pending_keys

        print([process_object(svc, key, f"sweep-{os.getpid()}").status for key in pending_keys(svc)])
    elif argv[0] == "nightly":
        from tasks.ingest import process_object
        from tasks.money import pay_and_settle
        from tasks.nightly_rules import reevaluate
        from tasks.pending import pending_keys

        run = f"nightly-{os.getpid()}"
        for key in pending_keys(svc):
            process_object(svc, key, run)
        reevaluate(svc, run)
        result = pay_and_settle(svc, date.fromisoformat(os.environ["TEST_AS_OF"]), run)
        print(f"settled={len(result.settled)} unbalanced={len(result.unbalanced)}")


if __name__ == "__main__":
    main(sys.argv[1:])
