"""The suite's closing line about lost rows and files is counted from what the tests checked."""

import pytest

from tests import ledgerbook as book


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(book, "ACCOUNTED", book.Accounted())
    monkeypatch.setattr(book, "LOST", [])


def test_a_run_that_checked_nothing_does_not_claim_nothing_was_lost(fresh: None) -> None:
    assert book.loss_line() == "rows or files lost: not checked in this run"


def test_the_line_counts_the_files_and_rows_the_tests_accounted_for(fresh: None) -> None:
    book.accounted("roster", files=1, files_answered=1, rows=7, rows_answered=7)
    book.accounted("empty file", files=1, files_answered=1, rows=0, rows_answered=1)
    assert book.loss_line() == "accounted for: 2 files and 7 rows in 2 checks; rows or files lost: none"


def test_a_row_without_its_verdict_is_named_as_lost(fresh: None) -> None:
    book.accounted("roster", files=1, files_answered=1, rows=7, rows_answered=6)
    book.accounted("junk", files=1, files_answered=0, rows=0, rows_answered=0)
    assert book.loss_line() == ("accounted for: 1 files and 6 rows in 2 checks; rows or files lost: 2 "
                                "(roster: 0 of 1 files, 1 of 7 rows; junk: 1 of 1 files, 0 of 0 rows)")
