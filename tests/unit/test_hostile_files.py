"""Property-based: whatever bytes arrive, decoding gives a table or a clear Unreadable/TooLarge, and
parsing any cells into any row model gives values and reasons — never a crash."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.samples import csv_bytes, xlsx_bytes
from schemas.files import TooLarge, Unreadable, read_table
from schemas.rows import match_headers, parse_cells, parse_row
from tasks.kinds import KINDS
from tests.ledgerbook import tried

ROSTER = ["班级编号", "身份证号", "姓名", "手机号", "人员类别", "出资方", "报名日期"]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def readable_or_refused(data: bytes) -> None:
    try:
        table = read_table(data, max_rows=1000)
    except (Unreadable, TooLarge) as exc:
        assert str(exc)  # the refusal says why
        return
    assert table.header and all(isinstance(line, int) and line >= 2 for line, _ in table.rows)


@FAST
@given(st.binary(max_size=4096))
def test_random_bytes_are_a_table_or_a_clear_refusal(data: bytes) -> None:
    readable_or_refused(data)
    tried("random bytes")


@FAST
@given(st.integers(min_value=0), st.binary(max_size=64))
def test_truncated_or_damaged_xlsx_is_a_table_or_a_clear_refusal(cut: int, junk: bytes) -> None:
    whole = xlsx_bytes(ROSTER, [["A-1", "110101199001011237", "张三", "13800000000", "migrant", "free", "2026-11-01"]])
    at = cut % len(whole)
    readable_or_refused(whole[:at] + junk)
    tried("truncated or damaged XLSX")


ENCODINGS = ["utf-16", "utf-16-be", "utf-32", "big5", "shift_jis", "euc_kr", "latin-1", "cp1252", "koi8_r"]


@FAST
@given(st.sampled_from(ENCODINGS), st.lists(st.text(max_size=12), min_size=1, max_size=5))
def test_text_in_a_wrong_encoding_is_refused_or_reads_as_unknown_headers(encoding: str, names: list[str]) -> None:
    text = "\n".join([",".join(ROSTER), *(f"A-1,110101199001011237,{n.replace(',', ' ')},1,migrant,free,2026-11-01"
                                           for n in names)])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode(encoding, errors="replace")
    try:
        table = read_table(data, max_rows=1000)
    except (Unreadable, TooLarge):
        tried("wrong encoding")
        return
    _, missing, _ = match_headers(KINDS["roster"].model, table.header)
    assert missing  # mojibake headers never pass as a roster: the file is rejected with FILE-MISSING-COLUMN
    tried("wrong encoding")


CELL = st.one_of(st.text(max_size=40), st.sampled_from(["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3", "\t=1",
                                                        "1e400", "NaN", "2026-02-30", "9" * 40, "", "  ", "是", "否"]))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(KINDS)), st.data())
def test_any_cells_parse_into_values_and_reasons_never_a_crash(kind: str, data: st.DataObject) -> None:
    model = KINDS[kind].model
    fields = list(model.model_fields)
    raw = {f: data.draw(CELL, label=f) for f in fields if data.draw(st.booleans(), label=f"has {f}")}
    values, errors = parse_row(model, raw)
    assert set(values) == set(fields)
    assert all(values[f] is None for f in errors)  # a cell that did not parse is never half-kept
    tried("random row cells")


def test_a_row_of_50000_columns_reads_and_the_extra_columns_are_ignored() -> None:
    header = ROSTER + [f"x{i}" for i in range(50_000 - len(ROSTER))]
    row = ["A-1", "110101199001011237", "张三", "13800000000", "migrant", "free", "2026-11-01"] + ["y"] * (50_000 - 7)
    table = read_table(csv_bytes(header, [row]), max_rows=10)
    positions, missing, extra = match_headers(KINDS["roster"].model, table.header)
    assert not missing and len(extra) == 50_000 - 7
    values, errors = parse_cells(KINDS["roster"].model, positions, table.rows[0][1])
    assert values["id_number"] == "110101199001011237" and not errors
    tried("50,000-column row")


def test_a_10_mb_cell_is_a_reason_not_a_crash() -> None:
    huge = "张" * (10 * 1024 * 1024 // 3)
    table = read_table(csv_bytes(ROSTER, [["A-1", "110101199001011237", huge, "13800000000", "migrant", "free",
                                           "2026-11-01"]]), max_rows=10)
    positions, _, _ = match_headers(KINDS["roster"].model, table.header)
    values, errors = parse_cells(KINDS["roster"].model, positions, table.rows[0][1])
    assert "name" in errors and values["name"] is None
    tried("10 MB cell")


def test_a_zip_that_is_not_a_workbook_is_unreadable() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    with pytest.raises(Unreadable):
        read_table(buf.getvalue(), max_rows=10)
    tried("zip that is not a workbook")
