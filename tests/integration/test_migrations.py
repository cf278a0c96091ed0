"""Every schema change is a migration: the migrated schema equals the models, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from infra.db import metadata


def test_migrations_produce_exactly_the_models(engine) -> None:  # noqa: ANN001
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
