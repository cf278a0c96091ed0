"""Seconds of the nightly money step and the hours recompute for N classes on a scratch PostgreSQL.

A synthetic day straight into the tables (the gates are measured elsewhere): N classes of 30
trainees, 10 sessions each, every trainee checked in at every session, assessed and certified,
an advance and a final claim per class; 2 % of the trainees held. Prints seconds for the hours
of one upload's classes (and its EXPLAIN ANALYZE plan time), the cross-institution rules, the
advances + settlements (first run, then a re-run that must write nothing) and the ledger check.
Usage: python -m bench.nightly [N ...]   (default 200 1000)
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, datetime, timedelta

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

TRAINEES, SESSIONS = 30, 10
START = date(2026, 9, 1)
AS_OF = START + timedelta(days=40)


def _populate(conn, n: int) -> None:  # noqa: ANN001
    from sqlalchemy import insert

    from infra import db
    from infra.samples import make_uscc, person

    occ = "4-10-01-02"
    institutions = [make_uscc(i + 1) for i in range(max(1, n // 5))]
    conn.execute(insert(db.institutions), [{"uscc": u, "name": u, "kind": "training_org", "qualified_occupations": "*",
                                            "rating": "A", "blacklisted": False, "difficult": False} for u in institutions])
    conn.execute(insert(db.occupations), [{"occupation_code": occ, "occupation_name": "育婴员", "shortage": True}])
    conn.execute(insert(db.subsidy_catalog), [{"occupation_code": occ, "level": "5", "training_type": "employment",
                                               "amount_fen": 150000}])
    classes, sessions, enrol, att, hours, exams, certs, claims, holds = [], [], [], [], [], [], [], [], []
    for k in range(n):
        uscc, cid = institutions[k % len(institutions)], f"C-{k:05d}"
        end = START + timedelta(days=SESSIONS - 1)
        classes.append({"uscc": uscc, "class_id": cid, "occupation_code": occ, "occupation_name": "育婴员", "level": "5",
                        "training_type": "employment", "project_based": True, "start_date": START, "end_date": end,
                        "planned_hours": 80, "capacity": TRAINEES, "venue": f"{cid} 教室",
                        "teacher_id": person(k % 997, date(1980, 5, 5)), "filed_on": START - timedelta(days=30),
                        "upload_id": 1})
        for d in range(SESSIONS):
            day = START + timedelta(days=d)
            sessions.append({"uscc": uscc, "class_id": cid, "session_date": day, "start_time": datetime(2000, 1, 1, 8).time(),
                             "end_time": datetime(2000, 1, 1, 16).time(), "start_at": datetime(day.year, day.month, day.day, 8),
                             "end_at": datetime(day.year, day.month, day.day, 16), "minutes": 480, "mode": "offline",
                             "upload_id": 2})
        for t in range(TRAINEES):
            i = k * TRAINEES + t  # a different person in every class: the 3-digit sequence and the birthday vary
            idn = person(100 + i % 800, date(1970, 1, 1) + timedelta(days=i // 800))
            enrol.append({"uscc": uscc, "class_id": cid, "id_number": idn, "name": "学员", "phone": f"138{k * TRAINEES + t:08d}",
                          "category": "migrant", "payer": "individual", "enrolled_on": START - timedelta(days=5),
                          "upload_id": 3})
            for d in range(SESSIONS):
                day = START + timedelta(days=d)
                att.append({"uscc": uscc, "class_id": cid, "id_number": idn,
                            "check_in": datetime(day.year, day.month, day.day, 8, 0, 5),
                            "check_out": datetime(day.year, day.month, day.day, 15, 59, 40), "method": "face",
                            "device_id": f"{cid}-{t}", "upload_id": 4})
            hours.append({"uscc": uscc, "class_id": cid, "id_number": idn, "sessions_attended": SESSIONS,
                          "attended_minutes": SESSIONS * 480, "online_minutes": 0, "scheduled_minutes": SESSIONS * 480,
                          "attendance_days": SESSIONS, "computed_at": datetime(2026, 9, 30)})
            exams.append({"uscc": uscc, "class_id": cid, "id_number": idn, "exam_date": end + timedelta(days=1),
                          "score": 80, "passed": True, "assessor_uscc": institutions[0], "upload_id": 5})
            certs.append({"certificate_no": f"{cid}-{t}", "uscc": uscc, "class_id": cid, "id_number": idn,
                          "certificate_type": "skill_level", "occupation_code": occ, "level": "5",
                          "issued_on": end + timedelta(days=3), "upload_id": 6})
            if (k * TRAINEES + t) % 50 == 7:
                holds.append({"rule_code": "ATT-BURST", "stage": "attendance", "effect": "hold_trainee", "status": "open",
                              "uscc": uscc, "class_id": cid, "id_number": idn, "evidence": "{}"})
        claims += [{"uscc": uscc, "class_id": cid, "kind": "advance", "amount_fen": 2_000_000,
                    "projected_fen": TRAINEES * 150000, "cap_fen": TRAINEES * 75000, "upload_id": 7},
                   {"uscc": uscc, "class_id": cid, "kind": "final", "amount_fen": TRAINEES * 150000,
                    "projected_fen": None, "cap_fen": None, "upload_id": 8}]
    for table, rows in ((db.classes, classes), (db.sessions, sessions), (db.enrolments, enrol), (db.attendance, att),
                        (db.attendance_hours, hours),
                        (db.assessments, exams), (db.certificates, certs), (db.claims, claims), (db.findings, holds)):
        for i in range(0, len(rows), 20_000):
            conn.execute(insert(table), rows[i:i + 20_000])


def _timed(label: str, fn):  # noqa: ANN001, ANN202
    t = time.perf_counter()
    out = fn()
    print(f"  {label:<46} {time.perf_counter() - t:8.2f} s", flush=True)
    return out


def run(n: int) -> None:
    from sqlalchemy import func, select, text

    from bench.scratch import scratch_database
    from infra import db
    from infra.bootstrap import Services
    from infra.database import make_engine
    from infra.objectstore import MemoryStore
    from infra.settings import Settings
    from tasks import hours
    from tasks.money import pay_and_settle
    from tasks.nightly_rules import reevaluate

    with scratch_database() as url:
        settings = Settings(database_url=url)
        engine = make_engine(url)
        svc = Services(settings=settings, engine=engine, store=MemoryStore(), policy=settings.region_policy,
                       now=lambda: datetime.combine(AS_OF, datetime.min.time()))
        print(f"{n} classes, {n * TRAINEES} trainees, {n * TRAINEES * SESSIONS} attendance rows", flush=True)
        with engine.begin() as conn:
            _timed("load the synthetic day (not the pipeline)", lambda: _populate(conn, n))
            conn.execute(text("ANALYZE"))
        now = svc.now()
        # the classes an attendance upload names, read from a staging-like table as tasks/apply.py does
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_upload AS SELECT uscc, class_id, 1 AS upload_id FROM classes "
                              "WHERE class_id = 'C-00000'"))
            conn.execute(text("ANALYZE bench_upload"))
        one = "SELECT DISTINCT uscc, class_id FROM bench_upload WHERE upload_id = :u"
        with engine.begin() as conn:
            _timed("hours: recompute one upload's class", lambda: hours.recompute(conn, svc.policy, one, {"u": 1}, now))
        svc.gate()  # GX import and context once, as in a worker
        _timed("cross-institution rules", lambda: reevaluate(svc, "bench"))
        _timed("money: advances + settlements (first run)", lambda: pay_and_settle(svc, AS_OF, "bench-1"))
        with engine.connect() as conn:
            written = conn.execute(select(func.count(), func.sum(db.ledger.c.amount_fen)).select_from(db.ledger)).one()
        _timed("money: the same run again (writes nothing)", lambda: pay_and_settle(svc, AS_OF, "bench-2"))
        with engine.connect() as conn:
            again = conn.execute(select(func.count()).select_from(db.ledger)).scalar_one()
        print(f"  ledger: {written[0]} entries, {written[1]} fen after run 1; {again} entries after run 2", flush=True)
        engine.dispose()


def main(argv: list[str]) -> None:
    for n in [int(a) for a in argv] or [200, 1000]:
        run(n)


if __name__ == "__main__":
    main(sys.argv[1:])
