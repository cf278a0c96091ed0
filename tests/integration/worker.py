"""A separate OS process doing the pipeline's work against the test database (and, when given, the real
object store), so tests can kill it for real (SIGKILL) or run two at once.

    python -m tests.integration.worker nightly|sweep|process KEY [--kill-at before-ledger|after-ledger|class:S-2]

Environment: SKILLSUB_DATABASE_URL; S3 via TEST_S3_* (else an empty in-memory store); TEST_AS_OF.

The tests start it with `start(env, *args)`: a process forked from a fork server that imported the pipeline
(GX, SQLAlchemy, boto3) once, instead of a fresh interpreter that spends seconds importing it each time.
Each is still its own OS process, with its own connections, killed for real and run side by side.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import signal
import sys
import traceback
from dataclasses import dataclass
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


# What every job imports: loaded once in the fork server, so a job starts without it.
PRELOAD = ["infra.bootstrap", "infra.database", "infra.objectstore", "infra.settings", "tasks.ledger",
           "tasks.ingest", "tasks.money", "tasks.nightly_rules", "tasks.pending", "tests.integration.worker"]
_CONTEXT = None


def _context():  # noqa: ANN202
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        _CONTEXT = ctx
    return _CONTEXT


def _job(answer, argv: list[str], environ: dict[str, str]) -> None:  # noqa: ANN001
    """The forked process: this test's environment, then main(); its output and any traceback go back
    through `answer`. A SIGKILL sends nothing: the parent sees the signal as the exit code."""
    os.environ.clear()
    os.environ.update(environ)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(argv)
    except BaseException:  # noqa: BLE001 — reported to the test as a failed process would be
        code = 1
        err.write(traceback.format_exc())
    answer.send((code, out.getvalue(), err.getvalue()))
    answer.close()
    sys.stdout.flush()
    os._exit(code)


@dataclass
class Finished:
    """What subprocess.run gives, for the fields the tests read."""

    returncode: int
    stdout: str
    stderr: str


class Job:
    """One worker process, started now; `communicate()` waits for it like subprocess.Popen's."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        ctx = _context()
        self._answer, answer = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_job, args=(answer, list(args), {**os.environ, **env}), daemon=False)
        self.process.start()
        answer.close()  # ours is the reading end only: a child's death closes the last writing end
        self.returncode: int | None = None

    def communicate(self, timeout: float = 600) -> tuple[str, str]:
        sent = None
        if self._answer.poll(timeout):
            with contextlib.suppress(EOFError):
                sent = self._answer.recv()
        self.process.join(timeout=30)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
            raise TimeoutError(f"worker {self.process.pid} still running after {timeout}s")
        self._answer.close()
        self.returncode = self.process.exitcode
        _, out, err = sent or (None, "", "")
        return out, err


def start(env: dict[str, str], *args: str) -> Job:
    return Job(env, *args)


def run(env: dict[str, str], *args: str, timeout: float = 300) -> Finished:
    job = Job(env, *args)
    out, err = job.communicate(timeout)
    return Finished(job.returncode, out, err)  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1:])
