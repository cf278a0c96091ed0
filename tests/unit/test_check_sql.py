"""Shape of the gates' SQL: every check tagged with a known rule code, every {batch} aliased."""

import pytest

from expectations.checks import BATCH_ALIAS, RowCheck
from expectations.gate import CHECKS, sql_values
from schemas.policy import load_policy
from schemas.rules import RULES


@pytest.mark.parametrize("kind", sorted(CHECKS))
def test_every_check_names_a_catalogued_rule_and_aliases_the_batch(kind: str) -> None:
    values = sql_values("postgresql", load_policy("suzhou"))
    for check in CHECKS[kind]():
        assert check.code in RULES
        if isinstance(check, RowCheck):
            sql = check.render((7, 9), values)
            assert not BATCH_ALIAS.search(sql), f"{check.name}: {{batch}} without an alias"
            assert "$" not in sql, f"{check.name}: unfilled placeholder"
            assert "upload_id IN (7, 9)" in sql and "= 7" not in sql, f"{check.name}: not over the whole batch"
            assert "upload_id AS hit_upload" in sql, f"{check.name}: a hit must name its upload"


def test_check_names_are_unique_within_a_gate() -> None:
    for kind, make in CHECKS.items():
        names = [c.name for c in make()]
        assert len(names) == len(set(names)), kind
