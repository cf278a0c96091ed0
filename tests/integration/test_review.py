"""Auditors decide holds: the decision is in the audit log, final, and releases exactly what it names."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from infra import db
from tasks import exports
from tasks.review import ReviewRefused, review
from tests.integration.guards import refuses_change
from tests.integration.world import A, World, people


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    world.file_class("A-1")
    return world


@pytest.fixture
def shared_phone(w: World) -> list[str]:
    p = people(4)
    w.upload(A, "roster", [w.roster_row("A-1", x, "13912345678" if i < 3 else "13800000009") for i, x in enumerate(p)])
    return p


def _trainees(w: World) -> dict[str, dict]:
    return {t["id_number"]: t for t in exports.trainees(w.svc, unmask=True)}


def test_dismissing_a_hold_releases_exactly_that_trainee(w: World, shared_phone: list[str]) -> None:
    holds = w.findings("ENR-SHARED-PHONE")
    assert len(holds) == 3
    target = next(f for f in holds if f["id_number"] == shared_phone[0])
    review(w.svc, target["id"], "dismiss", "same family, checked by phone call", "审计员 王")
    t = _trainees(w)
    assert t[shared_phone[0]]["open_holds"] == "" and t[shared_phone[0]]["enrolment_verdict"] == "accepted"
    assert t[shared_phone[1]]["open_holds"] == "ENR-SHARED-PHONE"
    assert t[shared_phone[2]]["open_holds"] == "ENR-SHARED-PHONE"
    assert t[shared_phone[3]]["open_holds"] == ""
    [entry] = w.svc.engine.connect().execute(select(db.audit_log)).mappings().all()
    assert (entry["actor"], entry["action"], entry["subject"]) == ("审计员 王", "review.dismiss", f"finding:{target['id']}")
    assert json.loads(entry["detail"])["reason"] == "same family, checked by phone call"


def test_confirming_a_hold_keeps_the_trainee_excluded(w: World, shared_phone: list[str]) -> None:
    target = w.findings("ENR-SHARED-PHONE")[0]
    review(w.svc, target["id"], "confirm", "forged roster", "auditor")
    t = _trainees(w)[target["id_number"]]
    assert t["open_holds"] == "" and t["exclusions"] == "ENR-SHARED-PHONE"
    assert [f["status"] for f in w.findings("ENR-SHARED-PHONE") if f["id"] == target["id"]] == ["confirmed"]


def test_a_decision_cannot_be_changed_by_another_review(w: World, shared_phone: list[str]) -> None:
    target = w.findings("ENR-SHARED-PHONE")[0]
    review(w.svc, target["id"], "confirm", "forged", "auditor a")
    with pytest.raises(ReviewRefused, match="already confirmed"):
        review(w.svc, target["id"], "dismiss", "changed my mind", "auditor b")
    assert w.count(db.audit_log) == 2  # the confirmation, and the downgrade it caused (issue 12.6); no dismissal


def test_only_holds_can_be_reviewed_and_a_reason_is_required(w: World, shared_phone: list[str]) -> None:
    w.upload(A, "roster", [w.roster_row("A-404", people(1, offset=700)[0])])
    reject = w.findings("ROW-UNKNOWN-CLASS")[0]
    with pytest.raises(ReviewRefused, match="holds nothing"):
        review(w.svc, reject["id"], "dismiss", "x", "auditor")
    with pytest.raises(ReviewRefused, match="reason"):
        review(w.svc, w.findings("ENR-SHARED-PHONE")[0]["id"], "dismiss", "  ", "auditor")


def test_the_audit_log_refuses_updates_and_deletes_in_the_database(w: World, shared_phone: list[str]) -> None:
    review(w.svc, w.findings("ENR-SHARED-PHONE")[0]["id"], "confirm", "forged", "auditor")
    for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        refuses_change(w.svc.engine, sql)
    assert w.svc.engine.connect().execute(select(db.audit_log.c.actor).where(
        db.audit_log.c.action == "review.confirm")).scalar_one() == "auditor"


def test_a_class_hold_shows_on_every_trainee_of_the_class(w: World) -> None:
    w.file_class("A-2", capacity="1", sessions=0)
    p = people(2)
    w.upload(A, "roster", [w.roster_row("A-2", x, f"1380000000{i}") for i, x in enumerate(p)])
    t = _trainees(w)
    assert t[p[0]]["open_holds"] == t[p[1]]["open_holds"] == "ENR-OVER-CAPACITY"
    review(w.svc, w.findings("ENR-OVER-CAPACITY")[0]["id"], "dismiss", "capacity raised by the bureau", "auditor")
    t = _trainees(w)
    assert t[p[0]]["open_holds"] == t[p[1]]["open_holds"] == ""


def test_export_trainees_masks_ids_unless_asked(w: World, shared_phone: list[str]) -> None:
    masked = exports.trainees(w.svc)
    assert all("********" in t["id_number"] for t in masked)
    assert set(exports.TRAINEE_COLUMNS) == set(masked[0])
