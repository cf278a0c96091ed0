"""The row_verdicts rows of a gated upload, built as value tuples (issue 10: per-row Python cost).

Most rows of an upload carry no rule code: their verdict, codes and reasons are the same constants, so only
their line and raw cells differ. Building them as tuples in a fixed column order (COPY writes them as they
are, infra/database.bulk_copy) skips a dict per row and the dict look-ups COPY did to read it back; a row
with codes gets its verdict and reasons computed once per distinct set of codes and details.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import encode_basestring  # type: ignore[attr-defined]

from schemas.rules import Verdict, reasons, verdict_for

_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def raw_json(cells: list[str]) -> str:
    """json.dumps(cells, ensure_ascii=False), byte for byte. json.dumps builds a JSONEncoder and then a C
    encoder at every call (a non-default option); a list of strings is its strings encoded by the same C
    function (encode_basestring, what ensure_ascii=False uses) between "[", ", " and "]". Anything else in
    the list goes through the encoder itself."""
    try:
        return "[" + ", ".join(map(encode_basestring, cells)) + "]"
    except TypeError:
        return _ENCODE(cells)

COLUMNS = ("upload_id", "row_no", "verdict", "rule_codes", "reason_zh", "reason_en", "raw")

_ACCEPTED = Verdict.ACCEPTED.value


def verdict_rows(upload_id: int, raws: Mapping[int, list[str]], codes: Mapping[int, dict[str, str]]
                 ) -> tuple[list[tuple], list[int], dict[str, int]]:
    """(rows in COLUMNS order, the rejected lines, the tally) — what apply_gate's loop gave row by row."""
    rows: list[tuple] = []
    rejected: list[int] = []
    tally = {"total": len(raws), "accepted": 0, "rejected": 0, "flagged": 0}
    outcome: dict[tuple, tuple[Verdict, str, str, str]] = {}  # (code, detail) pairs → verdict, codes, zh, en
    for line, cells in raws.items():
        row_codes = codes.get(line)
        if not row_codes:  # the accepted majority
            rows.append((upload_id, line, _ACCEPTED, "", "", "", raw_json(cells)))
            continue
        signature = tuple(row_codes.items())
        if signature not in outcome:
            zh, en = reasons(list(row_codes), row_codes)
            outcome[signature] = (verdict_for(list(row_codes)), ";".join(sorted(row_codes)), zh, en)
        verdict, joined, zh, en = outcome[signature]
        rows.append((upload_id, line, verdict.value, joined, zh, en, raw_json(cells)))
        if verdict == Verdict.REJECTED:
            rejected.append(line)
            tally["rejected"] += 1
        elif verdict == Verdict.ACCEPTED_FLAGGED:
            tally["flagged"] += 1
    tally["accepted"] = tally["total"] - tally["rejected"] - tally["flagged"]
    return rows, rejected, tally
