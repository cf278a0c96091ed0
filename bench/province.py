"""A province-day through the pipeline and through a DuckDB floor, on the same files, in one run.

Usage: python -m bench.province [--classes 2000] [--seed 10] [--stack | --no-stack] [--floor-only]

1. generate the day (bench/province_data.py; seeded) and write its files;
2. the pipeline: a SeaweedFS of our own on free ports (or the one SKILLSUB_TEST_STACK names), a scratch
   PostgreSQL database (SKILLSUB_TEST_PG_ADMIN), upload → `process` per kind → `nightly`, through the
   flows the CLI runs (bench/pipeline.py); then every planted problem is looked up in the results;
3. the floor (bench/floor.py): DuckDB parses every file and runs the core rules and the amounts;
4. with --stack, or by default when `skillsub stack up` is running with a Prefect server: upload →
   answer latency on that stack for one roster and for a burst of 50 (bench/stack_latency.py).

Per stage it prints wall seconds, CPU seconds of this process, rows/s and the peak RSS of this process
during the stage (sampled every 20 ms; PostgreSQL, SeaweedFS and Prefect's server are other processes
and are not counted), then pipeline/floor.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")  # a loaded 2-core machine


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the lifetime peak is the best we have
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class Timing:
    name: str
    rows: int
    seconds: float = 0.0
    cpu: float = 0.0
    cpu_all: float = 0.0
    peak_rss: int = 0


def _cpu_of(pids: list[int]) -> dict[int, float]:
    import psutil

    out = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            out[pid] = t.user + t.system
        except psutil.Error:  # gone, or not ours to read
            pass
    return out


@dataclass
class Clock:
    """Times named stages; stages of the same name add up (uploads of each kind are one "upload" line)."""

    stages: dict[str, Timing] = field(default_factory=dict)
    progress: bool = True
    # Other processes working for the stage (Prefect's server, PostgreSQL backends): their CPU counts too.
    helpers: Callable[[], list[int]] = lambda: []

    @contextmanager
    def stage(self, name: str, rows: int) -> Iterator[None]:
        peak = [_rss_bytes()]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], _rss_bytes())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        before = _cpu_of(self.helpers())
        t, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            done.set()
            sampler.join()
            s = self.stages.setdefault(name, Timing(name, 0))
            s.rows += rows
            s.seconds += time.perf_counter() - t
            s.cpu += time.process_time() - c
            after = _cpu_of(self.helpers())
            s.cpu_all += time.process_time() - c + sum(v - before.get(pid, 0.0) for pid, v in after.items())
            s.peak_rss = max(s.peak_rss, peak[0], _rss_bytes())
            if self.progress:
                print(f"  … {name}: {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)

    def total(self, prefix: str, what: str = "seconds") -> float:
        return sum(getattr(s, what) for n, s in self.stages.items() if n.startswith(prefix))

    def print(self) -> None:
        print(f"\n{'stage':28s} {'rows':>10s} {'wall s':>9s} {'cpu s':>8s} {'cpu s all':>10s} {'rows/s':>11s} "
              f"{'peak RSS MB':>12s}")
        for s in self.stages.values():
            rate = f"{s.rows / s.seconds:,.0f}" if s.seconds and s.rows else "-"
            print(f"{s.name:28s} {s.rows:>10,d} {s.seconds:>9.2f} {s.cpu:>8.2f} {s.cpu_all:>10.2f} {rate:>11s} "
                  f"{s.peak_rss / 2**20:>12.0f}")
        print("cpu s: this process (all its threads); cpu s all: plus its child processes (Prefect's ephemeral "
              "server) and the PostgreSQL backends of the scratch database; peak RSS: this process only")


def write_files(day, workdir: Path) -> None:  # noqa: ANN001
    for key, data in day.objects.items():
        path = workdir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def pipeline(day, clock: Clock, workdir: Path) -> list[str]:  # noqa: ANN001
    """The product on SeaweedFS + a scratch PostgreSQL; returns the planted problems it missed."""
    from bench import pipeline as pl
    from bench.province_data import NOW
    from bench.scratch import scratch_database
    from infra import stack
    from infra.bootstrap import Services
    from infra.database import make_engine
    from infra.objectstore import S3Store
    from infra.settings import Settings

    shared = os.environ.get("SKILLSUB_TEST_STACK")
    state = stack.load_state(Path(shared)) if shared else stack.start(workdir / "weed", "province", timeout=120)
    try:
        store = S3Store(f"province-{os.getpid()}", state.s3_endpoint_url, access_key=state.access_key,
                        secret_key=state.secret_key)
        store.ensure_bucket()
        with scratch_database() as url:
            settings = Settings(database_url=url)
            svc = Services(settings=settings, engine=make_engine(url), store=store, policy=settings.region_policy,
                           now=lambda: NOW)
            clock.helpers = lambda: _helper_pids(svc.engine)
            with clock.stage("warm-up (Prefect, GX)", 0):
                _warm_up(svc)
            outcomes = pl.run(svc, day, clock.stage)
            missing = pl.missing_plants(svc, day)
            counts = pl.verdict_counts(svc)
            _, by_code, _ = pl.found_codes(svc)
            statuses: dict[str, int] = {}
            for o in outcomes:
                statuses[o["status"]] = statuses.get(o["status"], 0) + 1
            print(f"pipeline: uploads {statuses}; row verdicts {dict(counts)}")
            print(f"pipeline: findings by rule code {dict(sorted(by_code.items()))}")
            _print_db_size(svc.engine, sum(day.rows.values()))
            clock.helpers = lambda: []
            svc.engine.dispose()
    finally:
        if not shared:
            stack.stop_pid(state.pid)
    return missing


def _helper_pids(engine) -> list[int]:  # noqa: ANN001
    """Our child processes and the PostgreSQL backends serving the scratch database (same machine)."""
    import psutil
    from sqlalchemy import text

    with engine.connect() as conn:
        backends = list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars())
    return [p.pid for p in psutil.Process().children(recursive=True)] + backends


def _print_db_size(engine, rows: int) -> None:  # noqa: ANN001
    """What the day costs in PostgreSQL (tables, indexes and TOAST), for sizing a national deployment."""
    from sqlalchemy import text

    with engine.connect() as conn:
        total = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        tables = conn.execute(text(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 2 DESC LIMIT 6")).all()
    biggest = ", ".join(f"{name} {size / 2**20:.0f} MiB" for name, size in tables)
    print(f"pipeline: PostgreSQL database {total / 2**20:.0f} MiB for {rows:,} uploaded rows "
          f"({total / max(rows, 1):,.0f} bytes per row); largest: {biggest}")


def _warm_up(svc) -> None:  # noqa: ANN001
    """Once per process, as in any CLI run: Prefect's ephemeral API and the GX context."""
    from prefect import flow

    @flow(name="bench-warm-up")
    def noop() -> None:
        return None

    noop()
    svc.gate()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.province", description=__doc__.splitlines()[0])
    ap.add_argument("--classes", type=int, default=2000, help="classes in the day (2,000 = a province-day)")
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--stack", dest="stack", action="store_true", default=None,
                    help="also measure upload→answer latency on the running stack (default: when one is up)")
    ap.add_argument("--no-stack", dest="stack", action="store_false")
    ap.add_argument("--floor-only", action="store_true", help="generate and run the DuckDB floor only")
    args = ap.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C: SeaweedFS is stopped and the scratch database dropped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="skillsub-province-"))
    (workdir / "prefect").mkdir()
    os.environ.setdefault("PREFECT_HOME", str(workdir / "prefect"))  # an ephemeral API of our own
    from bench import floor
    from bench.province_data import province_day

    clock = Clock()
    try:
        with clock.stage("generate", 0):
            day = province_day(args.classes, args.seed)
            write_files(day, workdir)
        clock.stages["generate"].rows = sum(day.rows.values())
        print(f"province-day: {args.classes} classes, {len(day.institutions)} institutions, {len(day.objects)} files, "
              f"{sum(day.rows.values()):,} rows, {sum(map(len, day.objects.values())) / 2**20:.0f} MiB; "
              f"{len(day.plants)} planted problems, {len(day.planted_codes())} rule codes")
        missing: list[str] = []
        if not args.floor_only:
            missing = pipeline(day, clock, workdir)
        counts = floor.run(day, workdir, clock.stage)
        print(f"floor: {counts}")
        clock.print()
        _ratios(clock, args.floor_only)
        if missing:
            print(f"\nPLANTED PROBLEMS NOT REPORTED ({len(missing)}): {missing[:20]}")
        if _want_stack(args.stack):
            from bench import stack_latency

            stack_latency.main()
        return 1 if missing else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _ratios(clock: Clock, floor_only: bool) -> None:
    floor_s = clock.total("floor")
    print(f"\nfloor (parse + rules): {floor_s:.2f} s")
    if floor_only or not floor_s:
        return
    process = clock.total("process")
    nightly = clock.total("nightly")
    upload = clock.total("upload")
    print(f"pipeline process + nightly: {process + nightly:.1f} s → {(process + nightly) / floor_s:.0f}× the floor")
    floor_cpu = clock.total("floor", "cpu_all")
    work_cpu = clock.total("process", "cpu_all") + clock.total("nightly", "cpu_all")
    if floor_cpu:
        print(f"CPU seconds (load-independent): pipeline process + nightly {work_cpu:.1f} s (with PostgreSQL and "
              f"Prefect's server), floor {floor_cpu:.1f} s → {work_cpu / floor_cpu:.0f}×")
    print(f"pipeline upload + process + nightly: {upload + process + nightly:.1f} s → "
          f"{(upload + process + nightly) / floor_s:.0f}× the floor")


def _want_stack(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    from bench.stack_latency import running_stack

    return running_stack() is not None


if __name__ == "__main__":
    sys.exit(main())
