"""Decoding uploaded files into a header and raw rows (spec/uploads.md, "File rules").

CSV in UTF-8 (with or without BOM) or GB18030/GBK, or XLSX (first sheet). Anything
else raises Unreadable, which the pipeline answers with FILE-UNREADABLE and quarantine.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from schemas import csvsplit

csv.field_size_limit(64 * 1024 * 1024)


class Unreadable(Exception):
    """The bytes are not a CSV or XLSX table we can read (FILE-UNREADABLE)."""


class TooLarge(Exception):
    """Over the size or row limit (FILE-TOO-LARGE); nothing is loaded."""


@dataclass
class Table:
    header: list[Any]
    rows: list[tuple[int, list[Any]]]  # (line number as a spreadsheet shows it: header = 1, cells)
    encoding: str
    cells: Any = None  # a CSV read column-wise: polars Series of each row's cells (see schemas/csvsplit.py)


# Control characters other than tab and line ends, DEL and the replacement character.
_BAD_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 (BOM or not) first, then GB18030 (a superset of GBK); control bytes mean not a text table."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _BAD_CONTROLS.search(text):
            raise Unreadable("binary content (control characters) in a text file")
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    raise Unreadable("neither UTF-8 nor GB18030 text")


def read_table(data: bytes, *, max_rows: int) -> Table:
    """Header plus data rows; blank rows are dropped; more than max_rows raises TooLarge."""
    if data[:4] == b"PK\x03\x04":
        table = _read_xlsx(data, max_rows)
    else:
        table = _read_csv(data, max_rows)
    if not table.header or all(h is None or str(h).strip() == "" for h in table.header):
        raise Unreadable("no header row")
    return table


def _read_csv(data: bytes, max_rows: int) -> Table:
    text, encoding = decode_text(data)
    if not text.strip():
        raise Unreadable("empty file")
    plain = csvsplit.split_plain(text)
    if plain is None:
        return csv_module_table(text, encoding, max_rows)
    header, lines, cells = plain
    if len(lines) > max_rows:
        raise TooLarge(f"more than {max_rows} rows")
    return Table(header, list(zip(lines, cells.to_list(), strict=True)), encoding, cells)


def csv_module_table(text: str, encoding: str, max_rows: int) -> Table:
    """The csv module's reading, strict quoting: the reference, and the reader of every CSV with quotes."""
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = next(reader, [])
        rows: list[tuple[int, list[Any]]] = []
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            rows.append((line, row))
            if len(rows) > max_rows:
                raise TooLarge(f"more than {max_rows} rows")
    except csv.Error as exc:
        raise Unreadable(f"malformed CSV: {exc}") from None
    return Table(header, rows, encoding)


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    from openpyxl import load_workbook  # imported here: CSV-only runs never pay for it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as exc:
        raise Unreadable(f"corrupt XLSX: {type(exc).__name__}") from None
    except Exception as exc:  # openpyxl raises many kinds on hostile zips; all mean unreadable
        raise Unreadable(f"corrupt XLSX: {type(exc).__name__}") from None
    try:
        sheet = book.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        header = list(next(it, ()) or ())
        rows: list[tuple[int, list[Any]]] = []
        for line, row in enumerate(it, start=2):
            if not any(c is not None and str(c).strip() for c in row):
                continue
            rows.append((line, list(row)))
            if len(rows) > max_rows:
                raise TooLarge(f"more than {max_rows} rows")
    except TooLarge:
        raise
    except Exception as exc:
        raise Unreadable(f"corrupt XLSX: {type(exc).__name__}") from None
    finally:
        book.close()
    while header and (header[-1] is None):
        header.pop()
    return Table(header, rows, "xlsx")
