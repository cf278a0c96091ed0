"""Upload handling: encodings, XLSX, unreadable and oversized files, missing columns, duplicates, history."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from infra import db
from infra.samples import FILING_ZH, ROSTER_ZH, csv_bytes, xlsx_bytes
from tests.conftest import make_services
from tests.integration.world import END, START, TODAY, A, World, people


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    return world


def _filing_cells(row: dict) -> list:
    order = ["class_id", "institution_uscc", "occupation_code", "occupation_name", "level", "training_type", "project_based",
             "start_date", "end_date", "planned_hours", "capacity", "venue", "teacher_id"]
    return [row[k] for k in order]


def test_an_xlsx_filing_with_chinese_headers_and_date_cells_is_loaded(w: World) -> None:
    row = _filing_cells(w.class_row("A-1", A, level="初级工", training_type="就业技能培训", project_based="是"))
    row[7], row[8] = START, END  # real Excel date cells
    out = w.put_bytes(f"inbox/{A}/filing/plan.xlsx", xlsx_bytes(FILING_ZH, [row]))
    assert out.status == "done" and w.verdicts(out) == {2: ("accepted", set())}
    with w.svc.engine.connect() as conn:
        cls = conn.execute(select(db.classes)).mappings().one()
    assert (cls["level"], cls["training_type"], cls["start_date"]) == ("5", "employment", START)


def test_a_gbk_roster_with_chinese_headers_is_loaded(w: World) -> None:
    w.file_class("A-1", sessions=0)
    p = people(1)[0]
    data = csv_bytes(ROSTER_ZH, [["A-1", p, "张三", "13800000001", "农村转移就业劳动者", "", "个人", TODAY.isoformat()]], "gbk")
    out = w.put_bytes(f"inbox/{A}/roster/名单.csv", data)
    assert w.verdicts(out) == {2: ("accepted", set())}
    with w.svc.engine.connect() as conn:
        assert conn.execute(select(db.enrolments.c.name, db.enrolments.c.category)).one() == ("张三", "migrant")
    result, summary = w.outbox(out)
    assert result.splitlines()[0].startswith("班级编号,身份证号") and "张三" in result
    assert summary["rows"] == {"total": 1, "accepted": 1, "rejected": 0, "accepted_flagged": 0}


def test_random_bytes_are_quarantined_with_a_reason_and_answered(w: World) -> None:
    key = f"inbox/{A}/roster/junk.csv"
    out = w.put_bytes(key, bytes(range(256)) * 16)
    assert out.status == "quarantined"
    store = w.svc.store
    assert store.get(f"quarantine/{key}") == bytes(range(256)) * 16
    assert store.get(f"quarantine/{key}.reason.txt").decode().startswith("FILE-UNREADABLE")
    result, summary = w.outbox(out)
    assert summary["gate"] == "file_rejected" and "FILE-UNREADABLE" in result
    [f] = w.findings("FILE-UNREADABLE")
    assert f["uscc"] == A and f["stage"] == "enrollment"


def test_a_truncated_xlsx_is_quarantined(w: World) -> None:
    data = xlsx_bytes(["a"], [[1]])
    assert w.put_bytes(f"inbox/{A}/filing/cut.xlsx", data[:300]).status == "quarantined"


def test_a_file_missing_a_required_column_loads_nothing_and_names_the_column(w: World) -> None:
    w.file_class("A-1", sessions=0)
    rows = [w.roster_row("A-1", p, f"1380000000{i}") for i, p in enumerate(people(3))]
    header = [h for h in rows[0] if h != "phone"]
    out = w.upload(A, "roster", rows, header=header)
    assert out.status == "rejected"
    assert all(v == ("rejected", {"FILE-MISSING-COLUMN"}) for v in w.verdicts(out).values())
    assert w.count(db.enrolments) == 0
    result, summary = w.outbox(out)
    assert "phone" in summary["reason"] and "手机号" in summary["reason"]
    assert len(result.splitlines()) == 4  # header + every input row answered


def test_a_file_over_the_row_limit_is_quarantined_not_half_loaded(engine) -> None:  # noqa: ANN001
    from infra.objectstore import MemoryStore

    w = World(make_services(engine, MemoryStore(), max_rows=5))
    w.registries()
    w.file_class("A-1", sessions=0)
    rows = [w.roster_row("A-1", p, f"138000000{i:02d}") for i, p in enumerate(people(6))]
    out = w.upload(A, "roster", rows)
    assert out.status == "quarantined" and "FILE-TOO-LARGE" in (out.reason or "")
    assert w.count(db.enrolments) == 0


def test_a_file_over_the_size_limit_is_quarantined(engine) -> None:  # noqa: ANN001
    from infra.objectstore import MemoryStore

    w = World(make_services(engine, MemoryStore(), max_file_bytes=100))
    out = w.put_bytes(f"inbox/{A}/roster/big.csv", b"class_id\n" + b"x\n" * 100)
    assert out.status == "quarantined" and "FILE-TOO-LARGE" in (out.reason or "")


def test_the_same_bytes_under_another_key_change_nothing(w: World) -> None:
    w.file_class("A-1", sessions=0)
    rows = [w.roster_row("A-1", p, f"1380000000{i}") for i, p in enumerate(people(3))]
    first = w.put(f"inbox/{A}/roster/monday.csv", rows)
    before = (w.count(db.enrolments), w.count(db.findings), w.count(db.row_verdicts), w.count(db.row_history))
    again = w.put(f"inbox/{A}/roster/monday-copy.csv", rows)
    assert again.status == "duplicate"
    assert (w.count(db.enrolments), w.count(db.findings), w.count(db.row_verdicts), w.count(db.row_history)) == before
    _, summary = w.outbox(again)
    assert summary["duplicate"] is True and summary["duplicate_of"] == first.upload_id


def test_the_same_object_processed_twice_is_processed_once(w: World) -> None:
    from tasks.ingest import process_object

    w.file_class("A-1", sessions=0)
    out = w.upload(A, "roster", [w.roster_row("A-1", people(1)[0])])
    again = process_object(w.svc, out.key, "second-run")
    assert again.status == "skipped"
    assert w.count(db.enrolments) == 1


def test_a_corrected_row_replaces_the_earlier_one_and_keeps_history(w: World) -> None:
    w.file_class("A-1", sessions=0)
    p = people(1)[0]
    w.upload(A, "roster", [w.roster_row("A-1", p, "13800000001", name="张山")])
    w.upload(A, "roster", [w.roster_row("A-1", p, "13800000001", name="张三")])
    with w.svc.engine.connect() as conn:
        assert conn.execute(select(db.enrolments.c.name)).scalars().all() == ["张三"]
        [old] = conn.execute(select(db.row_history.c.old_row).where(db.row_history.c.table_name == "enrolments")).scalars()
    assert json.loads(old)["name"] == "张山"


def test_a_reference_upload_replaces_the_dataset_and_keeps_the_old_version(w: World) -> None:
    p = people(2)
    w.put("reference/pensioners/v2.csv", [{"id_number": p[0]}, {"id_number": p[1]}])
    with w.svc.engine.connect() as conn:
        assert sorted(conn.execute(select(db.pensioners.c.id_number)).scalars()) == sorted(p)
        history = conn.execute(select(db.reference_history.c.row).where(db.reference_history.c.dataset == "pensioners")).scalars().all()
    assert len(history) == 1  # the one pensioner of version 1


def test_a_reference_file_with_a_bad_row_replaces_nothing(w: World) -> None:
    out = w.put("reference/pensioners/broken.csv", [{"id_number": people(1)[0]}, {"id_number": "1234567890123456789"}])
    assert out.status == "rejected"
    assert w.verdicts(out)[3] == ("rejected", {"ROW-FORMAT"})
    assert w.count(db.pensioners) == 1  # version 1 still in force


def test_extra_columns_are_ignored_and_reported(w: World) -> None:
    w.file_class("A-1", sessions=0)
    out = w.upload(A, "roster", [w.roster_row("A-1", people(1)[0]) | {"备注": "x"}])
    _, summary = w.outbox(out)
    assert summary["ignored_columns"] == ["备注"]


def test_formula_cells_are_neutralised_in_the_answer(w: World) -> None:
    w.file_class("A-1", sessions=0)
    out = w.upload(A, "roster", [w.roster_row("A-1", people(1)[0], name="=cmd|' /C calc'!A0")])
    result, _ = w.outbox(out)
    assert "'=cmd" in result


def test_a_key_outside_the_layout_is_quarantined(w: World) -> None:
    out = w.put_bytes(f"inbox/{A}/payroll/x.csv", b"a,b\n1,2\n")
    assert out.status == "quarantined"
    assert b"payroll" in w.svc.store.get(f"quarantine/inbox/{A}/payroll/x.csv.reason.txt")


def test_a_failure_mid_gate_leaves_no_staged_rows_and_a_retryable_upload(w: World, monkeypatch) -> None:  # noqa: ANN001
    from tasks.ingest import process_object

    w.file_class("A-1", sessions=0)
    gate = w.svc.gate()

    def broken(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise ConnectionError("database went away")

    monkeypatch.setattr(gate, "run", broken)
    key = f"inbox/{A}/roster/r.csv"
    w.svc.store.put(key, csv_bytes(["class_id", "id_number", "name", "phone", "category", "payer", "enrolled_on"],
                                   [["A-1", people(1)[0], "x", "13800000001", "migrant", "individual", TODAY.isoformat()]]))
    with pytest.raises(ConnectionError):
        process_object(w.svc, key, "r1")
    assert w.count(db.stg_roster) == 0 and w.count(db.enrolments) == 0
    monkeypatch.undo()
    assert process_object(w.svc, key, "r2").status == "done"
    assert w.count(db.enrolments) == 1


def test_the_summary_names_the_gate_checks_that_failed_and_a_clean_file_fails_none(w: World) -> None:
    clean = w.upload(A, "filing", [w.class_row("A-1", A)])
    planted = w.upload(A, "filing", [w.class_row("A-2", A, end_date=(START - timedelta(days=1)).isoformat())])
    assert w.outbox(clean)[1]["failed_checks"] == []
    assert w.outbox(planted)[1]["failed_checks"] == [
        {"rule_code": "FIL-DATES", "check": "dates and planned hours plausible", "rows": 1}]
