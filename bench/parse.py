"""Reading and parsing an attendance upload: the row-by-row path (csv module + the row model per row) against
the column-wise one (schemas/csvsplit.py + schemas/vector.py), in the same run on the same bytes.

Prints rows/s of both paths and their ratio for 100k rows as CSV UTF-8 and CSV GBK and 20k rows as XLSX,
the CSV readers side by side (csv module, polars, pyarrow when installed), and process_object end to end
on one 100k-row attendance upload on a scratch PostgreSQL database with each path.
Usage: python -m bench.parse [rows] [xlsx_rows] [--no-e2e]
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import patch

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

HEADER = ["班级编号", "身份证号", "签到时间", "签退时间", "考勤方式", "设备编号"]
CLASSES, TRAINEES = 200, 20
START = date(2027, 3, 1)


def attendance_rows(n: int, tag: str = "") -> list[list[Any]]:
    """n records of 200 classes × 20 trainees, one per trainee and session day; 1 % odd spellings."""
    from infra.samples import person

    rows = []
    for i in range(n):
        k, t, day = i % CLASSES, (i // CLASSES) % TRAINEES, i // (CLASSES * TRAINEES)
        at = datetime.combine(START + timedelta(days=day), datetime.min.time()) + timedelta(hours=8, seconds=i % 300)
        rows.append([f"C{k}", person(k * TRAINEES + t, date(1980, 1, 1) + timedelta(days=k)),
                     at.strftime("%Y-%m-%d %H:%M:%S"), (at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S"),
                     "face", f"D{k}{tag}"])
        if i % 100 == 7:  # the odd spellings a real day brings: full-width, 年月日, lower-case x, a Chinese code
            rows[-1][2] = at.strftime("%Y年%m月%d日 %H:%M:%S")
            rows[-1][4] = "人脸"
    return rows


def old_read(data: bytes, max_rows: int) -> Any:
    from schemas import csvsplit
    from schemas.files import read_table

    with patch.object(csvsplit, "split_plain", lambda text: None):
        return read_table(data, max_rows=max_rows)


def old_parse(model: Any, positions: dict[int, str], table: Any) -> list[tuple[int, dict, dict]]:
    from schemas.rows import parse_cells

    return [(line, *parse_cells(model, positions, cells)) for line, cells in table.rows]


@contextmanager
def row_by_row() -> Iterator[None]:
    """The path before issue 10: the csv module reads, the row model parses every row."""
    from schemas import csvsplit

    with patch.object(csvsplit, "split_plain", lambda text: None), patch("tasks.ingest.parse_table", old_parse):
        yield


def timed(f: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def compare_paths(label: str, data: bytes, n: int) -> None:
    from schemas.files import read_table
    from schemas.vector import parse_table
    from tasks.kinds import KINDS

    model = KINDS["attendance"].model
    old_s, (old_table, old) = timed(lambda: _then(old_read(data, n), lambda t: old_parse(model, _pos(t), t)))
    new_s, (new_table, new) = timed(lambda: _then(read_table(data, max_rows=n), lambda t: parse_table(model, _pos(t), t)))
    assert new == old and new_table.rows == old_table.rows, "the column-wise path must give the same rows"
    print(f"{label:16s} {n:>7,} rows  row-by-row {old_s:6.2f} s ({n / old_s:>9,.0f} rows/s)   column-wise "
          f"{new_s:6.2f} s ({n / new_s:>9,.0f} rows/s)   {old_s / new_s:4.1f}× faster")


def _pos(table: Any) -> dict[int, str]:
    from schemas.rows import match_headers
    from tasks.kinds import KINDS

    return match_headers(KINDS["attendance"].model, table.header)[0]


def _then(table: Any, f: Callable[[Any], Any]) -> tuple[Any, Any]:
    return table, f(table)


def readers(label: str, data: bytes) -> None:
    """The CSV readers alone on the decoded text (every cell a string), fastest of three runs each."""
    import csv

    import polars as pl

    from schemas.files import decode_text

    text, _ = decode_text(data)
    utf8 = text.encode("utf-8")
    runs: dict[str, Callable[[], Any]] = {
        "csv module": lambda: list(csv.reader(io.StringIO(text, newline=""), strict=True)),
        "polars": lambda: pl.read_csv(utf8, has_header=False, infer_schema=False, quote_char=None),
    }
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = [f"c{i}" for i in range(len(HEADER))]
        runs["pyarrow"] = lambda: pacsv.read_csv(io.BytesIO(utf8), read_options=pacsv.ReadOptions(column_names=names),
                                                 convert_options=pacsv.ConvertOptions(
                                                     column_types=dict.fromkeys(names, pa.string())))
    except ImportError:
        print("  (pyarrow not installed: not measured)")
    best = {name: min(timed(f)[0] for _ in range(3)) for name, f in runs.items()}
    print(f"{label:16s} readers: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in best.items()))


def end_to_end(n: int) -> None:
    """process_object on one n-row attendance upload, PostgreSQL, after filing, schedule and roster; each path
    on a fresh database of its own (a second upload would be gated against the first one's rows)."""
    results = {label: _one_upload(n, label, path) for label, path in (("column-wise", _as_is), ("row-by-row", row_by_row))}
    print(f"process_object   column-wise is {results['row-by-row'] / results['column-wise']:.2f}× the row-by-row path")


def _one_upload(n: int, label: str, path: Callable[[], Any]) -> float:
    from bench.scratch import scratch_database
    from infra.bootstrap import Services
    from infra.database import make_engine
    from infra.objectstore import MemoryStore
    from infra.samples import csv_bytes, make_uscc, person
    from infra.settings import Settings
    from tasks.ingest import process_object

    with scratch_database() as url:
        settings = Settings(database_url=url, max_rows=max(n, 200_000))
        store = MemoryStore()
        days = -(-n // (CLASSES * TRAINEES))
        clock = [datetime(2027, 2, 1, 9)]  # filed a month ahead; the attendance uploaded after the last session
        svc = Services(settings=settings, engine=make_engine(url), store=store, policy=settings.region_policy,
                       now=lambda: clock[0])
        uscc = make_uscc(1)
        store.put("reference/institutions/i.csv", csv_bytes(
            ["uscc", "name", "kind", "qualified_occupations", "rating", "blacklisted"], [[uscc, "bench", "school", "*", "A", "否"]]))
        store.put(f"inbox/{uscc}/filing/f.csv", csv_bytes(
            ["class_id", "institution_uscc", "occupation_code", "occupation_name", "level", "training_type", "project_based",
             "start_date", "end_date", "planned_hours", "capacity", "venue", "teacher_id"],
            [[f"C{k}", uscc, "4-10-01-02", "育婴员", "5", "employment", "yes", START.isoformat(),
              (START + timedelta(days=days + 1)).isoformat(), str(8 * days), str(TRAINEES), f"v{k}",
              person(9000 + k, date(1975, 1, 1))] for k in range(CLASSES)]))
        store.put(f"inbox/{uscc}/schedule/s.csv", csv_bytes(
            ["class_id", "session_date", "start_time", "end_time", "mode"],
            [[f"C{k}", (START + timedelta(days=d)).isoformat(), "08:00", "16:00", "offline"]
             for k in range(CLASSES) for d in range(days)]))
        store.put(f"inbox/{uscc}/roster/r.csv", csv_bytes(
            ["class_id", "id_number", "name", "phone", "category", "payer", "enrolled_on"],
            [[f"C{k}", person(k * TRAINEES + t, date(1980, 1, 1) + timedelta(days=k)), "学员",
              f"139{k * TRAINEES + t:08d}", "migrant", "free", "2027-02-01"] for k in range(CLASSES) for t in range(TRAINEES)]))
        for key in ("reference/institutions/i.csv", f"inbox/{uscc}/filing/f.csv", f"inbox/{uscc}/schedule/s.csv",
                    f"inbox/{uscc}/roster/r.csv"):
            out = process_object(svc, key, "bench")
            assert out.status == "done", out
        clock[0] = datetime.combine(START + timedelta(days=days + 1), datetime.min.time()) + timedelta(hours=20)
        svc.gate()  # GX import and context: once per worker, not part of either path
        key = f"inbox/{uscc}/attendance/a.csv"
        store.put(key, csv_bytes(HEADER, attendance_rows(n), "gbk"))
        with path():
            seconds, out = timed(lambda: process_object(svc, key, "bench"))
        print(f"process_object   {n:>7,} attendance rows, {label:11s}: {seconds:6.2f} s ({n / seconds:,.0f} rows/s) "
              f"{out.status} {out.counts}", flush=True)
        svc.engine.dispose()
        return seconds


@contextmanager
def _as_is() -> Iterator[None]:
    yield


def main(n: int = 100_000, xlsx_n: int = 20_000, e2e: bool = True) -> None:
    from infra.samples import csv_bytes, xlsx_bytes

    rows = attendance_rows(n)
    utf8, gbk = csv_bytes(HEADER, rows), csv_bytes(HEADER, rows, "gbk")
    compare_paths("CSV UTF-8", utf8, n)
    compare_paths("CSV GBK", gbk, n)
    compare_paths("XLSX", xlsx_bytes(HEADER, rows[:xlsx_n]), xlsx_n)
    readers("CSV UTF-8", utf8)
    readers("CSV GBK", gbk)
    if e2e:
        end_to_end(n)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(*(int(a) for a in args), e2e="--no-e2e" not in sys.argv)
