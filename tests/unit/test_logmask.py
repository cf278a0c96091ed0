"""Log lines carry no ID or mobile number: not in the message, its arguments or a traceback."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from infra import logmask
from infra.samples import make_uscc, person

ID = person(7, date(1990, 1, 1))
USCC = make_uscc(1)


def test_id_numbers_and_phones_are_masked_and_credit_codes_kept() -> None:
    text = logmask.mask_text(f"row 3: id {ID}, phone 13812345678, institution {USCC}, amount 150000")
    assert ID not in text and "13812345678" not in text
    assert f"{ID[:6]}********{ID[14:]}" in text and "138****5678" in text
    assert USCC in text and "150000" in text


def test_every_log_record_is_masked_once_installed(caplog: pytest.LogCaptureFixture) -> None:
    logmask.install()
    log = logging.getLogger("skillsub.test")
    with caplog.at_level(logging.INFO):
        log.info("enrolled %s with phone %s", ID, "13912345678")
        try:
            raise ValueError(f'duplicate key value violates unique constraint: Key (id_number)=({ID}) already exists')
        except ValueError:
            log.exception("upload failed")
    assert ID not in caplog.text and "13912345678" not in caplog.text
    assert "139****5678" in caplog.text and "already exists" in caplog.text
