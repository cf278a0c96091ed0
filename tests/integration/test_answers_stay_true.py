"""Answers that stay true: when a later upload, the nightly run or an auditor changes where a row stands,
the institution's outbox answer for that upload is written again and says what `export trainees` says."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import delete

from infra import db
from tasks import exports
from tasks.ingest import Outcome
from tasks.nightly_rules import reevaluate
from tasks.review import review
from tests.integration.world import A, B, World, people


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    world.file_class("A-1")
    world.file_class("B-1", B, start_time="09:00", end_time="17:00")  # overlaps A-1's 08:00–16:00
    return world


def answer(w: World, out: Outcome) -> tuple[dict[str, dict[str, str]], dict]:
    text, summary = w.outbox(out)
    return {r["id_number"]: r for r in csv.DictReader(io.StringIO(text))}, summary


def verdicts_in_export(w: World, uscc: str, class_id: str) -> dict[str, str]:
    return {t["id_number"]: t["enrolment_verdict"] for t in exports.trainees(w.svc, unmask=True)
            if (t["uscc"], t["class_id"]) == (uscc, class_id)}


def test_an_auditor_escalating_the_earlier_side_of_an_overlap_flags_its_answer(w: World) -> None:
    p, q = people(2)
    roster_a = w.upload(A, "roster", [w.roster_row("A-1", p, "13800000001"), w.roster_row("A-1", q, "13800000002")])
    rows, summary = answer(w, roster_a)
    assert rows[p]["verdict"] == "accepted" and summary["updated_at"] == summary["processed_at"]
    w.upload(B, "roster", [w.roster_row("B-1", p, "13800000001")])  # p in two classes at once: 一人多班
    rows, _ = answer(w, roster_a)  # B completed the pattern and is held; A's side is a warning for auditors
    assert (rows[p]["verdict"], rows[p]["rule_codes"]) == ("accepted", "")
    warning = next(f for f in w.findings("ENR-OVERLAP") if f["uscc"] == A)
    review(w.svc, warning["id"], "escalate", "A enrolled p knowing the hours", "审计员")
    rows, summary = answer(w, roster_a)
    assert (rows[p]["verdict"], rows[p]["rule_codes"]) == ("accepted_flagged", "ENR-OVERLAP")
    assert "一人多班" in rows[p]["reason_zh"] and "two classes" in rows[p]["reason_en"]
    assert rows[q]["verdict"] == "accepted"
    assert {i: r["verdict"] for i, r in rows.items()} == verdicts_in_export(w, A, "A-1")
    assert summary["rows"] == {"total": 2, "accepted": 1, "rejected": 0, "accepted_flagged": 1}
    assert summary["updated_at"] >= summary["processed_at"] and summary["updated_at"] != "None"


def test_an_auditor_dismissing_a_hold_releases_the_row_in_the_answer(w: World) -> None:
    p = people(4)
    roster = w.upload(A, "roster", [w.roster_row("A-1", x, "13912345678" if i < 3 else "13800000009")
                                    for i, x in enumerate(p)])
    assert [answer(w, roster)[0][x]["verdict"] for x in p] == ["accepted_flagged"] * 3 + ["accepted"]
    hold = next(f for f in w.findings("ENR-SHARED-PHONE") if f["id_number"] == p[0])
    review(w.svc, hold["id"], "dismiss", "same family, checked by phone call", "审计员 王")
    rows, summary = answer(w, roster)
    assert (rows[p[0]]["verdict"], rows[p[0]]["rule_codes"]) == ("accepted", "")
    assert rows[p[0]]["reason_en"] == "ENR-SHARED-PHONE: dismissed by an auditor" and "解除" in rows[p[0]]["reason_zh"]
    assert [rows[x]["verdict"] for x in p[1:]] == ["accepted_flagged", "accepted_flagged", "accepted"]
    assert {i: r["verdict"] for i, r in rows.items()} == verdicts_in_export(w, A, "A-1")
    assert summary["rows"]["accepted_flagged"] == 2


def test_an_auditor_confirming_a_hold_keeps_the_row_flagged(w: World) -> None:
    p = people(3)
    roster = w.upload(A, "roster", [w.roster_row("A-1", x, "13912345678") for x in p])
    before = answer(w, roster)
    review(w.svc, w.findings("ENR-SHARED-PHONE")[0]["id"], "confirm", "forged roster", "auditor")
    assert answer(w, roster) == before


def test_the_nightly_run_resolving_a_hold_releases_the_row_in_the_answer(w: World) -> None:
    p = people(1)
    roster_a = w.upload(A, "roster", [w.roster_row("A-1", p[0])])
    roster_b = w.upload(B, "roster", [w.roster_row("B-1", p[0])])
    assert answer(w, roster_a)[0][p[0]]["verdict"] == "accepted"  # the earlier side is only warned
    assert answer(w, roster_b)[0][p[0]]["verdict"] == "accepted_flagged"
    # B's class moves to the late shift (a correction made by the bureau): the overlap is gone
    with w.svc.engine.begin() as conn:
        conn.execute(delete(db.sessions).where(db.sessions.c.uscc == B))
    w.schedule("B-1", B, start_time="16:00", end_time="23:59")
    assert reevaluate(w.svc, "night-1").resolved["ENR-OVERLAP"] == 2
    rows, _ = answer(w, roster_a)  # never held: still what its own gate said
    assert (rows[p[0]]["verdict"], rows[p[0]]["rule_codes"], rows[p[0]]["reason_en"]) == ("accepted", "", "")
    assert {i: r["verdict"] for i, r in rows.items()} == verdicts_in_export(w, A, "A-1")
    rows, _ = answer(w, roster_b)  # flagged by its own gate: the answer says the hold is gone and why
    assert (rows[p[0]]["verdict"], rows[p[0]]["reason_en"]) == ("accepted", "ENR-OVERLAP: resolved")
    assert {i: r["verdict"] for i, r in rows.items()} == verdicts_in_export(w, B, "B-1")


def test_the_nightly_run_finding_an_overlap_the_upload_missed_flags_the_answer(w: World) -> None:
    p = people(1)
    roster_a = w.upload(A, "roster", [w.roster_row("A-1", p[0])])
    roster_b = w.upload(B, "roster", [w.roster_row("B-1", p[0])])
    with w.svc.engine.begin() as conn:  # as if the upload-time rule had missed it
        conn.execute(delete(db.findings).where(db.findings.c.rule_code == "ENR-OVERLAP"))
    reevaluate(w.svc, "night-1")
    rows, _ = answer(w, roster_b)  # the later side completed the pattern: held, and its answer says so
    assert (rows[p[0]]["verdict"], rows[p[0]]["rule_codes"]) == ("accepted_flagged", "ENR-OVERLAP")
    assert answer(w, roster_a)[0][p[0]]["verdict"] == "accepted"
