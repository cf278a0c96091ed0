"""Runs that overlap on PostgreSQL — two nightly runs, an upload and the nightly run, one object delivered
twice at once — end with the same database and ledger as the same runs one after the other."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import delete, select

from infra import db
from infra.objectstore import S3Store
from infra.samples import csv_bytes
from tasks.ingest import process_object
from tests.conftest import _wipe, make_services
from tests.integration import worker
from tests.integration.test_money import AFTER, run_class
from tests.integration.world import A, B, World, people
from tests.ledgerbook import ran_concurrently

CLAIM_KEY = f"inbox/{A}/claim/late.csv"
ATTENDANCE_KEY = f"inbox/{B}/attendance/late.csv"


def build(engine, seaweed, pending: str) -> tuple[World, dict[str, str]]:  # noqa: ANN001
    """Two paid-for classes at A, a class at B sharing a trainee with A's (a clash the upload-time rule
    missed, so the nightly run finds it), and one upload waiting in the store."""
    _wipe(engine)
    store = S3Store(f"c{uuid.uuid4().hex[:12]}", seaweed.s3_endpoint_url, access_key=seaweed.access_key,
                    secret_key=seaweed.secret_key, retries=2)
    store.ensure_bucket()
    w = World(make_services(engine, store))
    w.registries()
    x = people(3)
    run_class(w, "S-1", [w.roster_row("S-1", p, f"1380000000{i}", payer="free") for i, p in enumerate(x)])
    run_class(w, "S-2", [w.roster_row("S-2", p, "13900000000", payer="free") for p in people(1, 300)])
    w.file_class("B-1", B, start_time="09:00", end_time="17:00")
    w.enrol("B-1", [x[0], *people(1, 500)], B)
    with engine.begin() as conn:  # as if the upload-time rule had missed it: the nightly rule finds it
        conn.execute(delete(db.findings).where(db.findings.c.rule_code == "ENR-OVERLAP"))
    w.upload(A, "claim", [{"class_id": "S-1", "kind": "final", "amount": "4500"}])
    claim_s2 = csv_bytes(["class_id", "kind", "amount"], [["S-2", "final", "1500"]])
    if pending == "claim":
        store.put(CLAIM_KEY, claim_s2)
    else:
        w.put_bytes(CLAIM_KEY, claim_s2)
        rows = [w.check("B-1", people(1, 500)[0], day=d, cin="09:00:05", cout="16:59:40", device="B-dev") for d in range(5)]
        store.put(ATTENDANCE_KEY, csv_bytes(list(rows[0]), [list(r.values()) for r in rows]))
    env = {"SKILLSUB_DATABASE_URL": engine.url.render_as_string(hide_password=False), "TEST_AS_OF": AFTER.isoformat(),
           "TEST_S3_ENDPOINT": seaweed.s3_endpoint_url, "TEST_S3_BUCKET": store.bucket,
           "TEST_S3_ACCESS": seaweed.access_key, "TEST_S3_SECRET": seaweed.secret_key}
    return w, env


def run_together(env: dict[str, str], *jobs: tuple[str, ...]) -> list[str]:
    procs = [worker.start(env, *job) for job in jobs]  # separate OS processes (tests/integration/worker.py)
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        outs.append(out.strip())
    return outs


def run_one_after_another(env: dict[str, str], *jobs: tuple[str, ...]) -> list[str]:
    return [out for job in jobs for out in run_together(env, job)]


def fingerprint(w: World) -> dict[str, Any]:
    """Everything a run decides, without ids, run ids and clocks; lists, so a duplicate shows."""
    u, v, f, lg, e = db.uploads, db.row_verdicts, db.findings, db.ledger, db.earned
    with w.svc.engine.connect() as conn:
        return {
            "uploads": sorted(tuple(r) for r in conn.execute(select(
                u.c.key, u.c.status, u.c.rows_total, u.c.rows_accepted, u.c.rows_rejected, u.c.rows_flagged))),
            "verdicts": sorted(tuple(r) for r in conn.execute(select(u.c.key, v.c.row_no, v.c.verdict, v.c.rule_codes)
                                                              .join(u, u.c.id == v.c.upload_id))),
            "findings": sorted(tuple(str(x) for x in r) for r in conn.execute(select(
                f.c.rule_code, f.c.uscc, f.c.class_id, f.c.id_number, f.c.status, f.c.row_no))),
            "ledger": sorted(tuple(r) for r in conn.execute(select(
                lg.c.uscc, lg.c.class_id, lg.c.payee, lg.c.kind, lg.c.amount_fen, lg.c.seq))),
            "earned": sorted(tuple(r) for r in conn.execute(select(e.c.uscc, e.c.class_id, e.c.payee, e.c.earned_fen))),
            "rows": {t.name: w.count(t) for t in (db.enrolments, db.attendance, db.claims, db.attendance_hours,
                                                  db.trainee_amounts)},
        }


SCENARIOS = {
    "two nightly runs at once": ("claim", [("nightly",), ("nightly",)], [("nightly",)]),
    "an upload and the nightly run at once": ("attendance", [("process", ATTENDANCE_KEY), ("nightly",)],
                                              [("process", ATTENDANCE_KEY), ("nightly",)]),
    "one object delivered by the trigger twice and by the watcher at once": (
        "claim", [("process", CLAIM_KEY), ("process", CLAIM_KEY), ("sweep",)], [("process", CLAIM_KEY), ("nightly",)]),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_overlapping_runs_end_as_one_run(pg_engine, seaweed, scenario: str) -> None:  # noqa: ANN001
    pending, together, one_by_one = SCENARIOS[scenario]
    w, env = build(pg_engine, seaweed, pending)
    run_one_after_another(env, *one_by_one)
    expected = fingerprint(w)
    assert expected["ledger"] and any(r[0] == "ENR-OVERLAP" for r in expected["findings"])  # the runs did work

    w, env = build(pg_engine, seaweed, pending)
    run_together(env, *together)
    if together[-1] == ("sweep",):  # the money is the nightly's: it comes after the deliveries, as it would
        run_one_after_another(env, ("nightly",))
    assert fingerprint(w) == expected
    ran_concurrently(f"{scenario} (PostgreSQL)")


def test_the_same_object_processed_by_two_threads_is_processed_once(pg_engine, seaweed) -> None:  # noqa: ANN001
    import threading

    w, _ = build(pg_engine, seaweed, "claim")
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        barrier.wait()
        outcomes.append(process_object(w.svc, CLAIM_KEY, f"thread-{threading.get_ident()}").status)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["done", "skipped", "skipped", "skipped"]
    with w.svc.engine.connect() as conn:
        assert conn.execute(select(db.claims.c.class_id).order_by(db.claims.c.class_id)).scalars().all() == ["S-1", "S-2"]
    ran_concurrently("one object delivered four times at the same instant (threads, PostgreSQL)")


def test_two_nightly_rule_passes_at_the_same_instant_open_each_new_finding_once(pg_engine, seaweed) -> None:  # noqa: ANN001
    import threading

    from tasks.nightly_rules import reevaluate

    w, _ = build(pg_engine, seaweed, "attendance")
    for attempt in range(5):
        with pg_engine.begin() as conn:
            conn.execute(delete(db.findings).where(db.findings.c.rule_code == "ENR-OVERLAP"))
        barrier = threading.Barrier(2)

        def night(run_id: str, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            reevaluate(w.svc, run_id)

        threads = [threading.Thread(target=night, args=(f"night-{attempt}-{n}",)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(w.findings("ENR-OVERLAP")) == 2, attempt  # one on each side, not two
    ran_concurrently("two nightly rule passes started at the same instant, five times (threads, PostgreSQL)")


def test_two_auditor_reruns_at_once_change_each_row_once(pg_engine, seaweed) -> None:  # noqa: ANN001
    import threading

    from tasks.rerun import rerun

    w, _ = build(pg_engine, seaweed, "attendance")
    p = w.svc.policy
    w.svc.policy = p.model_copy(update={"settings": p.settings.model_copy(update={"max_age": 30})})
    reports, errors = [], []
    barrier = threading.Barrier(2)

    def auditor(name: str) -> None:
        barrier.wait()
        try:
            reports.append(rerun(w.svc, "enrollment", None, A, None, None, dry_run=False, auditor=name,
                                 reason="age 30", run_id=f"rerun-{name}"))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=auditor, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(r.rows) for r in reports) == [0, 4]  # A's four trainees, changed by whichever ran first
    assert len(w.findings("ENR-AGE")) == 4
    ran_concurrently("two auditors re-running the same stage at once (threads, PostgreSQL)")
