"""Per-row Python cost of one attendance upload's in-memory steps (issue 10), before and after in one run.

No database: a generated attendance CSV of N rows is read and parsed as ingest does, then the steps this
pass changed are timed in CPU seconds against the row-by-row code they replaced (kept below as the
baseline), and their outputs compared: raw cells, staged rows, row_verdicts rows (raw JSON byte for byte),
and the cells an answer writes.
Usage: python -m bench.per_row [rows]
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any


def _csv(n: int) -> bytes:
    lines = ["班级编号,身份证号,签到时间,签退时间,考勤方式,设备编号"]
    for i in range(n):
        day = 1 + i % 28
        lines.append(f"C{i % 200:04d},11010519900101{i % 10000:04d},2027-03-{day:02d} 08:0{i % 10}:00,"
                     f"2027-03-{day:02d} 12:00:00,face,{'=cmd' if i == n // 2 else f'D{i % 50}'}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()  # each step starts with the same garbage collector state
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


# The code this pass replaced, row by row (tasks/apply.py, tasks/ingest.py, tasks/kinds.py, tasks/outbox.py).
def _old_raws(table: Any, width: int) -> dict[int, list[str]]:
    from tasks.ingest import _raw
    return {line: _raw(cells, width) for line, cells in table.rows}


def _old_stage(kind: Any, parsed: list, ctx: Any) -> list[dict[str, Any]]:
    out = []
    for line, values, errors in parsed:
        row = {**values, "upload_id": 1, "row_no": line, "uscc": "U",
               "format_errors": "; ".join(f"{f}: {m}" for f, m in errors.items()) or None}
        out.append(kind.derive(row, ctx))
    return out


def _old_verdicts(raws: dict[int, list[str]], codes: dict[int, dict[str, str]]) -> list[dict[str, Any]]:
    from schemas.rules import reasons, verdict_for
    rows = []
    for line, cells in raws.items():
        row_codes = codes.get(line, {})
        verdict = verdict_for(list(row_codes))
        zh, en = reasons(list(row_codes), row_codes) if row_codes else ("", "")
        rows.append({"upload_id": 1, "row_no": line, "verdict": verdict.value, "rule_codes": ";".join(sorted(row_codes)),
                     "reason_zh": zh, "reason_en": en, "raw": json.dumps(cells, ensure_ascii=False)})
    return rows


def main(n: int = 146_000) -> None:
    from schemas.files import read_table
    from schemas.rows import match_headers
    from schemas.vector import parse_table
    from tasks.ingest import _raws
    from tasks.kinds import KINDS, StageContext
    from tasks.outbox import may_run, neutralise
    from tasks.verdict_rows import COLUMNS, verdict_rows

    kind = KINDS["attendance"]
    table = read_table(_csv(n), max_rows=10**7)
    positions, _, _ = match_headers(kind.model, table.header)
    width = len(table.header)
    ctx = StageContext(uscc="U", received_on=date(2027, 3, 1), today=date(2027, 3, 1), policy=None)  # type: ignore[arg-type]
    codes = {line: {"ATT-OUTSIDE-SESSION": "x"} for line, _ in table.rows[::300]}
    results = []

    t_old, old = _cpu(lambda: _old_raws(table, width))
    t_new, raws = _cpu(lambda: _raws(table, width))
    assert old == raws
    results.append(("raw cells", t_old, t_new))

    t_old, old = _cpu(lambda: _old_stage(kind, parse_table(kind.model, positions, table), ctx))
    t_new, new = _cpu(lambda: [kind.stage_row(v, e, 1, line, "U", ctx)
                               for line, v, e in parse_table(kind.model, positions, table)])
    assert old == new
    results.append(("parse + staged rows", t_old, t_new))

    t_old, old = _cpu(lambda: _old_verdicts(raws, codes))
    t_new, (new, _, _) = _cpu(lambda: verdict_rows(1, raws, codes))
    assert [tuple(r[c] for c in COLUMNS) for r in old] == new
    results.append(("verdict rows", t_old, t_new))

    texts = [r[-1] for r in new]
    t_old, old = _cpu(lambda: [[neutralise(c) for c in json.loads(t)] for t in texts])
    def answer_cells() -> list[list[str]]:
        risky = may_run(texts)
        return [[neutralise(c) for c in json.loads(t)] if i in risky else json.loads(t) for i, t in enumerate(texts)]

    t_new, new = _cpu(answer_cells)
    assert old == new
    results.append(("answer cells", t_old, t_new))

    print(f"{n:,} attendance rows, CPU seconds (this process), same data, outputs compared equal")
    print(f"{'step':24s} {'before':>8s} {'after':>8s} {'µs/row before':>14s} {'µs/row after':>13s}")
    for name, before, after in results:
        print(f"{name:24s} {before:8.3f} {after:8.3f} {before / n * 1e6:14.2f} {after / n * 1e6:13.2f}")
    before, after = sum(r[1] for r in results), sum(r[2] for r in results)
    print(f"{'total':24s} {before:8.3f} {after:8.3f} {before / n * 1e6:14.2f} {after / n * 1e6:13.2f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
