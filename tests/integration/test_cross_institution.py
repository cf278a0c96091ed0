"""One institution cannot freeze another's money (spec/rules.md, issue 13 point 4): a cross-institution
rule holds only the side whose upload completed the pattern, warns the other side (an auditor may escalate),
holds both when the same two institutions meet again and again, and never names the other side in a reason."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from infra import db
from tasks import exports
from tasks.review import ReviewRefused, review
from tests.integration.world import EMP, INSURED, A, B, World, people, two_institutions


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    return two_institutions(svc)


def sides(w: World, code: str = "ENR-OVERLAP") -> dict[tuple[str, str], tuple[str, str]]:
    """(uscc, id_number) → (effect, status) of the rule's findings."""
    return {(f["uscc"], f["id_number"]): (f["effect"], f["status"]) for f in w.findings(code)}


def holds(w: World) -> dict[tuple[str, str], str]:
    return {(t["uscc"], t["id_number"]): t["open_holds"] for t in exports.trainees(w.svc, unmask=True)}


def test_a_roster_naming_another_institutions_trainee_holds_only_the_uploaders_row(w: World) -> None:
    p = people(1)[0]
    w.enrol("B-1", [p], B)
    out = w.upload(A, "roster", [w.roster_row("A-1", p)])
    assert w.verdicts(out)[2] == ("accepted_flagged", {"ENR-OVERLAP"})
    assert sides(w) == {(A, p): ("hold_trainee", "open"), (B, p): ("warn", "none")}
    assert holds(w) == {(A, p): "ENR-OVERLAP", (B, p): ""}  # B's money moves on


def test_a_reason_never_names_the_other_institutions_class_or_an_employer(w: World) -> None:
    p = people(1)[0]
    w.enrol("B-1", [p], B)
    result, _ = w.outbox(w.upload(A, "roster", [w.roster_row("A-1", p), w.roster_row("A-1", INSURED, "13900000001",
                                                                                    category="unemployed")]))
    assert "B-1" not in result and B not in result and EMP not in result
    assert "also enrolled in an overlapping class of another institution" in result
    assert "同时参加另一机构时段重叠的班级" in result
    assert "insured by another employer" in result and "由其他单位参保" in result


def test_an_auditor_may_escalate_the_other_side_to_a_hold_and_the_escalation_is_logged(w: World) -> None:
    p = people(1)[0]
    w.enrol("B-1", [p], B)
    w.enrol("A-1", [p])
    [warning] = [f for f in w.findings("ENR-OVERLAP") if f["uscc"] == B]
    done = review(w.svc, warning["id"], "escalate", "B's register shows the same person in both", "审计员 王")
    assert (done["effect"], done["status"]) == ("hold_trainee", "open")
    assert holds(w)[(B, p)] == "ENR-OVERLAP"
    with w.svc.engine.connect() as conn:
        [entry] = conn.execute(select(db.audit_log).where(db.audit_log.c.action == "review.escalate")).mappings().all()
    assert entry["subject"] == f"finding:{warning['id']}" and json.loads(entry["detail"])["effect"] == "hold_trainee"
    with pytest.raises(ReviewRefused, match="nothing to escalate"):
        review(w.svc, warning["id"], "escalate", "again", "审计员 王")  # now an open hold: confirm or dismiss it


def test_the_same_two_institutions_meeting_a_third_time_are_both_held(w: World) -> None:
    p1, p2, p3 = people(3)
    w.enrol("B-1", [p1], B)
    w.enrol("A-1", [p1])  # meeting 1, completed by A
    w.enrol("A-1", [p2])
    w.enrol("B-1", [p2], B)  # meeting 2, completed by B
    assert sides(w)[(B, p1)] == ("warn", "none") and sides(w)[(A, p2)] == ("warn", "none")
    w.enrol("B-1", [p3], B)
    w.enrol("A-1", [p3])  # meeting 3: collusion, not accident
    assert sides(w)[(A, p3)] == sides(w)[(B, p3)] == ("hold_trainee", "open")


def test_one_institution_repeating_the_pattern_alone_never_freezes_the_other(w: World) -> None:
    others = people(4)
    w.enrol("B-1", others, B)
    for p in others:
        w.upload(A, "roster", [w.roster_row("A-1", p)])
    assert all(sides(w)[(B, p)] == ("warn", "none") for p in others)
    assert all(holds(w)[(B, p)] == "" for p in others)


def test_within_one_institution_every_party_is_held(w: World) -> None:
    w.file_class("A-2", start_time="09:00", end_time="17:00")
    p = people(1)[0]
    w.enrol("A-1", [p])
    w.enrol("A-2", [p])
    assert {f["class_id"]: (f["effect"], f["status"]) for f in w.findings("ENR-OVERLAP")} == {
        "A-1": ("hold_trainee", "open"), "A-2": ("hold_trainee", "open")}
