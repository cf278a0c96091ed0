"""Fixtures of the console's tests (tests/integration/test_console*.py): services with an in-memory store,
the paid class with a late hold (console_world.py), and a client of the console app on them."""

from __future__ import annotations

import copy
import warnings

import pytest

with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2; httpx is what Prefect brings
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from flows.console import create_app
from tests.conftest import make_services
from tests.integration.console_world import paid_class_with_a_late_hold


@pytest.fixture
def csvc(engine, tmp_path):  # noqa: ANN001, ANN201
    from infra.objectstore import MemoryStore

    return make_services(engine, MemoryStore(), data_dir=tmp_path)


_STORIES: dict[str, tuple] = {}  # database URL -> (tables, store objects, the story without its world, world.n)


@pytest.fixture
def story(csvc):  # noqa: ANN001, ANN201
    """The story built through the pipeline once per database, then put back as it was for each test:
    the same rows (ids included) and the same objects in a fresh in-memory store."""
    from tests.conftest import restore_tables, snapshot_tables
    from tests.integration.world import World

    key = str(csvc.engine.url)
    if key not in _STORIES:
        built = paid_class_with_a_late_hold(csvc)
        _STORIES[key] = (snapshot_tables(csvc.engine), dict(csvc.store.objects),
                         {k: v for k, v in built.items() if k != "world"}, built["world"].n)
        return built
    tables, objects, rest, n = _STORIES[key]
    restore_tables(csvc.engine, tables)
    csvc.store.objects.update(objects)
    world = World(csvc)
    world.n = n
    return {**copy.deepcopy(rest), "world": world}


@pytest.fixture
def client(csvc, story) -> TestClient:  # noqa: ANN001
    return TestClient(create_app(csvc), follow_redirects=False)
