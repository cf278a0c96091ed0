"""Advance payment (先行拨付, 苏州 (十三)): at most 50 % of the projected subsidy, once per class,
only for project-based classes or classes run by an enterprise, only the institution's own part."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.eligibility import ClassFacts, TraineeFacts
from schemas.money import share_floor
from schemas.policy import RegionPolicy
from schemas.settlement import trainee_lines


def projected_fen(policy: RegionPolicy, cls: ClassFacts, trainees: list[TraineeFacts]) -> int:
    """Σ payable to the class's institution over enrolled trainees neither excluded nor held,
    assuming every one passes and is certified (certificate subsidies in, living allowances out)."""
    return sum(line.amount_fen for t in trainees if not t.held and not t.excluded
               for line in trainee_lines(policy, cls, t, projected=True) if line.payee == cls.uscc)


@dataclass(frozen=True)
class AdvanceDecision:
    approved_fen: int
    codes: tuple[str, ...]  # ADV-NOT-ELIGIBLE / ADV-DUPLICATE reject; ADV-OVER-CAP cuts; ADV-HELD waits
    cap_fen: int

    @property
    def rejected(self) -> bool:
        return bool({"ADV-NOT-ELIGIBLE", "ADV-DUPLICATE"} & set(self.codes))


def decide(policy: RegionPolicy, cls: ClassFacts, requested_fen: int, projected: int, *,
           already_advanced: bool, class_held: bool) -> AdvanceDecision:
    cap = share_floor(projected, policy.settings.advance_share)
    if not (cls.project_based or cls.institution_kind == "enterprise") or projected <= 0:
        return AdvanceDecision(0, ("ADV-NOT-ELIGIBLE",), cap)
    if already_advanced:
        return AdvanceDecision(0, ("ADV-DUPLICATE",), cap)
    codes = ["ADV-OVER-CAP"] if requested_fen > cap else []
    if class_held:
        codes.append("ADV-HELD")
    return AdvanceDecision(min(requested_fen, cap), tuple(codes), cap)
