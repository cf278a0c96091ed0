"""Cell normalisation and parsing (spec/uploads.md, "File rules").

Every parser takes what a CSV or XLSX reader gives (str, int, float, date, datetime,
time or None) and returns a canonical value or raises ValueError with a short reason.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from schemas.codes import CODE_LISTS

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space fold to their ASCII twins;
# other CJK punctuation is left alone because names may contain it.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_EXCEL_EPOCH = date(1899, 12, 30)


def clean(value: object) -> str | None:
    """Trim, fold full-width characters; empty cells become None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).translate(_FULLWIDTH).strip()
    return text or None


_DATE_RES = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def parse_date(value: object) -> date:
    """YYYY-MM-DD, YYYY/MM/DD, YYYY年MM月DD日 or an Excel date cell."""
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise ValueError("date cell carries a time")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        if float(value).is_integer():  # an Excel serial day number
            return _EXCEL_EPOCH + timedelta(days=int(value))
    text = clean(value)
    if text is None:
        raise ValueError("empty date")
    for rx in _DATE_RES:
        m = rx.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            return date(y, mo, d)  # raises ValueError for 2026-02-30
    raise ValueError(f"not a date: {text[:40]}")


_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_time(value: object, *, need_seconds: bool = False) -> time:
    """HH:MM or HH:MM:SS (need_seconds: attendance times must carry seconds)."""
    if isinstance(value, datetime):
        value = value.time()
    if isinstance(value, time):
        return value.replace(microsecond=0)
    text = clean(value)
    if text is None:
        raise ValueError("empty time")
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(f"not a time: {text[:40]}")
    if need_seconds and m.group(3) is None:
        raise ValueError("time without seconds")
    return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


_TS_RE = re.compile(r"^(.+?)[ T]+(\d{1,2}:\d{2}(?::\d{2})?)$")


def parse_timestamp(value: object, *, need_seconds: bool = False) -> datetime:
    """Date and time (Asia/Shanghai wall clock, stored naive)."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None)
    text = clean(value)
    if text is None:
        raise ValueError("empty timestamp")
    m = _TS_RE.match(text)
    if not m:
        raise ValueError(f"not a timestamp: {text[:40]}")
    return datetime.combine(parse_date(m.group(1)), parse_time(m.group(2), need_seconds=need_seconds))


_YES = frozenset({"是", "y", "yes", "true", "1"})
_NO = frozenset({"否", "n", "no", "false", "0"})


def parse_bool(value: object) -> bool:
    """是/否, Y/N, yes/no, true/false, 1/0."""
    if isinstance(value, bool):
        return value
    text = clean(value)
    low = text.lower() if text else ""
    if low in _YES:
        return True
    if low in _NO:
        return False
    raise ValueError(f"not yes/no: {(text or '')[:40]}")


def parse_code(list_name: str, value: object) -> str:
    """A code from one of the lists of spec/uploads.md, by English key or Chinese label."""
    text = clean(value)
    if text is None:
        raise ValueError("empty code")
    key = CODE_LISTS[list_name].get(text.lower())
    if key is None:
        raise ValueError(f"unknown {list_name}: {text[:40]}")
    return key


_TOO_BIG = Decimal(10) ** 12


def parse_decimal(value: object, *, places: int = 2) -> Decimal:
    """A non-negative number with at most `places` decimals (floats from XLSX are read exactly as shown)."""
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, float):
        value = repr(value)
    text = clean(value)
    if text is None:
        raise ValueError("empty number")
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a number: {text[:40]}") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"not a non-negative number: {text[:40]}")
    if number >= _TOO_BIG:  # no amount, hour or score comes near; also keeps quantize inside its precision
        raise ValueError(f"number out of range: {text[:40]}")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"more than {places} decimals: {text[:40]}")
    return number


def parse_signed_decimal(value: object, *, places: int = 2) -> Decimal:
    """A number that may be negative (a score below zero is a rule finding, not a format error)."""
    text = clean(value)
    if text is not None and text.startswith("-"):
        return -parse_decimal(text[1:], places=places)
    return parse_decimal(value, places=places)


def parse_int(value: object) -> int:
    """A whole non-negative number."""
    number = parse_decimal(value, places=0)
    if number > 10**9:
        raise ValueError("number too large")
    return int(number)


def yuan_to_fen(value: object) -> int:
    """Money cells are yuan with at most two decimals; stored as integer fen."""
    return int((parse_decimal(value, places=2) * 100).to_integral_value(rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int) -> str:
    """Amounts print as yuan with two decimals ("1950.00"); recoveries keep their sign."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole}.{part:02d}"


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def parse_uscc(value: object) -> str:
    """Unified Social Credit Code (GB 32100): 18 characters with a check character."""
    text = clean(value)
    if text is None:
        raise ValueError("empty credit code")
    text = text.upper()
    if len(text) != 18 or any(c not in _USCC_CHARS for c in text):
        raise ValueError(f"not a credit code: {text[:40]}")
    if uscc_check_char(text[:17]) != text[17]:
        raise ValueError(f"credit code check character wrong: {text}")
    return text


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, weights, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


_PHONE_RE = re.compile(r"^1[0-9]{10}$")


def parse_phone(value: object) -> str:
    """Mainland mobile number: 11 digits starting with 1."""
    text = clean(value)
    if text is None or not _PHONE_RE.match(text):
        raise ValueError(f"not an 11-digit phone number: {(text or '')[:40]}")
    return text


def parse_text(value: object, *, max_len: int = 200) -> str:
    """Free text, trimmed; longer than max_len is a format error, not a silent cut."""
    text = clean(value)
    if text is None:
        raise ValueError("empty")
    if len(text) > max_len:
        raise ValueError(f"longer than {max_len} characters")
    return text


def normalise_id_number(value: object) -> str:
    """ID number cell: trimmed, full-width folded, trailing x upper-cased (checks come later)."""
    text = clean(value)
    if text is None:
        raise ValueError("empty ID number")
    if len(text) > 18:
        raise ValueError("ID number longer than 18 characters")
    return text[:-1] + text[-1].upper()
