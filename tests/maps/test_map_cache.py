"""``/map/data.json`` kept between requests: never stale, rebuilt only after a commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from shapely import Point

import maps.cache
from api.app import create_app
from api.settings import Settings
from geo import writes
from geo.ledger import Feature
from geo.store import Store, open_store

STATION = Feature("M1", {"name": "测试监测点", "level": "city", "radius_m": 3000.0},
                  Point(113.60, 34.75))


def _source(fid: str, name: str) -> Feature:
    return Feature(fid, {"name": name, "category": "catering"}, Point(113.61, 34.75))


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    """A TestClient over a fresh store holding one station and one source."""
    writes.create(store, "stations", STATION, actor="map tests")
    writes.create(store, "sources", _source("S1", "甲店"), actor="map tests")
    app = create_app(Settings(store=store.url, seed_demo=False), store=store)
    with TestClient(app) as test_client:
        yield test_client


def _names(client: TestClient) -> dict[str, str]:
    cols = client.get("/map/data.json").json()["sources"]
    return dict(zip(cols["id"], cols["name"], strict=True))


@pytest.fixture
def other_handle(store: Store) -> Iterator[Store]:
    """A second store object on the same data, as the CLI or QGIS would open it."""
    other = open_store(store.url, create=False, pg_schema=getattr(store, "schema", "zonewatch"))
    yield other
    other.close()


def test_data_follows_every_commit(client, store):
    assert _names(client) == {"S1": "甲店"}
    writes.create(store, "sources", _source("S2", "乙店"), actor="map tests")
    assert _names(client) == {"S1": "甲店", "S2": "乙店"}
    version = store.get("sources", "S1").version
    writes.update(store, "sources", "S1", {"name": "甲店（新）"}, expected_version=version,
                 actor="map tests")
    assert _names(client) == {"S1": "甲店（新）", "S2": "乙店"}
    writes.delete(store, "sources", "S2", expected_version=None, actor="map tests")
    assert _names(client) == {"S1": "甲店（新）"}


def test_data_follows_commits_made_elsewhere(client, other_handle):
    """A commit through another connection (the CLI, QGIS) shows at the next request."""
    assert _names(client) == {"S1": "甲店"}
    writes.create(other_handle, "sources", _source("S9", "外部导入"), actor="cli")
    assert _names(client) == {"S1": "甲店", "S9": "外部导入"}


def test_unchanged_ledger_is_built_once(client, store, monkeypatch):
    calls = []
    real = maps.cache.map_data
    monkeypatch.setattr(maps.cache, "map_data", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        assert client.get("/map/data.json").status_code == 200
    assert client.get("/map/data.json", params={"category": "bbq"}).status_code == 200
    assert len(calls) == 2  # one per filter
    writes.create(store, "sources", _source("S2", "乙店"), actor="map tests")
    client.get("/map/data.json")
    assert len(calls) == 3


def test_etag_answers_304_until_the_ledger_changes(client, store):
    first = client.get("/map/data.json")
    etag = first.headers["etag"]
    again = client.get("/map/data.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    writes.create(store, "sources", _source("S2", "乙店"), actor="map tests")
    changed = client.get("/map/data.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["count"] == 2


def test_plain_and_gzip_answers_are_the_same_json(client):
    zipped = client.get("/map/data.json", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/map/data.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json() == plain.json()
