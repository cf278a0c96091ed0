"""Credit scoring (issue 12.6) as a department reads it: the policy's weights decide, the reasons name the evidence."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemas.credit import Record, after_fraud, score
from schemas.policy import POLICY_DIR, CreditPolicy, PolicyError, load_policy

POLICY = CreditPolicy()


def test_an_institution_with_a_clean_record_keeps_its_registry_rating() -> None:
    for start in "ABCD":
        assert score(Record("X", start), POLICY).rating == start


def test_the_policy_weights_decide_whether_rejected_rows_cost_a_rating() -> None:
    record = Record("X", "A", rows_total=100, rows_rejected=10)
    light = score(record, POLICY)
    heavy = score(record, POLICY.model_copy(update={"rejected_rate_points": Decimal(60)}))
    assert (light.rating, light.score) == ("A", Decimal("88.00"))
    assert (heavy.rating, heavy.score) == ("B", Decimal("84.00"))
    assert "10.0%（10/100）" in heavy.reason_zh and "rejected rows 10.0% (10/100) (-6.00 points)" in heavy.reason_en


def test_late_filings_recoveries_and_confirmed_fraud_each_name_their_evidence() -> None:
    rated = score(Record("X", "A", fraud_classes=1, recovery_orders=2, recovered_fen=300_050, classes_filed=4,
                         classes_late=1), POLICY)
    assert rated.rating == "C"  # 90 − 20 (one fraud class) − 10 (two recoveries) − 5 (a quarter filed late) = 55
    assert rated.score == Decimal("55.00")
    assert "经审核确认的违规班级 1 个" in rated.reason_zh and "追回通知 2 笔，共 3000.50 元" in rated.reason_zh
    assert "classes filed after they started 25.0% (1/4)" in rated.reason_en
    assert rated.evidence["recovered_fen"] == 300_050 and rated.evidence["classes"] == {"filed": 4, "late": 1}
    assert rated.reasons_zh[0].startswith("起点 A 级") and rated.reasons_en[-1] == "score 55.00: rated C"


def test_pass_and_certification_rates_above_target_raise_the_score_and_below_lower_it() -> None:
    good = score(Record("X", "B", assessed=10, passed=10, certified=10), POLICY)
    poor = score(Record("X", "B", assessed=10, passed=4, certified=0), POLICY)
    assert good.score == Decimal("81.00") and good.rating == "B"  # 75 + 2 + 4
    assert poor.score == Decimal("65.00") and poor.rating == "C"  # 75 − 4 − 6
    assert "考核合格率 40.0%（目标 80.0%）" in poor.reason_zh


def test_a_confirmed_fake_training_rates_d_whatever_the_score() -> None:
    rated = score(Record("X", "A", fake_training=("ATT-BURST",), assessed=10, passed=10, certified=10), POLICY)
    assert rated.rating == "D" and rated.score > POLICY.bands["A"]
    assert "虚假培训套取资金（ATT-BURST）" in rated.reason_zh and "barred from subsidised training" in rated.reason_en


def test_between_publications_a_confirmed_fraud_downgrades_by_the_policys_steps() -> None:
    assert after_fraud("A", "ENR-SHARED-PHONE", POLICY)[0] == "B"
    assert after_fraud("A", "ENR-SHARED-PHONE", POLICY.model_copy(update={"fraud_downgrade_steps": 2}))[0] == "C"
    assert after_fraud("D", "ENR-SHARED-PHONE", POLICY)[0] == "D"
    rating, zh, en = after_fraud("A", "ATT-CLONED-PATTERN", POLICY)
    assert rating == "D" and "ATT-CLONED-PATTERN" in zh and "downgraded to D" in en


def test_the_policy_refuses_a_fake_training_code_that_holds_nothing_and_bands_out_of_order() -> None:
    with pytest.raises(ValueError, match="ATT-DEVICE-SHARED"):
        CreditPolicy(fake_training_codes=["ATT-DEVICE-SHARED"])
    with pytest.raises(ValueError, match="bands"):
        CreditPolicy(bands={"A": Decimal(50), "B": Decimal(70), "C": Decimal(55)})
    with pytest.raises(ValueError, match="advance_ratings"):
        CreditPolicy(advance_ratings=["A", "E"])


def test_every_region_names_its_credit_rules_and_a_bad_table_names_the_field(tmp_path) -> None:  # noqa: ANN001
    for region in ("shanxi", "shaoguan", "suzhou"):
        policy = load_policy(region)
        assert policy.credit.advance_ratings == ["A", "B"] and "ATT-BURST" in policy.credit.fake_training_codes
    text = (POLICY_DIR / "shaoguan.toml").read_text("utf-8")
    (tmp_path / "bad.toml").write_text(text.replace('advance_ratings = ["A", "B"]', 'advance_ratings = ["Z"]'), "utf-8")
    with pytest.raises(PolicyError, match="credit"):
        load_policy("bad", tmp_path)
