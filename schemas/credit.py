"""Institution credit ratings A/B/C/D (issue 12.6; 苏州 (十八) 信用等级评定, (十九) 评价机构信用管理和退出机制,
山西 三(九) 虚假培训套取资金者禁止再承担政府补贴性培训). Pure: the record comes in, the rating and its reasons go out.

The weights are the region policy's `[credit]` table (schemas/policy.py, CreditPolicy): the seed names no
formula. "Late" is FIL-LATE of spec/rules.md: a class filed after it started (补备案).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from schemas.cells import fen_to_yuan
from schemas.policy import RATINGS, CreditPolicy

BLACKLISTING = "D"


@dataclass(frozen=True)
class Record:
    """What an institution did within the rating window (counts, never personal data)."""

    uscc: str
    start: str  # the registry's rating, or the latest auditor override
    fraud_classes: int = 0  # classes with a confirmed hold (an auditor confirmed fraud)
    fake_training: tuple[str, ...] = ()  # confirmed rule codes that mean 虚假培训
    recovery_orders: int = 0
    recovered_fen: int = 0  # Σ |recovery| (positive)
    rows_total: int = 0
    rows_rejected: int = 0
    classes_filed: int = 0
    classes_late: int = 0
    assessed: int = 0
    passed: int = 0
    certified: int = 0


@dataclass(frozen=True)
class Rated:
    rating: str
    score: Decimal
    reasons_zh: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)

    @property
    def reason_zh(self) -> str:
        return "；".join(self.reasons_zh)

    @property
    def reason_en(self) -> str:
        return "; ".join(self.reasons_en)


def band(score: Decimal, policy: CreditPolicy) -> str:
    for rating in ("A", "B", "C"):
        if score >= policy.bands[rating]:
            return rating
    return "D"


def lower(rating: str, steps: int) -> str:
    """`steps` ratings below, never below D."""
    return RATINGS[min(RATINGS.index(rating) + steps, len(RATINGS) - 1)]


def is_blacklisted(rating: str) -> bool:
    return rating == BLACKLISTING


def _pct(x: Decimal) -> str:
    return f"{(x * 100).quantize(Decimal('0.1'))}%"


def score(record: Record, policy: CreditPolicy) -> Rated:
    """The rating a record earns; each reason names the evidence and the points it moved."""
    points = policy.start_score[record.start]
    zh = [f"起点 {record.start} 级（{points} 分）"]
    en = [f"starting point {record.start} ({points} points)"]
    evidence: dict = {"start": record.start, "start_score": str(points)}

    def move(delta: Decimal, key: str, value: object, zh_text: str, en_text: str) -> None:
        nonlocal points
        delta = delta.quantize(Decimal("0.01"))
        evidence[key] = value
        if delta:
            points += delta
            zh.append(f"{zh_text}（{delta:+} 分）")
            en.append(f"{en_text} ({delta:+} points)")

    if record.fraud_classes:
        move(-policy.fraud_points * record.fraud_classes, "fraud_classes", record.fraud_classes,
             f"经审核确认的违规班级 {record.fraud_classes} 个", f"{record.fraud_classes} class(es) with confirmed fraud")
    if record.recovery_orders:
        move(-policy.recovery_points * record.recovery_orders, "recovery_orders", record.recovery_orders,
             f"追回通知 {record.recovery_orders} 笔，共 {fen_to_yuan(record.recovered_fen)} 元",
             f"{record.recovery_orders} recovery order(s), {fen_to_yuan(record.recovered_fen)} yuan in all")
        evidence["recovered_fen"] = record.recovered_fen
    if record.rows_total:
        rate = Decimal(record.rows_rejected) / record.rows_total
        evidence["rows"] = {"total": record.rows_total, "rejected": record.rows_rejected}
        move(-policy.rejected_rate_points * rate, "rejected_rate", str(rate.quantize(Decimal("0.0001"))),
             f"上报数据被拒行比例 {_pct(rate)}（{record.rows_rejected}/{record.rows_total}）",
             f"rejected rows {_pct(rate)} ({record.rows_rejected}/{record.rows_total})")
    if record.classes_filed:
        rate = Decimal(record.classes_late) / record.classes_filed
        evidence["classes"] = {"filed": record.classes_filed, "late": record.classes_late}
        move(-policy.late_rate_points * rate, "late_rate", str(rate.quantize(Decimal("0.0001"))),
             f"开班后补备案比例 {_pct(rate)}（{record.classes_late}/{record.classes_filed}）",
             f"classes filed after they started {_pct(rate)} ({record.classes_late}/{record.classes_filed})")
    if record.assessed:
        rate = Decimal(record.passed) / record.assessed
        evidence["assessed"] = {"assessed": record.assessed, "passed": record.passed, "certified": record.certified}
        move(policy.pass_rate_points * (rate - policy.pass_rate_target), "pass_rate", str(rate.quantize(Decimal("0.0001"))),
             f"考核合格率 {_pct(rate)}（目标 {_pct(policy.pass_rate_target)}）",
             f"pass rate {_pct(rate)} (target {_pct(policy.pass_rate_target)})")
        cert = Decimal(record.certified) / record.assessed
        move(policy.certified_rate_points * (cert - policy.certified_rate_target), "certified_rate",
             str(cert.quantize(Decimal("0.0001"))),
             f"取证率 {_pct(cert)}（目标 {_pct(policy.certified_rate_target)}）",
             f"certification rate {_pct(cert)} (target {_pct(policy.certified_rate_target)})")
    rating = band(points, policy)
    if record.fake_training:
        codes = ", ".join(sorted(set(record.fake_training)))
        evidence["fake_training"] = sorted(set(record.fake_training))
        rating = "D"
        zh.append(f"经确认的虚假培训套取资金（{codes}）：评为 D 级并禁止承担补贴性培训")
        en.append(f"confirmed fake training to obtain subsidies ({codes}): rated D and barred from subsidised training")
    zh.append(f"得分 {points}，评为 {rating} 级")
    en.append(f"score {points}: rated {rating}")
    evidence["score"] = str(points)
    return Rated(rating, points, zh, en, evidence)


def after_fraud(current: str, rule_code: str, policy: CreditPolicy) -> tuple[str, str, str]:
    """Between publications: the rating a confirmed fraud leaves at once, with its reasons (zh, en)."""
    if rule_code in policy.fake_training_codes:
        return ("D", f"经确认虚假培训套取资金（{rule_code}）：降为 D 级，禁止承担补贴性培训",
                f"confirmed fake training to obtain subsidies ({rule_code}): downgraded to D, barred from subsidised training")
    new = lower(current, policy.fraud_downgrade_steps)
    return (new, f"经审核确认违规（{rule_code}）：由 {current} 级降为 {new} 级",
            f"confirmed fraud ({rule_code}): downgraded from {current} to {new}")
