"""`process` on Dask (issue 10, item 5): institutions side by side, the verdicts of the sequential run."""

from __future__ import annotations

from sqlalchemy import select

from expectations.nightly import NIGHTLY_RULES
from infra import db
from infra.objectstore import MemoryStore
from infra.samples import scenario
from tests.conftest import _wipe, fixed_now, make_services


def _processed(engine, **settings: str) -> tuple[list[str], dict]:  # noqa: ANN001
    """The sample scenario uploaded to a fresh store and database, `skillsub process` as configured, then
    the nightly cross-institution pass."""
    from flows.scaleout import run_process
    from tasks import prefect as ptasks
    from tasks.nightly_rules import reevaluate

    _wipe(engine)
    svc = make_services(engine, MemoryStore(), **settings)
    for key, data in scenario(fixed_now().date()).objects.items():
        svc.store.put(key, data)
    ptasks.use(svc)
    try:
        outcomes = run_process(svc.settings, processes=False)
    finally:
        ptasks.use(None)
    reevaluate(svc, "nightly")
    u, v, f = db.uploads, db.row_verdicts, db.findings
    with engine.connect() as conn:
        files = {r.key: (r.status, r.reason) for r in conn.execute(select(u.c.key, u.c.status, u.c.reason))}
        rows = {(r.key, r.row_no): (r.verdict, set(filter(None, r.rule_codes.split(";")))) for r in conn.execute(
            select(u.c.key, v.c.row_no, v.c.verdict, v.c.rule_codes).join(v, v.c.upload_id == u.c.id))}
        standing = {tuple(r) for r in conn.execute(select(f.c.rule_code, f.c.uscc, f.c.class_id, f.c.id_number).where(
            f.c.rule_code.in_(NIGHTLY_RULES), f.c.status != "resolved"))}
    return sorted(o["key"] for o in outcomes), {"files": files, "rows": rows, "cross-institution": standing}


def test_process_on_dask_gives_every_upload_the_verdicts_of_the_sequential_run(pg_engine, prefect_harness) -> None:  # noqa: ANN001
    keys, sequential = _processed(pg_engine)
    dask_keys, on_dask = _processed(pg_engine, task_runner="dask", dask_workers=2)
    assert dask_keys == keys and len(keys) == len(scenario(fixed_now().date()).objects)
    assert on_dask["files"] == sequential["files"]
    assert on_dask["rows"].keys() == sequential["rows"].keys()
    # Institutions run side by side, so a cross-institution clash flags whichever upload lands second (as
    # with triggered uploads); every other verdict is the same, and the nightly pass stands on the same clashes.
    differ = {k: (on_dask["rows"][k], seq) for k, seq in sequential["rows"].items() if on_dask["rows"][k] != seq}
    assert all(d[1] ^ s[1] <= set(NIGHTLY_RULES) for d, s in differ.values()), differ
    assert on_dask["cross-institution"] == sequential["cross-institution"]
    assert sequential["cross-institution"]  # the scenario's planted clashes were found


def test_on_sqlite_process_stays_sequential_whatever_the_task_runner_setting(sqlite_url: str) -> None:
    from flows.scaleout import task_runner
    from infra.settings import Settings

    assert task_runner(Settings(database_url=sqlite_url, task_runner="dask")) is None
    assert task_runner(Settings(database_url="postgresql://u@h/d", task_runner="dask")) is not None
