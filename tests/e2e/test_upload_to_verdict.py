"""End to end: put_object on a real SeaweedFS → Prefect flow → outbox verdicts, on PostgreSQL."""

from __future__ import annotations

import json

import boto3
import pytest
from sqlalchemy import func, select

from infra import db
from infra.samples import scenario
from tests.conftest import TODAY, make_services
from tests.e2e.outbox import result as _result

pytestmark = pytest.mark.e2e


def _client(seaweed):  # noqa: ANN001, ANN202
    return boto3.client("s3", endpoint_url=seaweed.s3_endpoint_url, aws_access_key_id=seaweed.access_key,
                        aws_secret_access_key=seaweed.secret_key, region_name="us-east-1")


def test_uploads_get_their_verdicts_in_the_outbox(seaweed, s3_store, pg_engine, prefect_harness) -> None:  # noqa: ANN001
    from flows.process_upload import process_pending
    from tasks import prefect as ptasks

    svc = make_services(pg_engine, s3_store)
    ptasks.use(svc)
    client = _client(seaweed)
    sc = scenario(TODAY)
    for key, data in sc.objects.items():
        client.put_object(Bucket=s3_store.bucket, Key=key, Body=data)

    outcomes = {o["key"]: o for o in process_pending()}
    assert set(outcomes) == set(sc.objects)

    for key, status in sc.expected_files.items():
        assert outcomes[key]["status"] == status, key
    for key, expected in sc.expected_rows.items():
        rows = _result(client, s3_store.bucket, key)
        for label, (verdict, code) in expected.items():
            if label.startswith("row"):
                picked = [r for r in rows if r["row_no"] == label[3:]]
            else:
                picked = [r for r in rows if r.get("class_id", r.get("班级编号")) == label]
            assert picked, (key, label)
            for r in picked:
                assert r["verdict"] == verdict, (key, label, r)
                assert code in r["rule_codes"].split(";") if code else r["rule_codes"] == "", (key, label, r)

    garbage = next(k for k in sc.expected_files if k.endswith("garbage.csv"))
    reason = client.get_object(Bucket=s3_store.bucket, Key=f"quarantine/{garbage}.reason.txt")["Body"].read()
    assert reason.startswith(b"FILE-UNREADABLE")
    summary = json.loads(client.get_object(Bucket=s3_store.bucket, Key=garbage.replace("inbox/", "outbox/", 1)
                                           .replace(".csv", ".summary.json"))["Body"].read())
    assert summary["gate"] == "file_rejected"

    # Delivered again (a re-run, a second notification): nothing changes.
    with pg_engine.connect() as conn:
        before = [conn.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in (db.classes, db.enrolments, db.findings, db.row_verdicts)]
    assert process_pending() == []
    with pg_engine.connect() as conn:
        after = [conn.execute(select(func.count()).select_from(t)).scalar_one()
                 for t in (db.classes, db.enrolments, db.findings, db.row_verdicts)]
    assert after == before


def test_each_gate_run_publishes_a_masked_table_and_a_summary(seaweed, s3_store, pg_engine, prefect_harness) -> None:  # noqa: ANN001
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.process_upload import process_upload
    from tasks import prefect as ptasks

    svc = make_services(pg_engine, s3_store)
    ptasks.use(svc)
    sc = scenario(TODAY)
    for key in [k for k in sc.objects if k.startswith("reference/") or "/filing/2026-A" in k or "roster/A-001" in k]:
        s3_store.put(key, sc.objects[key])
    roster = next(k for k in sc.objects if "roster/A-001" in k)
    process_upload(roster)  # reference and the filing go first: stage order

    async def latest(key: str):  # noqa: ANN202
        async with get_client() as client:
            found = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                                sort="CREATED_DESC", limit=1)
            return found[0]

    found = asyncio.run(latest("gate-findings"))
    table = json.loads(found.data) if isinstance(found.data, str) else found.data
    codes = {row["rule_code"] for row in table}
    assert {"ENR-SHARED-PHONE", "ENR-ID-INVALID", "ENR-AGE"} <= codes
    text = json.dumps(table, ensure_ascii=False)
    assert "********" in text
    for number in [v for v in text.split('"') if len(v) == 18 and v[:17].isdigit()]:
        raise AssertionError(f"unmasked ID number in an artifact: {number}")
    summary = asyncio.run(latest("gate-summary")).data
    assert "roster/A-001" in summary and "accepted" in summary


def test_data_docs_of_a_gate_run_work_offline_and_show_no_id_number(s3_store, pg_engine) -> None:  # noqa: ANN001
    import re

    from tasks.ingest import process_object

    svc = make_services(pg_engine, s3_store)
    sc = scenario(TODAY)
    keys = [k for k in sc.objects if k.startswith("reference/") or "/filing/2026-A" in k or "/schedule/A-001" in k
            or "roster/A-001" in k]
    for key in keys:
        s3_store.put(key, sc.objects[key])
        out = process_object(svc, key, "docs-test")
    summary = json.loads(s3_store.get(out.key.replace("inbox/", "outbox/", 1).rsplit(".", 1)[0] + ".summary.json"))
    html = s3_store.get(summary["data_docs"]).decode("utf-8")
    assert "ENR-ID-INVALID" in html and "ENR-SHARED-PHONE" in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html), "Data Docs must not call out"
    assert not re.search(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])", html)
