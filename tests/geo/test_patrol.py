"""The night patrol's list and its one-transaction new stall, on both stores.

Distances and their order are checked against pyproj ``Geod``; the open
priority mark against the ledger table's own column (:func:`geo.selection.select_sources`),
so the patrol and the ledger never disagree on which source is a target.
"""

from __future__ import annotations

import random

import geopandas as gpd
import pytest
from pyproj import Geod
from shapely import Point, Polygon

from geo import writes
from geo.crs import gcj02_to_wgs84, to_lonlat
from geo.errors import DuplicateIdError, InputError, ValidationError
from geo.forms import FormErrors
from geo.ledger import Feature
from geo.patrol import MAX_LIMIT, patrol_position, sources_near
from geo.selection import LedgerSelection, select_sources
from geo.store import Store

GEOD = Geod(ellps="WGS84")
HERE = (113.6680, 34.7590)  # where the officer stands
STATION = (113.6650, 34.7570)  # ~360 m away, radius 1000 m
TODAY = "2026-05-01"


def fwd(azimuth: float, dist_m: float, start: tuple[float, float] = HERE) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(*start, azimuth, dist_m)
    return float(lon), float(lat)


def geod_m(lon: float, lat: float, start: tuple[float, float] = HERE) -> float:
    return float(GEOD.inv(*start, lon, lat)[2])


@pytest.fixture
def street(store: Store) -> Store:
    """One station (1000 m); 30 stalls scattered up to 2600 m away, some closed; a site."""
    rng = random.Random(7)
    points = {f"S-{k:02d}": fwd(rng.uniform(0, 360), rng.uniform(5, 2600)) for k in range(30)}
    frame = gpd.GeoDataFrame({
        "id": list(points), "name": [f"摊点{k}" for k in range(len(points))], "category": "bbq",
        "status": ["closed" if k % 5 == 0 else "operating" for k in range(len(points))],
    }, geometry=[Point(*xy) for xy in points.values()], crs="EPSG:4326")
    writes.write_frame(store, "sources", frame, mode="append", actor="seed")
    site = Polygon([fwd(0, 300), fwd(90, 300), fwd(180, 300), fwd(270, 300)])
    writes.create(store, "sources", Feature("P-site", {"name": "工地", "category":
                                                       "construction_site"}, site), actor="seed")
    writes.create(store, "stations", Feature("M-1", {"name": "站", "radius_m": 1000.0},
                                             Point(*STATION)), actor="seed")
    return store


def test_the_nearest_come_first_at_geodesic_distance(street: Store) -> None:
    near = sources_near(street, *HERE, radius_m=2000.0, limit=MAX_LIMIT)
    points = {s["id"]: s.geometry for _, s in street.read("sources").iterrows()}
    truth = {fid: geod_m(g.x, g.y) for fid, g in points.items() if g.geom_type == "Point"}
    inside = sorted((d, fid) for fid, d in truth.items() if d <= 2000.0)
    listed = [s for s in near.sources if s.id != "P-site"]
    assert [s.id for s in listed] == [fid for _, fid in inside]
    for entry in listed:
        assert entry.distance_m == pytest.approx(truth[entry.id], abs=0.01)
    site = next(s for s in near.sources if s.id == "P-site")
    assert site.distance_m == 0.0  # standing inside the site
    assert near.total == len(inside) + 1 == len(near.sources)
    assert [s.distance_m for s in near.sources] == sorted(s.distance_m for s in near.sources)


def test_limit_keeps_the_nearest_and_counts_them_all(street: Store) -> None:
    whole = sources_near(street, *HERE, radius_m=2000.0, limit=MAX_LIMIT)
    five = sources_near(street, *HERE, radius_m=2000.0, limit=5)
    assert [s.id for s in five.sources] == [s.id for s in whole.sources[:5]]
    assert five.total == whole.total > 5
    assert sources_near(street, *fwd(0, 30_000), radius_m=100.0).sources == []


def test_open_priority_targets_are_the_ledger_s_own(street: Store) -> None:
    near = sources_near(street, *HERE, radius_m=2600.0, limit=MAX_LIMIT)
    table = select_sources(street, LedgerSelection()).set_index("id")
    assert any(s.priority for s in near.sources) and any(s.recheck for s in near.sources)
    for entry in near.sources:
        assert entry.priority == bool(table.loc[entry.id, "priority"]), entry.id
        assert entry.recheck == bool(table.loc[entry.id, "recheck"]), entry.id
        assert entry.open == (table.loc[entry.id, "status"] != "closed")
        d_station = geod_m(*points_of(street, entry.id), start=STATION)
        if entry.id != "P-site":
            assert entry.priority == (d_station <= 1000.0 and entry.open)


def points_of(store: Store, fid: str) -> tuple[float, float]:
    geometry = store.get("sources", fid).geometry
    assert geometry is not None
    point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
    return point.x, point.y


def test_the_last_inspection_is_the_latest_visit(street: Store) -> None:
    nearest = sources_near(street, *HERE, limit=1).sources[0]
    for date, result in (("2026-04-01", "violation"), ("2026-04-20", "compliant"),
                         ("2026-03-01", "closed_down")):
        writes.record_inspection(street, Feature(None, {
            "source_id": nearest.id, "date": date, "result": result}), actor="t")
    again = sources_near(street, *HERE, limit=2).sources
    assert (again[0].last_date, again[0].last_result) == ("2026-04-20", "compliant")
    assert (again[1].last_date, again[1].last_result) == (None, None)


@pytest.mark.parametrize(("options", "error"), [
    ({"radius_m": 0}, InputError), ({"radius_m": 1e9}, InputError),
    ({"limit": 0}, ValidationError), ({"limit": MAX_LIMIT + 1}, ValidationError),
    ({"limit": True}, ValidationError)], ids=["radius-0", "radius-huge", "limit-0",
                                               "limit-201", "limit-bool"])
def test_bad_options_are_refused(street: Store, options: dict, error: type) -> None:
    with pytest.raises(error):
        sources_near(street, *HERE, **options)


def test_a_swapped_position_is_refused(street: Store) -> None:
    with pytest.raises(InputError, match="swapped"):
        sources_near(street, HERE[1], HERE[0])


# -- the position asked for ----------------------------------------------------------------


def test_a_gps_position_needs_no_label_and_gcj02_is_converted() -> None:
    gps = patrol_position({"lon": "113.668", "lat": "34.759", "crs": ""})
    assert gps is not None and (gps.lon, gps.lat, gps.crs) == (113.668, 34.759, "wgs84")
    amap = patrol_position({"coords": "113.674140，34.757960", "crs": "高德"})
    assert amap is not None and amap.crs == "gcj02" and (amap.x, amap.y) == (113.67414, 34.75796)
    expected = gcj02_to_wgs84(113.67414, 34.75796)
    assert geod_m(amap.lon, amap.lat, start=(float(expected[0]), float(expected[1]))) < 0.01
    assert geod_m(amap.lon, amap.lat, start=(amap.x, amap.y)) > 100  # really moved
    grid = patrol_position({"lon": "467952.197", "lat": "3846914.124", "crs": "EPSG:4547"})
    lon, lat = to_lonlat(467952.197, 3846914.124, crs="EPSG:4547")
    assert grid is not None and (grid.lon, grid.lat) == (float(lon), float(lat))
    assert patrol_position({"coords": " ", "lon": "", "lat": ""}) is None


@pytest.mark.parametrize(("fields", "where", "match"), [
    ({"coords": "113.67"}, "coords", "not a coordinate pair"),
    ({"lon": "abc", "lat": "34.7"}, "lon", "not a coordinate pair"),
    ({"lon": "34.759", "lat": "113.668"}, "lon", "swapped"),
    ({"lon": "113.668", "lat": "34.759", "crs": "mars"}, "crs", "unknown coordinate label")],
    ids=["one-number", "not-a-number", "swapped", "unknown-label"])
def test_a_bad_position_names_its_field(fields: dict, where: str, match: str) -> None:
    with pytest.raises(FormErrors, match=match) as caught:
        patrol_position(fields)
    assert list(caught.value.errors) == [where]


# -- a new stall and its inspection: both or nothing ------------------------------------------


def stall(at: tuple[float, float] = HERE) -> Feature:
    return Feature(None, {"name": "露天烧烤摊点（巡查发现）", "category": "bbq",
                          "status": "operating"}, Point(*at))


@pytest.mark.parametrize(("result", "status"), [("closed_down", "closed"),
                                                ("violation", "operating")])
def test_a_new_stall_comes_with_its_inspection(street: Store, result: str, status: str) -> None:
    sources, visits = street.count("sources"), street.count("inspections")
    stored = writes.create_with_inspection(street, stall(), {
        "date": TODAY, "result": result, "inspector": "张三", "round": 2,
        "source_id": "ignored"}, actor="张三")
    assert (street.count("sources"), street.count("inspections")) == (sources + 1, visits + 1)
    assert stored.properties["status"] == status
    assert stored.properties["last_inspected"] == TODAY
    inspection = street.read("inspections").query("source_id == @stored.id")
    assert inspection[["result", "inspector", "round"]].values.tolist() == [[result, "张三", 2]]
    steps = street.history("sources", str(stored.id))
    assert [s.operation for s in steps] == ["create", "update"]  # the inspection's effect
    assert {s.actor for s in steps} == {"张三"}
    assert street.get("sources", str(stored.id)).properties == stored.properties


def test_an_invalid_inspection_writes_no_source(street: Store) -> None:
    token, sources = street.change_token(), street.count("sources")
    with pytest.raises(ValidationError, match="result"):
        writes.create_with_inspection(street, stall(), {"date": TODAY, "result": "nope"},
                                      actor="t")
    with pytest.raises(ValidationError, match="date"):
        writes.create_with_inspection(street, stall(), {"date": "2999-01-01",
                                                        "result": "violation"}, actor="t")
    assert street.change_token() == token and street.count("sources") == sources


def test_a_failure_after_the_source_is_inserted_rolls_it_back(street: Store) -> None:
    writes.record_inspection(street, Feature("I-taken", {"source_id": "S-00", "date": TODAY,
                                                         "result": "compliant"}), actor="t")
    token, sources = street.change_token(), street.count("sources")
    visits = street.count("inspections")
    with pytest.raises(DuplicateIdError, match="I-taken"):
        writes.create_with_inspection(street, Feature("S-new", stall().properties,
                                                      Point(*HERE)),
                                      {"id": "I-taken", "date": TODAY, "result": "violation"},
                                      actor="t")
    assert street.change_token() == token
    assert (street.count("sources"), street.count("inspections")) == (sources, visits)
    assert street.history("sources", "S-new") == []
    created = writes.create_with_inspection(street, Feature("S-new", stall().properties,
                                                            Point(*HERE)),
                                            {"date": TODAY, "result": "violation"}, actor="t")
    assert created.id == "S-new"  # the id was never taken: nothing of it was kept
