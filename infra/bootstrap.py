"""Composition root: wires settings, database, object store and gate (real or fake)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from infra.database import make_engine
from infra.objectstore import ObjectStore, S3Store
from infra.settings import Settings, SettingsError, load_settings
from schemas.policy import RegionPolicy

if TYPE_CHECKING:
    from expectations.gate import Gate

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_now() -> datetime:
    return datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    store: ObjectStore
    policy: RegionPolicy
    now: Callable[[], datetime] = shanghai_now
    _gate: Gate | None = field(default=None, repr=False)

    def gate(self) -> Gate:
        if self._gate is None or self._gate.policy != self.policy:  # thresholds are rendered into the SQL
            from expectations.gate import Gate  # GX costs ~2 s to import: only when a gate runs

            self._gate = Gate(self.engine, self.policy)
        return self._gate


def make_store(settings: Settings) -> ObjectStore:
    """The configured S3 endpoint, else the embedded stack's; credentials from AWS_* or the stack."""
    state = settings.stack_state()
    endpoint = settings.s3_endpoint_url or (state or {}).get("s3_endpoint_url")
    if not endpoint:
        raise SettingsError("no object store: run `skillsub stack up` or set SKILLSUB_S3_ENDPOINT_URL")
    access = os.environ.get("AWS_ACCESS_KEY_ID")
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not access and state and endpoint == state.get("s3_endpoint_url"):
        access, secret = state["access_key"], state["secret_key"]
    return S3Store(settings.bucket, endpoint, access_key=access, secret_key=secret, retries=settings.s3_retries)


def bootstrap(settings: Settings | None = None, *, store: ObjectStore | None = None,
              engine: Engine | None = None) -> Services:
    from infra import logmask

    logmask.install()
    settings = settings or load_settings()
    return Services(
        settings=settings,
        engine=engine or make_engine(settings.db_url),
        store=store or make_store(settings),
        policy=settings.region_policy,
    )
