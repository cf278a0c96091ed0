"""The rule catalogue and how codes become a row's verdict."""

import re
from pathlib import Path

from schemas.rules import RULES, Effect, Verdict, finding_status, reasons, verdict_for

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "rules.md"


def test_every_code_of_the_spec_is_in_the_catalogue_with_its_effect() -> None:
    if not SPEC.exists():  # CI lays shared/ beside the clone; a bare checkout still checks the rest
        spec_rows = []
    else:
        spec_rows = re.findall(r"^\| ([A-Z]+-[A-Z-]+) \| [^|]+ \| (\w+) \|", SPEC.read_text(), re.M)
    for code, effect in spec_rows:
        assert RULES[code].effect.value == effect, code
    assert len(RULES) >= 53


def test_a_reject_wins_over_flags() -> None:
    assert verdict_for(["ENR-SHARED-PHONE", "ENR-DUPLICATE"]) is Verdict.REJECTED


def test_holds_and_exclusions_flag_a_row_but_warnings_do_not() -> None:
    assert verdict_for(["ENR-PENSIONER"]) is Verdict.ACCEPTED_FLAGGED
    assert verdict_for(["FIL-LATE"]) is Verdict.ACCEPTED_FLAGGED
    assert verdict_for(["FIL-NO-STANDARD"]) is Verdict.ACCEPTED
    assert verdict_for([]) is Verdict.ACCEPTED


def test_holds_open_and_warnings_hold_nothing() -> None:
    assert finding_status(Effect.HOLD_TRAINEE) == "open"
    assert finding_status(Effect.WARN) == "none"


def test_reasons_are_given_in_chinese_and_english() -> None:
    zh, en = reasons(["ENR-AGE"], {"ENR-AGE": "age 14"})
    assert "年龄" in zh and "age at class start" in en and "age 14" in en


def test_another_institutions_side_is_named_in_neither_language() -> None:
    zh, en = reasons(["ENR-OVERLAP"], {"ENR-OVERLAP": "also in A-2; another-institution"})
    assert en.endswith("(also in A-2; also enrolled in an overlapping class of another institution)")
    assert "另一机构" in zh and "another-institution" not in zh + en
