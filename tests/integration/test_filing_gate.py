"""Filing gate (filing and schedule uploads): each FIL-* rule planted, and a clean row left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from infra import db
from tests.integration.world import START, TEACHER, TODAY, A, B, C, D, World


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    return world


def test_a_clean_class_is_accepted_without_any_code(w: World) -> None:
    out = w.upload(A, "filing", [w.class_row("A-1", A)])
    assert w.verdicts(out) == {2: ("accepted", set())}
    assert w.count(db.classes) == 1


def test_an_institution_not_in_the_registry_cannot_file(w: World) -> None:
    out = w.upload(D, "filing", [w.class_row("D-1", D)])
    assert w.verdicts(out)[2] == ("rejected", {"FIL-INST-UNKNOWN"})


def test_a_blacklisted_institution_cannot_file(w: World) -> None:
    out = w.upload(C, "filing", [w.class_row("C-1", C)])
    assert w.verdicts(out)[2] == ("rejected", {"FIL-INST-BLACKLISTED"})
    assert w.count(db.classes) == 0


def test_an_institution_files_only_occupations_it_is_qualified_for(w: World) -> None:
    out = w.upload(B, "filing", [w.class_row("B-1", B), w.class_row("B-2", B, occupation_code="6-18-01-01", occupation_name="焊工")])
    v = w.verdicts(out)
    assert v[2] == ("accepted", set())
    assert v[3][0] == "rejected" and "FIL-INST-UNQUALIFIED" in v[3][1]


@pytest.mark.parametrize(("over", "bad"), [
    ({"end_date": (START - timedelta(days=1)).isoformat()}, True),
    ({"end_date": START.isoformat(), "planned_hours": "11"}, True),
    ({"end_date": START.isoformat(), "planned_hours": "10"}, False),
])
def test_dates_and_planned_hours_must_be_possible(w: World, over: dict, bad: bool) -> None:
    out = w.upload(A, "filing", [w.class_row("A-1", A, **over)])
    assert ("FIL-DATES" in w.codes(out)) is bad


def test_filing_after_the_class_started_holds_the_class(w: World) -> None:
    late = w.class_row("A-1", A, start_date=(TODAY - timedelta(days=1)).isoformat())
    on_time = w.class_row("A-2", A, start_date=TODAY.isoformat())
    v = w.verdicts(w.upload(A, "filing", [late, on_time]))
    assert v[2] == ("accepted_flagged", {"FIL-LATE"})
    assert v[3] == ("accepted", set())
    [f] = w.findings("FIL-LATE")
    assert (f["class_id"], f["effect"], f["status"]) == ("A-1", "hold_class", "open")


def test_a_class_without_any_subsidy_standard_is_warned_about(w: World) -> None:
    none = w.class_row("A-1", A, training_type="entrepreneurship")
    catalogue = w.class_row("A-2", A)
    policy = w.class_row("A-3", A, training_type="pre_job")
    v = w.verdicts(w.upload(A, "filing", [none, catalogue, policy]))
    assert v[2] == ("accepted", {"FIL-NO-STANDARD"})
    assert v[3] == v[4] == ("accepted", set())


def test_a_file_naming_another_institution_is_rejected_whole(w: World) -> None:
    out = w.upload(A, "filing", [w.class_row("A-1", A), w.class_row("X-1", B)])
    assert out.status == "rejected"
    assert {v for v, _ in w.verdicts(out).values()} == {"rejected"}
    assert w.count(db.classes) == 0
    [f] = w.findings("SEC-FOREIGN-INSTITUTION")
    assert f["uscc"] == A and f["effect"] == "reject_file"


def test_unparseable_or_missing_cells_reject_the_row(w: World) -> None:
    out = w.upload(A, "filing", [w.class_row("A-1", A, start_date="next monday"), w.class_row("A-2", A, venue=""),
                                 w.class_row("A-3", A)])
    v = w.verdicts(out)
    assert v[2] == ("rejected", {"ROW-FORMAT"}) and v[3] == ("rejected", {"ROW-FORMAT"})
    assert v[4] == ("accepted", set())


def test_schedule_rows_for_unfiled_classes_are_rejected(w: World) -> None:
    w.file_class("A-1", sessions=0)
    out = w.upload(A, "schedule", [
        {"class_id": "A-1", "session_date": START.isoformat(), "start_time": "08:00", "end_time": "16:00", "mode": "offline"},
        {"class_id": "A-9", "session_date": START.isoformat(), "start_time": "08:00", "end_time": "16:00", "mode": "offline"}])
    v = w.verdicts(out)
    assert v[2][1] == {"FIL-HOURS-MISMATCH"} or v[2][1] == set()
    assert v[3] == ("rejected", {"ROW-UNKNOWN-CLASS"})


def test_a_class_filed_by_another_institution_is_unknown_under_ours(w: World) -> None:
    w.file_class("B-1", B, sessions=0)
    out = w.schedule("B-1", A)
    assert all(v == ("rejected", {"ROW-UNKNOWN-CLASS"}) for v in w.verdicts(out).values())


def test_scheduled_hours_must_match_planned_hours(w: World) -> None:
    w.file_class("A-1", sessions=0)
    w.file_class("A-2", sessions=0)
    short = w.schedule("A-1", sessions=2)  # 16 h of 40
    exact = w.schedule("A-2", sessions=5)  # 40 h
    assert all(v == ("accepted_flagged", {"FIL-HOURS-MISMATCH"}) for v in w.verdicts(short).values())
    assert all(v == ("accepted", set()) for v in w.verdicts(exact).values())
    assert [f["class_id"] for f in w.findings("FIL-HOURS-MISMATCH")] == ["A-1"]


def test_a_session_outside_the_class_dates_holds_the_class(w: World) -> None:
    w.file_class("A-1", sessions=0, planned_hours="8")
    out = w.upload(A, "schedule", [{"class_id": "A-1", "session_date": (START - timedelta(days=1)).isoformat(),
                                    "start_time": "08:00", "end_time": "16:00", "mode": "线下"}])
    assert w.verdicts(out)[2] == ("accepted_flagged", {"FIL-HOURS-MISMATCH"})


def test_one_teacher_in_two_places_at_once_holds_the_later_uploads_class_and_warns_the_other(w: World) -> None:
    w.file_class("A-1", A, teacher_id=TEACHER)
    w.file_class("B-1", B, sessions=0, teacher_id=TEACHER)
    out = w.schedule("B-1", B, start_time="09:00", end_time="17:00")
    assert all(v == ("accepted_flagged", {"FIL-TEACHER-CLASH"}) for v in w.verdicts(out).values())
    assert sorted((f["uscc"], f["class_id"], f["effect"]) for f in w.findings("FIL-TEACHER-CLASH")) == sorted(
        [(A, "A-1", "warn"), (B, "B-1", "hold_class")])


def test_one_teacher_at_different_hours_is_no_clash(w: World) -> None:
    w.file_class("A-1", A, teacher_id=TEACHER, start_time="08:00", end_time="12:00", planned_hours="20")
    w.file_class("B-1", B, sessions=0, teacher_id=TEACHER, planned_hours="20")
    out = w.schedule("B-1", B, start_time="13:00", end_time="17:00")
    assert all(v == ("accepted", set()) for v in w.verdicts(out).values())


def test_two_institutions_in_one_venue_at_once_is_a_warning(w: World) -> None:
    w.file_class("A-1", A, venue="吴中区东吴北路1号")
    w.file_class("B-1", B, sessions=0, venue="吴中区东吴北路1号")
    clash = w.schedule("B-1", B, start_time="09:00", end_time="17:00")
    assert all(v == ("accepted", {"FIL-VENUE-CLASH"}) for v in w.verdicts(clash).values())
    assert {f["uscc"] for f in w.findings("FIL-VENUE-CLASH")} == {A, B}


def test_one_venue_at_different_hours_is_fine(w: World) -> None:
    w.file_class("A-1", A, venue="吴中区东吴北路1号", start_time="08:00", end_time="12:00", planned_hours="20")
    w.file_class("B-1", B, sessions=0, venue="吴中区东吴北路1号", planned_hours="20")
    out = w.schedule("B-1", B, start_time="12:00", end_time="16:00")
    assert all(v == ("accepted", set()) for v in w.verdicts(out).values())
