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
