"""Every amount's clause label names the seed section it comes from, and quotes that section's own words
(spec/policy.md, "Clause labels"): auditors look the label up in the seed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemas.policy import load_policy

# The seed's money sections, copied verbatim (a clone has no ../shared); the shared seed, where present, must hold them.
EXCERPT = Path(__file__).parents[1] / "data" / "seed_money_clauses.txt"
SHARED_SEEDS = Path(__file__).parents[3] / "shared" / "seeds"
NUM = "一二三四五六七八九十"
LEVELS = (re.compile(f"^[{NUM}]+、"), re.compile(f"^\\([{NUM}]+\\)"), re.compile(r"^\d+\."))
LABEL = re.compile(f"^(?P<region>\\S+) (?P<a>[{NUM}]+)?(?P<b>\\([{NUM}]+\\))?(?P<c>\\d+)? (?P<quote>\\S+)$")


def regions(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for block in text.split("# ")[1:]:
        name, *lines = block.splitlines()
        out[name.strip()] = [line.strip() for line in lines if line.strip()]
    return out


def section(lines: list[str], path: list[str]) -> list[str]:
    """The lines of one numbered section: from its heading to the next heading of the same or a higher level."""
    for head in path:
        level = next(i for i, rx in enumerate(LEVELS) if rx.match(head))
        start = next(i for i, line in enumerate(lines) if line.startswith(head))
        end = next((j for j in range(start + 1, len(lines)) if any(rx.match(lines[j]) for rx in LEVELS[:level + 1])),
                   len(lines))
        lines = lines[start:end]
    return lines


def labels() -> list[str]:
    out = []
    for region in ("suzhou", "shanxi", "shaoguan"):
        p = load_policy(region)
        out += [row.clause for row in p.amounts]
        out += [x.clause for x in (p.certificate_subsidy, p.living_allowance, p.self_evaluation) if x is not None]
    return out


SEED = regions(EXCERPT.read_text("utf-8"))


@pytest.mark.parametrize("label", labels())
def test_each_clause_label_names_a_seed_section_that_says_what_it_quotes(label: str) -> None:
    m = LABEL.match(label)
    assert m, f"{label!r} is not 'region section quote'"
    path = [f"{m['a']}、"] * bool(m["a"]) + [m["b"]] * bool(m["b"]) + [f"{m['c']}."] * bool(m["c"])
    assert path, label
    assert m["quote"] in "".join(section(SEED[m["region"]], path)), label


def test_the_seed_excerpt_kept_in_the_repository_is_the_seed_text() -> None:
    assert set(SEED) == {"山西", "韶关", "苏州"}
    shared = "".join(p.read_text("utf-8") for p in sorted(SHARED_SEEDS.glob("*.txt")))
    for lines in SEED.values():
        assert len(lines) > 3
        assert not shared or all(line in shared for line in lines)


def test_the_spec_clause_list_is_what_the_policy_files_say() -> None:
    """spec/policy.md, "Clause labels": the sections each amount comes from."""
    sz, sx = load_policy("suzhou"), load_policy("shanxi")
    def sec(clause: str) -> str:
        return clause.split()[1]
    assert [(row.training_types[0], sec(row.clause)) for row in sz.amounts] == [
        ("pre_job", "(四)2"), ("work_as_training", "(四)2"), ("on_job", "(四)2"), ("skill_upgrade", "(四)4"),
        ("technician_research", "(四)5"), ("apprentice", "(四)7"), ("safety", "(六)"), ("employment", "(五)")]
    assert (sec(sz.self_evaluation.clause), sec(sz.living_allowance.clause)) == ("(四)6", "(十二)")
    assert [sec(row.clause) for row in sx.amounts][:2] == ["二(三)", "二(四)"]
    assert (sec(sx.living_allowance.clause), sec(sx.certificate_subsidy.clause)) == ("二(五)", "二(六)")
