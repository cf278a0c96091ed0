"""GB 11643 resident ID numbers (rule ENR-ID-INVALID, spec/rules.md).

Checks length, check digit, a real date of birth not in the future and a valid
province-level code. County codes are deliberately not checked: python-stdnum's
table misses current districts such as 320506 吴中区 (notes/traps.md).
"""

from __future__ import annotations

from datetime import date

from stdnum.iso7064 import mod_11_2

PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
})


def id_problem(id_number: str, today: date) -> str | None:
    """Why an ID number is invalid, or None when it is valid."""
    if len(id_number) != 18 or not id_number[:17].isascii() or not id_number[:17].isdigit():
        return "not 18 characters of digits"
    if id_number[17] not in "0123456789X":
        return "bad check character"
    if id_number[:2] not in PROVINCE_CODES:
        return "unknown province code"
    try:
        born = birth_date(id_number)
    except ValueError:
        return "impossible date of birth"
    if born > today or born.year < 1900:
        return "date of birth out of range"
    if not mod_11_2.is_valid(id_number):
        return "check digit wrong"
    return None


def birth_date(id_number: str) -> date:
    """Date of birth encoded in positions 7–14."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def age_on(born: date, day: date) -> int:
    """Completed years of age on a given day."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def make_id_number(first17: str) -> str:
    """The full ID number for 17 digits (test and sample data)."""
    return first17 + mod_11_2.calc_check_digit(first17)


def mask_id(value: str | None) -> str | None:
    """110105199001010022 → 110105********0022 style: region and last four kept."""
    if not value:
        return value
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[14:]
    if len(value) == 11:  # phone numbers
        return value[:3] + "****" + value[7:]
    keep = max(1, len(value) // 4)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]
