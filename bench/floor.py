"""The DuckDB floor: parse every file of the day and run the core rules and the amounts as set-based SQL.

What any implementation must cost at least on this machine: no staging, no verdict rows, no answers,
no ledger — only parsing (GBK decoded in Python, XLSX read by calamine, or openpyxl without the bench extra, CSV by
DuckDB's reader) and the rules that carry the fraud signal: ID check digit, ghosts (attendance of
people not enrolled), records outside every session, one person in two classes at once, one person
enrolled in overlapping classes, device bursts, duplicate certificate numbers, attended hours, and
the amounts per payee.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from pathlib import Path

from bench.province_data import FIELDS, MODELS, ProvinceDay

Stage = Callable[[str, int], AbstractContextManager]
TYPES = {  # field → DuckDB expression over the raw text column (NULL when the cell does not parse)
    "start_date": "TRY_CAST({} AS DATE)", "end_date": "TRY_CAST({} AS DATE)", "session_date": "TRY_CAST({} AS DATE)",
    "exam_date": "TRY_CAST({} AS DATE)", "issued_on": "TRY_CAST({} AS DATE)", "enrolled_on": "TRY_CAST({} AS DATE)",
    "start_time": "TRY_CAST({} AS TIME)", "end_time": "TRY_CAST({} AS TIME)",
    "check_in": "TRY_STRPTIME({}, '%Y-%m-%d %H:%M:%S')", "check_out": "TRY_STRPTIME({}, '%Y-%m-%d %H:%M:%S')",
    "score": "TRY_CAST({} AS DECIMAL(5, 2))", "planned_hours": "TRY_CAST({} AS DECIMAL(7, 2))",
    "capacity": "TRY_CAST({} AS INTEGER)", "amount_fen": "CAST(ROUND(TRY_CAST({} AS DECIMAL(12, 2)) * 100) AS BIGINT)",
    "passed": "lower({}) IN ('是', 'yes', 'y', 'true', '1')", "id_number": "upper(trim({}))",
}
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = " + ".join(f"TRY_CAST(substr(id_number, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(_WEIGHTS))

RULES = {
    "ENR-ID-INVALID": f"""SELECT count(*) FROM roster WHERE length(id_number) <> 18
        OR substr('10X98765432', CAST(({_CHECK}) % 11 AS INTEGER) + 1, 1) IS DISTINCT FROM substr(id_number, 18, 1)""",
    "ATT-NOT-ENROLLED": """SELECT count(*) FROM attendance a ANTI JOIN roster r
        ON r.uscc = a.uscc AND r.class_id = a.class_id AND r.id_number = a.id_number""",
    "ATT-OUTSIDE-SESSION": """SELECT count(*) FROM attendance a ANTI JOIN sessions s
        ON s.uscc = a.uscc AND s.class_id = a.class_id AND s.start_at < a.check_out AND a.check_in < s.end_at""",
    "ATT-CLASH": """SELECT count(DISTINCT a.rid) FROM attendance a JOIN attendance o
        ON o.id_number = a.id_number AND o.day = a.day AND (o.uscc <> a.uscc OR o.class_id <> a.class_id)
        AND o.check_in < a.check_out AND a.check_in < o.check_out""",
    "ENR-OVERLAP": """WITH many AS (SELECT id_number FROM roster GROUP BY id_number HAVING count(*) > 1),
        e AS (SELECT r.* FROM roster r SEMI JOIN many m ON m.id_number = r.id_number)
        SELECT count(DISTINCT (e.uscc, e.class_id, e.id_number)) FROM e JOIN e o ON o.id_number = e.id_number
        AND (o.uscc <> e.uscc OR o.class_id <> e.class_id)
        JOIN sessions s ON s.uscc = e.uscc AND s.class_id = e.class_id
        JOIN sessions t ON t.uscc = o.uscc AND t.class_id = o.class_id AND s.start_at < t.end_at AND t.start_at < s.end_at""",
    "ATT-BURST": """SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM attendance
        WHERE check_in IS NOT NULL GROUP BY device_id, check_in HAVING count(*) >= 5)""",
    "CRT-DUPLICATE-NO": """SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM certificate
        GROUP BY certificate_no HAVING count(DISTINCT (uscc, class_id, id_number)) > 1)""",
    "hours": """CREATE TABLE hours AS
        WITH sched AS (SELECT uscc, class_id, sum(epoch(end_at - start_at)) / 60 AS minutes FROM sessions GROUP BY ALL),
        att AS (SELECT a.uscc, a.class_id, a.id_number,
                       sum(epoch(least(a.check_out, s.end_at) - greatest(a.check_in, s.start_at))) / 60 AS minutes
                FROM attendance a JOIN sessions s ON s.uscc = a.uscc AND s.class_id = a.class_id
                AND s.start_at < a.check_out AND a.check_in < s.end_at GROUP BY ALL)
        SELECT r.uscc, r.class_id, r.id_number, coalesce(att.minutes, 0) AS attended, sched.minutes AS scheduled
        FROM roster r JOIN sched USING (uscc, class_id) LEFT JOIN att USING (uscc, class_id, id_number)""",
    "ATT-LOW": "SELECT count(*) FROM hours WHERE attended < 0.8 * scheduled",
    "amounts": """CREATE TABLE amounts AS
        SELECT h.uscc AS payee, h.class_id, sum(c.amount) AS amount_fen
        FROM hours h JOIN classes k USING (uscc, class_id)
        JOIN catalog c ON c.occupation_code = k.occupation_code AND c.level = k.level
        JOIN assessment a USING (uscc, class_id, id_number)
        WHERE a.passed AND h.attended >= 0.8 * h.scheduled GROUP BY ALL""",
    "paid classes": "SELECT count(*) FROM amounts",
}


def _sheets(workdir: Path, keys: list[str]) -> list[tuple[str, list]]:
    """XLSX rows, read by calamine (Rust) when installed (the bench extra), else openpyxl in read-only mode."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        CalamineWorkbook = None  # noqa: N806
    from openpyxl import load_workbook

    out = []
    for key in keys:
        if CalamineWorkbook is not None:
            rows = CalamineWorkbook.from_path(str(workdir / key)).get_sheet_by_index(0).to_python()
            out.append((key, [[None if c == "" else c for c in r] for r in rows]))
            continue
        wb = load_workbook(workdir / key, read_only=True, data_only=True)
        out.append((key, [list(r) for r in wb.active.iter_rows(values_only=True)]))
        wb.close()
    return out


def _csv_groups(workdir: Path, keys: list[str]) -> dict[tuple, list[str]]:
    """CSV paths grouped by their header line; GBK ones rewritten as UTF-8 first (DuckDB reads UTF-8)."""
    groups: dict[tuple, list[str]] = {}
    for key in keys:
        path = workdir / key
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                continue  # unreadable: quarantined by the pipeline, nothing to parse
            path = workdir / "utf8" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        header = tuple(next(csv.reader(io.StringIO(text[:4096]))))
        groups.setdefault(header, []).append(str(path))
    return groups


def _load(con, kind: str, groups: dict[tuple, list[str]], sheets: list[tuple[str, list]]) -> None:  # noqa: ANN001
    """One table per kind: every spelling of every header mapped to its key, uscc from the path.
    Files with the same header are read by one read_csv with the schema given (no sniffing)."""
    import pyarrow as pa

    model = MODELS[kind]
    known = model.headers()
    fields = [known[f] for f in FIELDS[kind]]  # model field names (amount → amount_fen)
    parts = []
    for n, (header, paths) in enumerate(groups.items()):
        names = [known.get(h.strip().lower(), f"_extra{i}") for i, h in enumerate(header)]
        columns = {name: "VARCHAR" for name in names}
        if len(columns) != len(names):
            continue  # a header naming one column twice: rejected by the pipeline
        con.execute(f"CREATE TEMP TABLE raw_{kind}_{n} AS SELECT * FROM read_csv({paths!r}, header = true, "
                    f"auto_detect = false, delim = ',', quote = '\"', columns = {columns!r}, filename = true)")
        exprs = [f if f in columns else f"NULL AS {f}" for f in fields]
        parts.append(f"SELECT regexp_extract(filename, 'inbox/([^/]+)/', 1) AS uscc, {', '.join(exprs)} FROM raw_{kind}_{n}")
    for n, (key, rows) in enumerate(sheets):
        by_field = {known.get(str(h).strip().lower()): i for i, h in enumerate(rows[0])}
        cols = {f: [None if r[by_field[f]] is None else str(r[by_field[f]]) for r in rows[1:]] if f in by_field
                else [None] * (len(rows) - 1) for f in fields}
        con.register(f"sheet_{kind}_{n}", pa.table({"uscc": [key.split("/")[1]] * (len(rows) - 1), **cols}))
        parts.append(f"SELECT uscc, {', '.join(fields)} FROM sheet_{kind}_{n}")
    if not parts:
        parts.append(f"SELECT NULL::VARCHAR AS uscc, {', '.join(f'NULL::VARCHAR AS {f}' for f in fields)} WHERE false")
    typed = ", ".join(TYPES.get(f, "{}").format(f) + f" AS {f}" for f in fields)
    con.execute(f"CREATE TABLE {kind} AS SELECT uscc, {typed} FROM ({' UNION ALL '.join(parts)})")


def run(day: ProvinceDay, workdir: Path, stage: Stage) -> dict[str, int]:
    """Parse the day's files (already written under `workdir`) and run the rules; counts per rule."""
    import duckdb
    import openpyxl  # noqa: F401 - imports are not parsing: loaded before the clock starts
    import pyarrow  # noqa: F401

    try:
        import python_calamine  # noqa: F401
    except ImportError:
        pass

    con = duckdb.connect()
    keys = {kind: [k for k in day.keys_of(kind) if k.endswith((".csv", ".xlsx"))] for kind in FIELDS}
    xlsx = {kind: [k for k in ks if k.endswith(".xlsx")] for kind, ks in keys.items()}
    xlsx_rows = sum(day.rows[k] for ks in xlsx.values() for k in ks)
    rows = sum(day.rows[k] for ks in keys.values() for k in ks)
    with stage("floor parse xlsx", xlsx_rows):
        sheets = {kind: _sheets(workdir, ks) for kind, ks in xlsx.items()}
    with stage("floor parse csv", rows - xlsx_rows):
        for kind, ks in keys.items():
            _load(con, kind, _csv_groups(workdir, [k for k in ks if k.endswith(".csv")]), sheets[kind])
        con.execute("ALTER TABLE filing RENAME TO classes")
        con.execute("""CREATE TABLE sessions AS SELECT uscc, class_id, session_date + start_time AS start_at,
                       session_date + end_time AS end_at FROM schedule""")
        con.execute("ALTER TABLE attendance ADD COLUMN rid BIGINT; ALTER TABLE attendance ADD COLUMN day DATE")
        con.execute("UPDATE attendance SET rid = rowid, day = CAST(check_in AS DATE)")
        catalog = day.objects[next(k for k in day.objects if k.startswith("reference/subsidy_catalog/"))]
        lines = [line.split(",") for line in catalog.decode("utf-8-sig").splitlines()[1:]]
        con.execute("CREATE TABLE catalog (occupation_code VARCHAR, level VARCHAR, amount BIGINT)")
        con.executemany("INSERT INTO catalog VALUES (?, ?, ?)", [(c, lv, int(Decimal(a) * 100)) for c, lv, _, a in lines])
    out: dict[str, int] = {}
    with stage("floor rules", rows):
        for name, sql in RULES.items():
            res = con.execute(sql).fetchone()
            if res is not None:
                out[name] = int(res[0])
        out["amount_fen"] = int(con.execute("SELECT coalesce(sum(amount_fen), 0) FROM amounts").fetchone()[0])
    con.close()
    return out
