"""Settings from the environment (prefix SKILLSUB_) and the embedded stack's state file."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.policy import PolicyError, RegionPolicy, load_policy


class SettingsError(Exception):
    """Settings that cannot work; the message is one line an operator can act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SKILLSUB_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str | None = None  # what the application connects as
    # PostgreSQL in production: migrations run as the owner; the application role owns nothing.
    db_owner_url: str | None = None
    db_app_role: str | None = None
    s3_endpoint_url: str | None = None
    bucket: str = "skillsub"
    policy: str = "suzhou"
    max_file_bytes: int = Field(50 * 1024 * 1024, gt=0)
    max_rows: int = Field(200_000, gt=0)
    # An XLSX is checked against these before it is parsed (FILE-TOO-LARGE), then read in a child process
    # limited to upload_memory_bytes of address space and upload_seconds (issue 13: bounded work per upload).
    max_xlsx_uncompressed_bytes: int = Field(256 * 1024 * 1024, gt=0)
    max_xlsx_shared_strings: int = Field(2_000_000, gt=0)
    max_xlsx_columns: int = Field(256, gt=0)
    max_xlsx_row_number: int = Field(1_048_576, gt=0)
    max_xlsx_cells: int = Field(20_000_000, gt=0)
    upload_memory_bytes: int = Field(1024 * 1024 * 1024, ge=64 * 1024 * 1024)
    upload_seconds: float = Field(300, gt=0)
    s3_retries: int = Field(5, ge=0)
    # An upload claimed longer ago than this by a worker that never finished is claimed again.
    processing_lease_seconds: int = Field(3600, ge=0)
    # At most this many objects per triggered run: a burst is gated together, a backlog in bites.
    batch_max_uploads: int = Field(200, gt=0)
    # A stored table the gates read is ANALYZEd between uploads once this many rows plus this share of
    # its size changed since its last ANALYZE (PostgreSQL; autovacuum's rule, for servers where it is off
    # or behind): stale estimates make the planner scan whole tables per upload (README "How cost grows").
    analyze_min_rows: int = Field(5000, ge=0)
    analyze_fraction: float = Field(0.2, ge=0)
    # Files with fewer data rows are parsed row by row (the reference parser): column-wise parsing costs ~4 ms
    # a file whatever its size, row by row ~15 µs a row (measured, README "How cost grows").
    parse_row_wise_below: int = Field(256, ge=0)
    # Warm task-worker threads per upload worker process (`skillsub stack up` starts one process).
    upload_worker_limit: int = Field(4, gt=0)
    # The listener submits the objects of a burst together once no new one landed for this long.
    listener_quiet_ms: int = Field(150, ge=0)
    # `skillsub demo` gives up when nothing moved (no upload answered, no run changed state) this long.
    demo_stall_seconds: int = Field(300, gt=0)
    # The nightly money step settles this many classes per transaction (one advisory lock each, held
    # to the commit: PostgreSQL's lock table holds max_locks_per_transaction × max_connections).
    money_batch_classes: int = Field(500, gt=0)
    # `process` runs each institution's uploads as one task: sequentially (thread) or on Dask
    # (a LocalCluster, or the scheduler at dask_address); Dask needs PostgreSQL as the store.
    task_runner: Literal["thread", "dask"] = "thread"
    dask_address: str | None = None
    dask_workers: int = Field(2, gt=0)
    # The Prefect server's own database for `skillsub stack up` (default: SQLite under the data dir,
    # which answers 503 and stalls after bursts of runs): postgresql://user@host/db.
    prefect_database_url: str | None = None
    # Where a published Data Docs page finds Bootstrap, jQuery, Font Awesome and GX's logo (package copies
    # served by flows/datadocs_web.py): the path the console mounts them at, or an absolute URL.
    datadocs_static_url: str = "/datadocs/static/"
    # The department's console (issue 14): `skillsub console` and `skillsub stack up` listen here on loopback
    # (unset: `console` takes 8780, `stack up` a free port, shown as console_url); a session cookie lives
    # this long; a user or a client address with this many failed logins within the window is refused
    # until the window has passed.
    console_port: int | None = Field(None, gt=0, lt=65536)
    console_session_seconds: int = Field(8 * 3600, gt=0)
    console_login_max_failures: int = Field(5, gt=0)
    console_login_window_seconds: int = Field(900, gt=0)
    # Behind a TLS proxy the session cookie is sent over HTTPS only (plain HTTP on loopback otherwise).
    console_secure_cookies: bool = False

    @field_validator("database_url", "db_owner_url", "prefect_database_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return v

    @property
    def db_url(self) -> str:
        if self.database_url:
            return _driver(self.database_url)
        return f"sqlite:///{(self.data_dir / 'skillsub.db').resolve()}"

    @property
    def migration_url(self) -> str:
        """Migrations run as the owner when one is configured."""
        return _driver(self.db_owner_url) if self.db_owner_url else self.db_url

    @property
    def stack_file(self) -> Path:
        return self.data_dir / "stack.json"

    def stack_state(self) -> dict | None:
        """What `skillsub stack up` wrote: endpoint and credentials of the embedded store."""
        try:
            return json.loads(self.stack_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    @property
    def console_secret_file(self) -> Path:
        """The console's session-signing key, generated on first use (mode 0600, never committed)."""
        return self.data_dir / "console-secret.key"

    @cached_property
    def region_policy(self) -> RegionPolicy:
        return load_policy(self.policy)


def _driver(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


def load_settings() -> Settings:
    """Settings, validated; the region policy is loaded too so a bad one fails at start."""
    try:
        settings = Settings()
        settings.region_policy  # noqa: B018 - fail now, not mid-run
    except ValidationError as exc:
        err = exc.errors()[0]
        raise SettingsError(f"SKILLSUB_{str(err['loc'][0]).upper()}: {err['msg']}") from None
    except PolicyError as exc:
        raise SettingsError(f"SKILLSUB_POLICY: {exc}") from None
    return settings
