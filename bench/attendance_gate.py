"""Gate time for 1,000,000 staged attendance rows on PostgreSQL, and the slowest rule.

Generates classes, sessions and rosters (1,000 classes × 25 trainees × 40 sessions), stages
one attendance record per trainee and session, then times: parsing a sample through the row
model, staging with COPY, the GX suite, and each rule's own SQL. Baseline in the same run:
a full scan of the staged rows (SELECT COUNT(*) with the upload filter).
Usage: python -m bench.attendance_gate [classes] [trainees] [sessions]
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, datetime, timedelta

from bench.scratch import scratch_database

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def main(classes: int = 1000, trainees: int = 25, sessions: int = 40) -> None:
    from sqlalchemy import text

    from expectations.checks import RowCheck
    from infra.bootstrap import Services
    from infra.database import make_engine
    from infra.objectstore import MemoryStore
    from infra.samples import make_uscc, person
    from infra.settings import Settings
    from schemas.attendance import AttendanceRow
    from schemas.rows import parse_row

    with scratch_database() as url:
        settings = Settings(database_url=url)
        engine = make_engine(url)
        svc = Services(settings=settings, engine=engine, store=MemoryStore(), policy=settings.region_policy)
        uscc = make_uscc(1)
        start = date(2027, 3, 1)
        total = classes * trainees * sessions
        print(f"generating {classes} classes × {trainees} trainees × {sessions} sessions = {total:,} attendance rows")
        t = time.perf_counter()
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy("COPY classes (uscc, class_id, occupation_code, occupation_name, level, training_type, "
                          "project_based, start_date, end_date, planned_hours, capacity, venue, teacher_id, filed_on, upload_id) "
                          "FROM STDIN") as cp:
                for k in range(classes):
                    cp.write_row((uscc, f"C{k}", "4-10-01-02", "x", "5", "employment", True, start,
                                  start + timedelta(days=sessions), sessions * 8, trainees, f"v{k}", f"T{k}", start, 0))
            with cur.copy("COPY sessions (uscc, class_id, session_date, start_time, end_time, start_at, end_at, minutes, "
                          "mode, upload_id) FROM STDIN") as cp:
                for k in range(classes):
                    for d in range(sessions):
                        day = start + timedelta(days=d)
                        cp.write_row((uscc, f"C{k}", day, "08:00", "16:00", datetime(day.year, day.month, day.day, 8),
                                      datetime(day.year, day.month, day.day, 16), 480, "offline", 0))
            ids = [person(i, date(1970, 1, 1) + timedelta(days=i // 1000)) for i in range(classes * trainees)]
            with cur.copy("COPY enrolments (uscc, class_id, id_number, name, phone, category, payer, enrolled_on, upload_id) "
                          "FROM STDIN") as cp:
                for k in range(classes):
                    for j in range(trainees):
                        cp.write_row((uscc, f"C{k}", ids[k * trainees + j], "n", f"139{k * trainees + j:08d}",
                                      "migrant", "individual", start, 0))
            raw.commit()
            setup = time.perf_counter() - t

            sample = [{"class_id": "C1", "id_number": ids[1], "check_in": "2027-03-01 08:00:07",
                       "check_out": "2027-03-01 15:59:31", "method": "人脸", "device_id": "D1"}] * 20_000
            t = time.perf_counter()
            for r in sample:
                parse_row(AttendanceRow, r)
            parse_per_row = (time.perf_counter() - t) / len(sample)

            t = time.perf_counter()
            with cur.copy("COPY stg_attendance (upload_id, row_no, uscc, class_id, id_number, check_in, check_out, method, "
                          "device_id, record_minutes) FROM STDIN") as cp:
                row = 2
                for k in range(classes):
                    for d in range(sessions):
                        day = start + timedelta(days=d)
                        for j in range(trainees):
                            cin = datetime(day.year, day.month, day.day, 7, 50 + j % 10, (k + j) % 60)
                            cout = datetime(day.year, day.month, day.day, 16, j % 10, (k * 7 + j) % 60)
                            cp.write_row((1, row, uscc, f"C{k}", ids[k * trainees + j], cin, cout, "face",
                                          f"D{k}-{j % 5}", int((cout - cin).total_seconds() // 60) + 1))
                            row += 1
            raw.commit()
            stage = time.perf_counter() - t
            cur.execute("ANALYZE stg_attendance")
            raw.commit()
        finally:
            raw.close()
        print(f"setup (classes, sessions, rosters by COPY): {setup:.1f} s; staging {total:,} rows by COPY: {stage:.1f} s")
        print(f"parsing through the row model: {parse_per_row * 1e6:.1f} µs/row → {parse_per_row * total:.1f} s for {total:,}")

        with engine.connect() as conn:
            t = time.perf_counter()
            conn.execute(text("SELECT COUNT(*), MAX(check_in) FROM stg_attendance WHERE upload_id = 1")).one()
            scan = time.perf_counter() - t
        print(f"baseline: one full scan of the staged rows: {scan:.2f} s")

        gate = svc.gate()
        t = time.perf_counter()
        result = gate.run("attendance", "stg_attendance", 1)
        gx_time = time.perf_counter() - t
        for o in result.outcomes:
            if not o["success"]:
                print("  GX failed:", o)
        print(f"GX suite ({len(result.outcomes)} expectations) incl. fetching offending rows: {gx_time:.1f} s "
              f"= {gx_time / scan:.0f}× the scan; {len(result.hits)} hits; passed={result.success}")

        from expectations.attendance import attendance_checks

        timings = []
        for check in attendance_checks():
            t = time.perf_counter()
            _, rows = gate.offending_rows(check, "stg_attendance", (1,))
            timings.append((time.perf_counter() - t, check.code, check.name if isinstance(check, RowCheck) else check.column, len(rows)))
        timings.sort(reverse=True)
        print("each rule's own SQL (fetching every offending row), slowest first:")
        for secs, code, what, n in timings[:8]:
            print(f"  {secs:6.2f} s  {code:20s} {what}  ({n} rows)")
        print(f"sum of the rules' SQL: {sum(s for s, *_ in timings):.1f} s")
        engine.dispose()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
