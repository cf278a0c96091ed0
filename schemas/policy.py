"""Region policies as data (spec/policy.md): one TOML file per region, validated at start.

The amount tables here are read by the gates (FIL-NO-STANDARD) and by the money
engine; the thresholds marked *(setting)* in the spec live in `[settings]`.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from schemas.codes import TRAINING_TYPE
from schemas.rules import HOLD_EFFECTS, RULES

POLICY_DIR = Path(__file__).parent / "policies"
LEVELS = ("special", "5", "4", "3", "2", "1")
# issue 12 point 1: the account subsidies are paid from unless a policy row names another (山西 "补贴资金发放台账")
DEFAULT_FUND = "职业技能提升行动专账"
Fund = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class PolicyError(ValueError):
    """A region policy file is missing or malformed; the message names the file and field."""


class Amount(BaseModel):
    """One row of a region's amount table."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    training_types: list[str]
    source: Literal["fixed", "catalog"] = "fixed"
    amount_yuan: Decimal | None = None
    by_level_yuan: dict[str, Decimal] | None = None
    cap_yuan: Decimal | None = None
    per: Literal["trainee", "month", "year"] = "trainee"
    max_units: int | None = None
    shortage_multiplier: Decimal | None = None
    requires: list[Literal["pass", "certificate", "project_based", "attendance", "difficult_employer",
                           "hardship_or_low_income", "insured_by_employer"]] = Field(default_factory=lambda: ["pass"])
    certificate_types: list[str] | None = None
    certificate_of_class_level: bool = False
    paid_to: Literal["employer", "payer", "institution"] = "payer"
    fund: Fund | None = None  # the account this row is paid from; None: the policy's default
    clause: str

    @model_validator(mode="after")
    def _check(self) -> Amount:
        for t in self.training_types:
            if t not in TRAINING_TYPE.values():
                raise ValueError(f"unknown training type {t!r}")
        if self.source == "fixed" and self.amount_yuan is None and not self.by_level_yuan:
            raise ValueError("a fixed amount needs amount_yuan or by_level_yuan")
        for level in self.by_level_yuan or {}:
            if level not in LEVELS:
                raise ValueError(f"unknown level {level!r}")
        return self

    def has_standard(self, level: str) -> bool:
        """Whether this row itself names an amount for the level (catalogue rows never do)."""
        if self.source == "catalog":
            return False
        return self.by_level_yuan is None or level in self.by_level_yuan


class CertificateSubsidy(BaseModel):
    """取证补贴: paid to whoever organised free certification (山西 (六))."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    certificate_types: list[str]
    issued_from: date
    by_level_yuan: dict[str, Decimal]
    payers: list[Literal["institution", "employer", "free", "individual"]]
    fund: Fund | None = None
    clause: str


class LivingAllowance(BaseModel):
    """生活费补贴 during training, paid to the trainee."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    per: Literal["month", "attendance_day"]
    amount_yuan: Decimal
    categories: list[str] = Field(default_factory=list)
    low_income_kinds: list[str] = Field(default_factory=list)
    payers: list[Literal["institution", "employer", "free", "individual"]] | None = None
    fund: Fund | None = None
    clause: str


class SelfEvaluation(BaseModel):
    """自主评价 (苏州 (四)6): the subsidy of a trainee assessed by their own employer, registered for
    self-evaluation, goes to that employer at the shortage rate for these levels (and shortage occupations)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    training_types: list[str]
    shortage_rate_levels: list[str]
    clause: str


class PolicySettings(BaseModel):
    """Thresholds the spec marks *(setting)*; a department changes them in its file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_attendance_ratio: Decimal = Decimal("0.80")
    check_in_tolerance_minutes: int = 15
    online_share_cap: Decimal | None = None
    min_age: int = 16
    max_age: int = 60
    shared_phone_min_people: int = 3
    max_hours_per_day: Decimal = Decimal(10)
    hours_mismatch_tolerance: Decimal = Decimal(1)
    burst_min_checkins: int = 5
    cloned_min_class_size: int = 10
    cloned_min_days: int = 3
    uniform_min_class_size: int = 10
    max_record_hours: Decimal = Decimal(14)
    pass_mark: Decimal = Decimal(60)
    annual_cap: int = 3
    advance_share: Decimal = Decimal("0.5")
    # spec/rules.md: two institutions meeting this often within the window in cross-institution findings
    # are both held (collusion, not accident)
    collusion_min_meetings: int = Field(3, ge=1)
    collusion_window_days: int = Field(365, ge=1)
    # 重大情况专报 (苏州 "重大情况专报制度"): a recovery order above this many yuan is reported at once
    special_report_recovery_yuan: Decimal = Field(Decimal("10000"), ge=0)


RATINGS = ("A", "B", "C", "D")


class CreditPolicy(BaseModel):
    """信用等级评定 (苏州 (十八), 信用支付 (十三)): how an institution's record moves its rating
    (the seed names no formula: every figure here is a setting, scored by schemas/credit.py).

    The score starts at `start_score[registry or overridden rating]`; each weight is points off (or
    on) per unit of the record over the last `window_months`; `bands` give the lowest score of A, B, C."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    window_months: int = Field(12, ge=1)
    start_score: dict[str, Decimal] = Field(default_factory=lambda: {
        "A": Decimal(90), "B": Decimal(75), "C": Decimal(60), "D": Decimal(40)})
    bands: dict[str, Decimal] = Field(default_factory=lambda: {"A": Decimal(85), "B": Decimal(70), "C": Decimal(55)})
    fraud_points: Decimal = Field(Decimal(20), ge=0)  # per class with a confirmed fraud
    recovery_points: Decimal = Field(Decimal(5), ge=0)  # per recovery order
    rejected_rate_points: Decimal = Field(Decimal(20), ge=0)  # at 100 % of uploaded rows rejected
    late_rate_points: Decimal = Field(Decimal(20), ge=0)  # at 100 % of classes filed late (FIL-LATE)
    pass_rate_target: Decimal = Field(Decimal("0.80"), ge=0, le=1)
    pass_rate_points: Decimal = Field(Decimal(10), ge=0)  # per 100 % above (bonus) or below (penalty) target
    certified_rate_target: Decimal = Field(Decimal("0.60"), ge=0, le=1)
    certified_rate_points: Decimal = Field(Decimal(10), ge=0)
    # between publications a confirmed fraud moves the rating this many steps down at once
    fraud_downgrade_steps: int = Field(1, ge=1, le=3)
    # 虚假培训套取资金 (山西 三(九) "禁止其再承担政府补贴性培训"): a confirmed hold of these rules rates D
    fake_training_codes: list[str] = Field(default_factory=lambda: [
        "ATT-BURST", "ATT-CLONED-PATTERN", "ATT-CLASH", "ASM-UNIFORM"])
    # 信用支付: the ratings that may receive an advance (先行拨付)
    advance_ratings: list[str] = Field(default_factory=lambda: ["A", "B"])

    @model_validator(mode="after")
    def _check(self) -> CreditPolicy:
        if set(self.start_score) != set(RATINGS):
            raise ValueError("start_score needs exactly A, B, C and D")
        if set(self.bands) != {"A", "B", "C"} or not self.bands["A"] > self.bands["B"] > self.bands["C"]:
            raise ValueError("bands needs A > B > C (below C is D)")
        for code in self.fake_training_codes:
            if code not in RULES or RULES[code].effect not in HOLD_EFFECTS:
                raise ValueError(f"fake_training_codes: {code!r} is not a rule that holds (only holds are confirmed)")
        for r in self.advance_ratings:
            if r not in RATINGS:
                raise ValueError(f"advance_ratings: unknown rating {r!r}")
        return self


class Targets(BaseModel):
    """The year's targets a department sets itself (optional `[targets]`); period reports show progress."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    trained: int | None = Field(None, ge=0)
    certified: int | None = Field(None, ge=0)
    classes: int | None = Field(None, ge=0)
    subsidy_yuan: Decimal | None = Field(None, ge=0)


class RegionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    region: str
    name: str
    fund: Fund = DEFAULT_FUND  # the default account of every amount row that names none
    targets: Targets | None = None
    settings: PolicySettings = PolicySettings()
    amounts: list[Amount]
    certificate_subsidy: CertificateSubsidy | None = None
    living_allowance: LivingAllowance | None = None
    self_evaluation: SelfEvaluation | None = None
    credit: CreditPolicy = CreditPolicy()
    # ENR-EXCLUSIVE: 以工代训 is not paid after 岗前培训 with the same employer (苏州 (四) 2)
    work_as_training_excludes_pre_job: bool = False

    def amount_for(self, training_type: str) -> Amount | None:
        """The amount row that covers a training type, if any (first match wins, as in the tables)."""
        for row in self.amounts:
            if training_type in row.training_types:
                return row
        return None

    def fund_for(self, training_type: str, what: str = "training") -> str:
        """The account an amount is paid from: `what` is a settlement line's kind (training | certificate |
        living); an advance is paid from its training type's row."""
        named = {"certificate": self.certificate_subsidy, "living": self.living_allowance}
        row = named[what] if what in named else self.amount_for(training_type)
        return (row.fund if row is not None else None) or self.fund

    def funds(self) -> list[str]:
        """Every account the policy names, the default first."""
        named = [r.fund for r in self.amounts] + [x.fund for x in (self.certificate_subsidy, self.living_allowance) if x]
        return list(dict.fromkeys([self.fund, *(f for f in named if f)]))

    def has_standard(self, training_type: str, level: str) -> bool:
        """FIL-NO-STANDARD: the policy alone names an amount (the catalogue is checked by the gate)."""
        row = self.amount_for(training_type)
        return row is not None and row.has_standard(level)


def load_policy(region: str, directory: Path = POLICY_DIR) -> RegionPolicy:
    """Load and validate one region's policy file; any problem is one clear PolicyError."""
    path = directory / f"{region}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.toml")))
        raise PolicyError(f"no policy file for region {region!r} (known: {known})")
    try:
        return RegionPolicy.model_validate(tomllib.loads(path.read_text("utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path.name}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PolicyError(f"{path.name}: {where}: {first['msg']}") from None
