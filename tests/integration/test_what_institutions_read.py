"""What an institution and an auditor read: both languages, counts that agree with the verdicts, the trainee named."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tasks import exports
from tests.integration.world import A, B, World, people
from tests.ledgerbook import accounted


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    world.file_class("A-1", sessions=0)
    world.file_class("B-1", uscc=B, sessions=0)
    return world


def planted_roster(w: World):  # noqa: ANN201
    """Three people sharing one phone, one person twice, one row naming B's class, one clean row."""
    p = people(6)
    return w.upload(A, "roster", [
        w.roster_row("A-1", p[0], "13900000001"), w.roster_row("A-1", p[1], "13900000001"),
        w.roster_row("A-1", p[2], "13900000001"),
        w.roster_row("A-1", p[3], "13800000003"), w.roster_row("A-1", p[3], "13800000004"),
        w.roster_row("B-1", p[4], "13800000005"),
        w.roster_row("A-1", p[5], "13800000006"),
    ]), p


def test_the_summary_counts_rows_per_rule_code_exactly_as_the_answered_rows_show(w: World) -> None:
    out, _ = planted_roster(w)
    result, summary = w.outbox(out)
    answered = list(csv.DictReader(io.StringIO(result)))
    accounted("planted roster answered row by row", files=1, files_answered=1, rows=7, rows_answered=len(answered))
    assert len(answered) == summary["rows"]["total"] == 7
    rows_with = {code: sum(code in r["rule_codes"].split(";") for r in answered)
                 for code in {c for r in answered for c in r["rule_codes"].split(";") if c}}
    assert rows_with["ENR-SHARED-PHONE"] == 3 and rows_with["ENR-DUPLICATE"] == 1  # the repeat, not the first
    assert rows_with["ROW-UNKNOWN-CLASS"] == 1
    assert {code: v["rows"] for code, v in summary["rule_codes"].items()} == rows_with
    assert summary["rule_codes"]["ENR-SHARED-PHONE"]["zh"] == "同一手机号被多人使用"
    assert summary["rule_codes"]["ENR-SHARED-PHONE"]["en"] == "one phone number used by several people"
    failed = {c["rule_code"]: c["rows"] for c in summary["failed_checks"]}
    assert set(failed) == set(rows_with) and all(n > 0 for n in failed.values())
    assert failed["ENR-SHARED-PHONE"] == 3 and failed["ENR-DUPLICATE"] == 1


def test_a_clean_file_lists_no_failed_checks_and_no_rule_codes(w: World) -> None:
    out = w.upload(A, "roster", [w.roster_row("A-1", people(1)[0])])
    _, summary = w.outbox(out)
    assert (summary["failed_checks"], summary["rule_codes"]) == ([], {})
    assert summary["reason_zh"] == summary["reason_en"] == ""


def test_file_level_reasons_read_in_chinese_and_english(w: World) -> None:
    junk = w.put_bytes(f"inbox/{A}/roster/junk.csv", bytes(range(256)) * 4)
    reason = w.svc.store.get(f"quarantine/{junk.key}.reason.txt").decode("utf-8").splitlines()
    assert reason[0].startswith("FILE-UNREADABLE: 文件无法读取") and reason[1].startswith("FILE-UNREADABLE: file cannot be read")
    result, summary = w.outbox(junk)
    assert "文件无法读取" in summary["reason_zh"] and "file cannot be read" in summary["reason_en"]
    [answer] = list(csv.DictReader(io.StringIO(result)))
    assert "文件无法读取" in answer["reason_zh"] and "file cannot be read" in answer["reason_en"]

    rows = [w.roster_row("A-1", p) for p in people(2)]
    missing = w.upload(A, "roster", rows, header=[h for h in rows[0] if h != "phone"])
    _, summary = w.outbox(missing)
    assert summary["reason_zh"].startswith("FILE-MISSING-COLUMN: 缺少必填列") and "手机号" in summary["reason_zh"]
    assert summary["reason_en"].startswith("FILE-MISSING-COLUMN: a required column is missing")

    w.put_bytes(f"inbox/{A}/payroll/x.csv", b"a,b\n1,2\n")
    misplaced = w.svc.store.get(f"quarantine/inbox/{A}/payroll/x.csv.reason.txt").decode("utf-8")
    assert "文件无法读取" in misplaced and "file cannot be read" in misplaced and "payroll" in misplaced


def test_every_row_level_finding_of_a_roster_names_its_trainee(w: World) -> None:
    out, p = planted_roster(w)
    row_level = [f for f in w.findings() if f["upload_id"] == out.upload_id and f["effect"] != "hold_class"]
    assert {f["rule_code"] for f in row_level} >= {"ENR-SHARED-PHONE", "ENR-DUPLICATE", "ROW-UNKNOWN-CLASS"}
    assert all(f["id_number"] for f in row_level), [f["rule_code"] for f in row_level if not f["id_number"]]
    [foreign] = [f for f in row_level if f["rule_code"] == "ROW-UNKNOWN-CLASS"]
    assert foreign["id_number"] == p[4]


def test_the_findings_export_gives_reasons_in_both_languages_and_evidence_as_an_object(w: World) -> None:
    planted_roster(w)
    w.put_bytes(f"inbox/{A}/roster/junk.csv", bytes(range(256)) * 4)
    rows = json.loads(exports.render(exports.findings(w.svc), exports.FINDING_COLUMNS, "json"))
    phone = next(r for r in rows if r["rule_code"] == "ENR-SHARED-PHONE")
    assert phone["reason_zh"].startswith("ENR-SHARED-PHONE: 同一手机号被多人使用")
    assert phone["reason_en"].startswith("ENR-SHARED-PHONE: one phone number used by several people")
    assert isinstance(phone["evidence"], dict) and phone["evidence"]["key"].startswith(f"inbox/{A}/roster/")
    junk = next(r for r in rows if r["rule_code"] == "FILE-UNREADABLE")
    assert "文件无法读取" in junk["reason_zh"] and "file cannot be read" in junk["reason_en"]
    table = list(csv.DictReader(io.StringIO(exports.render(exports.findings(w.svc), exports.FINDING_COLUMNS, "csv")[1:])))
    assert json.loads(next(r for r in table if r["rule_code"] == "ENR-SHARED-PHONE")["evidence"])["key"]
