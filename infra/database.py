"""Engine, unit of work and migrations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from types import TracebackType

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, create_engine, event, text
from sqlalchemy.engine import Connection

from infra.auditchain import sha256_hex

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL and a busy timeout so the gate's reader and our writer coexist."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            # the audit chain's trigger hashes entries with it (infra/auditchain.py)
            dbapi_conn.create_function("skillsub_sha256", 1, sha256_hex, deterministic=True)

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration (skillsub db upgrade); a SQLite file's folder is created first."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def is_at_head(url: str) -> bool:
    """Whether the database carries every migration (a never-migrated database has no revision at all)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    return current == set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def analyze_staging(engine: Engine, table: str) -> None:
    """Fresh staged rows have no statistics; without them PostgreSQL's planner picks nested loops over
    the whole staging table for the cross-record rules (seconds instead of ms). The application role
    owns nothing, so it goes through the owner's SECURITY DEFINER function (migration 0007)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT skillsub_analyze_staging(:t)"), {"t": table})


def analyze_stale(engine: Engine, tables: Sequence[str], min_rows: int, fraction: float) -> list[str]:
    """ANALYZE those stored tables whose rows changed since their last ANALYZE by more than min_rows +
    fraction × their size; returns them. Rows promoted during a day otherwise keep the estimates of the
    day's start where autovacuum is off or behind, and the planner then reads a whole table per upload
    (a day's cost grows with its square: README "How cost grows"). Owner's function, migration 0015."""
    if engine.dialect.name != "postgresql" or not tables:
        return []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return list(conn.execute(text("SELECT skillsub_analyze_stale(CAST(:t AS text[]), :m, :f)"),
                                 {"t": sorted(set(tables)), "m": min_rows, "f": fraction}).scalars())


def lock_findings(conn: Connection) -> None:
    """Serialise writers of entity findings (upload verdicts, the nightly rules) so two of them never open
    the same hold twice; PostgreSQL advisory lock released at commit. SQLite writers are serial anyway."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('skillsub:findings', 0))"))


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """One holder at a time across processes (a PostgreSQL session advisory lock on a connection of
    its own, held for the block); SQLite writers are serial anyway."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_advisory_lock(hashtextextended(:k, 0))"), {"k": name})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))"), {"k": name})


class UnitOfWork:
    """One transaction: rolls back unless committed (cosmicpython's unit of work)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection

    def __enter__(self) -> UnitOfWork:
        self.conn = self.engine.connect()
        self._tx = self.conn.begin()
        return self

    def commit(self) -> None:
        self._tx.commit()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._tx.is_active:
            self._tx.rollback()
        self.conn.close()


def bulk_insert(conn: Connection, table: Table, rows: list[dict]) -> None:
    """Insert many rows: COPY on PostgreSQL (a million staged rows in seconds), executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = [c.name for c in table.columns if c.name in rows[0]]
    pick = itemgetter(*columns)  # one C call per row instead of a row.get per column
    single = len(columns) == 1  # then itemgetter gives the value itself, not a tuple

    def values(row: dict) -> Sequence:
        try:
            return (pick(row),) if single else pick(row)
        except KeyError:  # a row without some column of the first: None there, as row.get gives
            return [row.get(c) for c in columns]

    _copy(conn, table, columns, map(values, rows))


def bulk_copy(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """bulk_insert for rows given as values in `columns` order (issue 10): COPY writes them as they are, with
    no dict per row to build and read back; executemany elsewhere (it wants dicts: made here)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    _copy(conn, table, columns, rows)


def _copy(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """PostgreSQL COPY of value rows in `columns` order."""
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
