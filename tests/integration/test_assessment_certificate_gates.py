"""Assessment and certificate gates: each ASM-* and CRT-* rule planted and a clean row left alone."""

from __future__ import annotations

import pytest

from infra import db
from tests.integration.world import EMP, A, B, C, World, people


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    world.file_class("A-1")  # 5 sessions, START .. START+4
    return world


def attend(w: World, ids: list[str], days: int = 5, class_id: str = "A-1", uscc: str = A) -> None:
    out = w.upload(uscc, "attendance", [w.check(class_id, x, day=d, device=f"D{i}-{d}") for i, x in enumerate(ids)
                                        for d in range(days)])
    assert out.counts["rejected"] == 0


def exams(w: World, *rows: dict, uscc: str = A) -> dict[int, tuple[str, set[str]]]:
    return w.verdicts(w.upload(uscc, "assessment", list(rows)))


def certs(w: World, *rows: dict, uscc: str = A) -> dict[int, tuple[str, set[str]]]:
    return w.verdicts(w.upload(uscc, "certificate", list(rows)))


def test_an_attending_trainee_who_passes_is_accepted(w: World) -> None:
    p = people(1)
    w.enrol("A-1", p)
    attend(w, p)
    assert exams(w, w.exam("A-1", p[0])) == {2: ("accepted", set())}


def test_assessing_someone_not_on_the_roster_is_rejected(w: World) -> None:
    p = people(2)
    w.enrol("A-1", p[:1])
    attend(w, p[:1])
    v = exams(w, w.exam("A-1", p[0]), w.exam("A-1", p[1]))
    assert v[2] == ("accepted", set()) and v[3] == ("rejected", {"ASM-NOT-ENROLLED"})


@pytest.mark.parametrize(("score", "passed", "bad"), [
    ("101", "是", True), ("-1", "否", True), ("59.5", "是", True), ("60", "否", True), ("60", "是", False), ("0", "否", False),
])
def test_scores_lie_in_0_100_and_agree_with_passed(w: World, score: str, passed: str, bad: bool) -> None:
    p = people(1)
    w.enrol("A-1", p)
    attend(w, p)
    v = exams(w, w.exam("A-1", p[0], score=score, passed=passed))
    assert (v[2] == ("rejected", {"ASM-SCORE"})) is bad
    assert (v[2] == ("accepted", set())) is not bad


def test_a_pass_with_too_little_attendance_holds_the_trainee(w: World) -> None:
    p = people(2)
    w.enrol("A-1", p)
    attend(w, p[:1], days=5)
    attend(w, p[1:], days=3)  # 24 of 40 hours: below 80 %
    v = exams(w, w.exam("A-1", p[0]), w.exam("A-1", p[1]))
    assert v[2] == ("accepted", set())
    assert v[3] == ("accepted_flagged", {"ASM-LOW-ATTENDANCE"})
    [f] = w.findings("ASM-LOW-ATTENDANCE")
    assert f["id_number"] == p[1] and f["status"] == "open"


def test_a_fail_with_little_attendance_is_not_a_hold(w: World) -> None:
    p = people(1)
    w.enrol("A-1", p)
    attend(w, p, days=1)
    assert exams(w, w.exam("A-1", p[0], score="40", passed="否")) == {2: ("accepted", set())}


def test_an_exam_before_the_last_session_is_a_warning(w: World) -> None:
    p = people(1)
    w.enrol("A-1", p)
    attend(w, p)
    v = exams(w, w.exam("A-1", p[0], day=3))
    assert v[2] == ("accepted", {"ASM-BEFORE-END"})


def test_an_institution_assessing_its_own_class_is_a_warning(w: World) -> None:
    p = people(1)
    w.enrol("A-1", p)
    attend(w, p)
    # A school is no registered assessment institution either: the class is held as well.
    assert exams(w, w.exam("A-1", p[0], assessor=A))[2] == ("accepted_flagged", {"ASM-SELF-ASSESSED", "ASM-ASSESSOR"})


def test_an_unregistered_or_barred_assessor_holds_the_class(w: World) -> None:
    p = people(3)
    w.enrol("A-1", p)
    attend(w, p)
    got = exams(w, w.exam("A-1", p[0]), w.exam("A-1", p[1], assessor=C), w.exam("A-1", p[2], assessor=EMP))
    assert got[2] == ("accepted", set())  # the registered assessment institution
    assert got[3] == ("accepted_flagged", {"ASM-ASSESSOR"})  # barred (blacklisted)
    assert got[4] == ("accepted_flagged", {"ASM-ASSESSOR"})  # an enterprise not registered for self-evaluation
    assert [f["effect"] for f in w.findings("ASM-ASSESSOR")] == ["hold_class"]  # held once, as a class


def test_an_enterprise_registered_for_self_evaluation_may_assess_only_its_own_employees(w: World) -> None:
    w.put("reference/institutions/se.csv", [
        {"uscc": EMP, "name": "企业", "kind": "enterprise", "qualified_occupations": "*", "rating": "A",
         "blacklisted": "否", "self_evaluation": "是"},
        {"uscc": A, "name": "A 学校", "kind": "school", "qualified_occupations": "*", "rating": "A", "blacklisted": "否",
         "self_evaluation": "否"}])
    staff, other = people(2, offset=400)
    w.put("reference/insured/se.csv", [{"id_number": staff, "employer_uscc": EMP}, {"id_number": other, "employer_uscc": B}])
    w.file_class("U-1", training_type="skill_upgrade", level="3")
    roster = w.upload(A, "roster", [w.roster_row("U-1", staff, "13800000001", category="employee", employer_uscc=EMP),
                                    w.roster_row("U-1", other, "13800000002", category="employee", employer_uscc=B)])
    assert roster.counts["rejected"] == 0, w.verdicts(roster)
    attend(w, [staff, other], class_id="U-1")
    got = exams(w, w.exam("U-1", staff, assessor=EMP), w.exam("U-1", other, assessor=EMP))
    assert "ASM-ASSESSOR" not in got[2][1]  # its own employee: 自主评价
    assert "ASM-ASSESSOR" in got[3][1]  # someone else's: not its to assess


def test_ten_identical_scores_hold_the_class(w: World) -> None:
    p = people(10)
    w.enrol("A-1", p)
    attend(w, p)
    v = exams(w, *[w.exam("A-1", x, score="88") for x in p])
    assert all(x == ("accepted_flagged", {"ASM-UNIFORM"}) for x in v.values())


def test_ten_scores_with_one_different_are_fine(w: World) -> None:
    p = people(10)
    w.enrol("A-1", p)
    attend(w, p)
    v = exams(w, *[w.exam("A-1", x, score="88" if i else "87") for i, x in enumerate(p)])
    assert all(x == ("accepted", set()) for x in v.values())


@pytest.fixture
def passed(w: World) -> list[str]:
    p = people(3)
    w.enrol("A-1", p)
    attend(w, p)
    exams(w, *[w.exam("A-1", x, passed="是" if i < 2 else "否", score="80" if i < 2 else "50") for i, x in enumerate(p)])
    return p


def test_a_certificate_after_a_pass_is_accepted(w: World, passed: list[str]) -> None:
    assert certs(w, w.cert("C-0001", "A-1", passed[0])) == {2: ("accepted", set())}
    assert w.count(db.certificates) == 1


def test_a_certificate_without_a_pass_is_rejected(w: World, passed: list[str]) -> None:
    assert certs(w, w.cert("C-0003", "A-1", passed[2]))[2] == ("rejected", {"CRT-NO-PASS"})


def test_a_certificate_for_another_occupation_or_level_is_rejected(w: World, passed: list[str]) -> None:
    v = certs(w, w.cert("C-1", "A-1", passed[0], level="4"), w.cert("C-2", "A-1", passed[1], occupation_code="6-18-01-01"))
    assert v[2] == ("rejected", {"CRT-MISMATCH"}) and v[3] == ("rejected", {"CRT-MISMATCH"})


def test_a_certificate_issued_before_the_exam_is_rejected(w: World, passed: list[str]) -> None:
    from tests.integration.world import START

    v = certs(w, w.cert("C-1", "A-1", passed[0], issued_on=START.isoformat()))
    assert v[2] == ("rejected", {"CRT-BEFORE-EXAM"})


def test_a_recycled_certificate_number_is_rejected_even_from_another_institution(w: World, passed: list[str]) -> None:
    certs(w, w.cert("C-0001", "A-1", passed[0]))
    w.file_class("B-1", B)
    q = people(1, offset=400)
    w.enrol("B-1", q, B)
    attend(w, q, class_id="B-1", uscc=B)
    exams(w, w.exam("B-1", q[0]), uscc=B)
    v = certs(w, w.cert("C-0001", "B-1", q[0]), uscc=B)
    assert v[2] == ("rejected", {"CRT-DUPLICATE-NO"})
    from datetime import timedelta

    from tests.integration.world import START

    corrected = w.cert("C-0001", "A-1", passed[0], issued_on=(START + timedelta(days=13)).isoformat())
    again = certs(w, corrected)  # the holder correcting its own certificate replaces it, not a duplicate
    assert again[2] == ("accepted", set())
    assert w.count(db.certificates) == 1


def test_one_number_twice_in_a_file_rejects_the_second(w: World, passed: list[str]) -> None:
    v = certs(w, w.cert("C-9", "A-1", passed[0]), w.cert("C-9", "A-1", passed[1]))
    assert v[2] == ("accepted", set()) and v[3] == ("rejected", {"CRT-DUPLICATE-NO"})
