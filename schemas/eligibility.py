"""Who may be paid (spec/policy.md, "Rules for every region" and "Final subsidy").

Facts arrive as plain data; the functions return rule codes, so the same logic serves
settlement, advances, re-runs and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class ClassFacts:
    uscc: str
    class_id: str
    training_type: str
    level: str
    occupation_code: str
    project_based: bool
    start_date: date
    end_date: date
    institution_kind: str
    shortage: bool = False
    catalog_fen: int | None = None  # subsidy_catalog amount for occupation, level and training type


@dataclass(frozen=True)
class Certificate:
    certificate_type: str
    level: str
    issued_on: date


@dataclass(frozen=True)
class TraineeFacts:
    id_number: str
    category: str
    payer: str
    employer_uscc: str | None = None
    employer_difficult: bool = False
    low_income_kinds: frozenset[str] = frozenset()
    insured_employers: frozenset[str] = frozenset()
    attended_minutes: int = 0
    scheduled_minutes: int = 0
    attendance_days: int = 0
    passed: bool | None = None
    certificates: tuple[Certificate, ...] = ()
    held: bool = False  # an open hold_trainee, or the class is held
    excluded: frozenset[str] = frozenset()  # exclusions already decided (ENR-PENSIONER, confirmed holds …)
    pre_job_with_employer: bool = False  # had 岗前培训 with the same employer (苏州 ENR-EXCLUSIVE)
    # the trainee's employer, registered for self-evaluation (自主评价), assessed them itself (苏州 (四)6)
    self_evaluated_by: str | None = None


@dataclass(frozen=True)
class PersonClass:
    """One of a person's classes, for the yearly cap and the repeat rule."""

    uscc: str
    class_id: str
    occupation_code: str
    level: str
    start_date: date
    end_date: date
    otherwise_eligible: bool  # passed, enough attendance, not held, not excluded


@dataclass
class Exclusions:
    codes: set[str] = field(default_factory=set)

    def add(self, code: str, when: bool) -> None:
        if when:
            self.codes.add(code)


def attendance_ok(t: TraineeFacts, min_ratio: Decimal) -> bool:
    """Minimum attendance (a setting, default 80 %) of scheduled hours (ATT-LOW)."""
    return t.scheduled_minutes > 0 and Decimal(t.attended_minutes) >= min_ratio * t.scheduled_minutes


def own_exclusions(cls: ClassFacts, t: TraineeFacts, min_ratio: Decimal, *, exclusive_rule: bool) -> set[str]:
    """Exclusions decided by this class's facts alone (the cap and repeat rules need the person's other classes)."""
    ex = Exclusions(set(t.excluded))
    ex.add("ATT-LOW", not attendance_ok(t, min_ratio))
    ex.add("ENR-NOT-INSURED", cls.training_type == "skill_upgrade" and not t.insured_employers)
    ex.add("ENR-EXCLUSIVE", exclusive_rule and cls.training_type == "work_as_training" and t.pre_job_with_employer)
    return ex.codes


def cap_exclusions(classes: list[PersonClass], annual_cap: int) -> dict[tuple[str, str], str]:
    """ENR-REPEAT-LEVEL then ENR-ANNUAL-CAP for one person (spec/policy.md, "Ordering").

    Classes are taken by end date, start date, (uscc, class_id); the earliest keep the subsidy.
    The repeat rule applies first; then only otherwise-eligible classes count toward the cap.
    """
    out: dict[tuple[str, str], str] = {}
    seen_levels: set[tuple[str, str]] = set()
    per_year: dict[int, int] = {}
    for c in sorted(classes, key=lambda c: (c.end_date, c.start_date, c.uscc, c.class_id)):
        key = (c.uscc, c.class_id)
        if not c.otherwise_eligible:
            continue
        if (c.occupation_code, c.level) in seen_levels:
            out[key] = "ENR-REPEAT-LEVEL"
            continue
        seen_levels.add((c.occupation_code, c.level))
        year = c.end_date.year
        if per_year.get(year, 0) >= annual_cap:
            out[key] = "ENR-ANNUAL-CAP"
            continue
        per_year[year] = per_year.get(year, 0) + 1
    return out
