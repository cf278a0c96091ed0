"""Enrollment gate (roster uploads): each ENR-* rule planted, and a clean row left alone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from infra import db
from infra.samples import person
from tests.integration.world import EMP, INSURED, LOW_INCOME, PENSIONER, START, A, B, World, people


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    world.file_class("A-1")
    return world


def roster(w: World, *rows: dict, uscc: str = A) -> dict[int, tuple[str, set[str]]]:
    return w.verdicts(w.upload(uscc, "roster", list(rows)))


def test_a_clean_roster_is_accepted_and_enrolled(w: World) -> None:
    p = people(2)
    v = roster(w, w.roster_row("A-1", p[0], "13800000001"), w.roster_row("A-1", p[1], "13800000002"))
    assert v == {2: ("accepted", set()), 3: ("accepted", set())}
    assert w.count(db.enrolments) == 2


def test_an_id_number_failing_gb11643_is_rejected(w: World) -> None:
    good = people(1)[0]
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    v = roster(w, w.roster_row("A-1", bad, "13800000001"), w.roster_row("A-1", good, "13800000002"))
    assert v[2] == ("rejected", {"ENR-ID-INVALID"})
    assert v[3] == ("accepted", set())


@pytest.mark.parametrize(("born", "bad"), [
    (START - timedelta(days=365 * 16 - 2), True),   # 15 at class start
    (date(START.year - 16, START.month, START.day), False),  # 16 that day
    (date(START.year - 61, START.month, START.day), True),  # 61
    (date(START.year - 61, START.month, START.day) + timedelta(days=1), False),  # 60 and 364 days
])
def test_age_at_class_start_must_be_16_to_60(w: World, born: date, bad: bool) -> None:
    v = roster(w, w.roster_row("A-1", person(5, born)))
    assert (v[2] == ("rejected", {"ENR-AGE"})) is bad
    assert (v[2] == ("accepted", set())) is not bad


def test_a_pensioner_is_enrolled_but_excluded(w: World) -> None:
    v = roster(w, w.roster_row("A-1", PENSIONER, "13800000001"), w.roster_row("A-1", people(1)[0], "13800000002"))
    assert v[2] == ("accepted_flagged", {"ENR-PENSIONER"})
    assert v[3] == ("accepted", set())
    [f] = w.findings("ENR-PENSIONER")
    assert (f["effect"], f["status"], f["id_number"]) == ("exclude", "open", PENSIONER)


def test_the_same_person_twice_in_one_roster_keeps_the_first(w: World) -> None:
    p = people(1)[0]
    v = roster(w, w.roster_row("A-1", p), w.roster_row("A-1", p.lower()))
    assert v[2] == ("accepted", set())
    assert v[3] == ("rejected", {"ENR-DUPLICATE"})
    assert w.count(db.enrolments) == 1


def test_declared_unemployed_but_insured_by_an_employer_is_held(w: World) -> None:
    v = roster(w, w.roster_row("A-1", INSURED, category="unemployed"))
    assert v[2] == ("accepted_flagged", {"ENR-CATEGORY-CONFLICT"})


def test_a_hardship_worker_insured_by_their_own_employer_is_not_a_conflict(w: World) -> None:
    v = roster(w, w.roster_row("A-1", INSURED, category="hardship", employer_uscc=EMP))
    assert v[2] == ("accepted", set())


def test_an_employed_category_insured_by_an_employer_is_not_a_conflict(w: World) -> None:
    v = roster(w, w.roster_row("A-1", INSURED, category="employee", employer_uscc=EMP, payer="employer"))
    assert v[2] == ("accepted", set())


def test_employer_training_needs_the_employer(w: World) -> None:
    w.file_class("A-2", training_type="pre_job", sessions=0)
    p = people(2)
    v = roster(w, w.roster_row("A-2", p[0], "13800000001", category="employee"),
               w.roster_row("A-2", p[1], "13800000002", category="employee", employer_uscc=EMP, payer="employer"))
    assert v[2] == ("rejected", {"ENR-ELIGIBILITY"})
    assert v[3] == ("accepted", set())


def test_work_as_training_needs_hardship_or_low_income(w: World) -> None:
    w.file_class("A-3", training_type="work_as_training", sessions=0)
    p = people(2)
    v = roster(w, w.roster_row("A-3", p[0], "13800000001", employer_uscc=EMP, payer="employer"),
               w.roster_row("A-3", p[1], "13800000002", category="hardship", employer_uscc=EMP, payer="employer"),
               w.roster_row("A-3", LOW_INCOME, "13800000003", employer_uscc=EMP, payer="employer"))
    assert v[2] == ("rejected", {"ENR-ELIGIBILITY"})
    assert v[3] == v[4] == ("accepted", set())


def test_more_people_than_the_filed_capacity_holds_the_class(w: World) -> None:
    w.file_class("A-4", capacity="2", sessions=0)
    w.file_class("A-5", capacity="3", sessions=0)
    p = people(3)
    over = roster(w, *[w.roster_row("A-4", x, f"1380000000{i}") for i, x in enumerate(p)])
    fits = roster(w, *[w.roster_row("A-5", x, f"1380000000{i}") for i, x in enumerate(p)])
    assert all(v == ("accepted_flagged", {"ENR-OVER-CAPACITY"}) for v in over.values())
    assert all(v == ("accepted", set()) for v in fits.values())
    [f] = w.findings("ENR-OVER-CAPACITY")
    assert (f["class_id"], f["effect"], f["id_number"]) == ("A-4", "hold_class", None)


def test_one_person_in_two_overlapping_classes_is_held_by_the_later_upload_and_warned_on_the_other_side(w: World) -> None:
    w.file_class("B-1", B, start_time="09:00", end_time="17:00")
    p = people(1)[0]
    assert roster(w, w.roster_row("A-1", p))[2] == ("accepted", set())
    v = roster(w, w.roster_row("B-1", p), uscc=B)
    assert v[2] == ("accepted_flagged", {"ENR-OVERLAP"})
    assert sorted((f["uscc"], f["class_id"], f["id_number"], f["effect"]) for f in w.findings("ENR-OVERLAP")) == sorted(
        [(A, "A-1", p, "warn"), (B, "B-1", p, "hold_trainee")])


def test_one_person_in_two_classes_at_different_hours_is_fine(w: World) -> None:
    w.file_class("B-1", B, start_time="17:00", end_time="21:00", planned_hours="20")
    p = people(1)[0]
    roster(w, w.roster_row("A-1", p))
    assert roster(w, w.roster_row("B-1", p), uscc=B)[2] == ("accepted", set())


def test_a_phone_shared_by_three_people_holds_the_uploaders_and_warns_the_other_institutions(w: World) -> None:
    w.file_class("B-1", B, sessions=0)
    p = people(3)
    roster(w, w.roster_row("A-1", p[0], "13912345678"), w.roster_row("A-1", p[1], "13912345678"))
    v = roster(w, w.roster_row("B-1", p[2], "13912345678"), uscc=B)
    assert v[2] == ("accepted_flagged", {"ENR-SHARED-PHONE"})
    assert sorted((f["id_number"], f["effect"]) for f in w.findings("ENR-SHARED-PHONE")) == sorted(
        [(p[0], "warn"), (p[1], "warn"), (p[2], "hold_trainee")])


def test_a_phone_shared_by_two_people_is_fine(w: World) -> None:
    p = people(2)
    v = roster(w, w.roster_row("A-1", p[0], "13912345678"), w.roster_row("A-1", p[1], "13912345678"))
    assert all(x == ("accepted", set()) for x in v.values())


def test_a_row_for_an_unfiled_class_is_rejected(w: World) -> None:
    v = roster(w, w.roster_row("A-404", people(1)[0]))
    assert v[2] == ("rejected", {"ROW-UNKNOWN-CLASS"})


def test_a_bad_code_or_phone_is_a_format_rejection(w: World) -> None:
    p = people(3)
    v = roster(w, w.roster_row("A-1", p[0], "1380000"), w.roster_row("A-1", p[1], category="astronaut"),
               w.roster_row("A-1", p[2], "13800000009"))
    assert v[2] == ("rejected", {"ROW-FORMAT"}) and v[3] == ("rejected", {"ROW-FORMAT"})
    assert v[4] == ("accepted", set())

