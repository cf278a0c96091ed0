"""Property-based, through the whole upload path: whatever file an institution sends, it gets an answer in
its outbox, every row of a readable file ends with a verdict, nothing is half-loaded, and no cell we write
back for people can run as a formula."""

from __future__ import annotations

import csv
import io
import itertools
import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from infra import db
from infra.objectstore import MemoryStore
from infra.samples import csv_bytes, xlsx_bytes
from tests.conftest import _engine, _wipe, make_services
from tests.integration.world import A, World, people
from tests.ledgerbook import accounted, tried

HEADER = ["班级编号", "身份证号", "姓名", "手机号", "人员类别", "出资方", "报名日期"]
FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "@HYPERLINK(\"http://x\")", "-1+2", "\t=1+1", "\r=2"]
_n = itertools.count()


@pytest.fixture(scope="module")
def w(sqlite_url: str) -> World:
    eng = _engine(sqlite_url)
    _wipe(eng)
    world = World(make_services(eng, MemoryStore()))
    world.registries()
    world.file_class("A-1", sessions=0)
    return world


def roster_rows(draw: st.DrawFn) -> list[list[str]]:
    ids = people(draw(st.integers(min_value=1, max_value=4)), offset=draw(st.integers(min_value=100, max_value=900)))
    name = st.one_of(st.sampled_from(FORMULAS), st.text(min_size=1, max_size=20))
    return [["A-1", i, draw(name), draw(st.sampled_from(["13800000000", "=1+1", "1380000"])), "migrant", "free",
             draw(st.sampled_from(["2026-11-01", "2026-02-30", "@now"]))] for i in ids]


@st.composite
def hostile_files(draw: st.DrawFn) -> tuple[str, bytes]:
    shape = draw(st.sampled_from(["csv", "xlsx", "truncated xlsx", "wrong encoding", "random bytes"]))
    rows = roster_rows(draw)
    if shape == "csv":
        return shape, csv_bytes(HEADER, rows)
    if "xlsx" in shape:  # a workbook cannot hold control characters at all
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        rows = [[ILLEGAL_CHARACTERS_RE.sub("", c) for c in r] for r in rows]
    if shape == "xlsx":
        return shape, xlsx_bytes(HEADER, rows)
    if shape == "truncated xlsx":
        whole = xlsx_bytes(HEADER, rows)
        # workbooks carry a timestamp, so the cut is a share of the length (hypothesis replays draws)
        return shape, whole[: len(whole) * draw(st.integers(min_value=1, max_value=999)) // 1000]
    if shape == "wrong encoding":
        text = "\r\n".join(",".join(c.replace(",", " ").replace('"', " ") for c in r) for r in [HEADER, *rows])
        return shape, text.encode(draw(st.sampled_from(["utf-16", "big5", "shift_jis"])), errors="replace")
    return shape, draw(st.binary(min_size=1, max_size=2048))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(hostile_files())
@example(("binary", b"@"))  # a header cell of its own that could run as a formula: found by this test, once
def test_every_file_gets_an_answer_every_row_a_verdict_and_nothing_half_loaded(w: World, file: tuple[str, bytes]) -> None:
    shape, data = file
    key = f"inbox/{A}/roster/hostile-{next(_n)}.{'xlsx' if 'xlsx' in shape else 'csv'}"
    out = w.put_bytes(key, data)
    assert out.status in ("done", "rejected", "quarantined", "duplicate"), out
    result, summary = w.outbox(out)
    assert summary["status"] == out.status
    if out.status == "quarantined":
        assert w.svc.store.get(f"quarantine/{key}.reason.txt").decode().startswith(("FILE-UNREADABLE", "FILE-TOO-LARGE"))
    with w.svc.engine.connect() as conn:
        verdicts = dict(conn.execute(select(db.row_verdicts.c.verdict, func.count()).where(
            db.row_verdicts.c.upload_id == out.upload_id).group_by(db.row_verdicts.c.verdict)).all())
        loaded = conn.execute(select(func.count()).select_from(db.enrolments).where(
            db.enrolments.c.upload_id == out.upload_id)).scalar_one()
        staged = conn.execute(select(func.count()).select_from(db.stg_roster)).scalar_one()
    accounted(f"hostile upload ({shape})", files=1, files_answered=int(summary["upload_id"] == out.upload_id),
              rows=summary["rows"]["total"], rows_answered=len(list(csv.reader(io.StringIO(result)))) - 1)
    assert staged == 0
    if out.status == "done":
        assert sum(verdicts.values()) == summary["rows"]["total"]  # every row has its verdict
        assert loaded == verdicts.get("accepted", 0) + verdicts.get("accepted_flagged", 0)
    else:
        assert loaded == 0  # a refused file loads nothing
    for row in csv.reader(io.StringIO(result)):
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not (cell.startswith("-") and not cell.lstrip("-").replace(".", "").isdigit()), cell
    json.dumps(summary)
    tried(f"hostile upload ({shape})")
