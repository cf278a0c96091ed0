"""Worked examples for 山西, 韶关 and 苏州 自主评价, uploads to ledger, with numbers computed by hand from spec/policy.md."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from infra import db
from infra.objectstore import MemoryStore
from tests.conftest import make_services
from tests.integration.test_money import AFTER, claim, entries, nightly
from tests.integration.world import ASSESSOR, EMP, START, A, World, people


def region(engine, policy: str) -> World:  # noqa: ANN001
    w = World(make_services(engine, MemoryStore(), policy=policy))
    w.registries()
    return w


def test_shanxi_catalogue_cap_certificate_subsidy_and_15_yuan_a_day(engine) -> None:  # noqa: ANN001
    w = region(engine, "shanxi")
    x = people(3)
    w.file_class("X-1")  # employment, 育婴员 level 5; catalogue 1,500 → capped at 1,000 for 山西
    w.upload(A, "roster", [w.roster_row("X-1", x[0], "13800000000", payer="free", category="poverty"),
                           w.roster_row("X-1", x[1], "13800000001", payer="individual"),
                           w.roster_row("X-1", x[2], "13800000002", payer="employer", category="employee",
                                        employer_uscc=EMP)])
    # projected for A: x0's 1,000 + 300 certificate subsidy; x1 pays herself, x2's employer is paid: 1,300 → cap 650
    assert claim(w, "X-1", "advance", "650")[2] == ("accepted", set())
    w.upload(A, "attendance", [w.check("X-1", p, day=d, cin=f"08:0{i}:{d:02d}", device=f"D{i}")
                               for i, p in enumerate(x) for d in range(5)])
    w.upload(A, "assessment", [w.exam("X-1", p) for p in x])
    w.upload(A, "certificate", [w.cert(f"SX-{i}", "X-1", p) for i, p in enumerate(x)])
    claim(w, "X-1", "final", "4000")
    nightly(w)
    assert sorted(entries(w)) == sorted([
        ("X-1", A, "advance", "650.00"),
        ("X-1", A, "settlement", "650.00"),  # 1,000 + 300 − 650 advanced
        ("X-1", x[0], "settlement", "75.00"),  # living allowance: 5 training days × 15
        ("X-1", x[1], "settlement", "1000.00"),
        ("X-1", EMP, "settlement", "1300.00"),  # 1,000 + 300: the employer organised free certification
    ])


def test_shaoguan_counts_online_hours_and_recovers_an_advance_the_class_did_not_earn(engine) -> None:  # noqa: ANN001
    w = region(engine, "shaoguan")
    x = people(3)
    w.file_class("G-1", sessions=0)
    w.upload(A, "schedule", [{"class_id": "G-1", "session_date": (START + timedelta(days=d)).isoformat(), "start_time": "08:00",
                              "end_time": "16:00", "mode": "offline" if d < 3 else "online"} for d in range(5)])
    w.upload(A, "roster", [w.roster_row("G-1", p, f"1380000000{i}", payer="free") for i, p in enumerate(x)])
    assert claim(w, "G-1", "advance", "3000")[2] == ("accepted", {"ADV-OVER-CAP"})  # 3 × 1,500 → cap 2,250
    w.upload(A, "attendance", [w.check("G-1", p, day=d, cin=f"08:0{i}:{d:02d}", device=f"D{i}",
                                       method="face" if d < 3 else "online") for i, p in enumerate(x) for d in range(5)])
    w.upload(A, "assessment", [w.exam("G-1", x[0]), w.exam("G-1", x[1], score="40", passed="否"),
                               w.exam("G-1", x[2], score="30", passed="否")])
    claim(w, "G-1", "final", "1500")
    nightly(w)
    assert entries(w) == [("G-1", A, "advance", "2250.00"), ("G-1", A, "recovery", "-750.00")]
    trainee = {t["id_number"]: t for t in __import__("tasks.exports", fromlist=["x"]).trainees(w.svc, unmask=True)}[x[0]]
    assert (trainee["attended_hours"], trainee["sessions_attended"]) == ("40.00", 5)  # 2 of 5 sessions online
    assert [f["effect"] for f in w.findings("SET-RECOVERY")] == ["warn"]
    nightly(w, AFTER + timedelta(days=1))
    assert len(entries(w)) == 2


@pytest.mark.parametrize("policy", ["suzhou", "shanxi", "shaoguan"])
def test_each_region_settles_a_plain_class_by_its_own_table(engine, policy: str) -> None:  # noqa: ANN001
    w = region(engine, policy)
    x = people(1)[0]
    w.file_class("P-1")
    w.upload(A, "roster", [w.roster_row("P-1", x, payer="free")])
    w.upload(A, "attendance", [w.check("P-1", x, day=d) for d in range(5)])
    w.upload(A, "assessment", [w.exam("P-1", x)])
    w.upload(A, "certificate", [w.cert("P-1-0", "P-1", x)])
    claim(w, "P-1", "final", "1")
    nightly(w)
    expected = {"suzhou": "1500.00", "shanxi": "1300.00", "shaoguan": "1500.00"}[policy]  # 山西: 1,000 cap + 300 取证
    assert entries(w) == [("P-1", A, "settlement", expected)]


def test_suzhou_self_evaluating_employer_is_paid_its_employees_skill_upgrade_at_the_shortage_rate(engine) -> None:  # noqa: ANN001
    w = region(engine, "suzhou")
    x, y = people(2)
    w.put("reference/institutions/v2.csv", [
        {"uscc": EMP, "name": "企业", "kind": "enterprise", "qualified_occupations": "*", "rating": "A", "blacklisted": "否",
         "self_evaluation": "是"},
        {"uscc": A, "name": "A 学校", "kind": "school", "qualified_occupations": "*", "rating": "A", "blacklisted": "否",
         "self_evaluation": "否"},
        {"uscc": ASSESSOR, "name": "评价中心", "kind": "assessor", "qualified_occupations": "*", "rating": "A",
         "blacklisted": "否"}])
    w.put("reference/occupations/v2.csv", [{"occupation_code": "4-10-01-02", "occupation_name": "育婴员", "shortage": "no"}])
    w.put("reference/insured/v2.csv", [{"id_number": p, "employer_uscc": EMP} for p in (x, y)])
    w.file_class("U-1", training_type="skill_upgrade", level="3")
    w.upload(A, "roster", [w.roster_row("U-1", p, f"1380000000{i}", category="employee", employer_uscc=EMP)
                           for i, p in enumerate((x, y))])
    w.upload(A, "attendance", [w.check("U-1", p, day=d, cin=f"08:0{i}:{d:02d}", device=f"D{i}")
                               for i, p in enumerate((x, y)) for d in range(5)])
    # x is assessed by the employer itself (自主评价), y by the school: only x's subsidy goes to the employer
    w.upload(A, "assessment", [w.exam("U-1", x, assessor=EMP), w.exam("U-1", y, score="81", assessor=ASSESSOR)])
    w.upload(A, "certificate", [w.cert(f"U-{i}", "U-1", p, level="3") for i, p in enumerate((x, y))])
    claim(w, "U-1", "final", "4600")
    nightly(w)
    # 高级工: 2,000 × 1.3 to the enterprise even though 育婴员 is no shortage occupation here; y gets her own 2,000
    assert sorted(entries(w)) == sorted([("U-1", EMP, "settlement", "2600.00"), ("U-1", y, "settlement", "2000.00")])
    with w.svc.engine.connect() as conn:
        why = dict(conn.execute(select(db.trainee_amounts.c.id_number, db.trainee_amounts.c.clause)).all())
    assert why == {x: "苏州 (四)6 技能人才自主评价", y: "苏州 (四)4 参保职工技能提升补贴"}
