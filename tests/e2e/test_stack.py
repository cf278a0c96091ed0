"""The real stack (SeaweedFS + Prefect server + deployments + worker + upload listener): an upload
gets its verdict with no processing command; a missed notification is picked up by the watcher;
the nightly schedule and the auditor's re-run are there in the Prefect API; and the control plane is
closed to anyone on the machine without the stack's secrets."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest

from infra.samples import csv_bytes, make_uscc, scenario
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
    up = cli(env, "stack", "up")  # migrates the fresh database first (as tests/integration/test_cli.py checks)
    assert up.returncode == 0, up.stderr + up.stdout
    assert "running skillsub db upgrade" in up.stdout
    status = json.loads(cli(env, "stack", "status", "--json").stdout)
    yield env, status
    pids = json.loads(Path(data, "stack.json").read_text())["pids"]
    down = cli(env, "stack", "down")
    assert down.returncode == 0, down.stderr
    # every process of the stack is gone (tests/integration/test_cli.py checks the store's up/down alone)
    assert cli(env, "stack", "status").returncode == 1
    from infra import stack as stack_mod

    assert {name for name, pid in pids.items() if stack_mod.pid_alive(pid)} == set()


def test_a_key_with_a_phone_and_an_id_is_answered_and_shown_nowhere_in_clear(stack) -> None:  # noqa: ANN001
    env, status = stack
    s3 = boto3.client("s3", endpoint_url=status["s3_endpoint_url"], aws_access_key_id=status["aws_access_key_id"],
                      aws_secret_access_key=status["aws_secret_access_key"], region_name="us-east-1")
    uscc, phone, id_number = scenario(TODAY).inst["A"], "13812345678", "11010519491231002X"
    key = f"inbox/{uscc}/roster/{phone}_{id_number}.csv"
    s3.put_object(Bucket="skillsub", Key=key, Body=csv_bytes(
        ["class_id", "id_number", "name", "phone", "category", "payer", "enrolled_on"],
        [["A-404", id_number, "某", phone, "migrant", "individual", TODAY.isoformat()]]))
    wait_for(s3, "skillsub", f"outbox/{uscc}/roster/{phone}_{id_number}.result.csv")  # through the listener
    shown = _api(env, status, """
import asyncio, json
from prefect.client.orchestration import get_client
async def main():
    async with get_client() as c:
        runs, artifacts = await c.read_flow_runs(), await c.read_artifacts()
    print(json.dumps([[r.name, r.parameters, r.idempotency_key] for r in runs]
                     + [[a.key, a.data, a.description] for a in artifacts], ensure_ascii=False, default=str))
asyncio.run(main())
""")
    assert "5678" in shown and "002X" in shown  # the gate artifacts name the upload, masked (and escaped)
    logs = "".join(p.read_text(errors="replace") for p in Path(env["SKILLSUB_DATA_DIR"], "prefect").glob("*.log"))
    assert "138****5678" in logs  # the listener logged what it submitted …
    # … and the task parameters Prefect keeps for the warm worker hold the masked key only
    stored = "".join(_stored_payload(p) for p in Path(env["SKILLSUB_DATA_DIR"], "prefect", "storage").rglob("*") if p.is_file())
    assert "138****5678" in stored
    for text in (shown, logs, stored):  # … and no process printed or stored the numbers
        assert phone not in text and id_number not in text


def _stored_payload(path: Path) -> str:
    """What a Prefect result-storage file holds, its base64 payload decoded (pickled task parameters)."""
    import base64

    try:
        record = json.loads(path.read_text())
        return base64.b64decode(record.get("result") or record.get("data") or "").decode("utf-8", "replace")
    except (ValueError, AttributeError):
        return path.read_text(errors="replace")


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
                            text=True, env={**os.environ, "PREFECT_API_URL": status["prefect_api_url"],
                                            "PREFECT_API_AUTH_STRING": status["prefect_api_auth_string"],
                                            "COLUMNS": "200"}, timeout=120)  # rich cuts long names at 80
    for name in ("process-upload/process-upload", "nightly/nightly", "rerun/rerun", "process-pending/inbox-watcher",
                 "monthly-report/monthly-report", "quarterly-report/quarterly-report", "annual-report/annual-report"):
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
    reports = _api(env, status, """
import asyncio, json
from prefect.client.orchestration import get_client
async def main():
    async with get_client() as c:
        out = {}
        for name in ("monthly-report/monthly-report", "quarterly-report/quarterly-report", "annual-report/annual-report"):
            s = (await c.read_deployment_by_name(name)).schedules[0].schedule
            out[name] = [s.cron, s.timezone]
        print(json.dumps(out))
asyncio.run(main())
""")
    assert json.loads(reports) == {  # issue 12: the period reports on their schedules, Shanghai time
        "monthly-report/monthly-report": ["0 6 5 * *", "Asia/Shanghai"],
        "quarterly-report/quarterly-report": ["0 6 10 1,4,7,10 *", "Asia/Shanghai"],
        "annual-report/annual-report": ["0 6 20 1 *", "Asia/Shanghai"]}
    state = _run_deployment(env, status, "rerun/rerun", {"stage": "all", "institution": "913205000000000000",
                                                         "dry_run": True, "auditor": "审计员", "reason": "policy check"},
                            wait=True)
    assert state == "COMPLETED"


def _pid(env: dict[str, str], name: str) -> int:
    return json.loads(Path(env["SKILLSUB_DATA_DIR"], "stack.json").read_text())["pids"][name]


def _api(env: dict[str, str], status: dict, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env, "PREFECT_API_URL": status["prefect_api_url"],
                               "PREFECT_API_AUTH_STRING": status["prefect_api_auth_string"]})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def _run_deployment(env: dict[str, str], status: dict, name: str, parameters: dict, wait: bool = False) -> str:
    timeout = 240 if wait else 0
    return _api(env, status, f"""
from prefect.deployments import run_deployment
run = run_deployment({name!r}, parameters={parameters!r}, timeout={timeout})
print(run.state.type.value if run.state else "NONE")
""")


def http(method: str, url: str, body: dict | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json",
                                                                            **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310 - loopback
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}


def test_the_prefect_api_refuses_a_run_without_the_auth_string_and_a_write_without_a_csrf_token(stack) -> None:  # noqa: ANN001
    _, status = stack
    api = status["prefect_api_url"]
    basic = {"Authorization": "Basic " + base64.b64encode(status["prefect_api_auth_string"].encode()).decode()}
    wrong = {"Authorization": "Basic " + base64.b64encode(b"skillsub:guessed").decode()}
    for headers in (None, wrong):  # no way in: no CSRF token, no deployment, no read
        assert http("GET", f"{api}/csrf-token?client=probe", None, headers)[0] == 401
        assert http("GET", f"{api}/deployments/name/rerun/rerun", None, headers)[0] == 401
        assert http("GET", f"{api}/flow_runs/{'0' * 8}-0000-0000-0000-{'0' * 12}", None, headers)[0] == 401
    with urllib.request.urlopen(urllib.request.Request(f"{api}/deployments/name/rerun/rerun", headers=basic),
                                timeout=30) as r:
        rerun = json.loads(r.read())["id"]
    # the probe of issue 13: an arbitrary command on the worker through the rerun deployment
    attack = {"parameters": {}, "job_variables": {"command": "id > /tmp/pwned"}}
    for headers in (None, wrong):
        assert http("POST", f"{api}/deployments/{rerun}/create_flow_run", attack, headers)[0] in (401, 403)
        assert http("POST", f"{api}/deployments/{rerun}/create_flow_run", attack,
                    {**(headers or {}), "Prefect-Csrf-Token": "forged", "Prefect-Csrf-Client": "probe"})[0] in (401, 403)
    assert http("POST", f"{api}/deployments/filter", {}, basic)[0] == 403  # authenticated, but no CSRF token
    with urllib.request.urlopen(urllib.request.Request(f"{api}/csrf-token?client=probe", headers=basic), timeout=30) as r:
        token = json.loads(r.read())["token"]
    assert http("POST", f"{api}/deployments/filter", {}, {**basic, "Prefect-Csrf-Token": token,
                                                          "Prefect-Csrf-Client": "probe"})[0] == 200
    assert http("POST", f"{api}/deployments/{rerun}/create_flow_run", attack,
                {**basic, "Prefect-Csrf-Token": "forged", "Prefect-Csrf-Client": "probe"})[0] == 403
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    _, answer = http("OPTIONS", f"{api}/deployments/filter", None, preflight)
    assert answer.get("access-control-allow-origin") != "http://evil.example"
    assert "*" not in answer.get("access-control-allow-origin", "")
    _, answer = http("OPTIONS", f"{api}/deployments/filter", None, {**preflight, "Origin": status["prefect_ui_url"]})
    assert answer.get("access-control-allow-origin") == status["prefect_ui_url"]  # the UI itself still works


def test_the_store_serves_outsiders_only_through_s3_and_keeps_its_files_private(stack) -> None:  # noqa: ANN001
    env, status = stack
    state = json.loads(Path(env["SKILLSUB_DATA_DIR"], "stack.json").read_text())
    uscc = make_uscc(77)
    granted = cli(env, "institution", "add", uscc, "--operator", "probe")
    assert granted.returncode == 0, granted.stderr
    s3 = boto3.client("s3", endpoint_url=status["s3_endpoint_url"], aws_access_key_id=status["aws_access_key_id"],
                      aws_secret_access_key=status["aws_secret_access_key"], region_name="us-east-1")
    s3.put_object(Bucket="skillsub", Key=f"inbox/{uscc}/roster/secret.csv", Body=b"id_number\n11010519491231002X\n")
    filer, volume = state["filer"], state["volume"]
    for method, url in [("GET", f"http://{filer}/etc/iam/identities/institution-{uscc}.json"),
                        ("GET", f"http://{filer}/etc/iam/identity.json"),
                        ("GET", f"http://{filer}/buckets/skillsub/inbox/{uscc}/roster/secret.csv"),
                        ("GET", f"http://{filer}/buckets/skillsub/inbox/?pretty=y"),
                        ("PUT", f"http://{filer}/buckets/skillsub/reference/pensioners/forged.csv"),
                        ("GET", f"http://{volume}/1,01")]:
        assert http(method, url, {} if method == "PUT" else None)[0] == 401, url
    data = Path(env["SKILLSUB_DATA_DIR"])
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert [str(p) for p in data.rglob("*") if p.is_dir() and p.stat().st_mode & 0o077] == []
    # weed chmods its volume-info files (.vif: version, replication; no data) to 0644 itself; the folders
    # above them are 0700, so no one else reaches them
    loose = [str(p) for p in data.rglob("*") if p.is_file() and p.suffix != ".vif" and p.stat().st_mode & 0o077]
    assert loose == []
    assert stat.S_IMODE((data / "stack.json").stat().st_mode) == 0o600


def test_the_stack_serves_the_console_behind_its_login(stack) -> None:  # noqa: ANN001
    """Issue 14: `stack up` starts the console; `stack status --json` names it; nothing but the login without a session."""
    _, status = stack
    url = status["console_url"]
    assert url and url.startswith("http://127.0.0.1:") and status["processes"]["console"]
    with urllib.request.urlopen(f"{url}/login", timeout=10) as r:  # noqa: S310 - loopback
        assert r.status == 200 and "登录" in r.read().decode("utf-8")
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                              {"redirect_request": lambda *a, **k: None}))
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(f"{url}/findings", timeout=10)
    assert refused.value.code == 303 and refused.value.headers["location"] == "/login"
