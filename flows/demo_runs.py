"""How the demo gets its uploads processed and its nightly runs done: by the running stack (listener,
worker, deployments), or here in this process when there is no Prefect server (`stack up --s3-only`,
the tests). The stack is waited on by progress, not by a fixed time: the demo gives up only after
`SKILLSUB_DEMO_STALL_SECONDS` in which nothing moved, and then names what is stuck in one line."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from infra import db
from infra.bootstrap import Services

FINAL = ("done", "rejected", "quarantined", "duplicate")


class DemoStuck(Exception):
    """The demo cannot go on; the message says what is stuck, in one line."""


def wait_for(done: Callable[[], bool], progress: Callable[[], Hashable], stall_seconds: float,
             stuck: Callable[[], str], poll: float = 2.0) -> None:
    """Wait while `done()` is false; any change of `progress()` restarts the clock; after
    `stall_seconds` without a change, DemoStuck with `stuck()`."""
    last, moved = progress(), time.monotonic()
    while not done():
        time.sleep(poll)
        now = progress()
        if now != last:
            last, moved = now, time.monotonic()
        elif time.monotonic() - moved > stall_seconds:
            raise DemoStuck(f"no progress for {stall_seconds:.0f} s (SKILLSUB_DEMO_STALL_SECONDS): {stuck()}")


def upload_states(svc: Services, keys: list[str]) -> dict[str, tuple]:
    u = db.uploads
    with svc.engine.connect() as conn:
        rows = conn.execute(select(u.c.key, u.c.status, u.c.claimed_at, u.c.answered_at).where(u.c.key.in_(keys))
                            .order_by(u.c.id)).all()
    return {r.key: (r.status, str(r.claimed_at), str(r.answered_at)) for r in rows}  # the latest version wins


def unanswered(states: dict[str, tuple], keys: list[str]) -> list[str]:
    return [k for k in keys if k not in states or states[k][0] not in FINAL or states[k][2] == "None"]


def describe_unanswered(states: dict[str, tuple], keys: list[str]) -> str:
    missing = unanswered(states, keys)
    parts = []
    for k in missing[:3]:
        if k not in states:
            parts.append(f"{k} never picked up")
        elif states[k][0] not in FINAL:
            parts.append(f"{k} {states[k][0]} since {states[k][1]}")
        else:
            parts.append(f"{k} processed, answer not written")
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    return f"{len(missing)} of {len(keys)} uploads unanswered: {'; '.join(parts)}{more}"


class LocalRunner:
    """Everything in this process, as the flows would do it (no Prefect server needed)."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def process(self, keys: list[str]) -> None:
        from tasks import outbox
        from tasks.ingest import process_object
        from tasks.pending import pending_keys
        from tasks.pending import unanswered as unanswered_ids

        for upload_id in unanswered_ids(self.svc):
            outbox.answer(self.svc, upload_id)
        for key in pending_keys(self.svc):
            process_object(self.svc, key, "demo")

    def nightly(self, as_of: date) -> str:
        from tasks.money import pay_and_settle
        from tasks.nightly_rules import reevaluate
        from tasks.report import write_daily

        reevaluation = reevaluate(self.svc, "demo-nightly")
        run = pay_and_settle(self.svc, as_of, "demo-nightly")
        write_daily(self.svc, as_of.isoformat(), asdict(reevaluation),
                    {"advances_paid": run.advances_paid, "settled": run.settled, "unbalanced": len(run.unbalanced)})
        return "Completed"

    def rerun_dry(self, institution: str) -> str | None:
        return None  # the auditor's re-run is shown through the stack's deployment only


class StackRunner:
    """The running stack does the work: the listener starts a run per upload, deployments run on demand."""

    def __init__(self, svc: Services, state: dict[str, Any]) -> None:
        self.svc, self.state = svc, state
        self.stall = svc.settings.demo_stall_seconds

    def _stack_problem(self) -> str:
        from infra.stack import pid_alive

        dead = [f"{name} (pid {pid})" for name, pid in sorted(self.state.get("pids", {}).items()) if not pid_alive(pid)]
        logs = Path(self.svc.settings.data_dir) / "prefect"
        if dead:
            return f"not running: {', '.join(dead)} — restart with `skillsub stack down` and `skillsub stack up`"
        return f"the stack is up; see {logs}/worker.log and listener.log"

    def _runs(self) -> Hashable:
        """The states of the latest flow runs and their task runs: a run starting up is progress too."""
        from prefect.client.orchestration import get_client

        try:
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs(limit=30)
                tasks = client.read_task_runs(limit=200)
        except Exception as exc:  # noqa: BLE001 - the server not answering is reported as no progress
            return ("unreachable", type(exc).__name__)
        return (tuple(sorted((str(r.id), r.state_name or "") for r in runs)),
                tuple(sorted((str(t.id), t.state_name or "") for t in tasks)))

    def process(self, keys: list[str]) -> None:
        wait_for(lambda: not unanswered(upload_states(self.svc, keys), keys),
                 lambda: (tuple(sorted(upload_states(self.svc, keys).items())), self._runs()), self.stall,
                 lambda: f"{describe_unanswered(upload_states(self.svc, keys), keys)} — {self._stack_problem()}")

    def _deployment(self, name: str, parameters: dict[str, Any]) -> str:
        from prefect.client.orchestration import get_client
        from prefect.deployments import run_deployment

        run = run_deployment(name, parameters=parameters, timeout=0)
        url = f"{self.state.get('prefect_ui_url')}/runs/flow-run/{run.id}"

        def state() -> Any:
            with get_client(sync_client=True) as client:
                return client.read_flow_run(run.id).state

        wait_for(lambda: bool(state() and state().is_final()), lambda: ((state() or "").__str__(), self._runs()),
                 self.stall, lambda: f"the {name} run is {state().name if state() else 'not started'} ({url}) — "
                                     f"{self._stack_problem()}")
        final = state()
        if not final.is_completed():
            raise DemoStuck(f"the {name} run ended {final.name}: {final.message or ''} ({url})")
        return final.name

    def nightly(self, as_of: date) -> str:
        return self._deployment("nightly/nightly", {"as_of": as_of.isoformat()})

    def rerun_dry(self, institution: str) -> str | None:
        return self._deployment("rerun/rerun", {"stage": "all", "institution": institution, "dry_run": True,
                                                "auditor": "demo auditor", "reason": "demo"})
