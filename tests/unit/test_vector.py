"""Property-based: the column-wise reader and parser give exactly what the csv module and the row model
give row by row — the same header, rows and line numbers, the same values and the same reasons."""

from __future__ import annotations

import sys
from datetime import date, datetime
from unittest.mock import patch

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.samples import csv_bytes, make_uscc, person
from schemas import csvsplit, files, vector
from schemas.codes import CODE_LISTS
from schemas.files import Table, TooLarge, Unreadable, read_table
from schemas.rows import UploadRow, match_headers, parse_cells
from schemas.vector import parse_table
from tasks.kinds import KINDS
from tasks.reference import MODELS
from tests.unit.test_hostile_files import CELL

ALL_MODELS = {**{f"inbox {k}": kind.model for k, kind in KINDS.items()}, **{f"reference {k}": m for k, m in MODELS.items()}}
EXAMPLES = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})

CANONICAL = st.sampled_from([
    "2026-03-01", "2026-03-01 08:00:00", "2027-12-31 23:59:59", "110101199001011237", "13800000000", "C-17",
    "08:00", "08:00:00", "12", "12.5", "1950.00", "0", "-3", "是", "否", "Y", make_uscc(3), "张三", "苏州市吴中区",
    person(7, date(1990, 1, 1)), *sorted({s for codes in CODE_LISTS.values() for s in codes}),
])
ODD = st.sampled_from([
    "2026/3/1", "2026年3月1日", "2026-3-1", "2026-02-30", "2026-02-29 08:00:00", "2026-03-01 24:00:00",
    "2026-03-01 08:00:60", "2026-03-01T08:00:00", "2026-03-01  08:00:00", "0000-01-01", "0999-01-01 00:00:00",
    "2026-03-01 8:00:00", "2026-03-01 08:00", "11010119900101123x", "1101011990010112371", "1380000000",
    " 13800000000", "\u3000C-1", "C-1\xa0", "a\x85", "a\u2028", "1,200.50", "1.234", "1e3", "FACE", "Face ", "N",
    "x" * 201, "张" * 200, "-0", "٣", "2026-03-01 08:00:00 ", " ", "\t", "",
])


@st.composite
def cell_text(draw: st.DrawFn) -> str:
    text = draw(st.one_of(CANONICAL, ODD, CELL, st.text(max_size=24)))
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        text = text.translate(FULL_WIDTH)
    return text


XLSX_VALUE = st.one_of(
    cell_text(), st.none(), st.booleans(), st.integers(min_value=-10, max_value=3 * 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.datetimes(min_value=datetime(1900, 1, 1)),
    st.dates(min_value=date(1900, 1, 1)), st.times(), st.sampled_from([45352, 45352.0, 45352.5, 1.5, 12.0]),
)


@st.composite
def header_of(draw: st.DrawFn, model: type[UploadRow]) -> list[str]:
    """Some of the model's columns in any order, English or Chinese, with extra and repeated columns."""
    fields = draw(st.lists(st.sampled_from(list(model.model_fields)), unique=True, min_size=1))
    header = [draw(st.sampled_from([model.en_header(f), model.zh_header(f)])) for f in fields]
    for extra in draw(st.lists(st.sampled_from(["备注", "remark", header[0]]), max_size=2)):
        header.insert(draw(st.integers(min_value=0, max_value=len(header))), extra)
    return header


def reference(model: type[UploadRow], positions: dict[int, str], table: Table) -> list[tuple]:
    return [(line, *parse_cells(model, positions, cells)) for line, cells in table.rows]


@EXAMPLES
@given(st.sampled_from(sorted(ALL_MODELS)), st.data())
def test_any_spreadsheet_cells_parse_column_wise_to_the_same_values_and_reasons(name: str, data: st.DataObject) -> None:
    model = ALL_MODELS[name]
    header = data.draw(header_of(model))
    rows = data.draw(st.lists(st.lists(XLSX_VALUE, max_size=len(header) + 1), max_size=12))
    table = Table(header, [(line, cells) for line, cells in enumerate(rows, start=2)], "xlsx")
    positions, _, _ = match_headers(model, header)
    assert parse_table(model, positions, table) == reference(model, positions, table)


PLAIN = st.one_of(cell_text(), st.text(st.characters(exclude_categories=("Cs",)), max_size=8)).map(
    lambda t: t.replace('"', "").replace(",", "").replace("\r", "").replace("\n", ""))


def outcome(data: bytes, max_rows: int) -> tuple:
    try:
        table = read_table(data, max_rows=max_rows)
    except (Unreadable, TooLarge) as exc:
        return type(exc), str(exc)
    return table.header, table.rows, table.encoding


def with_the_csv_module(data: bytes, max_rows: int) -> tuple:
    with patch.object(csvsplit, "split_plain", lambda text: None):
        return outcome(data, max_rows)


@EXAMPLES
@given(st.sampled_from(sorted(ALL_MODELS)), st.data())
def test_a_plain_csv_reads_and_parses_column_wise_as_the_csv_module_and_the_row_model_do(
        name: str, data: st.DataObject) -> None:
    model = ALL_MODELS[name]
    header = data.draw(header_of(model))
    rows = data.draw(st.lists(st.one_of(st.lists(PLAIN, max_size=len(header) + 1),
                                        st.sampled_from([[], [" "], ["", "  "], ["\u3000"]])), max_size=12))
    end = data.draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(",".join(r) for r in [header, *rows]) + data.draw(st.sampled_from(["", end, end * 2]))
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    raw = text.encode(encoding, errors="replace")
    max_rows = data.draw(st.integers(min_value=1, max_value=14))
    assert outcome(raw, max_rows) == with_the_csv_module(raw, max_rows)
    try:
        table = read_table(raw, max_rows=max_rows)
    except (Unreadable, TooLarge):
        return
    positions, _, _ = match_headers(model, table.header)
    assert parse_table(model, positions, table) == reference(model, positions, table)


@EXAMPLES
@given(st.lists(st.lists(st.one_of(cell_text(), st.sampled_from(['"', 'a"b', '"x,y"', "\r", '""'])), max_size=4),
                max_size=6), st.sampled_from(["\n", "\r\n", "\r"]))
def test_quotes_and_lone_carriage_returns_read_as_the_csv_module_reads_them(rows: list[list[str]], end: str) -> None:
    raw = end.join(",".join(r) for r in [["班级编号", "身份证号"], *rows]).encode("utf-8", errors="replace")
    assert outcome(raw, 10) == with_the_csv_module(raw, 10)


def test_a_100_row_attendance_csv_in_gbk_parses_column_wise_like_row_by_row() -> None:
    header = ["班级编号", "身份证号", "签到时间", "签退时间", "考勤方式", "设备编号"]
    rows = [[f"C{i % 3}", person(i, date(1990, 1, 1)), f"2027-03-{1 + i % 28:02d} 08:00:{i % 60:02d}",
             f"2027-03-{1 + i % 28:02d} 16:00:00", ["face", "人脸", "bogus"][i % 3], "设备1"] for i in range(100)]
    rows[5][2] = "２０２７-03-01 08:00:00"
    table = read_table(csv_bytes(header, rows, "gbk"), max_rows=1000)
    positions, _, _ = match_headers(KINDS["attendance"].model, table.header)
    parsed = parse_table(KINDS["attendance"].model, positions, table)
    assert table.cells is not None  # read column-wise, not by the csv module
    assert parsed == reference(KINDS["attendance"].model, positions, table)
    assert parsed[5][1]["check_in"] == datetime(2027, 3, 1, 8) and parsed[2][2] == {"method": "unknown method: bogus"}


def test_a_file_below_the_row_wise_size_parses_row_by_row_to_what_column_wise_gives() -> None:
    header = ["班级编号", "身份证号", "签到时间", "签退时间", "考勤方式", "设备编号"]
    rows = [[f"C{i % 3}", person(i, date(1990, 1, 1)), f"2027-03-{1 + i % 28:02d} 08:00:{i % 60:02d}",
             f"2027-03-{1 + i % 28:02d} 16:00:00", ["face", "人脸", "bogus"][i % 3], "设备1"] for i in range(30)]
    rows[5][2], rows[7][1] = "２０２７-03-01 08:00:00", "11010119900101123x"
    table = read_table(csv_bytes(header, rows, "gbk"), max_rows=1000)
    model = KINDS["attendance"].model
    positions, _, _ = match_headers(model, table.header)
    with patch.object(vector, "_parse_column", side_effect=AssertionError("column-wise")):
        row_wise = parse_table(model, positions, table, row_wise_below=31)
    assert row_wise == parse_table(model, positions, table, row_wise_below=30)  # 30 rows: column-wise
    assert row_wise[5][1]["check_in"] == datetime(2027, 3, 1, 8) and row_wise[2][2] == {"method": "unknown method: bogus"}


def test_blank_cells_and_edge_spaces_agree_with_pythons_strip_for_every_character() -> None:
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    s = pl.Series(chars)
    edge = s.str.contains(vector._EDGE_SPACE).to_list()
    assert [c for c, e in zip(chars, edge, strict=True) if e != (c.strip() != c)] == []
    readable = [c for c in chars if not files._BAD_CONTROLS.match(c)]  # the rest never reaches the reader
    blank = pl.Series(readable).str.contains(csvsplit._BLANK).to_list()
    assert [c for c, b in zip(readable, blank, strict=True) if b != (c.strip() == "" or c == ",")] == []


def test_a_cell_of_spaces_beside_canonical_text_stays_empty() -> None:
    model = KINDS["assessment"].model
    table = Table(["class_id"], [(2, ["C-1"]), (3, [" "]), (4, ["\u3000"])], "xlsx")
    positions, _, _ = match_headers(model, table.header)
    assert [values["class_id"] for _, values, _ in parse_table(model, positions, table)] == ["C-1", None, None]
