"""An auditor's re-run of a gate stage against processing the same upload, in the same run.

Processes one roster of N rows on PostgreSQL (parse, stage, gate, apply), then re-runs the enrollment
gate over the stored rows: a dry run with unchanged rules, then a real run after lowering the age limit
(which changes some rows). Prints seconds, rows per second and the ratio to processing (the baseline).
Usage: python -m bench.rerun_gate [rows]
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, timedelta

from bench.scratch import scratch_database

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def main(rows: int = 20_000) -> None:
    from infra.bootstrap import Services
    from infra.database import make_engine
    from infra.objectstore import MemoryStore
    from infra.samples import ROSTER_ZH, csv_bytes, make_uscc, person
    from infra.settings import Settings
    from tasks.ingest import process_object
    from tasks.rerun import rerun

    with scratch_database() as url:
        settings = Settings(database_url=url, max_rows=max(rows, 200_000))
        svc = Services(settings=settings, engine=make_engine(url), store=MemoryStore(), policy=settings.region_policy)
        svc.gate()
        uscc = make_uscc(1)
        svc.store.put("reference/institutions/i.csv", csv_bytes(
            ["uscc", "name", "kind", "qualified_occupations", "rating", "blacklisted"], [[uscc, "bench", "school", "*", "A", "否"]]))
        process_object(svc, "reference/institutions/i.csv", "bench")
        start = date.today() + timedelta(days=30)
        svc.store.put(f"inbox/{uscc}/filing/f.csv", csv_bytes(
            ["class_id", "institution_uscc", "occupation_code", "occupation_name", "level", "training_type", "project_based",
             "start_date", "end_date", "planned_hours", "capacity", "venue", "teacher_id"],
            [["C0", uscc, "4-10-01-02", "育婴员", "5", "employment", "yes", start.isoformat(),
              (start + timedelta(days=9)).isoformat(), "40", str(rows), "v", person(900, date(1980, 1, 1))]]))
        process_object(svc, f"inbox/{uscc}/filing/f.csv", "bench")
        data = csv_bytes(ROSTER_ZH, [["C0", person(i, date(1966, 1, 1) + timedelta(days=(i * 7) % 15000)), "学员",
                                      f"139{i:08d}", "农村转移就业劳动者", "", "个人", date.today().isoformat()]
                                     for i in range(rows)], "gbk")
        svc.store.put(f"inbox/{uscc}/roster/r.csv", data)
        t = time.perf_counter()
        out = process_object(svc, f"inbox/{uscc}/roster/r.csv", "bench")
        processing = time.perf_counter() - t
        print(f"processing a {rows:,}-row roster (baseline): {processing:.2f} s, {rows / processing:,.0f} rows/s "
              f"({out.counts})")
        t = time.perf_counter()
        dry = rerun(svc, "enrollment", None, uscc, None, None, dry_run=True, auditor="bench", reason="bench", run_id="b1")
        dry_s = time.perf_counter() - t
        print(f"re-run, dry, unchanged rules: {dry_s:.2f} s ({dry_s / processing:.2f}× processing), "
              f"{dry.rows_checked['enrollment']:,} rows checked, {len(dry.rows)} changed")
        svc.policy = svc.policy.model_copy(update={"settings": svc.policy.settings.model_copy(update={"max_age": 50})})
        t = time.perf_counter()
        real = rerun(svc, "enrollment", None, uscc, None, None, dry_run=False, auditor="bench", reason="bench", run_id="b2")
        real_s = time.perf_counter() - t
        print(f"re-run, applied, age limit 60 → 50: {real_s:.2f} s ({real_s / processing:.2f}× processing), "
              f"{len(real.rows):,} rows changed")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
