"""Priority targets read a page at a time: the same rows as one frame, each source read once.

Runs on both stores (the ``store`` fixture); flags are checked against
pyproj ``Geod`` through the ring of sources at 3000 m +- 1 cm.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Geod
from shapely import LineString, Point

from geo import writes
from geo.ledger import Feature
from geo.priority import DERIVED_FIELDS, flagged_pages, flagged_sources, join_derived
from geo.store import Query, Store

GEOD = Geod(ellps="WGS84")
STATION = (113.6650, 34.7570)


def fwd(azimuth: float, dist_m: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(*STATION, azimuth, dist_m)
    return float(lon), float(lat)


@pytest.fixture
def ledger(store: Store) -> Store:
    """Two stations; 23 points at and around 3000 m of the first, and one line."""
    points = {f"S-{k:02d}": fwd(15.0 * k, 2999.99 if k % 2 else 3000.01) for k in range(20)}
    points |= {"S-near": fwd(0.0, 10.0), "S-far": fwd(90.0, 9000.0), "S-mid": fwd(45.0, 1500.0)}
    geoms = [Point(*xy) for xy in points.values()]
    frame = gpd.GeoDataFrame(
        {"id": list(points), "name": [f"店{k}" for k in range(len(points))], "category": "bbq"},
        geometry=geoms,
        crs="EPSG:4326",
    )
    writes.write_frame(store, "sources", frame, mode="append", actor="t")
    route = LineString([fwd(180.0, 500.0), fwd(200.0, 4000.0)])
    writes.create(store, "sources",
                  Feature("S-route", {"name": "渣土路线", "category": "muck_route"}, route),
                  actor="t")
    for sid, xy, radius_m in (("M-1", STATION, 3000.0), ("M-2", fwd(270.0, 5000.0), 1000.0)):
        writes.create(store, "stations",
                      Feature(sid, {"name": sid, "radius_m": radius_m}, Point(*xy)), actor="t")
    return store


@pytest.mark.parametrize("page_size", [1, 4, 7, 1000, None], ids=lambda v: f"page-{v}")
@pytest.mark.parametrize("only_priority", [True, False], ids=["priority", "all"])
def test_pages_join_into_the_whole_answer(ledger: Store, page_size, only_priority) -> None:
    whole = flagged_sources(ledger, only_priority=only_priority)
    pages = flagged_pages(ledger, only_priority=only_priority, page_size=page_size)
    parts = list(pages)
    assert len(pages) == len(whole) == sum(len(p) for p in parts)
    assert all(len(p) <= (page_size or len(whole)) for p in parts)
    joined = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(pd.DataFrame(joined), pd.DataFrame(whole))


def test_priority_sources_are_nearest_first_and_exact(ledger: Store) -> None:
    whole = flagged_sources(ledger, only_priority=True)
    inside = {f"S-{k:02d}" for k in range(1, 20, 2)} | {"S-near", "S-mid", "S-route"}
    assert set(whole["id"]) == inside
    assert whole["priority"].all()
    assert list(whole["distance_m"]) == sorted(whole["distance_m"])
    assert whole["id"].iloc[0] == "S-near" and whole["stations"].iloc[0] == ["M-1"]
    assert list(whole.columns[-5:]) == list(DERIVED_FIELDS)


def test_a_closed_source_leaves_the_targets_for_the_recheck_list(ledger: Store) -> None:
    writes.update(ledger, "sources", "S-near", {"status": "closed"}, expected_version=1,
                  actor="t")
    targets = flagged_sources(ledger, only_priority=True)
    assert "S-near" not in set(targets["id"]) and targets["priority"].all()
    assert not targets["recheck"].any()
    both = flagged_sources(ledger, only_priority=True, include_closed=True)
    assert both["id"].iloc[0] == "S-near"  # still nearest first
    assert both.set_index("id").loc["S-near", ["priority", "recheck"]].tolist() == [False, True]
    assert set(both["id"]) == set(targets["id"]) | {"S-near"}
    paged = [i for page in flagged_pages(ledger, only_priority=True, include_closed=True,
                                         page_size=4) for i in page["id"]]
    assert paged == both["id"].tolist()


def test_every_source_is_read_once(ledger: Store, monkeypatch) -> None:
    reads: list[Query | None] = []
    real_read = ledger.read

    def counting_read(layer: str, *, query: Query | None = None) -> pd.DataFrame:
        reads.append(query)
        return real_read(layer, query=query)

    monkeypatch.setattr(ledger, "read", counting_read)
    pages = flagged_pages(ledger, only_priority=True, page_size=4)
    ids = [i for page in pages for i in page["id"]]
    read_ids = [i for q in reads for i in (q.ids if q is not None and q.ids else ())]
    assert all(q is not None and q.ids is not None for q in reads)  # never the whole layer
    assert sorted(read_ids) == sorted(ids) and len(set(read_ids)) == len(read_ids)


def test_an_empty_ledger_gives_one_empty_page_with_every_column(store: Store) -> None:
    pages = list(flagged_pages(store, only_priority=True))
    assert len(pages) == 1 and len(pages[0]) == 0
    assert set(DERIVED_FIELDS) <= set(pages[0].columns) and "name" in pages[0].columns


def test_a_source_deleted_after_flagging_is_left_out(ledger: Store) -> None:
    pages = flagged_pages(ledger, only_priority=True, page_size=3)
    writes.delete(ledger, "sources", "S-near", expected_version=None, actor="t")
    ids = [i for page in pages for i in page["id"]]
    assert "S-near" not in ids and len(ids) == len(pages) - 1


def test_join_derived_follows_the_flags_order() -> None:
    sources = pd.DataFrame({"id": ["a", "b", "c"], "name": ["x", "y", "z"]})
    flags = pd.DataFrame({"id": ["c", "gone", "a"], "priority": [True, True, False],
                          "recheck": [False, False, True], "nearest_station": ["m", "m", None],
                          "distance_m": [1.0, 2.0, 3.0],
                          "stations": [["m"], ["m"], []]})
    out = join_derived(sources, flags)
    assert out["id"].tolist() == ["c", "a"] and out["name"].tolist() == ["z", "x"]
    assert out["distance_m"].tolist() == [1.0, 3.0] and out["stations"].tolist() == [["m"], []]
