"""The nightly re-evaluation of cross-institution rules: new findings opened on every side,
gone ones resolved, auditors' decisions untouched, nothing duplicated night after night."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from infra import db
from tasks.nightly_rules import reevaluate
from tasks.review import review
from tests.integration.world import A, B, World, people, two_institutions


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    return two_institutions(svc)


def test_a_clash_found_at_night_is_recorded_on_both_sides_once_and_holds_only_the_later_uploads_side(w: World) -> None:
    p = people(1)
    w.enrol("A-1", p)
    w.enrol("B-1", p, B)
    with w.svc.engine.begin() as conn:  # as if the upload-time rule had missed it
        conn.execute(delete(db.findings).where(db.findings.c.rule_code == "ENR-OVERLAP"))
    first = reevaluate(w.svc, "night-1")
    assert first.opened["ENR-OVERLAP"] == 2
    assert sorted((f["uscc"], f["class_id"], f["status"]) for f in w.findings("ENR-OVERLAP")) == [
        (A, "A-1", "none"), (B, "B-1", "open")]  # B's upload came last: A's side is a warning (spec/rules.md)
    assert reevaluate(w.svc, "night-2").opened["ENR-OVERLAP"] == 0


def test_a_condition_that_is_gone_resolves_its_hold_but_not_an_auditors_decision(w: World) -> None:
    p = people(1)
    w.enrol("A-1", p)
    w.enrol("B-1", p, B)
    holds = {f["uscc"]: f for f in w.findings("ENR-OVERLAP")}
    review(w.svc, holds[B]["id"], "confirm", "proxy enrolment", "auditor")
    # B's class moves to the evening (a correction made by the bureau): the overlap is gone
    with w.svc.engine.begin() as conn:
        conn.execute(delete(db.sessions).where(db.sessions.c.uscc == B))
    w.schedule("B-1", B, start_time="18:00", end_time="22:00")
    night = reevaluate(w.svc, "night-1")
    assert night.resolved["ENR-OVERLAP"] == 1
    status = {f["uscc"]: f["status"] for f in w.findings("ENR-OVERLAP")}
    assert status == {A: "resolved", B: "confirmed"}
