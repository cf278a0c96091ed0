"""The audit log as a hash chain (issue 13, "Decisions no one can quietly undo").

A trigger, not the application, stamps every new entry with its chain position (`seq`), the
database's `session_user` (`db_user`: which role really wrote it, whatever `actor` claims), the
previous entry's hash and its own hash. `verify` recomputes the chain: an entry edited or deleted
by anyone able to lift the append-only triggers (an owner, a superuser, a file editor on SQLite)
breaks it at that entry and is named.

SQLite has no roles: `db_user` is `sqlite`, and its SHA-256 is a function every connection of
`infra.database.make_engine` registers (a raw sqlite3 connection cannot write the log at all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

SEP = "\x1f"
SQLITE_USER = "sqlite"
_PG_AT = "to_char({t}.at, 'YYYY-MM-DD HH24:MI:SS.US')"
_SQLITE_AT = "CAST({t}.at AS TEXT)"


def sha256_hex(value: str | None) -> str | None:
    return None if value is None else hashlib.sha256(value.encode("utf-8")).hexdigest()


def entry_hash(prev_hash: str | None, seq: int, at: str, actor: str, action: str, subject: str | None, detail: str,
               db_user: str | None) -> str:
    """What the triggers compute, in Python (the two must agree byte for byte)."""
    parts = [prev_hash or "", str(seq), at, actor, action, subject or "", detail, db_user or ""]
    return hashlib.sha256(SEP.join(parts).encode("utf-8")).hexdigest()


def _canonical_sql(t: str, at: str, sep: str) -> str:
    return f" || {sep} || ".join([f"COALESCE({t}.prev_hash, '')", f"CAST({t}.seq AS TEXT)", at.format(t=t),
                                   f"{t}.actor", f"{t}.action", f"COALESCE({t}.subject, '')", f"{t}.detail",
                                   f"COALESCE({t}.db_user, '')"])


PG_FUNCTION = f"""
    CREATE OR REPLACE FUNCTION skillsub_audit_chain() RETURNS trigger AS $$
    DECLARE
        last_seq bigint;
        last_hash text;
    BEGIN
        -- one writer at a time extends the chain; released at commit
        PERFORM pg_advisory_xact_lock(hashtextextended('skillsub:audit_log', 0));
        SELECT seq, hash INTO last_seq, last_hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
        NEW.seq := COALESCE(last_seq, 0) + 1;
        NEW.db_user := session_user;
        NEW.prev_hash := last_hash;
        NEW.hash := encode(sha256(convert_to({_canonical_sql('NEW', _PG_AT, 'chr(31)')}, 'UTF8')), 'hex');
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql"""

# SQLite cannot assign NEW in a BEFORE trigger: the entry is stamped right after its insert, which the
# append-only UPDATE trigger allows only while the entry has no hash yet (once).
SQLITE_TRIGGER = f"""
    CREATE TRIGGER audit_log_chain AFTER INSERT ON audit_log BEGIN
        UPDATE audit_log SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log), db_user = '{SQLITE_USER}',
            prev_hash = (SELECT hash FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log))
        WHERE id = NEW.id;
        UPDATE audit_log SET hash = skillsub_sha256({_canonical_sql('audit_log', _SQLITE_AT, 'char(31)')})
        WHERE id = NEW.id;
    END"""


def create(execute: Callable[[str], object], dialect: str) -> None:
    """The chain trigger, and on SQLite the append-only UPDATE guard relaxed for the one stamping update."""
    if dialect == "postgresql":
        execute(PG_FUNCTION)
        execute("CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION skillsub_audit_chain()")
    else:
        execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log WHEN OLD.hash IS NOT NULL "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END")
        execute(SQLITE_TRIGGER)


def drop(execute: Callable[[str], object], dialect: str) -> None:
    if dialect == "postgresql":
        execute("DROP TRIGGER IF EXISTS audit_log_chain ON audit_log")
        execute("DROP FUNCTION IF EXISTS skillsub_audit_chain()")
    else:
        execute("DROP TRIGGER IF EXISTS audit_log_chain")
        execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END")


@dataclass(frozen=True)
class Break:
    entry_id: int | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        return f"audit entry {self.entry_id} (seq {self.seq}): {self.problem}"


def rows(conn, dialect: str) -> list:  # noqa: ANN001
    at = (_PG_AT if dialect == "postgresql" else _SQLITE_AT).format(t="audit_log")
    return conn.execute(text(f"SELECT id, seq, {at} AS at_text, actor, action, subject, detail, db_user, prev_hash, "
                             "hash FROM audit_log ORDER BY seq IS NULL, seq, id")).all()


def verify(engine: Engine) -> tuple[int, list[Break]]:
    """(entries checked, every break): an entry whose content no longer matches its hash, a link to a
    previous entry that is not the one before it, a gap (a deleted entry), an entry outside the chain,
    and a decision without its audit entry."""
    breaks: list[Break] = []
    with engine.connect() as conn:
        entries = rows(conn, engine.dialect.name)
        undocumented = conn.execute(text(
            "SELECT d.id, d.finding_id FROM decisions d WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
            "WHERE a.subject = 'finding:' || CAST(d.finding_id AS TEXT) AND a.action = 'review.' || d.decision) "
            "ORDER BY d.id")).all()
    previous_seq, previous_hash = 0, None
    for e in entries:
        if e.seq is None or e.hash is None:
            breaks.append(Break(e.id, e.seq, "not in the chain (written with the chain trigger lifted)"))
            continue
        if e.seq != previous_seq + 1:
            breaks.append(Break(e.id, e.seq, f"entries {previous_seq + 1}..{e.seq - 1} of the chain are missing"))
        if e.prev_hash != previous_hash:
            breaks.append(Break(e.id, e.seq, "does not link to the entry before it"))
        if entry_hash(e.prev_hash, e.seq, e.at_text, e.actor, e.action, e.subject, e.detail, e.db_user) != e.hash:
            breaks.append(Break(e.id, e.seq, "its content was changed after it was written"))
        previous_seq, previous_hash = e.seq, e.hash
    breaks += [Break(None, None, f"decision {d.id} on finding {d.finding_id} has no audit entry") for d in undocumented]
    return len(entries), breaks
