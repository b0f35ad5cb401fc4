"""API fixtures: the demo ledger in each store kind, a TestClient and a live server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geo.demo import load_demo
from geo.store import Store
from tests._support.live_server import serve_store
from tests._support.stores import STORE_KINDS, make_store


@pytest.fixture(scope="module", params=STORE_KINDS)
def demo_store(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Store]:
    """The Zhongyuan demo ledger, once per store kind and test module."""
    for store in make_store(request.param, tmp_path_factory.mktemp("api")):
        load_demo(store)
        yield store


@pytest.fixture(scope="module")
def client(demo_store: Store) -> Iterator[TestClient]:
    app = create_app(Settings(store=demo_store.url, seed_demo=False), store=demo_store)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def live_url(demo_store: Store) -> Iterator[str]:
    """Base URL of ``zonewatch serve`` over ``demo_store``, in its own process."""
    with serve_store(demo_store) as url:
        yield url
