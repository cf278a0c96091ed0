"""The real stack (SeaweedFS + Prefect server + deployments + worker + upload listener): an upload
gets its verdict with no processing command; a missed notification is picked up by the watcher;
the nightly schedule and the auditor's re-run are there in the Prefect API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from infra.samples import csv_bytes, scenario
from tests.conftest import TODAY

pytestmark = pytest.mark.e2e


def cli(env: dict[str, str], *args: str, timeout: int = 400) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=timeout)


def wait_for(s3, bucket: str, key: str, seconds: int = 240) -> str:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8-sig")
        except s3.exceptions.NoSuchKey:
            time.sleep(1)
    raise AssertionError(f"{key} did not appear within {seconds}s")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    data = Path(tmp_path_factory.mktemp("stack"))
    env = {"SKILLSUB_DATA_DIR": str(data), "SKILLSUB_DATABASE_URL": f"sqlite:///{data / 'skillsub.db'}"}
    env.pop("SKILLSUB_TEST_STACK", None)
    assert cli(env, "db", "upgrade").returncode == 0
    up = cli(env, "stack", "up")
    assert up.returncode == 0, up.stderr + up.stdout
    status = json.loads(cli(env, "stack", "status", "--json").stdout)
    yield env, status
    cli(env, "stack", "down")


def test_an_upload_is_answered_without_any_processing_command(stack) -> None:  # noqa: ANN001
    env, status = stack
    s3 = boto3.client("s3", endpoint_url=status["s3_endpoint_url"], aws_access_key_id=status["aws_access_key_id"],
                      aws_secret_access_key=status["aws_secret_access_key"], region_name="us-east-1")
    sc = scenario(TODAY)
    wanted = [k for k in sc.objects if k.startswith("reference/") or "/filing/2026-A" in k or "/schedule/A-001" in k
              or "roster/A-001" in k]
    for key in wanted:  # landing together, roster included: stage order is kept
        s3.put_object(Bucket="skillsub", Key=key, Body=sc.objects[key])
    roster = next(k for k in wanted if "roster/A-001" in k)
    result = wait_for(s3, "skillsub", roster.replace("inbox/", "outbox/", 1).rsplit(".", 1)[0] + ".result.csv")
    rows = result.splitlines()
    assert rows[1].endswith(",2,accepted,,,") and "ENR-SHARED-PHONE" in rows[2]
    # Processed on the warm upload worker: task runs in the Prefect UI, with the gate's artifacts.
    seen = json.loads(_api(env, status, """
import asyncio, json
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, TaskRunFilter, TaskRunFilterName
async def main():
    async with get_client() as c:
        runs = await c.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="process-upload")))
        arts = await c.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["gate-findings"])))
        print(json.dumps({"runs": [r.state.type.value for r in runs if r.state],
                          "artifacts": sorted({str(a.task_run_id) for a in arts if a.task_run_id})}))
asyncio.run(main())
"""))
    assert "COMPLETED" in seen["runs"] and seen["artifacts"]

    # A missed notification: the listener is down when the file lands; the watcher finds it.
    os.kill(_pid(env, "listener"), 15)
    late = f"inbox/{sc.inst['A']}/roster/late.csv"
    s3.put_object(Bucket="skillsub", Key=late, Body=csv_bytes(
        ["class_id", "id_number", "name", "phone", "category", "payer", "enrolled_on"],
        [["A-404", "11010519491231002X", "某", "13800009999", "migrant", "individual", TODAY.isoformat()]]))
    time.sleep(3)
    _run_deployment(env, status, "process-pending/inbox-watcher", {})
    late_result = wait_for(s3, "skillsub", f"outbox/{sc.inst['A']}/roster/late.result.csv")
    assert "ROW-UNKNOWN-CLASS" in late_result


def test_deployments_schedule_and_an_auditor_rerun_through_the_prefect_api(stack) -> None:  # noqa: ANN001
    env, status = stack
    listed = subprocess.run([str(Path(sys.executable).parent / "prefect"), "deployment", "ls"], capture_output=True,
                            text=True, env={**os.environ, "PREFECT_API_URL": status["prefect_api_url"]}, timeout=120)
    for name in ("process-upload/process-upload", "nightly/nightly", "rerun/rerun", "process-pending/inbox-watcher"):
        assert name in listed.stdout.replace("│", " ")
    schedule = _api(env, status, """
import asyncio, json
from prefect.client.orchestration import get_client
async def main():
    async with get_client() as c:
        d = await c.read_deployment_by_name("nightly/nightly")
        s = d.schedules[0].schedule
        print(json.dumps({"cron": s.cron, "timezone": s.timezone}))
asyncio.run(main())
""")
    assert json.loads(schedule) == {"cron": "0 2 * * *", "timezone": "Asia/Shanghai"}
    state = _run_deployment(env, status, "rerun/rerun", {"stage": "all", "institution": "913205000000000000",
                                                         "dry_run": True, "auditor": "审计员", "reason": "policy check"},
                            wait=True)
    assert state == "COMPLETED"


def _pid(env: dict[str, str], name: str) -> int:
    return json.loads(Path(env["SKILLSUB_DATA_DIR"], "stack.json").read_text())["pids"][name]


def _api(env: dict[str, str], status: dict, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env, "PREFECT_API_URL": status["prefect_api_url"]})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def _run_deployment(env: dict[str, str], status: dict, name: str, parameters: dict, wait: bool = False) -> str:
    timeout = 240 if wait else 0
    return _api(env, status, f"""
from prefect.deployments import run_deployment
run = run_deployment({name!r}, parameters={parameters!r}, timeout={timeout})
print(run.state.type.value if run.state else "NONE")
""")
