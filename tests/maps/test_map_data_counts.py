"""The station rows of /map/data.json count what /priority and the flags count.

Each station carries ``counts`` (its priority targets by category), ``priority``
(their number) and ``recheck`` (closed sources inside its radius). They are
checked against ``/priority?include_closed=true`` over HTTP and against the
flagged frame of :func:`geo.priority.flagged_sources`, on both stores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo import writes
from geo.demo import load_demo
from geo.ledger import CATEGORIES
from geo.priority import flagged_sources
from geo.store import Store
from tests._support.stores import STORE_KINDS, make_store


def _map_stations(client: Any, query: str = "") -> dict[str, dict[str, Any]]:
    res = client.get(f"/map/data.json{query}")
    assert res.status_code == 200, res.text
    return {row["id"]: row for row in res.json()["stations"]}


def _from_priority(client: Any) -> tuple[dict[str, Counter[str]], Counter[str]]:
    """Per station: priority targets by category, and the re-check count, from /priority."""
    res = client.get("/priority", params={"include_closed": "true", "f": "json"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["numberReturned"] == body["numberMatched"]  # one page holds them all
    by_cat: dict[str, Counter[str]] = {}
    recheck: Counter[str] = Counter()
    for feature in body["features"]:
        props = feature["properties"]
        for sid in props["stations"]:
            if props["recheck"]:
                recheck[sid] += 1
            else:
                by_cat.setdefault(sid, Counter())[props["category"]] += 1
    return by_cat, recheck


def test_station_counts_equal_priority_answer(map_client: Any) -> None:
    stations = _map_stations(map_client)
    by_cat, recheck = _from_priority(map_client)
    assert sum(recheck.values()) > 0  # the demo has shut stalls inside radii
    for sid, row in stations.items():
        assert row["counts"] == dict(by_cat.get(sid, {})), sid
        assert row["priority"] == sum(by_cat.get(sid, Counter()).values()), sid
        assert row["recheck"] == recheck[sid], sid
        assert list(row["counts"]) == [c for c in CATEGORIES if c in row["counts"]]  # legend order


def test_station_counts_equal_flagged_frame(map_client: Any, map_store: Store) -> None:
    frame = flagged_sources(map_store)
    stations = _map_stations(map_client)
    for sid, row in stations.items():
        inside = frame[[sid in (s if s is not None else []) for s in frame["stations"]]]
        closed = inside["status"] == "closed"
        assert row["recheck"] == int(closed.sum())
        assert row["counts"] == dict(Counter(inside.loc[~closed, "category"]))
        assert inside.loc[~closed, "priority"].all() and inside.loc[closed, "recheck"].all()


@pytest.mark.parametrize("query", ["?category=bbq", "?priority=true", "?station=M002"],
                         ids=["category", "priority", "station"])
def test_station_counts_do_not_follow_the_filter(map_client: Any, query: str) -> None:
    assert _map_stations(map_client, query) == _map_stations(map_client)


@pytest.fixture(params=STORE_KINDS)
def own_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Store]]:
    """A TestClient over a demo ledger of its own (this test changes it)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    for store in make_store(request.param, tmp_path):
        load_demo(store)
        settings = Settings(store=store.url, seed_demo=False)
        with TestClient(create_app(settings, store=store)) as client:
            yield client, store


def test_closing_a_source_moves_it_to_recheck(own_client: tuple[Any, Store]) -> None:
    client, store = own_client
    frame = flagged_sources(store)
    open_inside = frame[frame["priority"].fillna(False).astype(bool)].iloc[0]
    sid, cat = open_inside["stations"][0], open_inside["category"]
    before = _map_stations(client)[sid]
    feature = store.get("sources", open_inside["id"])
    writes.update(store, "sources", feature.id, {"status": "closed"},
                  expected_version=feature.version, actor="map counts test")
    after = _map_stations(client)[sid]
    assert after["recheck"] == before["recheck"] + 1
    assert after["priority"] == before["priority"] - 1
    assert after["counts"].get(cat, 0) == before["counts"][cat] - 1


@pytest.mark.parametrize("sid", ["M001", "M003"])
def test_ledger_link_lists_the_station_targets(map_client: Any, sid: str) -> None:
    row = _map_stations(map_client)[sid]
    # the station popup's link, as a GeoJSON export of the very same selection
    res = map_client.get("/ledger", params={"station": sid, "priority": "true", "f": "geojson"})
    assert res.status_code == 200, res.text
    features = res.json()["features"]
    assert len(features) == row["priority"] > 0
    assert dict(Counter(f["properties"]["category"] for f in features)) == row["counts"]
