"""Faults broken for real: a SeaweedFS server killed, our own PostgreSQL connections cut, a worker process
SIGKILLed in the middle of paying. After each, the next run ends exactly where one clean run would have."""

from __future__ import annotations

import os
import signal
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from infra import db, stack
from infra.objectstore import MemoryStore, S3Store
from infra.samples import csv_bytes
from tasks.ingest import process_object
from tasks.pending import pending_keys, unanswered
from tests.conftest import PG_ADMIN, make_services
from tests.integration.test_money import AFTER, claim, entries, nightly, run_class
from tests.integration.world import TODAY, A, World, people
from tests.ledgerbook import accounted, survived

ROSTER = ["class_id", "id_number", "name", "phone", "category", "payer", "enrolled_on"]


def roster(n: int, offset: int = 100) -> bytes:
    return csv_bytes(ROSTER, [["A-1", p, "学员", f"1380000{i:04d}", "migrant", "individual", TODAY.isoformat()]
                              for i, p in enumerate(people(n, offset))])


def kill(state: stack.StackState) -> None:
    os.killpg(state.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while stack.pid_alive(state.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        os.waitpid(state.pid, os.WNOHANG)
    except ChildProcessError:
        pass


@pytest.fixture
def own_weed(tmp_path: Path):  # noqa: ANN201
    """A SeaweedFS of this test's own: the shared one is never killed."""
    box = [stack.start(tmp_path, "skillsub", timeout=90)]
    yield box
    stack.stop_pid(box[0].pid)


def test_s3_down_during_process_retries_then_the_upload_waits_and_is_processed_once_it_is_back(
        pg_engine, own_weed) -> None:  # noqa: ANN001
    state = own_weed[0]
    store = S3Store(state.bucket, state.s3_endpoint_url, access_key=state.access_key, secret_key=state.secret_key,
                    retries=2)
    attempts: list[str] = []
    store.client.meta.events.register("before-send.s3", lambda **kw: attempts.append(kw["request"].url))
    w = World(make_services(pg_engine, store))
    w.registries()
    w.file_class("A-1", sessions=0)
    key = f"inbox/{A}/roster/r.csv"
    store.put(key, roster(3))

    verdicts_before = w.count(db.row_verdicts)
    kill(state)
    attempts.clear()
    with pytest.raises(Exception, match="(?i)connect"):
        process_object(w.svc, key, "run-down")
    assert len(attempts) >= 3  # each call is tried again twice with backoff before it gives up
    assert w.count(db.enrolments) == 0 and w.count(db.stg_roster) == 0
    assert w.count(db.row_verdicts) == verdicts_before

    own_weed[0] = stack.restart(state)
    assert pending_keys(w.svc) == [key]  # still waiting: the sweep will pick it up
    assert process_object(w.svc, key, "run-back").status == "done"
    accounted("upload after an S3 restart", files=1,
              files_answered=int(w.svc.store.head(f"outbox/{A}/roster/r.summary.json") is not None),
              rows=3, rows_answered=w.count(db.row_verdicts) - verdicts_before)
    assert w.count(db.enrolments) == 3
    assert w.svc.store.head(f"outbox/{A}/roster/r.summary.json") is not None
    survived("S3 server killed before an upload was read: retried, waited, processed after restart")


def test_s3_dying_before_the_answer_keeps_the_verdicts_and_the_answer_is_written_later(pg_engine, own_weed) -> None:  # noqa: ANN001
    state = own_weed[0]
    store = S3Store(state.bucket, state.s3_endpoint_url, access_key=state.access_key, secret_key=state.secret_key,
                    retries=1)
    w = World(make_services(pg_engine, store))
    w.registries()
    w.file_class("A-1", sessions=0)
    key = f"inbox/{A}/roster/r.csv"
    store.put(key, roster(3))
    real_put = store.put

    def dies_on_answer(k: str, *a, **kw) -> None:  # noqa: ANN002, ANN003
        if k.startswith("outbox/") and k.endswith("roster/r.result.csv"):
            kill(state)
        real_put(k, *a, **kw)

    store.put = dies_on_answer  # type: ignore[method-assign]
    with pytest.raises(Exception, match="(?i)connect"):
        process_object(w.svc, key, "run-1")
    store.put = real_put  # type: ignore[method-assign]
    roster_verdicts = select(func.count()).select_from(db.row_verdicts).join(
        db.uploads, db.uploads.c.id == db.row_verdicts.c.upload_id).where(db.uploads.c.key == key)
    with w.svc.engine.connect() as conn:
        assert conn.execute(roster_verdicts).scalar_one() == 3  # the verdicts committed whole
    assert w.count(db.enrolments) == 3
    (upload_id,) = unanswered(w.svc)

    own_weed[0] = stack.restart(state)
    assert pending_keys(w.svc) == [] and unanswered(w.svc) == [upload_id]  # nothing is gated twice …
    again = process_object(w.svc, key, "run-2")  # … a retry or a second delivery only writes the answer
    assert (again.status, again.upload_id) == ("skipped", upload_id) and "answer written" in (again.reason or "")
    assert unanswered(w.svc) == []
    with w.svc.engine.connect() as conn:
        assert conn.execute(roster_verdicts).scalar_one() == 3
    answer = w.svc.store.get(f"outbox/{A}/roster/r.result.csv").decode("utf-8-sig")
    accounted("answer written after an S3 restart", files=1, files_answered=1,
              rows=3, rows_answered=len(answer.splitlines()) - 1)
    assert w.count(db.enrolments) == 3
    assert "accepted" in answer
    survived("S3 server killed between the verdicts and the answer: verdicts kept, answer written after restart")


def _cut_our_connections(app_engine) -> int:  # noqa: ANN001
    """pg_terminate_backend on every connection of the application role to this test database only."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :u AND datname = :d"),
                {"u": app_engine.url.username, "d": app_engine.url.database}).all())
    finally:
        admin.dispose()


class Cutter:
    """A thread that terminates our backends whenever a query containing `marker` is running, until
    `limit` cuts were made or it is stopped."""

    def __init__(self, app_engine, marker: str, limit: int) -> None:  # noqa: ANN001
        self.engine, self.marker, self.limit = app_engine, marker, limit
        self.cuts: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                while not self.stop.is_set() and len(self.cuts) < self.limit:
                    running = conn.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE usename = :u AND datname = :d "
                        "AND state = 'active' AND query LIKE :q"), {"u": self.engine.url.username,
                                                                  "d": self.engine.url.database,
                                                                  "q": f"%{self.marker}%"}).scalar_one()
                    if running:
                        self.cuts.append(_cut_our_connections(self.engine))
                        time.sleep(0.3)  # the killed query is gone before looking again
                    time.sleep(0.02)
        finally:
            admin.dispose()

    def join(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def _slow_roster_check(monkeypatch) -> None:  # noqa: ANN001
    """One extra roster check that takes a second inside GX's validation, so a cut lands mid-gate."""
    from expectations.checks import RowCheck
    from expectations.gate import CHECKS

    roster_checks = CHECKS["roster"]
    slow = RowCheck("ROW-FORMAT", "slow probe", "SELECT b.row_no FROM {batch} AS b "
                    "WHERE b.upload_id = $upload AND (SELECT 1 FROM pg_sleep(1)) IS NULL")
    monkeypatch.setitem(CHECKS, "roster", lambda: [*roster_checks(), slow])


def _upload_rows(svc, key: str) -> int:  # noqa: ANN001
    mine = select(func.count()).select_from(db.row_verdicts).join(
        db.uploads, db.uploads.c.id == db.row_verdicts.c.upload_id).where(db.uploads.c.key == key)
    with svc.engine.connect() as conn:
        return conn.execute(mine).scalar_one()


def _roster_world(pg_engine) -> tuple[World, str]:  # noqa: ANN001
    w = World(make_services(pg_engine, MemoryStore()))
    w.registries()
    w.file_class("A-1", sessions=0)
    key = f"inbox/{A}/roster/r.csv"
    w.svc.store.put(key, roster(4))
    return w, key


def test_one_cut_mid_gate_is_absorbed_by_the_gates_retry_on_a_new_connection(pg_engine, monkeypatch) -> None:  # noqa: ANN001
    w, key = _roster_world(pg_engine)
    _slow_roster_check(monkeypatch)
    cutter = Cutter(pg_engine, "pg_sleep(1)", limit=1)
    out = process_object(w.svc, key, "run-cut-once")
    cutter.join()
    assert cutter.cuts and cutter.cuts[0] >= 1  # GX's query was killed while it ran …
    assert out.status == "done" and _upload_rows(w.svc, key) == 4 and w.count(db.enrolments) == 4  # … and re-run
    survived("PostgreSQL connections terminated once mid-gate: GX re-ran the check on a new connection (pre-ping)")


@pytest.mark.parametrize("where", ["gate", "apply"])
def test_postgres_connections_cut_mid_upload_roll_the_upload_back_whole_and_the_rerun_completes(
        pg_engine, monkeypatch, where: str) -> None:  # noqa: ANN001
    from tasks import apply as applying

    w, key = _roster_world(pg_engine)
    cutter = None
    if where == "gate":  # cut every attempt: GX gives up after its retries and the gate refuses to guess
        _slow_roster_check(monkeypatch)
        cutter = Cutter(pg_engine, "pg_sleep(1)", limit=10)
    else:
        real_promote, cuts = applying._promote, []

        def promote(conn, kind, upload_id):  # noqa: ANN001, ANN202
            real_promote(conn, kind, upload_id)  # verdicts and findings are written in this transaction …
            cuts.append(_cut_our_connections(pg_engine))  # … and the connection dies before it commits

        monkeypatch.setattr(applying, "_promote", promote)
    with pytest.raises(Exception):  # noqa: B017 — whichever error the dead connection raises
        process_object(w.svc, key, "run-cut")
    if cutter:
        cutter.join()
    assert (cutter.cuts if cutter else cuts)
    monkeypatch.undo()
    assert _upload_rows(w.svc, key) == 0
    assert w.count(db.enrolments) == 0 and w.count(db.stg_roster) == 0
    assert [f for f in w.findings() if f["run_id"] == "run-cut"] == []
    assert process_object(w.svc, key, "run-again").status == "done"  # the same gate, reconnected
    assert _upload_rows(w.svc, key) == 4 and w.count(db.enrolments) == 4
    survived(f"PostgreSQL connections terminated mid-{where} until it failed: upload rolled back whole, re-run completed")


@pytest.fixture
def paying_world(pg_engine) -> World:  # noqa: ANN001
    w = World(make_services(pg_engine, MemoryStore()))
    w.registries()
    run_class(w, "S-1", [w.roster_row("S-1", p, f"1380000000{i}", payer="free") for i, p in enumerate(people(3))])
    run_class(w, "S-2", [w.roster_row("S-2", p, "13900000000", payer="free") for p in people(1, 300)])
    claim(w, "S-1", "final", "4500")
    claim(w, "S-2", "final", "1500")
    return w


def worker(engine, *args: str, **env_vars: str):  # noqa: ANN001, ANN201
    """A separate OS process (tests/integration/worker.py), so its SIGKILL is real."""
    from tests.integration import worker as job

    env = {"SKILLSUB_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "TEST_AS_OF": AFTER.isoformat(), **env_vars}
    return job.run(env, *args, timeout=300)


RIGHT = [("S-1", A, "settlement", "4500.00"), ("S-2", A, "settlement", "1500.00")]


@pytest.mark.parametrize("kill_at, batch, committed_before", [
    ("before-ledger", "500", []),  # the settlement was computed; nothing was written
    ("after-ledger", "500", []),  # the entries were written, the classes' earned amounts not yet: one transaction
    ("class:S-2", "1", RIGHT[:1]),  # batches of one class: the first committed, the second died half-way
])
def test_a_worker_killed_while_paying_leaves_whole_classes_and_the_rerun_pays_exactly_the_rest(
        paying_world: World, kill_at: str, batch: str, committed_before: list) -> None:
    w = paying_world
    died = worker(w.svc.engine, "nightly", "--kill-at", kill_at, SKILLSUB_MONEY_BATCH_CLASSES=batch)
    assert died.returncode == -signal.SIGKILL, died.stderr[-2000:]
    assert entries(w) == committed_before
    with w.svc.engine.connect() as conn:
        earned = conn.execute(select(db.earned.c.class_id, func.sum(db.earned.c.earned_fen)).group_by(
            db.earned.c.class_id)).all()
    assert sorted(earned) == [(c, int(Decimal(yuan) * 100)) for c, _, _, yuan in committed_before]
    nightly(w)  # the next run
    assert entries(w) == RIGHT
    nightly(w)  # and again: nothing more
    assert entries(w) == RIGHT
    survived(f"worker SIGKILLed while paying ({kill_at}): re-run wrote exactly the missing entries")


def test_a_prefect_retry_after_a_lost_answer_writes_it_once_and_gates_nothing_twice(pg_engine, prefect_harness) -> None:  # noqa: ANN001
    from flows.process_upload import process_upload
    from tasks import prefect as ptasks

    store = MemoryStore()
    svc = make_services(pg_engine, store)
    w = World(svc)
    w.registries()
    w.file_class("A-1", sessions=0)
    key = f"inbox/{A}/roster/r.csv"
    store.put(key, roster(2))
    real_put, failures = store.put, []

    def flaky(k: str, *a, **kw) -> None:  # noqa: ANN002, ANN003
        if k.endswith("roster/r.result.csv") and not failures:
            failures.append(k)
            raise ConnectionError("object store timed out")
        real_put(k, *a, **kw)

    store.put = flaky  # type: ignore[method-assign]
    ptasks.use(svc)
    try:
        outcome = process_upload(key)  # the process-object task fails once; Prefect retries it (2 s)
    finally:
        ptasks.use(None)
    assert failures and outcome["status"] == "skipped" and "answer written" in outcome["reason"]
    assert w.count(db.enrolments) == 2 and unanswered(svc) == []
    assert b"accepted" in store.get(f"outbox/{A}/roster/r.result.csv")
    survived("object store failing once while answering inside a Prefect run: the task retry wrote only the answer")
