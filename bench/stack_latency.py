"""Upload → answer latency on the running stack (`skillsub stack up`): one roster, then a burst of 50.

Time from just before put_object to the `outbox/<uscc>/roster/<name>.result.csv` object appearing,
polled with HEAD every 50 ms, bounded by --timeout (then the unanswered are counted, not waited for).
The rosters belong to institutions the stack does not know, so the bench adds only its own uploads and
answers and changes no registry: every row is answered ROW-UNKNOWN-CLASS after the whole roster suite
ran. Usage: python -m bench.stack_latency [--burst 50] [--singles 3] [--timeout 600]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path


def running_stack():  # noqa: ANN201
    """The state of a running stack with a Prefect server (its listener answers uploads), else None."""
    from infra import stack

    data = Path(os.environ.get("SKILLSUB_DATA_DIR", "./var"))
    state = stack.load_state(data / "stack.json")
    if state and stack.pid_alive(state.pid) and state.prefect_api_url:
        return state
    return None


def _roster(uscc: str, nonce: str, n: int = 30) -> bytes:
    from bench.province_data import person_no
    from infra.samples import ROSTER_ZH, csv_bytes

    start = date.today() + timedelta(days=20)
    return csv_bytes(ROSTER_ZH, [[f"LAT-{nonce}", person_no(50_000_000 + i), f"学员{nonce}", f"139{i:08d}", "失业人员", "",
                                  "机构", start.isoformat()] for i in range(n)], "gbk")


def _measure(store, puts: list[tuple[str, bytes]], timeout: float) -> tuple[list[float], int]:  # noqa: ANN001
    """Put every object at once; (seconds to each answer, how many were not answered within `timeout`)."""
    started: dict[str, float] = {}

    def put(item: tuple[str, bytes]) -> None:
        key, data = item
        started[key] = time.perf_counter()
        store.put(key, data)

    with ThreadPoolExecutor(min(len(puts), 16)) as pool:
        list(pool.map(put, puts))
    waiting = {k: f"outbox/{k.split('/')[1]}/roster/{k.rsplit('/', 1)[1].rsplit('.', 1)[0]}.result.csv" for k, _ in puts}
    answered: list[float] = []
    deadline = time.perf_counter() + timeout
    while waiting and time.perf_counter() < deadline:
        for key, answer in list(waiting.items()):
            if store.head(answer) is not None:
                answered.append(time.perf_counter() - started[key])
                del waiting[key]
        time.sleep(0.05)
    return answered, len(waiting)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _report(label: str, answered: list[float], missed: int, timeout: float) -> None:
    if not answered:
        print(f"{label}: nothing answered within {timeout:.0f} s ({missed} waiting)")
        return
    tail = f"; {missed} not answered within {timeout:.0f} s (p95 > {timeout:.0f} s)" if missed else ""
    print(f"{label}: p50 {statistics.median(answered):.1f} s, p95 {_pct(answered, 0.95):.1f} s, "
          f"max {max(answered):.1f} s over {len(answered)} answered{tail}")


def main(argv: list[str] | None = None) -> int:
    from infra.objectstore import S3Store
    from infra.samples import make_uscc

    ap = argparse.ArgumentParser(prog="python -m bench.stack_latency")
    ap.add_argument("--burst", type=int, default=50)
    ap.add_argument("--singles", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600, help="seconds to wait for answers, per measurement")
    args = ap.parse_args(argv)
    state = running_stack()
    if state is None:
        print("stack latency: no running stack with a Prefect server (`skillsub stack up`); skipped")
        return 0
    store = S3Store(state.bucket, state.s3_endpoint_url, access_key=state.access_key, secret_key=state.secret_key)
    run = uuid.uuid4().hex[:8]
    insts = [make_uscc(60_000 + i) for i in range(5)]  # institutions no registry names
    single: list[float] = []
    missed = 0
    for i in range(args.singles):
        key = f"inbox/{insts[0]}/roster/lat-{run}-single-{i}.csv"
        got, miss = _measure(store, [(key, _roster(insts[0], f"{run}s{i}"))], args.timeout)
        single += got
        missed += miss
    _report(f"stack: one roster at a time ({args.singles}×)", single, missed, args.timeout)
    burst = [(f"inbox/{insts[i % 5]}/roster/lat-{run}-burst-{i}.csv", _roster(insts[i % 5], f"{run}b{i}"))
             for i in range(args.burst)]
    got, miss = _measure(store, burst, args.timeout)
    _report(f"stack: burst of {args.burst} rosters across 5 institutions", got, miss, args.timeout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
