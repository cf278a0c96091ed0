"""Personal data never reaches a log line: ID numbers and mobile numbers are masked in every record
(message, arguments and traceback — database errors quote the offending row's values)."""

from __future__ import annotations

import logging
import re

# 6-digit region, a birth date 19xx/20xx, 3 digits and a check character: an ID number (GB 11643).
# A credit code (USCC) has no birth date in those places and stays readable.
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})((?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    text = _ID.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


_installed = False


def install() -> None:
    """Wrap the log record factory once per process, so every logger and handler (Prefect's API log
    handler included) only ever sees masked text."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:  # noqa: ANN002, ANN003
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's problem to report, not ours
            return record
        record.msg, record.args = mask_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
