"""Seconds for the console's findings queue with N findings on a scratch PostgreSQL (issue 14: "the
findings queue with 100,000 findings answers within a second").

N findings (default 100,000) inserted in bulk over 2,000 classes of 50 institutions, a quarter of
them open holds on trainees with settled amounts; then timed (best of 3, after one warm-up): the
first page of open findings sorted by money at stake, the same filtered by rule and institution,
page 200 of everything, and the filter choices. Prints numbers; nothing is asserted.
Usage: python -m bench.findings_queue [N]
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, datetime

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

CLASSES, INSTITUTIONS = 2000, 50
RULES = [("ENR-OVERLAP", "enrollment", "hold_trainee"), ("ENR-SHARED-PHONE", "enrollment", "hold_trainee"),
         ("ATT-PROXY", "attendance", "hold_trainee"), ("FIL-VENUE-CLASH", "filing", "warn"),
         ("ATT-LOW", "settlement", "exclude"), ("ENR-OVER-CAPACITY", "enrollment", "hold_class")]


def _populate(conn, n: int) -> list[str]:  # noqa: ANN001
    from sqlalchemy import insert

    from infra import db
    from infra.samples import make_uscc, person

    occ, now = "4-10-01-02", datetime(2026, 11, 26, 10)
    usccs = [make_uscc(i + 1) for i in range(INSTITUTIONS)]
    conn.execute(insert(db.institutions), [{"uscc": u, "name": f"机构 {i}", "kind": "training_org",
                                            "qualified_occupations": "*", "rating": "A", "blacklisted": False,
                                            "difficult": False} for i, u in enumerate(usccs)])
    conn.execute(insert(db.subsidy_catalog), [{"occupation_code": occ, "level": lv, "training_type": "employment",
                                               "amount_fen": 100000 + 25000 * int(lv)} for lv in "12345"])
    conn.execute(insert(db.classes), [{
        "uscc": usccs[k % INSTITUTIONS], "class_id": f"C-{k:05d}", "occupation_code": occ, "occupation_name": "育婴员",
        "level": str(1 + k % 5), "training_type": "employment", "project_based": True, "start_date": date(2026, 9, 1),
        "end_date": date(2026, 9, 10), "planned_hours": 80, "capacity": 50, "venue": f"C-{k} 教室",
        "teacher_id": person(k % 997, date(1980, 5, 5)), "filed_on": date(2026, 8, 1), "upload_id": 1}
        for k in range(CLASSES)])
    findings, amounts = [], []
    for i in range(n):
        code, stage, effect = RULES[i % len(RULES)]
        k = (i * 7) % CLASSES
        uscc, cid = usccs[k % INSTITUTIONS], f"C-{k:05d}"
        idn = None if effect == "hold_class" else person(100 + i % 800, date(1970, 1, 1).replace(year=1970 + i % 40))
        status = "open" if effect.startswith("hold") and i % 4 == 0 else ("none" if not effect.startswith("hold") else "resolved")
        findings.append({"rule_code": code, "stage": stage, "effect": effect, "status": status, "uscc": uscc,
                         "class_id": cid, "id_number": idn, "evidence": "{}", "created_at": now, "upload_id": 1 + i // 500,
                         "row_no": 1 + i % 500})
        if idn and i % 3 == 0:
            amounts.append({"uscc": uscc, "class_id": cid, "id_number": idn, "payee": uscc, "what": "training",
                            "amount_fen": 50000 + (i * 37) % 150000, "clause": "bench", "computed_at": now})
    for start in range(0, len(findings), 20000):
        conn.execute(insert(db.findings), findings[start:start + 20000])
    seen, unique = set(), []
    for a in amounts:
        key = (a["uscc"], a["class_id"], a["id_number"])
        if key not in seen:
            seen.add(key)
            unique.append(a)
    conn.execute(insert(db.trainee_amounts), unique)
    return usccs


def _best(fn, repeat: int = 3) -> float:  # noqa: ANN001
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str]) -> None:
    from sqlalchemy import text

    from bench.scratch import scratch_database
    from infra.bootstrap import Services
    from infra.database import make_engine
    from infra.objectstore import MemoryStore
    from infra.settings import Settings
    from tasks import console_queries as q

    n = int(argv[0]) if argv else 100_000
    with scratch_database() as url:
        engine = make_engine(url)
        t = time.perf_counter()
        with engine.begin() as conn:
            usccs = _populate(conn, n)
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        print(f"{n} findings inserted in {time.perf_counter() - t:.1f} s")
        settings = Settings(database_url=url)
        svc = Services(settings=settings, engine=engine, store=MemoryStore(), policy=settings.region_policy)
        cases = {
            "first page, open, by money at stake": (q.QueueFilter(), 1),
            "filtered: rule ENR-OVERLAP + one institution": (q.QueueFilter(rule="ENR-OVERLAP", institution=usccs[4],
                                                                           status=None), 1),
            "filtered: stage attendance, open": (q.QueueFilter(stage="attendance"), 1),
            "page 200 of everything (OFFSET 4975)": (q.QueueFilter(status=None), 200),
        }
        for name, (flt, page) in cases.items():
            rows, total = q.findings_queue(svc, flt, page)
            print(f"{name:48s} {_best(lambda f=flt, p=page: q.findings_queue(svc, f, p)) * 1000:7.1f} ms "
                  f"({len(rows)} rows of {total})")
        print(f"{'filter choices (rules, stages, institutions)':48s} {_best(lambda: q.queue_choices(svc)) * 1000:7.1f} ms")
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
