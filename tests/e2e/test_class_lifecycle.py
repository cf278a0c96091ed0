"""One class from filing to certificate through uploads to a real SeaweedFS and PostgreSQL,
with one planted case of each kind of fake training; verdicts read back from the outbox."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from infra.samples import csv_bytes, person
from tasks import exports
from tests.conftest import make_services
from tests.e2e.outbox import result
from tests.integration.world import START, A, B, World, people

pytestmark = pytest.mark.e2e


def _csv(rows: list[dict]) -> bytes:
    header = list(rows[0])
    return csv_bytes(header, [[r[h] for h in header] for r in rows])


def test_a_class_from_filing_to_certificate(seaweed, s3_store, pg_engine, prefect_harness) -> None:  # noqa: ANN001
    from flows.process_upload import process_pending
    from tasks import prefect as ptasks

    svc = make_services(pg_engine, s3_store)
    ptasks.use(svc)
    w = World(svc)
    s3 = boto3.client("s3", endpoint_url=seaweed.s3_endpoint_url, aws_access_key_id=seaweed.access_key,
                      aws_secret_access_key=seaweed.secret_key, region_name="us-east-1")
    put = {}

    def upload(key: str, rows: list[dict]) -> None:
        s3.put_object(Bucket=s3_store.bucket, Key=key, Body=_csv(rows))
        put[key.split("/")[2] + ":" + key.split("/")[1]] = key

    w.registries()  # registries through the same store, processed directly
    p = people(12)
    ghost, both = person(777, START.replace(year=1992)), person(778, START.replace(year=1993))
    upload(f"inbox/{A}/filing/a.csv", [w.class_row("A-1", A, capacity="20")])
    upload(f"inbox/{B}/filing/b.csv", [w.class_row("B-1", B)])
    days = [(START + timedelta(days=d)).isoformat() for d in range(5)]
    upload(f"inbox/{A}/schedule/a.csv", [{"class_id": "A-1", "session_date": d, "start_time": "08:00", "end_time": "16:00",
                                          "mode": "offline"} for d in days])
    upload(f"inbox/{B}/schedule/b.csv", [{"class_id": "B-1", "session_date": d, "start_time": "18:00", "end_time": "22:00",
                                          "mode": "offline"} for d in days[:2]] + [
        {"class_id": "B-1", "session_date": days[3], "start_time": "08:00", "end_time": "16:00", "mode": "offline"}])
    upload(f"inbox/{A}/roster/a.csv", [w.roster_row("A-1", x, f"138{i:08d}") for i, x in enumerate(p + [both])])
    upload(f"inbox/{B}/roster/b.csv", [w.roster_row("B-1", both, "13700000000")])

    att = []
    for d in range(3):  # days 0–2: eleven trainees with cloned times (ATT-CLONED-PATTERN)
        att += [w.check("A-1", x, day=d, device=f"T{i}") for i, x in enumerate(p[:10] + p[11:])]
    burst_start = len(att)
    att += [w.check("A-1", x, day=3, cin="08:00:07", device="KIOSK") for x in p[:5]]  # ATT-BURST
    att += [w.check("A-1", x, day=3, cin=f"08:01:{i:02d}", device=f"T{i}") for i, x in enumerate(p[5:10], 5)]
    att += [w.check("A-1", x, day=4, cin=f"08:02:{i:02d}", device=f"T{i}") for i, x in enumerate(p[:10])]
    att += [w.check("A-1", p[10], day=3, cin="08:03:00", device="T10")]  # one day only: low attendance
    att += [w.check("A-1", p[11], day=d, cin=f"08:04:{d:02d}", device="T11") for d in range(3, 5)]
    att += [w.check("A-1", ghost, day=0, cin="08:05:00", device="T99")]  # ATT-NOT-ENROLLED
    att += [w.check("A-1", both, day=3, cin="08:06:00", device="T12")]  # and in B-1 at the same time: ATT-CLASH
    att += [w.check("A-1", p[11], day=1, cin="18:30:00", cout="19:30:00", device="T11")]  # ATT-OUTSIDE-SESSION
    att += [w.check("A-1", p[11], day=2, cin="16:00:00", cout="08:00:00", device="T11")]  # ATT-INVALID-TIME
    upload(f"inbox/{A}/attendance/a.csv", att)
    upload(f"inbox/{B}/attendance/b.csv", [w.check("B-1", both, day=3, cin="08:10:00", device="B-T1")])

    exam = [w.exam("A-1", x, score=str(70 + i)) for i, x in enumerate(p[:9])]
    exam += [w.exam("A-1", p[9], score="50", passed="是")]  # ASM-SCORE
    exam += [w.exam("A-1", p[10], score="90")]  # passed with one day of five: ASM-LOW-ATTENDANCE
    exam += [w.exam("A-1", p[11], score="95")]
    exam += [w.exam("A-1", ghost, score="99")]  # ASM-NOT-ENROLLED
    upload(f"inbox/{A}/assessment/a.csv", exam)
    upload(f"inbox/{A}/certificate/a.csv", [
        w.cert("SZ-0001", "A-1", p[11]),
        w.cert("SZ-0002", "A-1", p[9]),  # no passed assessment: CRT-NO-PASS
        w.cert("SZ-0003", "A-1", p[0], level="4"),  # CRT-MISMATCH
        w.cert("SZ-0001", "A-1", p[1]),  # CRT-DUPLICATE-NO
        w.cert("SZ-0004", "A-1", p[2], issued_on=START.isoformat()),  # CRT-BEFORE-EXAM
        w.cert("SZ-0005", "A-1", p[3]),
    ])

    outcomes = process_pending()
    assert [o["status"] for o in outcomes] == ["done"] * len(put), outcomes
    order = [o["key"].split("/")[2] for o in outcomes if o["key"].split("/")[1] == A]
    assert order == ["filing", "schedule", "roster", "attendance", "assessment", "certificate"]

    def rows(kind: str, uscc: str = A) -> list[dict]:
        return result(s3, s3_store.bucket, put[f"{kind}:{uscc}"])

    att_rows = rows("attendance")
    by_line = {int(r["row_no"]): (r["verdict"], set(filter(None, r["rule_codes"].split(";")))) for r in att_rows}
    line = {i: i + 2 for i in range(len(att))}  # data rows start on line 2, under the header
    ghost_row, clash_row, outside_row, invalid_row = (line[len(att) - k] for k in (4, 3, 2, 1))
    held = {"ATT-CLONED-PATTERN"}  # the class hold is named on every row of the class, rejected ones too
    assert by_line[ghost_row] == ("rejected", {"ATT-NOT-ENROLLED"} | held)
    # A's file landed first, so the clash shows on B's upload; A's side gets its finding (export below).
    assert "ATT-CLASH" not in by_line[clash_row][1]
    assert by_line[outside_row] == ("rejected", {"ATT-OUTSIDE-SESSION"} | held)
    assert by_line[invalid_row] == ("rejected", {"ATT-INVALID-TIME"} | held)
    assert by_line[2] == ("accepted_flagged", {"ATT-CLONED-PATTERN"})  # a class hold flags every row of it
    assert all(by_line[line[i]] == ("accepted_flagged", {"ATT-CLONED-PATTERN", "ATT-BURST"})
               for i in range(burst_start, burst_start + 5))
    [b_clash] = rows("attendance", B)
    assert b_clash["verdict"] == "accepted_flagged" and "ATT-CLASH" in b_clash["rule_codes"]

    exam_rows = {r["id_number"]: r for r in rows("assessment")}
    assert exam_rows[p[9]]["rule_codes"] == "ASM-SCORE" and exam_rows[p[9]]["verdict"] == "rejected"
    assert exam_rows[p[10]]["rule_codes"] == "ASM-LOW-ATTENDANCE" and exam_rows[p[10]]["verdict"] == "accepted_flagged"
    assert exam_rows[ghost]["rule_codes"] == "ASM-NOT-ENROLLED"
    assert exam_rows[p[11]]["verdict"] == "accepted"

    cert_rows = [(r["证书编号"] if "证书编号" in r else r["certificate_no"], r["verdict"], r["rule_codes"]) for r in rows("certificate")]
    assert cert_rows == [("SZ-0001", "accepted", ""), ("SZ-0002", "rejected", "CRT-NO-PASS"),
                         ("SZ-0003", "rejected", "CRT-MISMATCH"), ("SZ-0001", "rejected", "CRT-DUPLICATE-NO"),
                         ("SZ-0004", "rejected", "CRT-BEFORE-EXAM"), ("SZ-0005", "accepted", "")]

    trainees = {t["id_number"]: t for t in exports.trainees(svc, unmask=True) if t["class_id"] == "A-1"}
    t11 = trainees[p[11]]
    assert (t11["attended_hours"], t11["scheduled_hours"], t11["attendance_ratio"]) == ("40.00", "40.00", "1.0000")
    assert (t11["assessment"], t11["score"], t11["certificate_no"]) == ("passed", "95.00", "SZ-0001")
    assert set(t11["open_holds"].split(";")) == {"ATT-BURST", "ATT-CLONED-PATTERN"}  # the class is held
    assert trainees[p[10]]["attended_hours"] == "8.00" and "ASM-LOW-ATTENDANCE" in trainees[p[10]]["open_holds"]
    # B's uploads completed both patterns: B's side is held, A's side only warned (spec/rules.md)
    assert "ATT-CLASH" not in trainees[both]["open_holds"] and "ENR-OVERLAP" not in trainees[both]["open_holds"]
    at_b = next(t for t in exports.trainees(svc, unmask=True) if t["class_id"] == "B-1" and t["id_number"] == both)
    assert "ATT-CLASH" in at_b["open_holds"] and "ENR-OVERLAP" in at_b["open_holds"]
    assert ghost not in trainees
