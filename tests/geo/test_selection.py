"""The ledger table's selection: each filter, search, sort, parameters, and the home page's counts.

Runs on both stores. Distances are checked against pyproj ``Geod``: two
point sources lie at 2999 m and 3001 m of a station with a 3000 m radius.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely import LineString, Point, Polygon

from geo import writes
from geo.demo import load_demo
from geo.errors import ValidationError
from geo.ledger import Feature
from geo.overview import overview
from geo.selection import (
    COLUMNS,
    SORT_COLUMNS,
    LedgerSelection,
    choices,
    select_sources,
)
from geo.store import Store
from tests._support.stores import STORE_KINDS, make_store

GEOD = Geod(ellps="WGS84")
STATION = (113.6650, 34.7570)
FAR_STATION = (113.9000, 34.6000)
ACTOR = "测试"


def fwd(origin: tuple[float, float], azimuth: float, dist_m: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(*origin, azimuth, dist_m)
    return float(lon), float(lat)


def geod_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(*a, *b)[2])


POINTS = {
    "S-in": fwd(STATION, 0.0, 2999.0),
    "S-out": fwd(STATION, 90.0, 3001.0),
    "S-closed": fwd(STATION, 200.0, 1000.0),
    "S-m2": fwd(FAR_STATION, 10.0, 100.0),
}
_CX, _CY = fwd(STATION, 45.0, 500.0)
MARKET = Polygon([(_CX - 0.001, _CY - 0.001), (_CX + 0.001, _CY - 0.001),
                  (_CX + 0.001, _CY + 0.001), (_CX - 0.001, _CY + 0.001)])
ROUTE = LineString([fwd(STATION, 180.0, 5000.0), fwd(STATION, 200.0, 8000.0)])
SOURCES: dict[str, tuple[dict[str, Any], Any]] = {
    "S-in": ({"name": "老王面馆", "category": "catering", "status": "operating",
              "fume_purifier": "in_use", "address": "中原区建设路12号",
              "community": "红松社区", "grid": "G-01"}, Point(POINTS["S-in"])),
    "S-out": ({"name": "李记烩面", "category": "catering", "status": "operating",
               "fume_purifier": "installed", "address": "中原区桐柏路3号",
               "community": "红松社区", "grid": "G-02"}, Point(POINTS["S-out"])),
    "S-closed": ({"name": "露天烧烤摊", "category": "bbq", "status": "closed",
                  "fume_purifier": "none", "address": "中原区棉纺路8号",
                  "community": "莲花社区", "grid": "G-01"}, Point(POINTS["S-closed"])),
    "S-m2": ({"name": "张家水煎包", "category": "catering", "status": "rectifying",
              "fume_purifier": "none", "address": "中原区华山路5号",
              "community": "莲花社区", "grid": "G-03"}, Point(POINTS["S-m2"])),
    "s-mixed": ({"name": "Café ABC", "category": "night_market", "status": "rectifying",
                 "address": "Abc Road 7"}, MARKET),
    "S-route": ({"name": "渣土车路线", "category": "muck_route"}, ROUTE),
}
#: (id, source_id, date, round, result)
INSPECTIONS = [
    ("I-1", "S-in", "2026-01-10", 1, "compliant"),
    ("I-2", "S-out", "2026-01-11", 1, "compliant"),
    ("I-3", "S-in", "2026-03-05", 2, "compliant"),
    ("I-4", "S-closed", "2026-02-01", None, "closed_down"),
]


@pytest.fixture(params=STORE_KINDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Two stations, six sources (points, a market polygon, a route), four inspections."""
    for store in make_store(request.param, tmp_path):
        for sid, xy, name in (("M-1", STATION, "一号站"), ("M-2", FAR_STATION, "二号站")):
            radius_m = 3000.0 if sid == "M-1" else 1000.0
            writes.create(store, "stations",
                          Feature(sid, {"name": name, "radius_m": radius_m}, Point(xy)),
                          actor=ACTOR)
        for fid, (props, geom) in SOURCES.items():
            writes.create(store, "sources", Feature(fid, props, geom), actor=ACTOR)
        for fid, source_id, day, round_no, result in INSPECTIONS:
            props = {"source_id": source_id, "date": day, "round": round_no, "result": result}
            writes.record_inspection(store, Feature(fid, props), actor=ACTOR)
        yield store


def ids(store: Store, **filters: Any) -> list[str]:
    return select_sources(store, LedgerSelection(**filters))["id"].tolist()


def test_every_source_with_the_table_columns_and_derived_values(ledger: Store) -> None:
    rows = select_sources(ledger, LedgerSelection()).set_index("id")
    assert list(rows.reset_index().columns) == [*COLUMNS, "geometry"]
    assert sorted(rows.index) == sorted(SOURCES)
    assert rows.loc["S-in", "distance_m"] == pytest.approx(2999.0, abs=0.01)
    assert rows.loc["S-out", "distance_m"] == pytest.approx(3001.0, abs=0.01)
    assert rows.loc["S-m2", "nearest_station"] == "M-2"
    assert rows.loc["S-m2", "nearest_station_name"] == "二号站"
    assert rows.loc["S-in", "nearest_station_name"] == "一号站"
    assert rows["priority"].to_dict() == {"S-in": True, "S-out": False, "S-closed": False,
                                          "S-m2": True, "s-mixed": True, "S-route": False}
    assert rows.index[rows["recheck"]].tolist() == ["S-closed"]
    assert sorted(rows.index[rows["overdue"]]) == ["S-m2", "S-out"]
    assert rows["last_inspected"].to_dict() == {
        "S-in": "2026-03-05", "S-out": "2026-01-11", "S-closed": "2026-02-01",
        "S-m2": None, "s-mixed": None, "S-route": None}


def test_lon_lat_are_exact_for_points_and_on_the_shape_otherwise(ledger: Store) -> None:
    rows = select_sources(ledger, LedgerSelection()).set_index("id")
    for fid, (lon, lat) in POINTS.items():
        assert (rows.loc[fid, "lon"], rows.loc[fid, "lat"]) == (lon, lat)
    market = Point(rows.loc["s-mixed", "lon"], rows.loc["s-mixed", "lat"])
    assert MARKET.contains(market)
    assert market.distance(MARKET.representative_point()) < 1e-9
    on_route = Point(rows.loc["S-route", "lon"], rows.loc["S-route", "lat"])
    assert shapely.distance(on_route, ROUTE) < 1e-9


def test_the_counts_agree_with_the_home_page(ledger: Store) -> None:
    rows = select_sources(ledger, LedgerSelection())
    home = overview(ledger)
    assert (home.priority, home.recheck, home.due) == (3, 1, 2)
    assert int(rows["priority"].sum()) == home.priority
    assert int(rows["recheck"].sum()) == home.recheck
    assert int(rows["overdue"].sum()) == home.due
    assert len(ids(ledger, priority=True)) == home.priority
    assert len(ids(ledger, overdue=True)) == home.due
    assert len(ids(ledger, recheck=True)) == home.recheck
    assert set(ids(ledger, recheck=True)) <= set(ids(ledger, status="closed"))


@pytest.fixture(params=STORE_KINDS)
def demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for store in make_store(request.param, tmp_path):
        load_demo(store)
        yield store


def test_the_counts_agree_with_the_home_page_on_the_demo_ledger(demo: Store) -> None:
    home = overview(demo)
    assert home.priority > 100 and home.recheck > 10
    assert len(ids(demo, priority=True)) == home.priority
    assert len(ids(demo, overdue=True)) == home.due
    assert len(ids(demo, recheck=True)) == home.recheck
    station = demo.get("stations", str(demo.read("stations")["id"].iloc[0])).geometry
    assert isinstance(station, Point)
    new = Feature("S-new", {"name": "新开面馆", "category": "catering"},
                  Point(fwd((station.x, station.y), 0.0, 10.0)))
    writes.create(demo, "sources", new, actor=ACTOR)  # open, inside, not yet checked this round
    after = overview(demo)
    assert (after.priority, after.due) == (home.priority + 1, home.due + 1)
    assert ids(demo, priority=True, overdue=True, q="新开") == ["S-new"]
    assert len(ids(demo, overdue=True)) == after.due


@pytest.mark.parametrize(("filters", "expected"), [
    ({"category": "catering"}, ["S-in", "S-m2", "S-out"]),
    ({"status": "closed"}, ["S-closed"]),
    ({"status": "rectifying"}, ["S-m2", "s-mixed"]),
    ({"status": "operating"}, ["S-in", "S-out", "S-route"]),  # no status given: operating
    ({"fume_purifier": "none"}, ["S-closed", "S-m2"]),
    ({"community": "红松社区"}, ["S-in", "S-out"]),
    ({"grid": "G-01"}, ["S-closed", "S-in"]),
    ({"priority": True}, ["S-in", "S-m2", "s-mixed"]),
    ({"priority": False}, ["S-closed", "S-out", "S-route"]),
    ({"overdue": True}, ["S-m2", "S-out"]),
    ({"overdue": False}, ["S-closed", "S-in", "S-route", "s-mixed"]),
    ({"station": "M-2"}, ["S-m2"]),
], ids=lambda v: str(v) if isinstance(v, dict) else None)
def test_each_filter_alone(ledger: Store, filters: dict[str, Any], expected: list[str]) -> None:
    assert ids(ledger, **filters) == expected


@pytest.mark.parametrize(("filters", "expected"), [
    ({"category": "catering", "community": "莲花社区"}, ["S-m2"]),
    ({"priority": True, "overdue": True}, ["S-m2"]),
    ({"station": "M-1", "status": "closed"}, ["S-closed"]),
    ({"station": "M-1", "priority": True}, ["S-in", "s-mixed"]),
    ({"grid": "G-01", "q": "烧烤"}, ["S-closed"]),
    ({"category": "bbq", "status": "operating"}, []),
], ids=lambda v: str(v) if isinstance(v, dict) else None)
def test_combined_filters(ledger: Store, filters: dict[str, Any], expected: list[str]) -> None:
    assert ids(ledger, **filters) == expected


def test_station_filter_follows_geodesic_distance_and_keeps_closed_sources(ledger: Store) -> None:
    inside_points = {fid for fid, xy in POINTS.items() if geod_m(STATION, xy) <= 3000.0}
    assert inside_points == {"S-in", "S-closed"}  # 2999 m in, 3001 m out
    assert geod_m(STATION, POINTS["S-out"]) > 3000.0
    rows = select_sources(ledger, LedgerSelection(station="M-1"))
    assert set(rows["id"]) == inside_points | {"s-mixed"}
    assert rows.set_index("id").loc["S-closed", "status"] == "closed"
    for fid in inside_points:
        stored = rows.set_index("id").loc[fid, "distance_m"]
        assert stored == pytest.approx(geod_m(STATION, POINTS[fid]), abs=0.01)


@pytest.mark.parametrize(("q", "expected"), [
    ("老王", ["S-in"]),  # name, Chinese
    ("建设路", ["S-in"]),  # address, Chinese
    ("s-m", ["S-m2", "s-mixed"]),  # id, either case
    ("S-MIXED", ["s-mixed"]),
    ("CAFÉ", ["s-mixed"]),  # name, non-ASCII case
    ("abc road", ["s-mixed"]),  # address, lower case
    ("ＡＢＣ", ["s-mixed"]),  # full-width letters from a Chinese input method
    ("  烩面 ", ["S-out"]),  # blanks around the words
    ("没有这家", []),
], ids=lambda v: str(v) if isinstance(v, str) else None)
def test_free_text_search(ledger: Store, q: str, expected: list[str]) -> None:
    assert ids(ledger, q=q) == expected


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _expected_order(rows: pd.DataFrame, column: str, *, descending: bool) -> list[str]:
    """The order by hand: present values in order, ties by id ascending, missing ones last."""
    pairs = [(v, fid) for v, fid in zip(rows[column], rows["id"], strict=True)]
    present = sorted((p for p in pairs if not _missing(p[0])), key=lambda p: p[1])
    present.sort(key=lambda p: p[0], reverse=descending)  # stable: ids stay ascending
    missing = sorted(fid for v, fid in pairs if _missing(v))
    return [fid for _, fid in present] + missing


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("column", SORT_COLUMNS)
def test_sorting_both_ways_with_missing_values_last(ledger: Store, column: str,
                                                    descending: bool) -> None:
    rows = select_sources(ledger, LedgerSelection(sort=column, descending=descending))
    assert rows["id"].tolist() == _expected_order(rows, column, descending=descending)
    assert rows.index.tolist() == list(range(len(rows)))


def test_sorting_examples_by_hand(ledger: Store) -> None:
    assert ids(ledger, sort="fume_purifier") == [
        "S-in", "S-out", "S-closed", "S-m2", "S-route", "s-mixed"]  # in_use < installed
    assert ids(ledger, sort="fume_purifier", descending=True) == [
        "S-closed", "S-m2", "S-out", "S-in", "S-route", "s-mixed"]
    assert ids(ledger, sort="distance_m")[:2] == ["S-m2", "s-mixed"]  # 100 m, about 400 m
    assert ids(ledger, sort="distance_m", descending=True)[0] == "S-route"
    assert ids(ledger, sort="community", descending=True) == [
        "S-closed", "S-m2", "S-in", "S-out", "S-route", "s-mixed"]


@pytest.mark.parametrize("selection", [
    LedgerSelection(),
    LedgerSelection(category="bbq", status="closed", fume_purifier="none"),
    LedgerSelection(community="红松社区", grid="G-01", station="M-1", q="老王 面馆"),
    LedgerSelection(priority=True, overdue=False, sort="distance_m", descending=True),
    LedgerSelection(priority=False, sort="updated_at"),
], ids=["empty", "codes", "texts", "flags-sort", "false-flag"])
def test_params_round_trip(selection: LedgerSelection) -> None:
    params = selection.to_params()
    assert all(isinstance(v, str) and v for v in params.values())
    assert LedgerSelection.from_params(params) == selection


def test_params_give_back_only_what_is_set() -> None:
    assert LedgerSelection().to_params() == {}
    sel = LedgerSelection(status="closed", priority=False, sort="name", descending=True)
    assert sel.to_params() == {"status": "closed", "priority": "false", "sort": "name",
                               "descending": "true"}


def test_from_params_reads_forms() -> None:
    form = {"category": "", "status": "closed", "community": " 红松社区 ", "grid": "",
            "station": "", "priority": "on", "overdue": "0", "q": "", "sort": "",
            "descending": "TRUE", "f": "xlsx", "page": "2"}
    assert LedgerSelection.from_params(form) == LedgerSelection(
        status="closed", community="红松社区", priority=True, overdue=False, descending=True)
    assert LedgerSelection.from_params({"priority": "1", "overdue": "true"}) == \
        LedgerSelection(priority=True, overdue=True)
    assert LedgerSelection.from_params({"priority": "off"}).priority is False
    assert LedgerSelection(category="", q="  ") == LedgerSelection()


@pytest.mark.parametrize(("params", "field", "allowed"), [
    ({"category": "pub"}, "category", "catering, bbq, night_market"),
    ({"status": "open"}, "status", "operating, rectifying, closed"),
    ({"fume_purifier": "yes"}, "fume_purifier", "none, installed, in_use"),
    ({"sort": "version"}, "sort", "id, name, category"),
    ({"sort": "geometry"}, "sort", "distance_m, updated_at"),
    ({"priority": "maybe"}, "priority", "true, 1, on, false, 0, off"),
    ({"overdue": "2"}, "overdue", "true, 1, on"),
    ({"descending": "down"}, "descending", "true, 1, on"),
], ids=lambda v: str(v) if isinstance(v, dict) else None)
def test_bad_values_name_the_field_and_the_allowed_values(
        params: dict[str, str], field: str, allowed: str) -> None:
    with pytest.raises(ValidationError, match=allowed) as caught:
        LedgerSelection.from_params(params)
    assert caught.value.field == field
    assert repr(next(iter(params.values()))) in str(caught.value)


def test_a_bad_value_built_in_code_is_refused_too() -> None:
    with pytest.raises(ValidationError, match="sort must be one of") as caught:
        LedgerSelection(sort="nearest")
    assert caught.value.field == "sort"
    with pytest.raises(ValidationError) as caught:
        LedgerSelection(priority="false")  # type: ignore[arg-type]
    assert caught.value.field == "priority"


def test_an_unknown_station_names_the_field(ledger: Store) -> None:
    with pytest.raises(ValidationError, match="M-1, M-2") as caught:
        select_sources(ledger, LedgerSelection(station="M-9"))
    assert caught.value.field == "station"


def test_choices_list_present_communities_and_grids(ledger: Store) -> None:
    assert choices(ledger) == {"community": ["红松社区", "莲花社区"],
                               "grid": ["G-01", "G-02", "G-03"]}


def test_an_empty_ledger_gives_no_rows_but_every_column(store: Store) -> None:
    rows = select_sources(store, LedgerSelection(priority=True, sort="name"))
    assert len(rows) == 0 and list(rows.columns) == [*COLUMNS, "geometry"]
    assert choices(store) == {"community": [], "grid": []}
