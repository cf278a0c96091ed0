"""Fixtures of the console's tests (tests/integration/test_console*.py): services with an in-memory store,
the paid class with a late hold (console_world.py), and a client of the console app on them."""

from __future__ import annotations

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


@pytest.fixture
def story(csvc):  # noqa: ANN001, ANN201
    return paid_class_with_a_late_hold(csvc)


@pytest.fixture
def client(csvc, story) -> TestClient:  # noqa: ANN001
    return TestClient(create_app(csvc), follow_redirects=False)
