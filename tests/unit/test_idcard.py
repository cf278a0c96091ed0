"""ENR-ID-INVALID per GB 11643, with county codes deliberately unchecked."""

from datetime import date

from schemas.idcard import age_on, id_problem, make_id_number, mask_id

TODAY = date(2026, 11, 26)


def test_a_valid_number_from_a_district_stdnum_does_not_know_is_accepted() -> None:
    number = make_id_number("32050619900101001")  # 320506 吴中区
    assert id_problem(number, TODAY) is None


def test_wrong_check_digit_is_refused() -> None:
    number = make_id_number("11010519491231002")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert id_problem(wrong, TODAY) == "check digit wrong"


def test_impossible_birth_date_is_refused() -> None:
    assert id_problem(make_id_number("11010519490230002"), TODAY) == "impossible date of birth"


def test_birth_in_the_future_is_refused() -> None:
    assert id_problem(make_id_number("11010520300101002"), TODAY) == "date of birth out of range"


def test_unknown_province_is_refused() -> None:
    assert id_problem(make_id_number("99010519900101002"), TODAY) == "unknown province code"


def test_short_or_lettered_numbers_are_refused() -> None:
    assert id_problem("1101051949", TODAY) == "not 18 characters of digits"
    assert id_problem("11010519491231002Y", TODAY) == "bad check character"


def test_age_counts_completed_years() -> None:
    assert age_on(date(2010, 3, 2), date(2026, 3, 1)) == 15
    assert age_on(date(2010, 3, 1), date(2026, 3, 1)) == 16


def test_masking_keeps_region_and_last_four() -> None:
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_id("13800000000") == "138****0000"
