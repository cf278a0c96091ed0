"""`skillsub credit` as an auditor uses it: show, override (a reason is required), the monthly recompute."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli import skillsub_here as skillsub  # in this process: the commands, not the process
from tests.integration.world import A, B, World


def test_credit_show_override_and_recompute_from_the_command_line(engine, prefect_harness, tmp_path: Path) -> None:  # noqa: ANN001
    from infra.objectstore import MemoryStore
    from tests.conftest import make_services

    World(make_services(engine, MemoryStore())).registries()
    env = {"SKILLSUB_DATABASE_URL": engine.url.render_as_string(hide_password=False), "SKILLSUB_DATA_DIR": str(tmp_path)}
    refused = skillsub(env, "credit", "override", B, "--rating", "A", "--auditor", "审计员 赵")
    assert refused.returncode == 2 and "reason" in refused.stderr
    done = skillsub(env, "credit", "override", B, "--rating", "C", "--reason", "site visit", "--auditor", "审计员 赵")
    assert done.returncode == 0 and f"{B}: B → C by 审计员 赵" in done.stdout
    shown = {r["uscc"]: r for r in json.loads(skillsub(env, "credit", "show").stdout)}
    assert (shown[B]["rating"], shown[B]["source"], shown[B]["reason_zh"]) == ("C", "override", "site visit")
    assert (shown[A]["rating"], shown[A]["source"]) == ("A", "registry")
    assert skillsub(env, "credit", "recompute", "--month", "2026-13").returncode == 2
    month = skillsub(env, "credit", "recompute", "--month", "2026-11")
    assert month.returncode == 0, month.stderr
    assert json.loads(month.stdout)["changed"] == []  # nothing in the record moves anyone this month
    history = json.loads(skillsub(env, "credit", "show", B).stdout)
    assert [(h["source"], h["rating"]) for h in history] == [("override", "C"), ("monthly", "C")]
