"""What a class has earned, per trainee and payee, and what is due now (spec/policy.md, "Amounts", "Arithmetic").

Each amount rule names its seed clause (the `clause` of the policy row it reads).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from schemas.eligibility import ClassFacts, TraineeFacts
from schemas.money import class_months, class_years, times, yuan
from schemas.policy import Amount, RegionPolicy


@dataclass(frozen=True)
class Line:
    """One amount one trainee earns for one payee."""

    id_number: str
    payee: str  # an organisation's USCC or a person's ID number
    amount_fen: int
    what: str  # training | certificate | living
    clause: str

    @property
    def payee_is_person(self) -> bool:
        return self.payee == self.id_number


def payee_for(paid_to: str, cls: ClassFacts, t: TraineeFacts) -> str | None:
    """"Paid to" of the policy tables: `payer` follows the roster's payer cell."""
    if paid_to == "institution":
        return cls.uscc
    if paid_to == "employer":
        return t.employer_uscc
    return {"individual": t.id_number, "employer": t.employer_uscc}.get(t.payer, cls.uscc)


def _certified(row: Amount, cls: ClassFacts, t: TraineeFacts) -> bool:
    return any((row.certificate_types is None or c.certificate_type in row.certificate_types)
               and (not row.certificate_of_class_level or c.level == cls.level) for c in t.certificates)


def requirements_met(row: Amount, cls: ClassFacts, t: TraineeFacts, *, projected: bool) -> bool:
    """The training type's requirements; a projection assumes every trainee passes and is certified."""
    checks = {
        "pass": projected or bool(t.passed),
        "certificate": projected or _certified(row, cls, t),
        "project_based": cls.project_based,
        "attendance": True,  # the general minimum applies to every type (ATT-LOW)
        "difficult_employer": t.employer_difficult,
        "hardship_or_low_income": t.category == "hardship" or bool(t.low_income_kinds),
        "insured_by_employer": t.employer_uscc is not None and t.employer_uscc in t.insured_employers,
    }
    return all(checks[r] for r in row.requires)


def base_fen(row: Amount, cls: ClassFacts, *, shortage_rate: bool | None = None) -> int | None:
    """Per-trainee standard: fixed, by level, or the catalogue (capped); ×multiplier for shortage occupations
    (or wherever `shortage_rate` says the shortage rate applies)."""
    if row.source == "catalog":
        if cls.catalog_fen is None:
            return None
        fen = cls.catalog_fen if row.cap_yuan is None else min(cls.catalog_fen, yuan(row.cap_yuan))
    elif row.by_level_yuan is not None:
        if cls.level not in row.by_level_yuan:
            return None
        fen = yuan(row.by_level_yuan[cls.level])
    else:
        fen = yuan(row.amount_yuan or 0)
    if row.shortage_multiplier is not None and (cls.shortage if shortage_rate is None else shortage_rate):
        fen = times(fen, row.shortage_multiplier)
    months = class_months(cls.start_date, cls.end_date)
    if row.per == "month":
        return fen * (min(months, row.max_units) if row.max_units else months)
    if row.per == "year":
        return fen * class_years(months)
    return fen


def trainee_lines(policy: RegionPolicy, cls: ClassFacts, t: TraineeFacts, *, projected: bool = False) -> list[Line]:
    """Every amount an eligible trainee earns; a projection leaves out living allowances."""
    lines: list[Line] = []
    row = policy.amount_for(cls.training_type)
    if row is not None and requirements_met(row, cls, t, projected=projected):
        fen, payee, clause = base_fen(row, cls), payee_for(row.paid_to, cls, t), row.clause
        se = policy.self_evaluation
        if se is not None and t.self_evaluated_by and cls.training_type in se.training_types:
            # 自主评价 replaces the trainee's own subsidy, it never adds to it (苏州 (四)6)
            fen = base_fen(row, cls, shortage_rate=cls.shortage or cls.level in se.shortage_rate_levels)
            payee, clause = t.self_evaluated_by, se.clause
        if fen and payee:
            lines.append(Line(t.id_number, payee, fen, "training", clause))
    cs = policy.certificate_subsidy
    if cs is not None and t.payer in cs.payers:
        payee = t.employer_uscc if t.payer == "employer" else cls.uscc
        if projected:
            levels = [cls.level] if cls.level in cs.by_level_yuan else []
        else:
            levels = sorted({c.level for c in t.certificates if c.certificate_type in cs.certificate_types
                             and c.issued_on >= cs.issued_from and c.level in cs.by_level_yuan})
        for level in levels:
            if payee:
                lines.append(Line(t.id_number, payee, yuan(cs.by_level_yuan[level]), "certificate", cs.clause))
    la = policy.living_allowance
    if la is not None and not projected and (t.category in la.categories or t.low_income_kinds & set(la.low_income_kinds)) \
            and (la.payers is None or t.payer in la.payers):
        units = class_months(cls.start_date, cls.end_date) if la.per == "month" else t.attendance_days
        if units:
            lines.append(Line(t.id_number, t.id_number, yuan(la.amount_yuan) * units, "living", la.clause))
    return lines


def earned_by_payee(lines: list[Line]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for line in lines:
        out[line.payee] += line.amount_fen
    return dict(out)


def dues(earned: dict[str, int], paid: dict[str, int]) -> dict[str, int]:
    """Differential settlement: due = earned now − already paid, per payee; zero writes nothing."""
    return {p: earned.get(p, 0) - paid.get(p, 0) for p in sorted(set(earned) | set(paid))
            if earned.get(p, 0) != paid.get(p, 0)}
