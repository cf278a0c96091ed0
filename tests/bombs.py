"""Hostile XLSX files that are small on the wire and huge to parse (issue 13), built from a valid workbook."""

from __future__ import annotations

import io
import zipfile

from infra.samples import xlsx_bytes

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def workbook(rows: list[int], *, dimension: str | None = None, strings: int = 0, prefix: str = "") -> bytes:
    """A one-sheet workbook: a header cell in row 1, one cell in each given row number, the declared
    dimension if any, and a shared-string table of `strings` two-letter strings. `prefix` writes every tag
    with a namespace prefix (x:row), as some writers do."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{_NS}"' if prefix else f'xmlns="{_NS}"'
    cells = "".join(f'<{p}row r="{r}"><{p}c r="A{r}" t="{"s" if strings else "inlineStr"}">'
                    + (f"<{p}v>0</{p}v>" if strings else f"<{p}is><{p}t>A-1</{p}t></{p}is>") + f"</{p}c></{p}row>"
                    for r in rows)
    header = f'<{p}row r="1"><{p}c r="A1" t="inlineStr"><{p}is><{p}t>class_id</{p}t></{p}is></{p}c></{p}row>'
    declared = f'<{p}dimension ref="{dimension}"/>' if dimension else ""
    parts = {"xl/worksheets/sheet1.xml":
             f"<{p}worksheet {xmlns}>{declared}<{p}sheetData>{header}{cells}</{p}sheetData></{p}worksheet>".encode()}
    if strings:
        base = zipfile.ZipFile(io.BytesIO(xlsx_bytes(["a"], [])))
        parts["xl/_rels/workbook.xml.rels"] = base.read("xl/_rels/workbook.xml.rels").replace(
            b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        parts["[Content_Types].xml"] = base.read("[Content_Types].xml").replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        parts["xl/sharedStrings.xml"] = (f'<{p}sst {xmlns} count="{strings}" uniqueCount="{strings}">'.encode()
                                         + f"<{p}si><{p}t>ab</{p}t></{p}si>".encode() * strings + f"</{p}sst>".encode())
    return _zip(parts)


def _zip(parts: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(xlsx_bytes(["class_id"], [["A-1"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for info in src.infolist():
            book.writestr(info.filename, parts.pop(info.filename, None) or src.read(info.filename))
        for name, data in parts.items():
            book.writestr(name, data)
    return out.getvalue()


def shared_strings_bomb(strings: int = 13_000_000) -> bytes:
    """Under 600 KB: millions of two-letter shared strings, each its own object once parsed."""
    return workbook([2], dimension="A1:A2", strings=strings)


def far_row_bomb(row: int = 10**12) -> bytes:
    """~2 KB: one data row numbered 10^12 and no declared dimension; openpyxl yields every empty row before it."""
    return workbook([row])


def dimension_bomb(ref: str = "A1:XFD1048576", rows: int = 20_000) -> bytes:
    """~100 KB: small rows in a sheet declared 16,384 columns wide; read-only mode pads every row to it."""
    return workbook(list(range(2, rows + 2)), dimension=ref)
