"""Decisions no one can quietly undo (issue 13, point 6): as the application role (what a compromised
worker holds) a hold cannot be dismissed or a decision changed without a decision entry; every audit
entry carries the database user and the previous entry's hash; `skillsub audit verify` names an entry
an owner changed or removed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from infra import db
from infra.auditchain import SQLITE_USER, verify
from infra.objectstore import MemoryStore
from tasks.review import review
from tests.cli import skillsub_here as skillsub  # in this process: the commands, not the process
from tests.conftest import fixed_now, make_services, owner_engine
from tests.integration.guards import refuses_change
from tests.integration.world import A, people


def open_holds(engine, n: int = 3) -> list[int]:  # noqa: ANN001
    rows = [{"rule_code": "ENR-SHARED-PHONE", "stage": "enrollment", "effect": "hold_trainee", "status": "open",
             "uscc": A, "class_id": "A-1", "id_number": p, "created_at": fixed_now()} for p in people(n)]
    with engine.begin() as conn:
        conn.execute(insert(db.findings), rows)
        return list(conn.execute(select(db.findings.c.id).order_by(db.findings.c.id)).scalars())


def statuses(engine) -> list[str]:  # noqa: ANN001
    with engine.connect() as conn:
        return list(conn.execute(select(db.findings.c.status).order_by(db.findings.c.id)).scalars())


def owner_edit(engine, sql: str) -> None:  # noqa: ANN001
    """What an owner or superuser (or whoever can edit the SQLite file) can do: lift the triggers and write."""
    if engine.dialect.name == "postgresql":
        with owner_engine(engine).begin() as conn:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text(sql))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        return
    with engine.begin() as conn:
        triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                     "AND tbl_name = 'audit_log'")).all()
        for name, _ in triggers:
            conn.execute(text(f"DROP TRIGGER {name}"))
        conn.execute(text(sql))
        for _, sql_text in triggers:
            conn.execute(text(sql_text))


def test_the_application_role_cannot_dismiss_open_holds_behind_the_auditors_back(engine) -> None:  # noqa: ANN001
    ids = open_holds(engine)
    for sql in ("UPDATE findings SET status = 'dismissed' WHERE status = 'open'",
                "UPDATE findings SET status = 'confirmed' WHERE status = 'open'",
                "INSERT INTO findings (rule_code, stage, effect, status, created_at) VALUES "
                "('ENR-SHARED-PHONE', 'enrollment', 'hold_trainee', 'dismissed', CURRENT_TIMESTAMP)"):
        with pytest.raises(DBAPIError, match="decision"), engine.begin() as conn:
            conn.execute(text(sql))
    assert statuses(engine) == ["open"] * len(ids)


def test_a_decision_is_final_in_the_database_and_the_finding_follows_it(engine) -> None:  # noqa: ANN001
    svc = make_services(engine, MemoryStore())
    first, second, _ = open_holds(engine)
    review(svc, first, "dismiss", "same family", "审计员 王")
    review(svc, second, "confirm", "forged roster", "审计员 李")
    assert statuses(engine) == ["dismissed", "confirmed", "open"]
    for sql in (f"UPDATE findings SET status = 'open' WHERE id = {first}",
                f"UPDATE findings SET status = 'dismissed' WHERE id = {second}",
                f"UPDATE findings SET status = 'resolved' WHERE id = {second}",
                f"DELETE FROM findings WHERE id = {first}",
                f"INSERT INTO decisions (finding_id, decision, auditor, reason, at) "
                f"VALUES ({second}, 'dismiss', 'x', 'y', CURRENT_TIMESTAMP)"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(sql))
    for sql in ("UPDATE decisions SET decision = 'confirm'", "DELETE FROM decisions"):
        refuses_change(engine, sql)
    assert statuses(engine) == ["dismissed", "confirmed", "open"]


def test_every_audit_entry_carries_the_database_user_and_the_previous_entrys_hash(engine) -> None:  # noqa: ANN001
    svc = make_services(engine, MemoryStore())
    first, second, _ = open_holds(engine)
    review(svc, first, "dismiss", "same family", "审计员 王")
    with engine.begin() as conn:  # a forged entry naming an auditor and another database user
        conn.execute(insert(db.audit_log).values(at=fixed_now(), actor="审计员 王", action="review.dismiss",
                                                 subject=f"finding:{second}", detail="{}", db_user="auditor_wang"))
    with engine.connect() as conn:
        entries = conn.execute(select(db.audit_log).order_by(db.audit_log.c.seq)).mappings().all()
    wrote = engine.url.username if engine.dialect.name == "postgresql" else SQLITE_USER
    assert [e["db_user"] for e in entries] == [wrote, wrote]
    assert [e["seq"] for e in entries] == [1, 2]
    assert entries[0]["prev_hash"] is None and entries[1]["prev_hash"] == entries[0]["hash"]
    assert verify(engine) == (2, [])


def test_audit_verify_names_the_entry_an_owner_edited_and_the_one_removed(engine, tmp_path) -> None:  # noqa: ANN001
    svc = make_services(engine, MemoryStore())
    ids = open_holds(engine, 4)
    for finding_id in ids:
        review(svc, finding_id, "confirm", "forged roster", "auditor")
    env = {"SKILLSUB_DATA_DIR": str(tmp_path), "SKILLSUB_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    intact = skillsub(env, "audit", "verify")
    assert intact.returncode == 0 and "4 entries" in intact.stdout
    with engine.connect() as conn:
        entry = {e["seq"]: e["id"] for e in conn.execute(select(db.audit_log)).mappings()}
    changed = json.dumps({"reason": "dismissed after all", "status": "dismissed"})
    owner_edit(engine, f"UPDATE audit_log SET detail = '{changed}', action = 'review.dismiss' WHERE id = {entry[2]}")
    owner_edit(engine, f"DELETE FROM audit_log WHERE id = {entry[3]}")
    broken = skillsub(env, "audit", "verify")
    assert broken.returncode == 1
    assert f"audit entry {entry[2]} (seq 2): its content was changed" in broken.stdout
    assert f"audit entry {entry[4]} (seq 4): entries 3..3 of the chain are missing" in broken.stdout
    assert f"decision 3 on finding {ids[2]} has no audit entry" in broken.stdout
    assert f"audit entry {entry[1]} " not in broken.stdout
