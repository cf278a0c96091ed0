"""Region policy files load and validate; object keys route per the layout."""

from pathlib import Path

import pytest

from schemas.layout import BadKey, route
from schemas.policy import PolicyError, load_policy


@pytest.mark.parametrize("region", ["suzhou", "shanxi", "shaoguan"])
def test_the_three_shipped_policies_load(region: str) -> None:
    assert load_policy(region).region == region


def test_suzhou_names_an_amount_for_pre_job_but_not_for_catalogue_types() -> None:
    p = load_policy("suzhou")
    assert p.has_standard("pre_job", "5")
    assert not p.has_standard("employment", "5")
    assert not p.has_standard("technician_research", "5")
    assert p.has_standard("technician_research", "2")


def test_a_malformed_policy_fails_with_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('region = "bad"\nname = "x"\n[[amounts]]\ntraining_types = ["nonsense"]\nclause = "c"\namount_yuan = "1"\n')
    with pytest.raises(PolicyError, match="bad.toml: amounts.0"):
        load_policy("bad", tmp_path)


def test_an_unknown_region_lists_the_known_ones() -> None:
    with pytest.raises(PolicyError, match="suzhou"):
        load_policy("atlantis")


def test_inbox_keys_route_to_institution_and_kind() -> None:
    r = route("inbox/91320500000000001W/roster/学员.csv")
    assert (r.area, r.uscc, r.kind, r.name) == ("inbox", "91320500000000001W", "roster", "学员")


@pytest.mark.parametrize("key", ["inbox/91320500000000001W/payroll/x.csv", "inbox/short/roster/x.csv", "elsewhere/x.csv",
                                 "reference/unknown/x.csv"])
def test_keys_off_the_layout_are_refused(key: str) -> None:
    with pytest.raises(BadKey):
        route(key)


def test_processing_order_is_reference_then_stage_order() -> None:
    keys = ["inbox/91320500000000001W/roster/a.csv", "inbox/91320500000000001W/filing/a.csv",
            "reference/insured/a.csv", "reference/institutions/a.csv"]
    assert sorted(keys, key=lambda k: route(k).order) == [
        "reference/institutions/a.csv", "reference/insured/a.csv",
        "inbox/91320500000000001W/filing/a.csv", "inbox/91320500000000001W/roster/a.csv"]
