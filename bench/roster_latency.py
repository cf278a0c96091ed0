"""Time from put_object to the outbox answer for a 1,000-row roster, against an I/O floor.

Baseline (same run, same server): put the same bytes, get them back, put a result of the
same size — what any processing must cost at least. Prints medians of several runs on
SQLite and PostgreSQL and the ratio to the floor. Usage: python -m bench.roster_latency [rows]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def main(rows: int = 1000, repeats: int = 5) -> None:
    from sqlalchemy import create_engine, text

    from infra import stack
    from infra.bootstrap import Services
    from infra.database import make_engine, upgrade
    from infra.objectstore import S3Store
    from infra.samples import ROSTER_ZH, csv_bytes, make_uscc, person
    from infra.settings import Settings
    from tasks.ingest import process_object

    tmp = Path(tempfile.mkdtemp(prefix="skillsub-bench-"))
    state = stack.start(tmp, "bench", timeout=90)
    admin_url = os.environ.get("SKILLSUB_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    pg_name = f"skillsub_bench_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{pg_name}"'))
    backends = {"sqlite": f"sqlite:///{tmp / 'bench.db'}", "postgresql": admin_url.rsplit("/", 1)[0] + f"/{pg_name}"}
    try:
        store = S3Store("bench", state.s3_endpoint_url, access_key=state.access_key, secret_key=state.secret_key)
        floor = []
        probe = b"x" * 120_000
        for _ in range(repeats):
            t = time.perf_counter()
            store.put("probe/in.csv", probe)
            store.get("probe/in.csv")
            store.put("probe/out.csv", probe)
            floor.append(time.perf_counter() - t)
        floor_s = statistics.median(floor)
        print(f"I/O floor (put + get + put of 120 kB on SeaweedFS): {floor_s * 1000:.1f} ms")
        for name, url in backends.items():
            upgrade(url)
            settings = Settings(database_url=url)
            svc = Services(settings=settings, engine=make_engine(url), store=store, policy=settings.region_policy)
            svc.gate()  # GX import and context: once per worker process, not per upload
            uscc = make_uscc(1)
            store.put("reference/institutions/i.csv", csv_bytes(
                ["uscc", "name", "kind", "qualified_occupations", "rating", "blacklisted"],
                [[uscc, "bench", "school", "*", "A", "否"]]))
            process_object(svc, "reference/institutions/i.csv", "bench")
            start = date.today() + timedelta(days=30)
            store.put(f"inbox/{uscc}/filing/f.csv", csv_bytes(
                ["class_id", "institution_uscc", "occupation_code", "occupation_name", "level", "training_type",
                 "project_based", "start_date", "end_date", "planned_hours", "capacity", "venue", "teacher_id"],
                [[f"C{i}", uscc, "4-10-01-02", "育婴员", "5", "employment", "yes", start.isoformat(),
                  (start + timedelta(days=9)).isoformat(), "40", str(rows), "v", person(900 + i, date(1980, 1, 1))]
                 for i in range(repeats)]))
            process_object(svc, f"inbox/{uscc}/filing/f.csv", "bench")
            times, gates = [], []
            for run in range(repeats):
                data = csv_bytes(ROSTER_ZH, [[f"C{run}", person(i, date(1970, 1, 1) + timedelta(days=7 * i)),
                                              "学员", f"139{i:08d}", "农村转移就业劳动者", "", "个人", date.today().isoformat()]
                                             for i in range(rows)], "gbk")
                key = f"inbox/{uscc}/roster/r{run}.csv"
                t = time.perf_counter()
                store.put(key, data)
                out = process_object(svc, key, "bench")
                store.head(f"outbox/{uscc}/roster/r{run}.result.csv")
                times.append(time.perf_counter() - t)
                assert out.counts["accepted"] == rows, out
                t = time.perf_counter()
                svc.gate().run("roster", "stg_roster", -1)  # the suite alone, on an empty upload
                gates.append(time.perf_counter() - t)
            med = statistics.median(times)
            print(f"{name:10s} put_object → outbox for {rows} rows: median {med * 1000:.0f} ms "
                  f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}); {med / floor_s:.1f}× the I/O floor; "
                  f"suite overhead on an empty batch {statistics.median(gates) * 1000:.0f} ms")
            svc.engine.dispose()
    finally:
        stack.stop_pid(state.pid)
        with admin.connect() as c:
            c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{pg_name}' AND pid <> pg_backend_pid()"))
            c.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}"'))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
