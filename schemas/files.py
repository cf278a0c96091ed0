"""Decoding uploaded files into a header and raw rows (spec/uploads.md, "File rules").

CSV in UTF-8 (with or without BOM) or GB18030/GBK, or XLSX (first sheet). Anything
else raises Unreadable, which the pipeline answers with FILE-UNREADABLE and quarantine.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class XlsxLimits:
    """What an XLSX may declare before it is parsed (spec/uploads.md, "File rules": FILE-TOO-LARGE). A few
    hundred bytes of zip can expand to gigabytes of XML, millions of shared strings, a sheet declared
    16,384 columns wide or a row numbered 10^12 that openpyxl would reach by yielding every empty row."""

    uncompressed_bytes: int = 256 * 1024 * 1024
    shared_strings: int = 2_000_000
    columns: int = 256
    row_number: int = 1_048_576
    cells: int = 20_000_000


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def read_table(data: bytes, *, max_rows: int, limits: XlsxLimits | None = None) -> Table:
    """Header plus data rows; blank rows are dropped; more than max_rows raises TooLarge. An XLSX is checked
    against `limits` (default XlsxLimits()) from its zip directory and streamed XML before it is parsed."""
    if is_xlsx(data):
        limits = limits or XlsxLimits()
        check_xlsx(data, limits)
        table = _read_xlsx(data, max_rows, limits)
    else:
        table = _read_csv(data, max_rows)
    if not table.header or all(h is None or str(h).strip() == "" for h in table.header):
        raise Unreadable("no header row")
    return table


def _read_csv(data: bytes, max_rows: int) -> Table:
    text, encoding = decode_text(data)
    if not text.strip():
        raise Unreadable("empty file")
    from schemas import (
        csvsplit,  # polars reserves address space: an XLSX child under RLIMIT_AS never loads it
    )

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


def check_xlsx(data: bytes, limits: XlsxLimits) -> None:
    """Raise TooLarge when the zip directory or any part declares more than `limits` allow. Reads the
    directory, then streams every part in 1 MiB chunks (constant memory whatever it expands to) and looks
    only at the tags that cost: shared strings, rows and the declared dimension. Markup that could hide
    such a tag from this scan (a DOCTYPE, a quoted '>', an escaped reference, a tag over 64 KiB) is
    refused; openpyxl would read it, no writer of real workbooks produces it."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        parts = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Unreadable(f"corrupt XLSX: {type(exc).__name__}") from None
    total = sum(p.file_size for p in parts)
    if total > limits.uncompressed_bytes:
        raise TooLarge(f"XLSX expands to {total} bytes > {limits.uncompressed_bytes}")
    scan = _PartScan(limits)
    for part in parts:
        try:
            with book.open(part) as stream:
                scan.part(stream)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise Unreadable(f"corrupt XLSX: {type(exc).__name__}") from None


_PREFIX = re.compile(rb"<[A-Za-z_][\w.-]*$")
_ATTR = {b"row": re.compile(rb"(?:^|\s)r\s*=\s*([\"'])(.*?)\1"), b"dimension": re.compile(rb"(?:^|\s)ref\s*=\s*([\"'])(.*?)\1")}
_REF = re.compile(r"^\$?([A-Za-z]{1,7})\$?(\d{1,15})$")
_MAX_TAG = 64 * 1024


def _cell(ref: str) -> tuple[int, int] | None:
    """(column, row) of an A1 reference; None when it is not one (openpyxl then fails on its own)."""
    m = _REF.match(ref.strip())
    if m is None:
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return col, int(m.group(2))


class _PartScan:
    """Shared strings counted over the whole workbook; row numbers and dimensions bounded in every part."""

    def __init__(self, limits: XlsxLimits) -> None:
        self.limits = limits
        self.strings = 0

    def part(self, stream: Any) -> None:
        carry = b""
        while chunk := stream.read(1 << 20):
            buf = carry + chunk
            cut = buf.rfind(b"<")
            if cut == -1 or buf.find(b">", cut) != -1:
                cut = len(buf)  # no tag left open at the end of this chunk
            elif len(buf) - cut > _MAX_TAG:
                raise Unreadable(f"corrupt XLSX: a tag longer than {_MAX_TAG} bytes")
            self._look(buf[:cut])
            carry = buf[cut:]
        self._look(carry)

    def _look(self, buf: bytes) -> None:
        if b"<!DOCTYPE" in buf:
            raise Unreadable("corrupt XLSX: a DOCTYPE in an XML part")
        # "<si" bounds the unprefixed shared strings from above at C speed (a <sig…> tag only counts too many)
        self.strings += buf.count(b"<si") + (sum(1 for _ in _start_tags(buf, b"si")) if b":si" in buf else 0)
        if self.strings > self.limits.shared_strings:
            raise TooLarge(f"more than {self.limits.shared_strings} shared strings")
        for name in (b"row", b"dimension"):
            for attrs in _start_tags(buf, name):
                if attrs.count(b'"') % 2 or attrs.count(b"'") % 2 or b"&" in attrs:
                    raise Unreadable(f"corrupt XLSX: unusual markup in a <{name.decode()}> tag")
                value = _ATTR[name].search(attrs)
                if value is None:
                    continue
                text = value.group(2).decode("ascii", "replace").strip()
                if name == b"dimension":
                    self._dimension(text)
                elif text.isdigit() and int(text) > self.limits.row_number:
                    raise TooLarge(f"row number {text} > {self.limits.row_number}")

    def _dimension(self, ref: str) -> None:
        corners = [c for c in (_cell(x) for x in ref.split(":")) if c is not None]
        if not corners:
            return
        cols = max(c[0] for c in corners) - min(c[0] for c in corners) + 1
        rows = max(c[1] for c in corners) - min(c[1] for c in corners) + 1
        if max(c[0] for c in corners) > self.limits.columns:
            raise TooLarge(f"declared dimension {ref}: column {max(c[0] for c in corners)} > {self.limits.columns}")
        if max(c[1] for c in corners) > self.limits.row_number:
            raise TooLarge(f"declared dimension {ref}: row {max(c[1] for c in corners)} > {self.limits.row_number}")
        if cols * rows > self.limits.cells:
            raise TooLarge(f"declared dimension {ref} holds {cols * rows} cells > {self.limits.cells}")


def _start_tags(buf: bytes, name: bytes) -> Iterator[bytes]:
    """The attribute text of every start tag <name ...> or <prefix:name ...> in buf (bytes.find: C speed)."""
    at = buf.find(name)
    while at != -1:
        end = at + len(name)
        if at > 0 and buf[end:end + 1] in (b" ", b"\t", b"\r", b"\n", b"/", b">"):
            before = buf[at - 1:at]
            if before == b"<" or (before == b":" and _PREFIX.search(buf, max(0, at - 65), at - 1)):
                close = buf.find(b">", end)
                yield buf[end:close if close != -1 else len(buf)]
        at = buf.find(name, end)


def _read_xlsx(data: bytes, max_rows: int, limits: XlsxLimits) -> Table:
    from openpyxl import load_workbook  # imported here: CSV-only runs never pay for it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as exc:
        raise Unreadable(f"corrupt XLSX: {type(exc).__name__}") from None
    except MemoryError:  # over the memory budget is not "corrupt": the budget's owner answers it
        raise
    except Exception as exc:  # openpyxl raises many kinds on hostile zips; all mean unreadable
        raise Unreadable(f"corrupt XLSX: {type(exc).__name__}") from None
    try:
        sheet = book.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        header = list(next(it, ()) or ())
        rows: list[tuple[int, list[Any]]] = []
        for line, row in enumerate(it, start=2):
            if line > limits.row_number:  # a row number check that does not trust the scan alone
                raise TooLarge(f"row number {line} > {limits.row_number}")
            if not any(c is not None and str(c).strip() for c in row):
                continue
            rows.append((line, list(row)))
            if len(rows) > max_rows:
                raise TooLarge(f"more than {max_rows} rows")
    except (TooLarge, MemoryError):
        raise
    except Exception as exc:
        raise Unreadable(f"corrupt XLSX: {type(exc).__name__}") from None
    finally:
        book.close()
    while header and (header[-1] is None):
        header.pop()
    return Table(header, rows, "xlsx")
