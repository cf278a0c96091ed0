"""The shared-trainee burst without a stack: what one `process_batch` costs per gate round.

`bench.stack_latency`'s burst (rosters over five institutions naming the same 30 trainees, so every roster
meets every other and each is gated in a round of its own) put on a SeaweedFS of our own and processed by
one `process_batch` on a scratch PostgreSQL database, as the warm upload worker does after the listener's
burst; answers are timed from the start of the batch (HEAD every 20 ms). No Prefect, no listener: the
rounds alone. Usage: python -m bench.burst [--rosters 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from bench.scratch import scratch_database
    from bench.stack_latency import _pct, _roster
    from infra import stack
    from infra.bootstrap import Services
    from infra.database import make_engine
    from infra.objectstore import S3Store
    from infra.samples import make_uscc
    from infra.settings import Settings
    from tasks.ingest import process_batch

    ap = argparse.ArgumentParser(prog="python -m bench.burst")
    ap.add_argument("--rosters", type=int, default=50)
    args = ap.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="skillsub-burst-"))
    state = stack.start(workdir / "weed", "burst", timeout=120)
    try:
        store = S3Store(f"burst-{uuid.uuid4().hex[:6]}", state.s3_endpoint_url, access_key=state.access_key,
                        secret_key=state.secret_key)
        store.ensure_bucket()
        with scratch_database() as url:
            settings = Settings(database_url=url)
            svc = Services(settings=settings, engine=make_engine(url), store=store, policy=settings.region_policy,
                           now=datetime.now)
            svc.gate().run("roster", "stg_roster", -1)  # the warm worker's warm-up: GX context and suite
            insts = [make_uscc(60_000 + i) for i in range(5)]
            run = uuid.uuid4().hex[:8]
            puts = [(f"inbox/{insts[i % 5]}/roster/burst-{run}-{i}.csv", _roster(insts[i % 5], f"{run}b{i}"))
                    for i in range(args.rosters)]
            for key, data in puts:
                store.put(key, data)
            answers = {f"outbox/{k.split('/')[1]}/roster/{k.rsplit('/', 1)[1].rsplit('.', 1)[0]}.result.csv"
                       for k, _ in puts}
            seen: dict[str, float] = {}
            done = threading.Event()

            def poll() -> None:
                while not done.is_set() and len(seen) < len(answers):
                    for a in answers - set(seen):
                        if store.head(a) is not None:
                            seen[a] = time.perf_counter() - t0
                    time.sleep(0.02)

            t0 = time.perf_counter()
            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            c0 = time.process_time()
            outcomes = process_batch(svc, [k for k, _ in puts], "burst")
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            poller.join(timeout=5)
            done.set()
            svc.engine.dispose()
        got = sorted(seen.values())
        print(f"burst of {len(puts)} rosters over 5 institutions sharing 30 trainees: {wall:.2f} s wall, "
              f"{cpu:.2f} CPU-s in this process; {len(outcomes)} outcomes, {len(got)} answers seen; "
              f"answer p50 {statistics.median(got):.2f} s, p95 {_pct(got, 0.95):.2f} s; "
              f"{wall / len(puts):.3f} s per roster")
    finally:
        stack.stop_pid(state.pid)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
