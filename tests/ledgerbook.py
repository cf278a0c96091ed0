"""What the suite broke and fed on purpose, for its closing summary (issue 6: "the suite names the faults
survived and the inputs tried"). Tests record an entry only after their assertions passed."""

from __future__ import annotations

from collections import Counter

FAULTS: list[str] = []
CONCURRENT: list[str] = []
INPUTS: Counter[str] = Counter()


def survived(fault: str) -> None:
    FAULTS.append(fault)


def ran_concurrently(scenario: str) -> None:
    CONCURRENT.append(scenario)


def tried(kind: str, n: int = 1) -> None:
    INPUTS[kind] += n
