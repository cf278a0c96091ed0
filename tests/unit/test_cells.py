"""Cell normalisation of spec/uploads.md: trimming, full-width, dates, times, yes/no, money."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from schemas import cells


def test_full_width_digits_and_letters_are_folded_and_cells_trimmed() -> None:
    assert cells.clean("  ＡＢ１２３　") == "AB123"


def test_empty_cells_are_none() -> None:
    assert cells.clean("   ") is None
    assert cells.clean(None) is None


@pytest.mark.parametrize("text", ["2026-03-01", "2026/3/1", "2026年03月01日", "2026年3月1日", "２０２６-０３-０１"])
def test_every_documented_date_spelling_parses(text: str) -> None:
    assert cells.parse_date(text) == date(2026, 3, 1)


def test_excel_date_cells_and_serials_parse() -> None:
    assert cells.parse_date(datetime(2026, 3, 1)) == date(2026, 3, 1)
    assert cells.parse_date(46082) == date(2026, 3, 1)


@pytest.mark.parametrize("text", ["2026-02-30", "2026.03.01", "March 1", "", "2026-13-01"])
def test_impossible_or_foreign_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        cells.parse_date(text)


def test_times_with_and_without_seconds() -> None:
    assert cells.parse_time("9:05") == time(9, 5)
    assert cells.parse_time("09:05:07") == time(9, 5, 7)


def test_attendance_timestamps_must_carry_seconds() -> None:
    assert cells.parse_timestamp("2026-03-01 08:59:59", need_seconds=True) == datetime(2026, 3, 1, 8, 59, 59)
    with pytest.raises(ValueError, match="seconds"):
        cells.parse_timestamp("2026-03-01 08:59", need_seconds=True)


@pytest.mark.parametrize(("text", "value"), [("是", True), ("否", False), ("Y", True), ("n", False), ("TRUE", True), ("0", False)])
def test_yes_no_cells(text: str, value: bool) -> None:
    assert cells.parse_bool(text) is value


def test_yes_no_refuses_anything_else() -> None:
    with pytest.raises(ValueError):
        cells.parse_bool("maybe")


def test_money_is_yuan_with_two_decimals_stored_as_fen() -> None:
    assert cells.yuan_to_fen("1950.5") == 195050
    assert cells.yuan_to_fen(1500) == 150000
    assert cells.yuan_to_fen(1234.56) == 123456  # an XLSX float is read as shown, not binary-rounded
    with pytest.raises(ValueError, match="decimals"):
        cells.yuan_to_fen("10.001")
    with pytest.raises(ValueError):
        cells.yuan_to_fen("-5")


def test_fen_print_as_yuan_with_sign() -> None:
    assert cells.fen_to_yuan(195000) == "1950.00"
    assert cells.fen_to_yuan(-5) == "-0.05"


def test_codes_accept_english_keys_and_chinese_labels() -> None:
    assert cells.parse_code("level", "中级工") == "4"
    assert cells.parse_code("level", "special") == "special"
    assert cells.parse_code("training_type", "以工代训") == "work_as_training"
    with pytest.raises(ValueError, match="unknown"):
        cells.parse_code("category", "火星人")


def test_credit_codes_have_a_check_character() -> None:
    body = "91320500MA1W00001"
    good = body + cells.uscc_check_char(body)
    assert cells.parse_uscc(good.lower()) == good
    wrong = body + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValueError, match="check"):
        cells.parse_uscc(wrong)


def test_id_number_trailing_x_is_upper_cased() -> None:
    assert cells.normalise_id_number(" 11010519491231002x ") == "11010519491231002X"


def test_numbers_keep_their_decimals_exactly() -> None:
    assert cells.parse_decimal("12.50") == Decimal("12.50")
    with pytest.raises(ValueError):
        cells.parse_int("3.5")
