"""Money through uploads: advances cut to 50 %, differential settlement, recoveries, an append-only,
idempotent ledger that always balances. Amounts are hand-computed from spec/policy.md."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from infra import db
from tasks import exports
from tasks.money import pay_and_settle
from tasks.review import review
from tasks.settle import due_classes, finals_due, settle_class
from tests.conftest import make_services
from tests.integration.guards import refuses_change
from tests.integration.world import EMP, START, A, B, World, people

AFTER = START + timedelta(days=10)  # the last session (START + 4) has passed


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    return world


def run_class(w: World, class_id: str, trainees: list[dict], *, attend: dict[str, int] | None = None,
              uscc: str = A, certificate: dict | None = None, **filing: str) -> None:
    """File, schedule, enrol, attend (5 days unless told), assess (all pass) and certify a class."""
    w.file_class(class_id, uscc, **filing)
    out = w.upload(uscc, "roster", trainees)
    assert out.counts["rejected"] == 0, w.verdicts(out)
    ids = [t["id_number"] for t in trainees]
    attend = attend or {}
    rows = [w.check(class_id, x, day=d, cin=f"08:0{i % 10}:{d:02d}", device=f"{class_id}-{i}")
            for i, x in enumerate(ids) for d in range(attend.get(x, 5))]
    assert w.upload(uscc, "attendance", rows).counts["rejected"] == 0
    exams = [w.exam(class_id, x, score=str(80 + i)) for i, x in enumerate(ids)]
    w.upload(uscc, "assessment", exams)
    certs = [w.cert(f"{class_id}-C{i}", class_id, x, **(certificate or {})) for i, x in enumerate(ids)]
    w.upload(uscc, "certificate", certs)


def claim(w: World, class_id: str, kind: str, amount: str, uscc: str = A) -> dict[int, tuple[str, set[str]]]:
    return w.verdicts(w.upload(uscc, "claim", [{"class_id": class_id, "kind": kind, "amount": amount}]))


def entries(w: World) -> list[tuple[str, str, str, str]]:
    return [(e["class_id"], e["payee"], e["kind"], e["amount_yuan"]) for e in exports.ledger(w.svc, unmask=True)]


def nightly(w: World, day=AFTER):  # noqa: ANN001, ANN201
    run = pay_and_settle(w.svc, day, "nightly-test")
    assert run.unbalanced == []
    return run


def test_suzhou_worked_example_advance_cut_then_differential_settlement(w: World) -> None:
    t = people(4)
    roster = [w.roster_row("S-1", t[0], "13800000000", payer="free"),
              w.roster_row("S-1", t[1], "13800000001", payer="individual"),
              w.roster_row("S-1", t[2], "13800000002", payer="free"),
              w.roster_row("S-1", t[3], "13800000003", payer="free", category="hardship")]
    # the advance is claimed after enrolment: 3 free trainees × 1,500 to the institution = 4,500 projected
    w.file_class("S-1")
    w.upload(A, "roster", roster)
    v = claim(w, "S-1", "advance", "5000")
    assert v[2] == ("accepted", {"ADV-OVER-CAP"})
    assert entries(w) == [("S-1", A, "advance", "2250.00")]
    # t2 attends 3 of 5 days (24 of 40 h < 80 %): ATT-LOW; the rest attend, pass, are certified
    ids = [r["id_number"] for r in roster]
    w.upload(A, "attendance", [w.check("S-1", x, day=d, cin=f"08:0{i}:{d:02d}", device=f"D{i}")
                               for i, x in enumerate(ids) for d in range(3 if x == t[2] else 5)])
    w.upload(A, "assessment", [w.exam("S-1", x, score=str(80 + i)) for i, x in enumerate(ids)])
    w.upload(A, "certificate", [w.cert(f"S-1-{i}", "S-1", x) for i, x in enumerate(ids)])
    # earned: A 1,500 (t0) + 1,500 (t3); t1 1,500 to herself; t3's living allowance 1 month × 1,095 = 5,595
    v = claim(w, "S-1", "final", "6000")
    assert v[2] == ("accepted", {"SET-OVERCLAIM"})
    assert entries(w) == [("S-1", A, "advance", "2250.00")]  # not before the last session has passed
    nightly(w)
    assert sorted(entries(w)) == sorted([("S-1", A, "advance", "2250.00"), ("S-1", A, "settlement", "750.00"),
                                         ("S-1", t[1], "settlement", "1500.00"), ("S-1", t[3], "settlement", "1095.00")])
    assert {(f["id_number"], f["status"]) for f in w.findings("ATT-LOW")} == {(t[2], "open")}
    settled = {s["payee"]: s for s in exports.settlements(w.svc, unmask=True)}
    assert settled[A] == {"uscc": A, "class_id": "S-1", "payee": A, "earned_yuan": "3000.00", "paid_yuan": "3000.00",
                          "due_yuan": "0.00", "status": "settled"}
    masked = {s["payee"] for s in exports.settlements(w.svc)}
    assert t[1] not in masked and A in masked


def test_re_running_settlement_on_unchanged_data_writes_nothing(w: World) -> None:
    run_class(w, "S-1", [w.roster_row("S-1", x, f"1380000000{i}", payer="free") for i, x in enumerate(people(2))])
    claim(w, "S-1", "final", "3000")
    nightly(w)
    before = entries(w)
    assert before == [("S-1", A, "settlement", "3000.00")]
    for _ in range(3):
        nightly(w)
        settle_class(w.svc, A, "S-1", "again")
    assert entries(w) == before


def test_a_claim_upload_asks_of_its_own_classes_what_the_nightly_would_settle(w: World) -> None:
    run_class(w, "S-1", [w.roster_row("S-1", x, f"1380000000{i}", payer="free") for i, x in enumerate(people(2))])
    claim(w, "S-1", "final", "3000")
    asked = [(A, "S-1"), (A, "NO-SUCH-CLASS")]  # a claim upload asks of its classes with a final claim
    for day in (START + timedelta(days=4), AFTER):  # the last session's day, then after it
        _, finals = due_classes(w.svc, day)
        with w.svc.engine.connect() as conn:
            assert finals_due(conn, asked, day) == {k for k in finals if k in asked}
    with w.svc.engine.connect() as conn:
        assert finals_due(conn, asked, AFTER) == {(A, "S-1")} and finals_due(conn, [], AFTER) == set()


def test_a_hold_before_settlement_withholds_then_dismissal_pays_exactly_once(w: World) -> None:
    t = people(2)
    w.file_class("B-1", B, start_time="09:00", end_time="17:00")
    w.enrol("B-1", [t[0]], B)  # t0 is enrolled at B at the same hours: ENR-OVERLAP holds A's t0 too
    run_class(w, "S-1", [w.roster_row("S-1", x, f"1380000000{i}", payer="free") for i, x in enumerate(t)])
    claim(w, "S-1", "final", "3000")
    nightly(w)
    assert entries(w) == [("S-1", A, "settlement", "1500.00")]  # t0's 1,500 waits
    hold = next(f for f in w.findings("ENR-OVERLAP") if f["uscc"] == A)
    review(w.svc, hold["id"], "dismiss", "different person, same name; checked", "auditor")
    nightly(w)
    nightly(w)
    assert entries(w) == [("S-1", A, "settlement", "1500.00"), ("S-1", A, "settlement", "1500.00")]


def test_confirming_fraud_after_payment_writes_exactly_one_recovery(w: World) -> None:
    t = people(2)
    run_class(w, "S-1", [w.roster_row("S-1", x, f"1380000000{i}", payer="free") for i, x in enumerate(t)])
    claim(w, "S-1", "final", "3000")
    nightly(w)
    assert entries(w) == [("S-1", A, "settlement", "3000.00")]
    # later, B enrols t0 at the same hours: B's upload warns A's side (it cannot freeze A's money by itself);
    # an auditor escalates the warning to a hold after the money moved
    w.file_class("B-1", B, start_time="09:00", end_time="17:00")
    w.enrol("B-1", [t[0]], B)
    warning = next(f for f in w.findings("ENR-OVERLAP") if f["uscc"] == A)
    assert warning["effect"] == "warn"
    review(w.svc, warning["id"], "escalate", "the same person at B at the same hours", "auditor")
    nightly(w)
    assert entries(w) == [("S-1", A, "settlement", "3000.00")]  # an open hold moves nothing
    review(w.svc, warning["id"], "confirm", "proxy attendance confirmed on site", "auditor")
    nightly(w)
    nightly(w)
    assert entries(w) == [("S-1", A, "settlement", "3000.00"), ("S-1", A, "recovery", "-1500.00")]
    assert [f["effect"] for f in w.findings("SET-RECOVERY")] == ["warn"]


def test_an_advance_waits_while_the_class_is_held_and_is_paid_once_released(w: World) -> None:
    w.file_class("S-1", start_date=(START - timedelta(days=40)).isoformat(), sessions=0)  # filed late: FIL-LATE holds
    w.upload(A, "roster", [w.roster_row("S-1", x, f"1380000000{i}", payer="free") for i, x in enumerate(people(2))])
    v = claim(w, "S-1", "advance", "1000")
    assert v[2] == ("accepted_flagged", {"ADV-HELD"})
    nightly(w)
    assert entries(w) == []
    review(w.svc, w.findings("FIL-LATE")[0]["id"], "dismiss", "bureau approved the late filing", "auditor")
    nightly(w)
    nightly(w)
    assert entries(w) == [("S-1", A, "advance", "1000.00")]
    assert claim(w, "S-1", "advance", "500")[2] == ("rejected", {"ADV-DUPLICATE"})


def test_an_advance_needs_a_project_class_or_an_enterprise(w: World) -> None:
    w.file_class("S-1", project_based="no", sessions=0)
    w.enrol("S-1", people(1))
    assert claim(w, "S-1", "advance", "100")[2] == ("rejected", {"ADV-NOT-ELIGIBLE"})
    assert entries(w) == []


def test_suzhou_work_as_training_class_pays_the_employer_by_the_month(w: World) -> None:
    w.put("reference/insured/v2.csv", [{"id_number": x, "employer_uscc": EMP} for x in people(1)])
    end = START + timedelta(days=200)  # 2026-12-26 → 2027-07-14: 7 months (14 < 26), at most 6 → 6 × 500 = 3,000
    trainee = w.roster_row("W-1", people(1)[0], category="hardship", employer_uscc=EMP, payer="employer")
    run_class(w, "W-1", [trainee], training_type="work_as_training", end_date=end.isoformat())
    claim(w, "W-1", "final", "3000")
    nightly(w)
    # plus the living allowance for a hardship trainee: all 7 months × 1,095 = 7,665 to the trainee
    assert sorted(entries(w)) == sorted([("W-1", EMP, "settlement", "3000.00"),
                                         ("W-1", trainee["id_number"], "settlement", "7665.00")])


def test_suzhou_skill_upgrade_in_a_shortage_occupation_pays_1_3_times(w: World) -> None:
    x = people(1)[0]
    w.put("reference/insured/v2.csv", [{"id_number": x, "employer_uscc": EMP}])
    trainee = w.roster_row("U-1", x, category="employee", employer_uscc=EMP, payer="individual")
    run_class(w, "U-1", [trainee], training_type="skill_upgrade", level="3", certificate={"level": "3"})
    claim(w, "U-1", "final", "2600")
    nightly(w)
    assert entries(w) == [("U-1", x, "settlement", "2600.00")]  # 2,000 × 1.3, 育婴员 is a shortage occupation


def test_two_settlements_at_the_same_moment_write_each_entry_once(pg_engine) -> None:  # noqa: ANN001
    from infra.objectstore import MemoryStore

    w = World(make_services(pg_engine, MemoryStore()))
    w.registries()
    run_class(w, "S-1", [w.roster_row("S-1", x, f"1380000000{i}", payer="free") for i, x in enumerate(people(3))])
    claim(w, "S-1", "final", "4500")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def settle_now() -> None:
        try:
            barrier.wait()
            settle_class(w.svc, A, "S-1", f"run-{threading.get_ident()}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=settle_now) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert entries(w) == [("S-1", A, "settlement", "4500.00")]


def test_the_ledger_refuses_updates_deletes_and_wrong_signs(w: World) -> None:
    run_class(w, "S-1", [w.roster_row("S-1", people(1)[0], payer="free")])
    claim(w, "S-1", "final", "1500")
    nightly(w)
    for sql in ("UPDATE ledger SET amount_fen = 1", "DELETE FROM ledger"):
        refuses_change(w.svc.engine, sql)
    with pytest.raises(IntegrityError), w.svc.engine.begin() as conn:
        conn.execute(text("INSERT INTO ledger (uscc, class_id, payee, payee_kind, kind, amount_fen, seq, idempotency_key, "
                          "created_at, booked_on, fund) VALUES (:u, 'S-1', :u, 'organisation', 'settlement', -5, 9, 'x', CURRENT_TIMESTAMP, "
                          "CURRENT_DATE, '职业技能提升行动专账')"),
                     {"u": A})


def test_the_settlement_gate_catches_money_written_outside_the_rules(w: World) -> None:
    run_class(w, "S-1", [w.roster_row("S-1", people(1)[0], payer="free")])
    claim(w, "S-1", "final", "1500")
    nightly(w)
    with w.svc.engine.begin() as conn:  # an entry no settlement computed
        conn.execute(text("INSERT INTO ledger (uscc, class_id, payee, payee_kind, kind, amount_fen, seq, idempotency_key, "
                          "created_at, booked_on, fund) VALUES (:u, 'S-1', :u, 'organisation', 'settlement', 100, 9, 'rogue', CURRENT_TIMESTAMP, "
                          "CURRENT_DATE, '职业技能提升行动专账')"),
                     {"u": A})
    broken = w.svc.gate().ledger_balances()
    assert [(b["class_id"], b["earned_fen"], b["paid_fen"]) for b in broken] == [("S-1", 150000, 150100)]


def test_every_settled_class_balances(w: World) -> None:
    run_class(w, "S-1", [w.roster_row("S-1", x, f"1380000000{i}", payer=p) for i, (x, p) in
                         enumerate(zip(people(3), ["free", "individual", "free"], strict=True))])
    claim(w, "S-1", "advance", "900")
    claim(w, "S-1", "final", "4500")
    nightly(w)
    with w.svc.engine.connect() as conn:
        earned = dict(conn.execute(select(db.earned.c.payee, db.earned.c.earned_fen)).all())
        paid = dict(conn.execute(text("SELECT payee, SUM(amount_fen) FROM ledger GROUP BY payee")).all())
    assert earned == {k: int(v) for k, v in paid.items()}
    assert sum(earned.values()) == 450000
