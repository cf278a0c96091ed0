"""Column-wise parsing of an upload's cells (issue 10, item 3): the same values and ROW-FORMAT reasons as
rows.parse_cells (spec/uploads.md, "File rules"), without a pydantic validation per row.

Per column, a vectorised check (polars) finds the cells already in canonical form — trimmed text, an
18-digit ID number, an ASCII date or timestamp — and converts them all at once. Every other distinct
spelling goes once through the row model itself (rows.parse_row on that one field), so odd spellings,
full-width digits and the bilingual reasons are exactly what the row-by-row path gives: a field's value
and reason depend on its own cell alone (the models have no cross-field validators).
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from datetime import date, datetime
from itertools import repeat
from typing import Any

import polars as pl

from schemas.files import Table
from schemas.rows import Day, IdNumber, Phone, Stamp, Text, UploadRow, parse_cells, parse_row

# Cells whose parser only trims and folds: canonical when nothing is folded or trimmed. Python's
# str.strip also strips \x1c-\x1f, which Unicode (and so polars' \s) does not call white space.
_FOLDED = r"[\x{3000}\x{FF01}-\x{FF5E}]"
_EDGE_SPACE = r"^[\s\x1c-\x1f]|[\s\x1c-\x1f]$"
_YEAR = r"[1-9][0-9]{3}"  # year 0 and years below 1000 take the reference path
_DATE = rf"{_YEAR}-[0-9]{{2}}-[0-9]{{2}}"
_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"


def _validator(alias: Any) -> Any:
    return typing.get_args(alias)[1]


def _text(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """parse_text: free text of at most 200 characters (cells.parse_text's max_len)."""
    ok = ~s.str.contains(_FOLDED) & ~s.str.contains(_EDGE_SPACE) & (s.str.len_chars() <= 200)
    return ok, s


def _regex(pattern: str) -> Any:
    def rule(s: pl.Series) -> tuple[pl.Series, pl.Series]:
        return s.str.contains(pattern), s

    return rule


def _strptime(pattern: str, dtype: Any, fmt: str) -> Any:
    def rule(s: pl.Series) -> tuple[pl.Series, pl.Series]:
        converted = s.str.strptime(dtype, fmt, strict=False)  # 2026-02-30 is null: the reference path says why
        return s.str.contains(pattern) & converted.is_not_null(), converted

    return rule


# The canonical spellings per cell type (validator identity: Text, IdNumber, … of schemas/rows.py).
_RULES = {
    id(_validator(Text)): _text,
    id(_validator(IdNumber)): _regex(r"^[0-9]{17}[0-9X]$"),
    id(_validator(Phone)): _regex(r"^1[0-9]{10}$"),
    id(_validator(Day)): _strptime(rf"^{_DATE}$", pl.Date, "%Y-%m-%d"),
    id(_validator(Stamp)): _strptime(rf"^{_DATE} {_CLOCK}$", pl.Datetime("us"), "%Y-%m-%d %H:%M:%S"),
}
# Result types polars holds exactly (Decimal would come back re-scaled: those columns are patched in Python).
_DTYPES = {str: pl.String, bool: pl.Boolean, int: pl.Int64, date: pl.Date, datetime: pl.Datetime("us")}


def parse_table(model: type[UploadRow], positions: dict[int, str], table: Table,
                row_wise_below: int = 0) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
    """Every data row of the table as (line, values, {field: reason}), equal to parse_cells row by row.
    A table of fewer than `row_wise_below` rows goes row by row: the column-wise path costs a few ms per
    file whatever its size (polars per column), more than the reference parser on a small file."""
    lines = [line for line, _ in table.rows]
    n = len(lines)
    if n == 0:
        return []
    if n < row_wise_below:
        return [(line, *parse_cells(model, positions, cells)) for line, cells in table.rows]
    fields = list(model.model_fields)
    column_of = {name: pos for pos, name in positions.items()}
    columns: list[Sequence[Any]] = []
    errors: list[dict[str, str]] = [{} for _ in range(n)]
    for name in fields:
        if name not in column_of:
            columns.append([None] * n)
            continue
        values, reasons = _parse_column(model, name, _cells(table, column_of[name]))
        columns.append(values)
        for i, reason in reasons:  # field order, as pydantic reports them
            errors[i][name] = reason
    # every column holds n values; map/zip build the row dicts without a Python-level loop (issue 10)
    return list(zip(lines, map(dict, map(zip, repeat(fields), zip(*columns, strict=True))), errors, strict=True))


def _cells(table: Table, pos: int) -> list[Any] | pl.Series:
    if table.cells is not None:  # the CSV reader's own split: a String column, null past a short row's end
        return table.cells.list.get(pos, null_on_oob=True)
    return [cells[pos] if pos < len(cells) else None for _, cells in table.rows]


def _parse_column(model: type[UploadRow], name: str,
                  cells: list[Any] | pl.Series) -> tuple[list[Any], list[tuple[int, str]]]:
    others: dict[int, Any] = {}
    if isinstance(cells, pl.Series):
        s = cells
    else:  # XLSX: numbers, dates and times go through the reference path one distinct value at a time
        others = {i: c for i, c in enumerate(cells) if c is not None and type(c) is not str}
        s = pl.Series(name, [None if i in others else c for i, c in enumerate(cells)] if others else cells,
                      dtype=pl.String)
    rule = _RULES.get(id(next(iter(model.model_fields[name].metadata), None)))
    blank = s.is_null() | (s == "")
    if rule is not None:
        ok, converted = rule(s)
        ok = ok.fill_null(False) & ~blank
    else:
        ok, converted = pl.Series([False] * len(s), dtype=pl.Boolean), pl.Series([None] * len(s))
    rest = ~ok & ~blank
    spellings = s.filter(rest).unique().to_list()
    parsed = {c: _parse_one(model, name, c) for c in spellings}
    values = _combine(s, ok, converted, parsed)
    reasons = _reasons(s, parsed)
    for i, c in others.items():
        value, reason = _parse_one(model, name, c)
        values[i] = value
        if reason is not None:
            reasons.append((i, reason))
    if others:
        reasons.sort()
    return values, reasons


def _parse_one(model: type[UploadRow], name: str, cell: Any) -> tuple[Any, str | None]:
    """The reference parser on one cell: the row model validating that field alone."""
    values, errors = parse_row(model, {name: cell})
    return values[name], errors.get(name)


def _combine(s: pl.Series, ok: pl.Series, converted: pl.Series, parsed: dict[Any, tuple[Any, str | None]]) -> list[Any]:
    canonical = pl.select(pl.when(ok).then(converted)).to_series()  # null wherever the cell is not canonical
    results = {c: v for c, (v, _) in parsed.items() if v is not None}
    if not results:
        return canonical.to_list()
    kinds = {type(v) for v in results.values()}
    dtype = _DTYPES.get(next(iter(kinds))) if len(kinds) == 1 else None
    if dtype is None:  # Decimal, or mixed types: patch the odd cells in Python
        values = canonical.to_list()
        for i in (~ok).arg_true().to_list():
            c = s[i]
            if c in results:
                values[i] = results[c]
        return values
    mapped = s.replace_strict(list(results), list(results.values()), default=None, return_dtype=dtype)
    if not ok.any():
        return mapped.to_list()
    return canonical.cast(dtype).zip_with(ok, mapped).to_list()


def _reasons(s: pl.Series, parsed: dict[Any, tuple[Any, str | None]]) -> list[tuple[int, str]]:
    bad = {c: r for c, (_, r) in parsed.items() if r is not None}
    if not bad:
        return []
    mapped = s.replace_strict(list(bad), list(bad.values()), default=None, return_dtype=pl.String)
    at = mapped.is_not_null()
    return list(zip(at.arg_true().to_list(), mapped.filter(at).to_list(), strict=True))
