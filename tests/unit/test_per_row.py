"""The per-row shortcuts of issue 10 give what the row-by-row code gave: verdict rows (raw JSON byte for byte),
and the answer cells neutralise() would change are all found by the one search per file."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from schemas.rules import RULES, reasons, verdict_for
from tasks.outbox import may_run, neutralise
from tasks.verdict_rows import COLUMNS, raw_json, verdict_rows

_CELL = st.text(alphabet=st.sampled_from(list('=+@-\t\r\n"\\,[] a1.\x00\x1f\u3000中')), max_size=6)
_ROWS = st.lists(st.lists(_CELL, max_size=5), max_size=8)
_CODES = st.dictionaries(st.sampled_from(sorted(RULES)), st.sampled_from(["", "x", "a; b"]), max_size=3)


def _reference(upload_id: int, raws: dict[int, list[str]], codes: dict[int, dict[str, str]]) -> list[tuple]:
    """apply_gate's loop as it was, row by row."""
    out = []
    for line, cells in raws.items():
        row_codes = codes.get(line, {})
        zh, en = reasons(list(row_codes), row_codes) if row_codes else ("", "")
        row = {"upload_id": upload_id, "row_no": line, "verdict": verdict_for(list(row_codes)).value,
               "rule_codes": ";".join(sorted(row_codes)), "reason_zh": zh, "reason_en": en,
               "raw": json.dumps(cells, ensure_ascii=False)}
        out.append(tuple(row[c] for c in COLUMNS))
    return out


@given(_ROWS, st.lists(_CODES, max_size=8))
def test_verdict_rows_are_the_row_by_row_ones(rows: list[list[str]], codes: list[dict[str, str]]) -> None:
    raws = {line: cells for line, cells in enumerate(rows, start=2)}
    by_line = {line: c for line, c in zip(raws, codes, strict=False) if c}
    built, rejected, tally = verdict_rows(7, raws, by_line)
    assert built == _reference(7, raws, by_line)
    assert rejected == [r[1] for r in built if r[2] == "rejected"]
    assert tally == {"total": len(built), "accepted": sum(r[2] == "accepted" for r in built),
                     "rejected": len(rejected), "flagged": sum(r[2] == "accepted_flagged" for r in built)}


@given(_ROWS)
def test_raw_json_is_json_dumps(rows: list[list[str]]) -> None:
    for cells in rows:
        assert raw_json(cells) == json.dumps(cells, ensure_ascii=False)


@given(_ROWS)
def test_every_row_neutralise_changes_is_found(rows: list[list[str]]) -> None:
    raws = [json.dumps(cells, ensure_ascii=False) for cells in rows]
    risky = may_run(raws)
    for i, cells in enumerate(rows):
        if [neutralise(c) for c in cells] != cells:
            assert i in risky
