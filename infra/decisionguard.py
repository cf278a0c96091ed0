"""A finding's decided status follows the append-only `decisions` table, in the database itself
(spec/rules.md, hold_trainee / hold_class: "an auditor decides"; issue 13, point 6).

- Recording a decision sets its finding from `open` to `confirmed` / `dismissed` (and is refused for a
  finding that is not an open hold's).
- No UPDATE may give a finding `confirmed` or `dismissed` without the matching decision, nor change a
  decided finding's status, nor may a finding be inserted decided or a decided finding deleted — so the
  application role's UPDATE on `findings` (it resolves holds whose rule no longer fires) cannot undo or
  forge a decision.
"""

from __future__ import annotations

from collections.abc import Callable

_MATCHING = "CASE NEW.status WHEN 'confirmed' THEN 'confirm' ELSE 'dismiss' END"
_FORGED = (f"NEW.status IN ('confirmed', 'dismissed') AND NOT EXISTS (SELECT 1 FROM decisions d "
           f"WHERE d.finding_id = NEW.id AND d.decision = {_MATCHING})")
_DECIDED_CHANGE = f"NEW.status IS DISTINCT FROM OLD.status AND (OLD.status IN ('confirmed', 'dismissed') OR ({_FORGED}))"
_HOLDS = "('hold_trainee', 'hold_class')"

PG_FUNCTIONS = [f"""
    CREATE OR REPLACE FUNCTION skillsub_finding_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF EXISTS (SELECT 1 FROM decisions d WHERE d.finding_id = OLD.id) THEN
                RAISE EXCEPTION 'finding % was decided by an auditor: DELETE refused', OLD.id;
            END IF;
            RETURN OLD;
        END IF;
        IF TG_OP = 'INSERT' AND NEW.status IN ('confirmed', 'dismissed') THEN
            RAISE EXCEPTION 'a finding is decided only through decisions: INSERT as % refused', NEW.status;
        END IF;
        IF TG_OP = 'UPDATE' AND {_DECIDED_CHANGE} THEN
            RAISE EXCEPTION 'finding %: its decision lives in decisions, status % -> % refused', OLD.id, OLD.status, NEW.status;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql""", f"""
    CREATE OR REPLACE FUNCTION skillsub_apply_decision() RETURNS trigger AS $$
    BEGIN
        UPDATE findings SET status = CASE NEW.decision WHEN 'confirm' THEN 'confirmed' ELSE 'dismissed' END
        WHERE id = NEW.finding_id AND status = 'open' AND effect IN {_HOLDS};
        IF NOT FOUND THEN
            RAISE EXCEPTION 'finding % is not an open hold: decision refused', NEW.finding_id;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql"""]


def create(execute: Callable[[str], object], dialect: str) -> None:
    if dialect == "postgresql":
        for function in PG_FUNCTIONS:
            execute(function)
        execute("CREATE TRIGGER findings_decided BEFORE INSERT OR UPDATE OR DELETE ON findings "
                "FOR EACH ROW EXECUTE FUNCTION skillsub_finding_guard()")
        execute("CREATE TRIGGER decisions_apply AFTER INSERT ON decisions "
                "FOR EACH ROW EXECUTE FUNCTION skillsub_apply_decision()")
        return
    refused = "BEGIN SELECT RAISE(ABORT, 'a finding''s decision lives in decisions: {} refused'); END"
    execute(f"CREATE TRIGGER findings_decided_update BEFORE UPDATE OF status ON findings "
            f"WHEN {_DECIDED_CHANGE.replace('IS DISTINCT FROM', 'IS NOT')} " + refused.format("status change"))
    execute("CREATE TRIGGER findings_decided_insert BEFORE INSERT ON findings "
            "WHEN NEW.status IN ('confirmed', 'dismissed') " + refused.format("INSERT"))
    execute("CREATE TRIGGER findings_decided_delete BEFORE DELETE ON findings "
            "WHEN EXISTS (SELECT 1 FROM decisions d WHERE d.finding_id = OLD.id) " + refused.format("DELETE"))
    execute(f"CREATE TRIGGER decisions_open_hold BEFORE INSERT ON decisions WHEN NOT EXISTS (SELECT 1 FROM findings f "
            f"WHERE f.id = NEW.finding_id AND f.status = 'open' AND f.effect IN {_HOLDS}) "
            "BEGIN SELECT RAISE(ABORT, 'the finding is not an open hold: decision refused'); END")
    execute("CREATE TRIGGER decisions_apply AFTER INSERT ON decisions BEGIN "
            "UPDATE findings SET status = CASE NEW.decision WHEN 'confirm' THEN 'confirmed' ELSE 'dismissed' END "
            "WHERE id = NEW.finding_id; END")


def drop(execute: Callable[[str], object], dialect: str) -> None:
    if dialect == "postgresql":
        execute("DROP TRIGGER IF EXISTS findings_decided ON findings")
        execute("DROP TRIGGER IF EXISTS decisions_apply ON decisions")
        execute("DROP FUNCTION IF EXISTS skillsub_finding_guard()")
        execute("DROP FUNCTION IF EXISTS skillsub_apply_decision()")
    else:
        for name in ("findings_decided_update", "findings_decided_insert", "findings_decided_delete",
                     "decisions_open_hold", "decisions_apply"):
            execute(f"DROP TRIGGER IF EXISTS {name}")
