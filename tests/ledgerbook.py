"""What the suite broke and fed on purpose, for its closing summary (issue 6: "the suite names the faults
survived and the inputs tried"). Tests record an entry only after their assertions passed; the rows and
files accounted for are recorded before the assertion that checks them, so a loss is counted too."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

FAULTS: list[str] = []
CONCURRENT: list[str] = []
INPUTS: Counter[str] = Counter()


@dataclass
class Accounted:
    checks: int = 0
    files: int = 0
    rows: int = 0


ACCOUNTED = Accounted()
LOST: list[str] = []


def survived(fault: str) -> None:
    FAULTS.append(fault)


def ran_concurrently(scenario: str) -> None:
    CONCURRENT.append(scenario)


def tried(kind: str, n: int = 1) -> None:
    INPUTS[kind] += n


def accounted(check: str, *, files: int, files_answered: int, rows: int, rows_answered: int) -> None:
    """One check that every file sent got its answer and every row its verdict; a shortfall is a loss."""
    ACCOUNTED.checks += 1
    ACCOUNTED.files += min(files, files_answered)
    ACCOUNTED.rows += min(rows, rows_answered)
    if files_answered < files or rows_answered < rows:
        LOST.append(f"{check}: {files - files_answered} of {files} files, {rows - rows_answered} of {rows} rows")


def loss_line() -> str:
    """The closing line, from the counts above: never a claim the tests did not check."""
    a = ACCOUNTED
    if not a.checks:
        return "rows or files lost: not checked in this run"
    head = f"accounted for: {a.files} files and {a.rows} rows in {a.checks} checks; rows or files lost: "
    return head + (f"{len(LOST)} ({'; '.join(LOST[:5])})" if LOST else "none")
