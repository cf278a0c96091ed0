"""The money rules of spec/policy.md, by hand-computed numbers."""

from datetime import date

import pytest

from schemas.advance import decide, projected_fen
from schemas.eligibility import (
    Certificate,
    ClassFacts,
    PersonClass,
    TraineeFacts,
    cap_exclusions,
    own_exclusions,
)
from schemas.money import class_months, class_years, share_floor, times
from schemas.policy import load_policy
from schemas.settlement import dues, earned_by_payee, trainee_lines

SZ, SX, SG = load_policy("suzhou"), load_policy("shanxi"), load_policy("shaoguan")
INST, EMP = "91320500000000001W", "91320500000000009M"


def cls(tt: str, level: str = "5", **kw) -> ClassFacts:  # noqa: ANN003
    base = dict(uscc=INST, class_id="K", training_type=tt, level=level, occupation_code="4-10-01-02", project_based=True,
                start_date=date(2026, 1, 15), end_date=date(2026, 4, 14), institution_kind="school")
    return ClassFacts(**(base | kw))


def person(**kw) -> TraineeFacts:  # noqa: ANN003
    base = dict(id_number="320506199001011002", category="migrant", payer="individual", attended_minutes=2400,
                scheduled_minutes=2400, attendance_days=5, passed=True)
    return TraineeFacts(**(base | kw))


@pytest.mark.parametrize(("end", "months"), [(date(2026, 4, 14), 3), (date(2026, 4, 15), 4), (date(2027, 1, 14), 12)])
def test_months_of_a_class_follow_the_spec_examples(end: date, months: int) -> None:
    assert class_months(date(2026, 1, 15), end) == months


def test_years_round_up_and_multipliers_round_half_up() -> None:
    assert class_years(13) == 2 and class_years(12) == 1
    assert times(150050, __import__("decimal").Decimal("1.3")) == 195065
    assert share_floor(300001, __import__("decimal").Decimal("0.5")) == 150000


def test_suzhou_skill_upgrade_level_3_in_a_shortage_occupation_is_2000_times_1_3() -> None:
    c = cls("skill_upgrade", "3", shortage=True)
    t = person(certificates=(Certificate("skill_level", "3", date(2026, 4, 20)),), insured_employers=frozenset({EMP}))
    [line] = trainee_lines(SZ, c, t)
    assert (line.payee, line.amount_fen) == (t.id_number, 260000)


def test_suzhou_skill_upgrade_needs_a_certificate_of_the_class_level() -> None:
    c = cls("skill_upgrade", "3")
    t = person(certificates=(Certificate("skill_level", "4", date(2026, 4, 20)),))
    assert trainee_lines(SZ, c, t) == []


def test_suzhou_work_as_training_pays_500_a_month_for_at_most_6_months_to_the_employer() -> None:
    c = cls("work_as_training", end_date=date(2026, 9, 20))  # 9 months
    t = person(category="hardship", employer_uscc=EMP, payer="employer", insured_employers=frozenset({EMP}), passed=None)
    lines = trainee_lines(SZ, c, t)
    training = [line for line in lines if line.what == "training"]
    assert [(line.payee, line.amount_fen) for line in training] == [(EMP, 300000)]
    living = [line for line in lines if line.what == "living"]
    assert [(line.payee, line.amount_fen) for line in living] == [(t.id_number, 9 * 109500)]


def test_suzhou_work_as_training_after_pre_job_with_the_same_employer_is_exclusive() -> None:
    t = person(category="hardship", employer_uscc=EMP, pre_job_with_employer=True)
    assert "ENR-EXCLUSIVE" in own_exclusions(cls("work_as_training"), t, SZ.settings.min_attendance_ratio, exclusive_rule=True)


def test_suzhou_apprentice_pays_per_year_of_the_class() -> None:
    c = cls("apprentice", "4", end_date=date(2027, 3, 1))  # 14 months → 2 years
    [line] = trainee_lines(SZ, c, person(employer_uscc=EMP, certificates=(Certificate("skill_level", "4", date(2027, 3, 2)),)))
    assert (line.payee, line.amount_fen) == (EMP, 800000)


def test_suzhou_safety_uses_the_catalogue_capped_at_800() -> None:
    c = cls("safety", catalog_fen=90000)
    t = person(certificates=(Certificate("special_operation", "5", date(2026, 4, 20)),))
    assert [line.amount_fen for line in trainee_lines(SZ, c, t)] == [80000]


def test_shanxi_employment_catalogue_is_capped_at_1000_and_adds_certificate_and_living_allowance() -> None:
    c = cls("employment", catalog_fen=120000)
    t = person(category="poverty", payer="free", attendance_days=7,
               certificates=(Certificate("skill_level", "5", date(2026, 4, 20)),))
    got = sorted((line.what, line.payee, line.amount_fen) for line in trainee_lines(SX, c, t))
    assert got == [("certificate", INST, 30000), ("living", t.id_number, 7 * 1500), ("training", INST, 100000)]


def test_shanxi_certificate_subsidy_skips_training_certificates_and_old_ones() -> None:
    c = cls("employment", catalog_fen=50000)
    t = person(payer="free", certificates=(Certificate("training", "5", date(2026, 4, 20)),
                                           Certificate("skill_level", "5", date(2019, 6, 30))))
    assert [line.what for line in trainee_lines(SX, c, t)] == ["training"]


def test_shaoguan_pays_the_catalogue_and_nothing_without_it() -> None:
    assert [line.amount_fen for line in trainee_lines(SG, cls("employment", catalog_fen=140000), person())] == [140000]
    assert trainee_lines(SG, cls("employment"), person()) == []


def test_attendance_below_80_percent_excludes() -> None:
    assert "ATT-LOW" in own_exclusions(cls("employment"), person(attended_minutes=1919), SZ.settings.min_attendance_ratio,
                                       exclusive_rule=False)
    assert own_exclusions(cls("employment"), person(attended_minutes=1920), SZ.settings.min_attendance_ratio,
                          exclusive_rule=False) == set()


def test_skill_upgrade_needs_insurance() -> None:
    assert "ENR-NOT-INSURED" in own_exclusions(cls("skill_upgrade"), person(), SZ.settings.min_attendance_ratio,
                                               exclusive_rule=True)


def pc(cid: str, end: date, occ: str = "4-10-01-02", level: str = "5", ok: bool = True) -> PersonClass:
    return PersonClass(INST, cid, occ, level, date(end.year, 1, 1), end, ok)


def test_the_fourth_class_in_a_year_is_excluded_and_the_earliest_keep_it() -> None:
    got = cap_exclusions([pc("D", date(2026, 9, 1), "d"), pc("A", date(2026, 3, 1), "a"), pc("C", date(2026, 7, 1), "c"),
                          pc("B", date(2026, 5, 1), "b"), pc("E", date(2027, 1, 5), "e")], 3)
    assert got == {(INST, "D"): "ENR-ANNUAL-CAP"}


def test_the_repeat_rule_comes_first_and_ineligible_classes_do_not_count() -> None:
    got = cap_exclusions([pc("A", date(2026, 3, 1)), pc("B", date(2026, 5, 1)),  # B repeats A's level
                          pc("X", date(2026, 4, 1), "x", ok=False),  # failed: counts for nothing
                          pc("C", date(2026, 6, 1), "c"), pc("D", date(2026, 7, 1), "d"), pc("E", date(2026, 8, 1), "e")], 3)
    assert got == {(INST, "B"): "ENR-REPEAT-LEVEL", (INST, "E"): "ENR-ANNUAL-CAP"}


def test_advance_is_cut_to_half_of_the_projected_institution_share() -> None:
    c = cls("employment", catalog_fen=150000)
    trainees = [person(id_number=f"x{i}", payer="free") for i in range(10)] + [person(id_number="held", payer="free", held=True)]
    projected = projected_fen(SZ, c, trainees)
    assert projected == 10 * 150000
    d = decide(SZ, c, 900000, projected, already_advanced=False, class_held=False)
    assert (d.approved_fen, d.codes) == (750000, ("ADV-OVER-CAP",))


def test_advance_needs_a_project_class_or_an_enterprise_and_comes_once() -> None:
    c = cls("employment", project_based=False, catalog_fen=150000)
    assert decide(SZ, c, 100, 150000, already_advanced=False, class_held=False).codes == ("ADV-NOT-ELIGIBLE",)
    ent = cls("employment", project_based=False, institution_kind="enterprise")
    assert decide(SZ, ent, 100, 150000, already_advanced=True, class_held=False).codes == ("ADV-DUPLICATE",)
    assert decide(SZ, ent, 100, 150000, already_advanced=False, class_held=True).codes == ("ADV-HELD",)


def test_individually_paid_trainees_add_nothing_to_the_institution_projection() -> None:
    c = cls("employment", catalog_fen=150000)
    assert projected_fen(SZ, c, [person(payer="individual")]) == 0


def test_differential_dues_pay_the_difference_and_recover_the_excess() -> None:
    earned = earned_by_payee(trainee_lines(SZ, cls("employment", catalog_fen=150000), person(payer="free")))
    assert dues(earned, {INST: 100000}) == {INST: 50000}
    assert dues({INST: 0}, {INST: 100000}) == {INST: -100000}
    assert dues(earned, earned) == {}


def test_shanxi_caps_skill_upgrade_at_1000_like_every_training_of_clause_2_4() -> None:
    [line] = trainee_lines(SX, cls("skill_upgrade", "3", catalog_fen=180000), person())
    assert (line.amount_fen, line.clause) == (100000, "山西 二(四) 培训补贴标准每人不超过1000元")


def self_evaluated(**kw) -> TraineeFacts:  # noqa: ANN003
    base = dict(employer_uscc=EMP, insured_employers=frozenset({EMP}), self_evaluated_by=EMP,
                certificates=(Certificate("skill_level", kw.pop("level", "4"), date(2026, 4, 20)),))
    return person(**(base | kw))


@pytest.mark.parametrize(("level", "shortage", "fen"), [
    ("4", False, 150000),  # 中级工 of an ordinary occupation: the plain rate
    ("3", False, 260000),  # 高级工 and above: the shortage rate, 2,000 × 1.3
    ("1", False, 585000),  # 高级技师: 4,500 × 1.3
    ("5", True, 130000),   # 初级工 of a shortage occupation: 1,000 × 1.3
])
def test_suzhou_self_evaluating_enterprise_is_paid_the_skill_upgrade_subsidy_instead_of_the_trainee(
        level: str, shortage: bool, fen: int) -> None:
    lines = trainee_lines(SZ, cls("skill_upgrade", level, shortage=shortage), self_evaluated(level=level))
    assert [(line.payee, line.amount_fen, line.clause) for line in lines] == [(EMP, fen, "苏州 (四)6 技能人才自主评价")]


def test_suzhou_trainee_assessed_by_someone_else_keeps_their_own_skill_upgrade_subsidy() -> None:
    t = self_evaluated(self_evaluated_by=None)
    assert [(line.payee, line.amount_fen) for line in trainee_lines(SZ, cls("skill_upgrade", "4"), t)] == [(t.id_number, 150000)]


def test_suzhou_pays_the_living_allowance_to_a_rural_school_leaver_too() -> None:
    t = person(category="school_leaver")  # 农村未继续升学初高中毕业生, 苏州 (十二)
    living = [(line.payee, line.amount_fen, line.clause) for line in trainee_lines(SZ, cls("employment", catalog_fen=150000), t)
              if line.what == "living"]
    assert living == [(t.id_number, 3 * 109500, "苏州 (十二) 生活费补贴")]  # 2026-01-15 → 04-14: 3 months
