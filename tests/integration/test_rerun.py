"""Auditor re-runs: today's policy applied to stored data, exactly the affected trainees reported,
a dry run changes nothing but the audit log, and a re-run never pays twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from infra import db
from infra.samples import person
from tasks.rerun import RerunRefused, rerun
from tests.integration.test_money import claim, entries, nightly, run_class
from tests.integration.world import A, World, people

TABLES = [t for t in db.metadata.sorted_tables if t.name != "audit_log"]


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    x = people(3)
    # x2 attends 4 of 5 days: 32 of 40 h = exactly 80 %, eligible today
    run_class(world, "S-1", [world.roster_row("S-1", p, f"1380000000{i}", payer="free") for i, p in enumerate(x)],
              attend={x[2]: 4})
    run_class(world, "S-2", [world.roster_row("S-2", p, f"1390000000{i}", payer="free") for i, p in enumerate(people(1, 300))],
              )
    claim(world, "S-1", "final", "4500")
    claim(world, "S-2", "final", "1500")
    nightly(world)
    world.x = x  # type: ignore[attr-defined]
    return world


def raise_minimum(w: World, ratio: str) -> None:
    p = w.svc.policy
    w.svc.policy = p.model_copy(update={"settings": p.settings.model_copy(update={"min_attendance_ratio": Decimal(ratio)})})


def snapshot(w: World) -> dict[str, int]:
    with w.svc.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES} | {
            "findings_open": conn.execute(select(func.count()).select_from(db.findings).where(
                db.findings.c.status == "open")).scalar_one()}


def test_a_stricter_minimum_reports_exactly_the_affected_trainee(w: World) -> None:
    raise_minimum(w, "0.90")
    changes = rerun(w.svc, "settlement", f"{A}/S-1", None, None, None, dry_run=False, auditor="审计员", reason="policy 90 %",
                    run_id="rerun-1").amounts
    trainees = [(c.id_number, c.before_fen, c.after_fen, c.exclusions_after) for c in changes if c.id_number]
    assert trainees == [(w.x[2], 150000, 0, ("ATT-LOW",))]  # type: ignore[attr-defined]
    assert [(c.payee, c.entries) for c in changes if c.payee] == [(A, [("recovery", -150000)])]
    assert entries(w)[-1] == ("S-1", A, "recovery", "-1500.00")
    again = rerun(w.svc, "settlement", f"{A}/S-1", None, None, None, dry_run=False, auditor="审计员", reason="again",
                  run_id="rerun-2")
    assert again.amounts == [] and again.rows == []  # a re-run never pays (or recovers) twice


def test_a_dry_run_changes_nothing_but_the_audit_log(w: World) -> None:
    raise_minimum(w, "0.90")
    before = snapshot(w)
    report = rerun(w.svc, "all", None, A, None, None, dry_run=True, auditor="审计员", reason="what if 90 %",
                   run_id="dry-1")
    assert [c.id_number for c in report.amounts if c.id_number] == [w.x[2]]  # type: ignore[attr-defined]
    # the assessment gate now holds the pass at 80 % attendance; the dry run only reports it
    assert [(c.stage, c.id_number, c.added) for c in report.rows] == [
        ("assessment", w.x[2], ("ASM-LOW-ATTENDANCE",))]  # type: ignore[attr-defined]
    assert snapshot(w) == before
    with w.svc.engine.connect() as conn:
        log = conn.execute(select(db.audit_log.c.actor, db.audit_log.c.action)).all()
    assert log == [("审计员", "rerun.dry_run")]


def test_a_rerun_names_its_auditor_and_a_selection(w: World) -> None:
    with pytest.raises(RerunRefused, match="auditor"):
        rerun(w.svc, "settlement", f"{A}/S-1", None, None, None, dry_run=True, auditor="", reason="x", run_id="r")
    with pytest.raises(RerunRefused, match="name a class"):
        rerun(w.svc, "settlement", None, None, None, None, dry_run=True, auditor="a", reason="x", run_id="r")


def test_a_rerun_of_every_stage_under_unchanged_rules_changes_nothing(w: World) -> None:
    before = snapshot(w)
    report = rerun(w.svc, "all", None, A, None, None, dry_run=False, auditor="审计员", reason="nothing changed",
                   run_id="same-1")
    assert (report.rows, report.amounts) == ([], [])
    # filing + 5-session schedule for S-1 and S-2; 3 + 1 trainees enrolled, attending, assessed, certified
    assert report.rows_checked == {"filing": 2 + 10, "enrollment": 4, "attendance": 14 + 5, "assessment": 4,
                                   "certificate": 4}
    assert snapshot(w) == before


def test_an_unknown_stage_is_refused_with_the_stages_named(w: World) -> None:
    with pytest.raises(RerunRefused, match="filing, enrollment"):
        rerun(w.svc, "enrolment", f"{A}/S-1", None, None, None, dry_run=True, auditor="a", reason="x", run_id="r")


def lower_max_age(w: World, age: int) -> None:
    p = w.svc.policy
    w.svc.policy = p.model_copy(update={"settings": p.settings.model_copy(update={"max_age": age})})


def enrolled(w: World, class_id: str) -> set[str]:
    e = db.enrolments
    with w.svc.engine.connect() as conn:
        return set(conn.execute(select(e.c.id_number).where(e.c.class_id == class_id)).scalars())


def test_a_lower_age_limit_rejects_exactly_the_trainee_over_it_and_a_dry_run_only_reports(w: World) -> None:
    ages = [person(400, date(1990, 6, 1)), person(401, date(1985, 6, 1)), person(402, date(1979, 6, 1))]  # 36, 41, 47
    run_class(w, "S-3", [w.roster_row("S-3", p, f"1370000000{i}", payer="free") for i, p in enumerate(ages)])
    lower_max_age(w, 45)
    before = snapshot(w)
    dry = rerun(w.svc, "enrollment", f"{A}/S-3", None, None, None, dry_run=True, auditor="审计员", reason="what if 45",
                run_id="dry-age")
    assert [(c.id_number, c.before, c.after, c.added) for c in dry.rows] == [
        (ages[2], "accepted", "rejected", ("ENR-AGE",))]
    assert snapshot(w) == before

    real = rerun(w.svc, "enrollment", f"{A}/S-3", None, None, None, dry_run=False, auditor="审计员", reason="age 45",
                 run_id="rerun-age")
    assert real.rows == dry.rows
    assert enrolled(w, "S-3") == set(ages[:2])  # S-1 and S-2 were not in the selection
    assert [(f["id_number"], f["run_id"]) for f in w.findings("ENR-AGE")] == [(ages[2], "rerun-age")]
    roster = [o.key for o in w.svc.store.list("outbox/") if "roster" in o.key and o.key.endswith(".result.csv")]
    answers = "\n".join(w.svc.store.get(k).decode("utf-8-sig") for k in roster)
    assert "ENR-AGE" in answers  # the institution sees the new verdict
    assert rerun(w.svc, "enrollment", f"{A}/S-3", None, None, None, dry_run=False, auditor="审计员", reason="again",
                 run_id="rerun-age-2").rows == []

    lower_max_age(w, 60)  # the old limit: the row comes back and the finding is resolved
    back = rerun(w.svc, "enrollment", f"{A}/S-3", None, None, None, dry_run=False, auditor="审计员", reason="back to 60",
                 run_id="rerun-age-3")
    assert [(c.id_number, c.after, c.removed) for c in back.rows] == [(ages[2], "accepted", ("ENR-AGE",))]
    assert enrolled(w, "S-3") == set(ages)
    assert [f["status"] for f in w.findings("ENR-AGE")] == ["resolved"]
