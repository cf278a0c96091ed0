"""Decoding files: UTF-8 with/without BOM, GBK, XLSX; anything else is unreadable."""

import pytest

from infra.samples import csv_bytes, xlsx_bytes
from schemas.files import TooLarge, Unreadable, read_table


def test_utf8_with_bom_and_gbk_read_the_same_chinese_header() -> None:
    rows = [["A-1", "张三"]]
    bom = b"\xef\xbb\xbf" + csv_bytes(["班级编号", "姓名"], rows)
    gbk = csv_bytes(["班级编号", "姓名"], rows, "gbk")
    assert read_table(bom, max_rows=10).header == read_table(gbk, max_rows=10).header == ["班级编号", "姓名"]
    assert read_table(gbk, max_rows=10).encoding == "gb18030"


def test_xlsx_first_sheet_is_read_with_line_numbers() -> None:
    t = read_table(xlsx_bytes(["a", "b"], [[1, "x"], [None, None], [2, "y"]]), max_rows=10)
    assert t.header == ["a", "b"]
    assert [line for line, _ in t.rows] == [2, 4]  # the blank line is skipped, numbering is not


def test_random_bytes_are_unreadable() -> None:
    with pytest.raises(Unreadable):
        read_table(bytes(range(256)) * 4, max_rows=10)


def test_truncated_xlsx_is_unreadable() -> None:
    data = xlsx_bytes(["a"], [[1]])
    with pytest.raises(Unreadable):
        read_table(data[: len(data) // 2], max_rows=10)


def test_more_rows_than_the_limit_is_too_large() -> None:
    with pytest.raises(TooLarge):
        read_table(csv_bytes(["a"], [[i] for i in range(11)]), max_rows=10)


def test_empty_file_is_unreadable() -> None:
    with pytest.raises(Unreadable):
        read_table(b"", max_rows=10)
