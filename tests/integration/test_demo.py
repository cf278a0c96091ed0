"""`skillsub demo`'s story, run here without a stack: the same findings every time, the money side
(advance, settlement, a hold confirmed after payment, the recovery) and tables that fit 80 columns."""

from __future__ import annotations

from rich.console import Console
from sqlalchemy import func, select

from flows.demo import play
from flows.demo_runs import LocalRunner
from infra import db
from infra.samples import scenario


def run(svc) -> tuple:  # noqa: ANN001
    console = Console(width=80, record=True)
    story = play(svc, LocalRunner(svc), console)
    return story, console.export_text()


def uploads(svc) -> int:  # noqa: ANN001
    with svc.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(db.uploads)).scalar_one()


def test_the_demo_run_twice_gives_the_same_findings_and_pays_once(svc) -> None:  # noqa: ANN001
    sc = scenario(svc.now().date())
    a = sc.inst["A"]
    first, text = run(svc)
    assert first.ledger == [("A-101", a, "advance", "2250.00"),  # 50 % of 3 × 1,500 projected, at the claim
                            ("A-101", a, "settlement", "2250.00"),  # 4,500 earned − 2,250 advanced
                            ("A-101", a, "recovery", "-1500.00")]  # one trainee's hold confirmed after payment
    assert first.report_agrees and first.findings[("ENR-OVERLAP", "confirmed")] == 1
    seen = uploads(svc)
    second, _ = run(svc)
    assert uploads(svc) == seen  # no new bytes
    assert (second.findings, second.ledger, second.report_agrees) == (first.findings, first.ledger, True)
    assert "…" not in text and "SET-RECOVERY" in text
    assert "A roster/A-001-学员.csv" in text.replace("\n", "") or "A roster/A-001-学员.csv" in text


def test_a_stuck_demo_names_what_in_one_line(tmp_path) -> None:  # noqa: ANN001
    """A stack whose worker is gone: the demo stops after the stall time with one line, no traceback."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "SKILLSUB_DATA_DIR": str(tmp_path), "SKILLSUB_DEMO_STALL_SECONDS": "2",
           "PREFECT_CLIENT_MAX_RETRIES": "0"}
    env.pop("PREFECT_API_URL", None)

    def skillsub(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env, capture_output=True, text=True,
                              timeout=300)

    assert skillsub("stack", "up", "--s3-only").returncode == 0
    try:
        state = json.loads((tmp_path / "stack.json").read_text())
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        state |= {"prefect_api_url": "http://127.0.0.1:9/api", "pids": {"worker": dead.pid}}
        (tmp_path / "stack.json").write_text(json.dumps(state))
        out = skillsub("demo")
    finally:
        (tmp_path / "stack.json").write_text(json.dumps(state | {"pids": {}}))
        skillsub("stack", "down")
    assert out.returncode == 1
    [line] = out.stderr.strip().splitlines()
    assert "never picked up" in line and f"not running: worker (pid {dead.pid})" in line and "Traceback" not in out.stderr
