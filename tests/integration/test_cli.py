"""The skillsub command line as an operator uses it: db upgrade, stack, export findings.

True `skillsub` processes where the process is what is tested (one clear line for bad settings, the stack
it leaves running, the help text, one nightly run with Prefect's own ephemeral server); the other commands
run in this process (tests/cli.py), where each saves a process start of seconds.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.database import is_at_head
from tests.cli import skillsub_here
from tests.cli import skillsub_process as skillsub
from tests.integration.world import A, D, World, people


def test_bad_settings_fail_with_one_clear_line(tmp_path: Path) -> None:
    out = skillsub({"SKILLSUB_DATA_DIR": str(tmp_path), "SKILLSUB_POLICY": "atlantis"}, "db", "upgrade")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "SKILLSUB_POLICY" in out.stderr


def test_stack_up_status_down_runs_an_authenticated_store(tmp_path: Path) -> None:
    """The store's part of `stack up`; the whole stack (Prefect server, deployments, workers, listener,
    console) is started, used and stopped by tests/e2e/test_stack.py, whose teardown checks `stack down`."""
    env = {"SKILLSUB_DATA_DIR": str(tmp_path)}
    up = skillsub(env, "stack", "up", "--s3-only")
    assert up.returncode == 0, up.stderr
    try:
        assert "the database was not migrated: running skillsub db upgrade" in up.stdout
        assert is_at_head(f"sqlite:///{tmp_path / 'skillsub.db'}")  # a fresh data dir: runs find their tables
        status = json.loads(skillsub(env, "stack", "status", "--json").stdout)
        assert status["running"] and status["bucket"] == "skillsub"
        assert oct((tmp_path / "stack.json").stat().st_mode & 0o777) == "0o600"
        good = boto3.client("s3", endpoint_url=status["s3_endpoint_url"], aws_access_key_id=status["aws_access_key_id"],
                            aws_secret_access_key=status["aws_secret_access_key"], region_name="us-east-1")
        good.put_object(Bucket="skillsub", Key="inbox/x/roster/a.csv", Body=b"a")
        stranger = boto3.client("s3", endpoint_url=status["s3_endpoint_url"], aws_access_key_id="nobody",
                                aws_secret_access_key="nothing", region_name="us-east-1")
        with pytest.raises(ClientError):
            stranger.list_objects_v2(Bucket="skillsub")
    finally:
        down = skillsub(env, "stack", "down")
    assert down.returncode == 0
    assert skillsub(env, "stack", "status").returncode == 1


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    world.file_class("A-1", sessions=0)
    return world


def test_a_rerun_that_cannot_run_is_refused_in_one_line_before_any_flow_starts(w: World, tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from infra import db

    env = {"SKILLSUB_DATABASE_URL": w.svc.engine.url.render_as_string(hide_password=False),
           "SKILLSUB_DATA_DIR": str(tmp_path)}
    who = ("--auditor", "审计员", "--reason", "check")
    refusals = {
        ("--stage", "bogus", "--institution", A): "unknown stage 'bogus': use one of all, filing",
        ("--stage", "all", "--from", "2026-13-45"): "--from '2026-13-45' is not a date: use YYYY-MM-DD",
        ("--stage", "all", "--from", "2026-11-01", "--to", "2026-10-01"): "--to 2026-10-01 is before --from 2026-11-01",
        ("--stage", "all", "--class", f"{A}/NO-SUCH"): f"unknown class {A}/NO-SUCH",
        ("--stage", "all", "--institution", D): f"unknown institution {D}",
    }
    for args, message in refusals.items():
        out = skillsub_here(env, "rerun", *args, *who)
        assert (out.returncode, out.stdout) == (2, ""), out.stderr
        assert out.stderr.count("\n") == 1 and out.stderr.startswith(f"skillsub: {message}"), out.stderr
    with w.svc.engine.connect() as conn:  # nothing ran: not even the audit log recorded a re-run
        assert conn.execute(select(func.count()).select_from(db.audit_log)).scalar_one() == 0


def test_every_option_taking_a_date_names_its_format() -> None:
    env = {"COLUMNS": "200", "TERM": "dumb"}
    rerun_help = skillsub(env, "rerun", "--help").stdout
    nightly_help = skillsub(env, "nightly", "--help").stdout
    for option in ("--from", "--to"):
        line = next(x for x in rerun_help.splitlines() if f"{option} " in x)
        assert "YYYY-MM-DD" in line, line
    assert "YYYY-MM-DD" in next(x for x in nightly_help.splitlines() if "--date" in x)


def test_export_findings_masks_id_numbers_unless_asked(w: World, tmp_path: Path) -> None:
    from tasks import exports

    p = people(1)[0]
    bad = p[:-1] + ("0" if p[-1] != "0" else "1")
    w.upload(A, "roster", [w.roster_row("A-1", bad)])
    w.put_bytes(f"inbox/{A}/roster/junk.csv", bytes(range(256)) * 4)
    masked = list(csv.DictReader(io.StringIO(exports.render(exports.findings(w.svc), exports.FINDING_COLUMNS, "csv")[1:])))
    assert list(masked[0]) == exports.FINDING_COLUMNS
    by_code = {r["rule_code"]: r for r in masked}
    assert {"ENR-ID-INVALID", "FILE-UNREADABLE"} <= set(by_code)
    assert by_code["ENR-ID-INVALID"]["id_number"] == bad[:6] + "********" + bad[14:]
    assert bad not in json.dumps(masked)
    full = json.loads(exports.render(exports.findings(w.svc, unmask=True), exports.FINDING_COLUMNS, "json"))
    assert {r["id_number"] for r in full if r["rule_code"] == "ENR-ID-INVALID"} == {bad}


def test_export_findings_command_writes_csv(engine, tmp_path: Path) -> None:  # noqa: ANN001
    url = engine.url.render_as_string(hide_password=False)
    out = tmp_path / "f.csv"
    res = skillsub_here({"SKILLSUB_DATABASE_URL": url, "SKILLSUB_DATA_DIR": str(tmp_path)}, "export", "findings",
                   "--format", "csv", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert out.read_text(encoding="utf-8-sig").splitlines()[0] == ",".join(
        ["finding_id", "rule_code", "stage", "effect", "status", "uscc", "class_id", "id_number", "reason_zh",
         "reason_en", "evidence", "run_id", "created_at"])


def test_review_nightly_and_money_exports_from_the_command_line(engine, seaweed, prefect_harness, tmp_path: Path) -> None:  # noqa: ANN001
    from infra.objectstore import MemoryStore
    from tests.conftest import make_services
    from tests.integration.test_money import AFTER, claim, run_class

    w = World(make_services(engine, MemoryStore()))
    w.registries()
    p = people(2)
    run_class(w, "S-1", [w.roster_row("S-1", x, f"1380000000{i}", payer=payer)
                         for i, (x, payer) in enumerate(zip(p, ["free", "individual"], strict=True))])
    claim(w, "S-1", "final", "3000")
    env = {"SKILLSUB_DATABASE_URL": engine.url.render_as_string(hide_password=False), "SKILLSUB_DATA_DIR": str(tmp_path),
           "SKILLSUB_S3_ENDPOINT_URL": seaweed.s3_endpoint_url, "SKILLSUB_BUCKET": "skillsub",
           "AWS_ACCESS_KEY_ID": seaweed.access_key, "AWS_SECRET_ACCESS_KEY": seaweed.secret_key}
    assert skillsub_here(env, "nightly", "--date", "not-a-date").returncode == 2
    # One real `skillsub nightly` (Prefect's own ephemeral server in a fresh process); the same run in this
    # process, on the test Prefect API, for PostgreSQL.
    night = (skillsub if engine.dialect.name == "sqlite" else skillsub_here)(env, "nightly", "--date", AFTER.isoformat())
    assert night.returncode == 0, night.stderr
    summary = json.loads(night.stdout)
    assert summary["unbalanced"] == 0 and summary["report"] == f"reports/{AFTER.isoformat()}"
    s3 = boto3.client("s3", endpoint_url=seaweed.s3_endpoint_url, aws_access_key_id=seaweed.access_key,
                      aws_secret_access_key=seaweed.secret_key, region_name="us-east-1")
    report = s3.get_object(Bucket="skillsub", Key=f"reports/{AFTER.isoformat()}/summary.md")["Body"].read().decode()
    assert "## Funnel" in report and "ENR-OVERLAP" in report
    assert s3.get_object(Bucket="skillsub", Key=f"reports/{AFTER.isoformat()}/funnel.svg")["Body"].read().startswith(b"<svg")
    extract = s3.get_object(Bucket="skillsub", Key=f"reports/{AFTER.isoformat()}/ledger.csv")["Body"].read().decode("utf-8-sig")
    assert p[1] not in extract  # a person payee is masked in the report
    ledger = list(csv.DictReader(io.StringIO(skillsub_here(env, "export", "ledger").stdout)))
    assert sorted((r["kind"], r["amount_yuan"]) for r in ledger) == [("settlement", "1500.00"), ("settlement", "1500.00")]
    assert p[1] not in json.dumps(ledger) and any("********" in r["payee"] for r in ledger)
    assert {(r["booked_on"], r["fund"]) for r in ledger} == {(AFTER.isoformat(), "职业技能提升行动专账")}  # issue 12
    month = f"{AFTER:%Y-%m}"
    monthly = skillsub_here(env, "report", "monthly", "--month", month, "--format", "json")
    assert monthly.returncode == 0, monthly.stderr
    assert json.loads(monthly.stdout)["money"]["by_kind_fen"] == {"advance": 0, "settlement": 300000, "recovery": 0}
    assert skillsub_here(env, "report", "monthly", "--month", f"{AFTER.year}-Q1").returncode == 2
    published = [skillsub_here(env, "report", "monthly", "--month", month, "--publish").stdout.split() for _ in range(2)]
    first = int(published[0][0].removeprefix(f"reports/{month}/monthly.v").removesuffix(".xlsx"))  # the bucket is shared
    assert published[1][0] == f"reports/{month}/monthly.v{first + 1}.xlsx"  # a re-publication is a new version
    again = s3.get_object(Bucket="skillsub", Key=f"reports/{month}/monthly.v{first + 1}.html")["Body"].read().decode()
    assert f"第{first + 1}版，取代 reports/{month}/monthly.v{first}" in again
    public = skillsub_here(env, "report", "disclosure", "--period", month)
    assert public.returncode == 0 and "3000.00" in public.stdout and p[1] not in public.stdout
    unmasked = json.loads(skillsub_here(env, "export", "settlements", "--format", "json", "--unmask").stdout)
    assert {r["payee"] for r in unmasked} == {A, p[1]} and {r["status"] for r in unmasked} == {"settled"}

    w.upload(A, "roster", [w.roster_row("S-1", p[0], "13912345678", payer="free"),
                           w.roster_row("S-1", p[1], "13912345678", payer="individual"),
                           w.roster_row("S-1", people(1, offset=500)[0], "13912345678")])
    hold = w.findings("ENR-SHARED-PHONE")[0]
    ok = skillsub_here(env, "review", str(hold["id"]), "--dismiss", "--reason", "family phone", "--auditor", "张审计")
    assert ok.returncode == 0 and "dismissed by 张审计" in ok.stdout
    again = skillsub_here(env, "review", str(hold["id"]), "--confirm", "--reason", "x", "--auditor", "李")
    assert again.returncode == 2 and "already dismissed" in again.stderr
