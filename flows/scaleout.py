"""Scale-out of `process` on Dask (issue 10, item 5): institutions are independent, so each one's pending
uploads run as one task — in stage order inside it — on a DaskTaskRunner; reference data goes first."""

from __future__ import annotations

from typing import Any

from prefect import flow, task

from infra.settings import Settings
from schemas.layout import BadKey, route
from tasks.prefect import answer_unanswered, list_pending, process_object


def task_runner(settings: Settings, *, processes: bool = True) -> Any | None:
    """SKILLSUB_TASK_RUNNER=dask on PostgreSQL: a DaskTaskRunner on SKILLSUB_DASK_ADDRESS, else on a LocalCluster
    of SKILLSUB_DASK_WORKERS single-threaded workers. None: the sequential path (the default, and always on
    SQLite, whose single writer gains nothing from parallel workers)."""
    if settings.task_runner != "dask" or not settings.db_url.startswith("postgresql"):
        return None
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": settings.dask_workers, "threads_per_worker": 1,
                                          "processes": processes, "dashboard_address": None})


def by_institution(keys: list[str]) -> tuple[list[str], list[list[str]], list[str]]:
    """(reference data, each institution's uploads in the given order, misplaced keys) of a pending list."""
    reference, groups, misplaced = [], {}, []
    for key in keys:
        try:
            r = route(key)
        except BadKey:
            misplaced.append(key)
            continue
        if r.area == "reference":
            reference.append(key)
        else:
            groups.setdefault(r.uscc, []).append(key)
    return reference, list(groups.values()), misplaced


@task(name="process-institution", retries=1, retry_delay_seconds=[10])
def process_institution(keys: list[str]) -> list[dict]:
    """One institution's pending uploads, in stage order (what a roster can see depends on it)."""
    return [process_object(key) for key in keys]


@flow(name="process-pending-by-institution")
def process_pending_by_institution() -> list[dict]:
    """process-pending with the institutions side by side on the flow's task runner."""
    answer_unanswered()
    reference, institutions, misplaced = by_institution(list_pending())
    outcomes = [process_object(key) for key in reference]  # before any institution: rules read it
    futures = [process_institution.submit(keys) for keys in institutions]
    outcomes += [o for f in futures for o in f.result()]
    return outcomes + [process_object(key) for key in misplaced]


def run_process(settings: Settings, *, processes: bool = True) -> list[dict]:
    """`skillsub process`: the sequential flow, or the per-institution flow on Dask when so configured."""
    runner = task_runner(settings, processes=processes)
    if runner is None:
        from flows.process_upload import process_pending

        return process_pending()
    return process_pending_by_institution.with_options(task_runner=runner)()
