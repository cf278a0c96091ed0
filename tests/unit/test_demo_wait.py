"""`skillsub demo` waits on progress, not on a fixed time, and says what is stuck in one line."""

from __future__ import annotations

import itertools

import pytest

from flows.demo_runs import DemoStuck, describe_unanswered, wait_for


def test_the_demo_keeps_waiting_while_something_moves() -> None:
    ticks = itertools.count()
    progress = iter(range(10_000))
    # 40 polls, each well within the stall time of the one before: far longer than the stall time in all
    wait_for(lambda: next(ticks) >= 40, lambda: next(progress), stall_seconds=0.05, stuck=lambda: "x", poll=0.005)


def test_the_demo_gives_up_when_nothing_moves_and_names_what() -> None:
    with pytest.raises(DemoStuck) as stuck:
        wait_for(lambda: False, lambda: "same", stall_seconds=0.02, stuck=lambda: "inbox/a/roster/r.csv never picked up",
                 poll=0.005)
    assert str(stuck.value).endswith("inbox/a/roster/r.csv never picked up") and "\n" not in str(stuck.value)


def test_unanswered_uploads_are_named_by_what_they_wait_for() -> None:
    states = {"k1": ("processing", "2026-11-26 10:00:00", "None"), "k2": ("done", "x", "None"), "k3": ("done", "x", "t")}
    assert describe_unanswered(states, ["k0", "k1", "k2", "k3"]) == (
        "3 of 4 uploads unanswered: k0 never picked up; k1 processing since 2026-11-26 10:00:00; "
        "k2 processed, answer not written")
