"""Personal data stays masked (issue 13, point 7): an object key holding a phone or ID number never reaches
flow-run parameters or artifacts in clear, uploaders' text is escaped in Markdown, and exports mask phones
as well as ID numbers."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date

from sqlalchemy import insert, select

from infra import db
from infra.logmask import mask_text
from infra.objectstore import MemoryStore
from infra.samples import person
from tasks import exports
from tasks.artifacts import gate_tables
from tests.conftest import fixed_now, make_services
from tests.integration.world import A, World, people

PHONE, ID = "13812345678", person(5, date(1990, 1, 1))


def test_export_findings_masks_phone_and_id_numbers_unless_asked(engine) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        conn.execute(insert(db.findings).values(
            rule_code="ENR-SHARED-PHONE", stage="enrollment", effect="hold_trainee", status="open", uscc=A,
            class_id=f"A-{PHONE}", id_number=ID, evidence=json.dumps({"phone": PHONE, "also": ID}), created_at=fixed_now()))
    svc = make_services(engine, MemoryStore())
    masked = exports.render(exports.findings(svc), exports.FINDING_COLUMNS, "csv")
    assert PHONE not in masked and ID not in masked and "138****5678" in masked
    full = exports.render(exports.findings(svc, unmask=True), exports.FINDING_COLUMNS, "json")
    assert PHONE in full and ID in full


def test_the_gate_summary_masks_the_key_and_escapes_what_the_uploader_wrote(engine) -> None:  # noqa: ANN001
    name = f"[click](http://evil.example)<img src=x>`{PHONE}`_{ID}"
    with engine.begin() as conn:
        conn.execute(insert(db.uploads).values(bucket="skillsub", key=f"inbox/{A}/roster/{name}.csv", etag="e",
                                               area="inbox", uscc=A, kind="roster", name=name, status="done"))
        upload_id = conn.execute(select(db.uploads.c.id)).scalar_one()
    _, summary = gate_tables(make_services(engine, MemoryStore()), upload_id)
    assert PHONE not in summary and ID not in summary
    heading, answer = summary.splitlines()[0], summary.splitlines()[-1]
    for line in (heading.removeprefix("### "), answer.removeprefix("- answer: ")):
        assert re.search(r"(?<!\\)[`\[\]()*_<>]", line) is None, line  # nothing the renderer would interpret
    assert "\\[click\\]\\(http://evil.example\\)&lt;img src=x&gt;\\`138\\*\\*\\*\\*5678\\`" in heading


def test_a_key_with_a_phone_number_is_processed_under_its_masked_name_and_never_shown_in_clear(
        pg_engine, prefect_harness) -> None:  # noqa: ANN001
    from prefect.client.orchestration import get_client

    from flows.process_upload import process_upload
    from tasks import prefect as ptasks

    store = MemoryStore()
    svc = make_services(pg_engine, store)
    w = World(svc)
    w.registries()
    w.file_class("A-1", sessions=0)
    key = f"inbox/{A}/roster/{PHONE}_{ID}.csv"
    p = people(2)
    w.svc.store.put(key, _roster(w, p))
    ptasks.use(svc)
    try:
        outcome = process_upload(mask_text(key))  # what the listener now submits
    finally:
        ptasks.use(None)
    assert outcome["status"] == "done"
    assert store.head(f"outbox/{A}/roster/{PHONE}_{ID}.result.csv") is not None  # the uploader's own answer

    async def shown() -> str:
        async with get_client() as client:
            runs = await client.read_flow_runs()
            artifacts = await client.read_artifacts()
        return json.dumps([r.parameters for r in runs] + [r.idempotency_key for r in runs]
                          + [(a.key, a.data, a.description) for a in artifacts], ensure_ascii=False, default=str)

    text = asyncio.run(shown())
    assert mask_text(key) in text
    assert PHONE not in text and ID not in text


def _roster(w: World, p: list[str]) -> bytes:
    from infra.samples import csv_bytes

    rows = [w.roster_row("A-1", x, f"1380000000{i}") for i, x in enumerate(p)]
    return csv_bytes(list(rows[0]), [list(r.values()) for r in rows])
