"""`process` on Dask (issue 10, item 5): institutions side by side, the verdicts of the sequential run."""

from __future__ import annotations

from sqlalchemy import select

from infra import db
from infra.objectstore import MemoryStore
from infra.samples import scenario
from tests.conftest import _wipe, fixed_now, make_services


def _processed(engine, **settings: str) -> tuple[list[str], dict]:  # noqa: ANN001
    """The sample scenario uploaded to a fresh store and database, then `skillsub process` as configured."""
    from flows.scaleout import run_process
    from tasks import prefect as ptasks

    _wipe(engine)
    svc = make_services(engine, MemoryStore(), **settings)
    for key, data in scenario(fixed_now().date()).objects.items():
        svc.store.put(key, data)
    ptasks.use(svc)
    try:
        outcomes = run_process(svc.settings, processes=False)
    finally:
        ptasks.use(None)
    u, v, f = db.uploads, db.row_verdicts, db.findings
    with engine.connect() as conn:
        files = {r.key: (r.status, r.reason) for r in conn.execute(select(u.c.key, u.c.status, u.c.reason))}
        rows = {(r.key, r.row_no): (r.verdict, r.rule_codes) for r in conn.execute(
            select(u.c.key, v.c.row_no, v.c.verdict, v.c.rule_codes).join(v, v.c.upload_id == u.c.id))}
        findings = sorted(conn.execute(select(f.c.rule_code, f.c.status, f.c.uscc, f.c.class_id, f.c.id_number)).all(),
                          key=lambda r: tuple(x or "" for x in r))
    return sorted(o["key"] for o in outcomes), {"files": files, "rows": rows, "findings": findings}


def test_process_on_dask_gives_every_upload_the_verdicts_of_the_sequential_run(pg_engine, prefect_harness) -> None:  # noqa: ANN001
    keys, sequential = _processed(pg_engine)
    dask_keys, on_dask = _processed(pg_engine, task_runner="dask", dask_workers=2)
    assert dask_keys == keys and len(keys) == len(scenario(fixed_now().date()).objects)
    assert sequential["rows"] and sequential["findings"]  # the scenario's planted problems were found
    assert on_dask["files"] == sequential["files"]
    assert {k: v for k, v in on_dask["rows"].items() if sequential["rows"].get(k) != v} == {}
    assert sorted(set(on_dask["findings"]) ^ set(sequential["findings"])) == []
    assert on_dask == sequential


def test_on_sqlite_process_stays_sequential_whatever_the_task_runner_setting(sqlite_url: str) -> None:
    from flows.scaleout import task_runner
    from infra.settings import Settings

    assert task_runner(Settings(database_url=sqlite_url, task_runner="dask")) is None
    assert task_runner(Settings(database_url="postgresql://u@h/d", task_runner="dask")) is not None
