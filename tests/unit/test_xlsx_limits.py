"""What an XLSX declares is bounded before it is parsed (issue 13, bounded work per upload)."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.samples import xlsx_bytes
from schemas.files import TooLarge, Unreadable, XlsxLimits, check_xlsx, read_table
from tests.bombs import dimension_bomb, far_row_bomb, shared_strings_bomb, workbook
from tests.ledgerbook import tried

SMALL = XlsxLimits(uncompressed_bytes=2_000_000, shared_strings=20, columns=30, row_number=5_000, cells=50_000)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def column(n: int) -> str:
    name = ""
    while n:
        n, rest = divmod(n - 1, 26)
        name = _LETTERS[rest] + name
    return name


def test_a_shared_strings_bomb_is_refused_from_its_zip_before_any_parsing() -> None:
    bomb = shared_strings_bomb()
    assert len(bomb) < 600_000
    with pytest.raises(TooLarge, match="shared strings"):
        check_xlsx(bomb, XlsxLimits())


def test_a_two_kilobyte_xlsx_whose_row_is_numbered_ten_to_the_twelve_is_refused() -> None:
    bomb = far_row_bomb(10**12)
    assert len(bomb) < 5_000
    with pytest.raises(TooLarge, match="row number 1000000000000"):
        read_table(bomb, max_rows=200_000)


def test_a_sheet_declared_wider_than_any_upload_is_refused() -> None:
    with pytest.raises(TooLarge, match="column 16384"):
        read_table(dimension_bomb(), max_rows=200_000)


def test_a_sheet_expanding_past_the_uncompressed_limit_is_refused() -> None:
    with pytest.raises(TooLarge, match="expands to"):
        check_xlsx(workbook(list(range(2, 2000))), XlsxLimits(uncompressed_bytes=20_000))


def _with_row_tag(tag: str) -> bytes:
    """A valid workbook whose data row's start tag is replaced by `tag`."""
    src = zipfile.ZipFile(io.BytesIO(workbook([7])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for info in src.infolist():
            part = src.read(info.filename)
            book.writestr(info.filename, part.replace(b'<row r="7">', tag.encode()))
    return out.getvalue()


def test_markup_that_could_hide_a_row_number_from_the_scan_is_unreadable() -> None:
    assert read_table(_with_row_tag('<row r="7">'), max_rows=10).rows == [(7, ["A-1"])]
    for tag in ('<row foo=">" r="7">', '<row r="&#49;0000000000">'):
        with pytest.raises(Unreadable, match="unusual markup"):
            check_xlsx(_with_row_tag(tag), XlsxLimits())


def test_an_ordinary_workbook_passes_the_checks_unchanged() -> None:
    data = xlsx_bytes(["班级编号", "姓名"], [["A-1", "张三"], ["A-2", "李四"]])
    check_xlsx(data, XlsxLimits())
    assert read_table(data, max_rows=10, limits=SMALL).rows == [(2, ["A-1", "张三"]), (3, ["A-2", "李四"])]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.one_of(st.integers(2, 6_000), st.integers(2, 10**13)), min_size=0, max_size=4, unique=True),
       dimension=st.none() | st.tuples(st.integers(1, 60), st.one_of(st.integers(1, 6_000), st.integers(1, 10**13))),
       strings=st.integers(0, 40), prefix=st.sampled_from(["", "x"]))
def test_a_workbook_over_any_declared_limit_is_refused_and_one_within_them_reads_within_them(
        rows: list[int], dimension: tuple[int, int] | None, strings: int, prefix: str) -> None:
    rows = sorted(rows)
    ref = f"A1:{column(dimension[0])}{dimension[1]}" if dimension else None
    data = workbook(rows, dimension=ref, strings=strings, prefix=prefix)
    over = (any(r > SMALL.row_number for r in rows) or strings > SMALL.shared_strings
            or (dimension is not None and (dimension[0] > SMALL.columns or dimension[1] > SMALL.row_number
                                           or dimension[0] * dimension[1] > SMALL.cells)))
    try:
        table = read_table(data, max_rows=10_000, limits=SMALL)
    except TooLarge:
        assert over
        tried("XLSX over a declared limit")
        return
    assert not over
    assert all(line <= SMALL.row_number and len(cells) <= SMALL.columns for line, cells in table.rows)
    tried("XLSX within the declared limits")
