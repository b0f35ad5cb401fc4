"""The Zhongyuan demonstration ledger: report figures, reproducibility, geometry, loading."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geo import demo
from geo.crs import from_lonlat, geometry_from_lonlat, to_lonlat
from geo.ledger import CATEGORY_GEOMETRIES, get_layer, validate_record

GEOD = Geod(ellps="WGS84")
DATA = demo.DATA_DIR
CJK = re.compile(r"[\u4e00-\u9fff]")
# Stored coordinates keep 7 decimals: comparisons allow half a unit in the last place.
HALF_ULP_DEG = 0.5e-7 + 1e-12


@pytest.fixture(scope="module")
def ledger() -> dict[str, pd.DataFrame]:
    return demo.build_demo()


@pytest.fixture(scope="module")
def boundary() -> shapely.Geometry:
    return demo.load_boundary()


def _sources(ledger: dict[str, pd.DataFrame], category: str) -> pd.DataFrame:
    frame = ledger["sources"]
    return frame[frame.category == category]


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# -- the report's figures -------------------------------------------------------------


def test_catering_premises_are_2026_all_with_purifiers_in_use(ledger):
    catering = _sources(ledger, "catering")
    assert len(catering) == 2026
    assert set(catering.fume_purifier) == {"in_use"}
    assert set(catering.status) == {"operating"}


def test_bbq_spots_are_347_all_closed_down(ledger):
    bbq = _sources(ledger, "bbq")
    assert len(bbq) == 347
    assert set(bbq.status) == {"closed"}
    visits = ledger["inspections"].merge(bbq[["id"]], left_on="source_id", right_on="id")
    assert len(visits) == 347
    assert set(visits.result) == {"closed_down"}


def test_night_markets_are_10_with_purifiers_in_use(ledger):
    markets = _sources(ledger, "night_market")
    assert len(markets) == 10
    assert set(markets.fume_purifier) == {"in_use"}
    assert set(markets.status) == {"operating"}
    assert markets.name.is_unique


def test_every_catering_premise_has_three_compliant_rounds(ledger):
    catering = _sources(ledger, "catering")
    checks = ledger["inspections"]
    checks = checks[checks.source_id.isin(catering.id)]
    assert len(checks) == 3 * 2026
    rounds = checks.groupby("source_id")["round"].apply(sorted)
    assert all(r == [1, 2, 3] for r in rounds)
    assert set(checks.result) == {"compliant"}


def test_later_rounds_are_later_and_last_inspected_is_the_latest(ledger):
    checks = ledger["inspections"].dropna(subset=["round"])
    by_round = checks.groupby("round")["date"]
    assert by_round.max()[1] < by_round.min()[2]
    assert by_round.max()[2] < by_round.min()[3]
    assert checks.date.min() >= "2026-01-01" and checks.date.max() <= "2026-12-31"
    latest = ledger["inspections"].groupby("source_id")["date"].max()
    sources = ledger["sources"].set_index("id")
    inspected = sources.last_inspected.dropna()
    assert inspected.index.equals(latest.sort_index().index)
    assert (inspected == latest.sort_index()).all()


def test_rounds_go_community_by_community(ledger):
    """A community's premises are all checked within three days in each round."""
    catering = _sources(ledger, "catering")[["id", "subdistrict", "community"]]
    checks = ledger["inspections"].merge(catering, left_on="source_id", right_on="id")
    days = pd.to_datetime(checks.date)
    spread = days.groupby([checks["round"], checks.subdistrict, checks.community]).agg(
        lambda d: (d.max() - d.min()).days
    )
    assert spread.max() <= 2
    assert spread.index.get_level_values(2).nunique() >= 30


def test_named_projects_are_in_the_subdistricts_the_report_names(ledger):
    sites = _sources(ledger, "construction_site").set_index("name")
    projects = _csv("projects-gcj02.csv")
    assert set(sites.index) == {p["name"] for p in projects}
    for project in projects:
        site = sites.loc[project["name"]]
        assert site.subdistrict == project["subdistrict"], project["name"]
        assert site.status == project["status"]
        assert site.orig_crs == "gcj02" and site.orig_wkt == project["wkt"]
    assert sites.loc["郑煤机老厂区"].status == "closed"
    assert sites.loc["长江西路打通工程"].status == "operating"


def test_muck_routes_run_from_operating_sites_to_the_district_edge(ledger, boundary):
    routes = _sources(ledger, "muck_route")
    sites = _sources(ledger, "construction_site")
    operating = sites[sites.status == "operating"]
    assert len(routes) == len(operating) >= 3
    edge_m = geometry_from_lonlat(boundary.boundary, crs="EPSG:4547")
    for route in routes.geometry:
        start, end = shapely.Point(route.coords[0]), shapely.Point(route.coords[-1])
        assert shapely.distance(operating.geometry.values, start).min() < 1e-6
        assert edge_m.distance(geometry_from_lonlat(end, crs="EPSG:4547")) < 20.0
        assert _length_m(route) >= 500.0


def _length_m(line: shapely.LineString) -> float:
    lon, lat = np.asarray(line.coords).T
    return float(GEOD.line_length(lon, lat))


# -- shape of the frames ---------------------------------------------------------------


@pytest.mark.parametrize("layer", demo.LOAD_ORDER)
def test_frame_has_exactly_the_layer_fields(ledger, layer):
    frame = ledger[layer]
    fields = list(get_layer(layer).field_names)
    if get_layer(layer).has_geometry:
        assert list(frame.columns) == [*fields, "geometry"]
        assert frame.crs.to_epsg() == 4326
    else:
        assert list(frame.columns) == fields


@pytest.mark.parametrize(
    ("layer", "pattern"),
    [
        ("districts", r"D\d{3}"),
        ("grids", r"G\d{3}"),
        ("stations", r"M\d{3}"),
        ("sources", r"S\d{5}"),
        ("inspections", r"I\d{6}"),
    ],
    ids=demo.LOAD_ORDER,
)
def test_ids_are_unique_and_stable_looking(ledger, layer, pattern):
    ids = ledger[layer]["id"]
    assert ids.is_unique
    assert ids.str.fullmatch(pattern).all()
    assert ids.is_monotonic_increasing


@pytest.mark.parametrize("layer", demo.LOAD_ORDER)
def test_every_row_passes_validation(ledger, layer):
    frame = ledger[layer]
    spatial = get_layer(layer).has_geometry
    for row in frame.to_dict("records"):
        geometry = row.pop("geometry", None) if spatial else None
        row.pop("id")
        _, out, notes = validate_record(layer, row, geometry)
        assert notes == [] and out is geometry


@pytest.mark.parametrize(
    "category", ["catering", "bbq", "night_market", "construction_site", "muck_route"]
)
def test_geometry_types_per_category(ledger, category):
    types = set(_sources(ledger, category).geom_type)
    expected = {
        "catering": {"Point"},
        "bbq": {"Point"},
        "night_market": {"Polygon"},
        "construction_site": {"Polygon"},
        "muck_route": {"LineString"},
    }[category]
    assert types == expected
    assert types <= CATEGORY_GEOMETRIES[category]


def test_inspections_point_at_existing_sources(ledger):
    assert set(ledger["inspections"].source_id) <= set(ledger["sources"].id)


# -- reproducibility ------------------------------------------------------------------------


def _assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for layer in a:
        pd.testing.assert_frame_equal(
            a[layer].drop(columns="geometry", errors="ignore"),
            b[layer].drop(columns="geometry", errors="ignore"),
        )
        if "geometry" in a[layer]:
            assert list(shapely.to_wkb(a[layer].geometry.values)) == list(
                shapely.to_wkb(b[layer].geometry.values)
            )


def test_two_builds_are_identical(ledger):
    _assert_same(ledger, demo.build_demo())


_DIGEST = """
import hashlib, shapely
from geo.demo import build_demo
digest = hashlib.sha256()
for name, frame in build_demo().items():
    digest.update(name.encode())
    digest.update(frame.drop(columns="geometry", errors="ignore").to_csv().encode())
    if "geometry" in frame:
        digest.update(b"".join(shapely.to_wkb(frame.geometry.values)))
print(digest.hexdigest())
"""


def test_builds_in_separate_processes_are_identical():
    """No hidden dependence on hash seeds, dict order or process state."""
    runs = {
        subprocess.run(
            [sys.executable, "-c", _DIGEST],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=DATA.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1 and len(runs.pop().strip()) == 64


def test_a_different_seed_gives_a_different_ledger(ledger):
    other = demo.build_demo(seed=7)
    assert len(other["sources"]) == len(ledger["sources"])
    same_points = shapely.equals(
        other["sources"].geometry.values, ledger["sources"].geometry.values
    )
    assert same_points.sum() < 20  # only the named projects (fixed positions) repeat
    assert not other["sources"].name.equals(ledger["sources"].name)


# -- geography ------------------------------------------------------------------------------


def test_boundary_is_a_valid_polygon_of_plausible_size(boundary):
    assert boundary.geom_type == "MultiPolygon" and boundary.is_valid
    area_km2 = abs(GEOD.geometry_area_perimeter(boundary)[0]) / 1e6
    assert 180 < area_km2 < 210  # Zhongyuan District is about 193 km²


def test_shipped_boundary_matches_a_fresh_conversion(tmp_path, boundary):
    if not demo.SHARED_BOUNDARIES.exists():
        pytest.skip(f"{demo.SHARED_BOUNDARIES} not present")
    rebuilt = demo.load_boundary(demo.build_boundary_file(target=tmp_path / "b.geojson"))
    assert rebuilt.equals_exact(boundary, tolerance=1.01e-7)


def test_boundary_was_shifted_out_of_gcj02(boundary):
    """The GCJ-02 offset in Zhengzhou is a few hundred metres; the shipped file lacks it."""
    if not demo.SHARED_BOUNDARIES.exists():
        pytest.skip(f"{demo.SHARED_BOUNDARIES} not present")
    doc = json.loads(demo.SHARED_BOUNDARIES.read_text(encoding="utf-8"))
    gcj = next(
        shapely.geometry.shape(f["geometry"])
        for f in doc["features"]
        if f["properties"]["name"] == "中原区"
    )
    a, b = gcj.centroid, boundary.centroid
    shift_m = GEOD.inv(a.x, a.y, b.x, b.y)[2]
    assert 300 < shift_m < 900


@pytest.mark.parametrize("layer", ["stations", "sources"])
def test_everything_lies_inside_the_boundary(ledger, boundary, layer):
    geoms = ledger[layer].geometry.values
    assert shapely.contains(boundary, geoms).all()


def test_grid_covers_the_district_without_overlaps(ledger, boundary):
    grids = ledger["grids"]
    cells_m = geometry_from_lonlat(grids.geometry.values, crs="EPSG:4547")
    union_m = shapely.union_all(cells_m)
    boundary_m = geometry_from_lonlat(boundary, crs="EPSG:4547")
    assert union_m.area == pytest.approx(boundary_m.area, rel=1e-4)
    assert shapely.area(cells_m).sum() == pytest.approx(union_m.area, rel=1e-4)
    assert shapely.area(cells_m).max() <= 1.2e6  # ~1 km cells, slivers merged in
    assert grids.name.str.fullmatch(r"中原-网格-\d{3}").all()
    assert (grids.name.str[-3:] == grids.id.str[1:]).all()


def test_sources_carry_the_zone_of_the_cell_they_lie_in(ledger):
    grids = ledger["grids"].set_index("name")
    points = ledger["sources"][ledger["sources"].geom_type == "Point"]
    cells = grids.loc[points.grid]
    inside = shapely.intersects(cells.geometry.values, points.geometry.values)
    assert inside.mean() > 0.999  # a point in a 1 cm rounding gap may take a neighbour
    assert (cells.subdistrict.values == points.subdistrict.values).all()
    assert (cells.community.values == points.community.values).all()


def test_all_subdistricts_have_cells_and_communities(ledger):
    table = _csv("subdistricts.csv")
    grids = ledger["grids"]
    assert set(grids.subdistrict) == {row["subdistrict"] for row in table}
    for row in table:
        names = set(row["communities"].split(";"))
        got = set(grids[grids.subdistrict == row["subdistrict"]].community)
        assert got and got <= names, row["subdistrict"]


def test_catering_is_denser_in_the_old_eastern_area(ledger):
    grids = ledger["grids"]
    east = grids.geometry.representative_point().x > 113.57
    area_km2 = geometry_from_lonlat(grids.geometry.values, crs="EPSG:4547")
    area_km2 = shapely.area(area_km2) / 1e6
    counts = _sources(ledger, "catering").grid.value_counts().reindex(grids.name, fill_value=0)
    density_east = counts.values[east.values].sum() / area_km2[east.values].sum()
    density_west = counts.values[~east.values].sum() / area_km2[~east.values].sum()
    assert density_east > 3 * density_west


def test_night_market_footprints_are_plausible(ledger):
    for footprint in _sources(ledger, "night_market").geometry:
        area_m2 = abs(GEOD.geometry_area_perimeter(footprint)[0])
        assert 2_000 <= area_m2 <= 15_000


# -- stations ---------------------------------------------------------------------------------


def test_stations_national_points_and_radius(ledger):
    stations = ledger["stations"]
    assert 4 <= len(stations) <= 6
    assert set(stations.level) <= {"national", "city"}
    assert {"郑纺机（演示）", "银行学校（演示）"} <= set(stations.name)
    assert (
        stations[stations.name.str.startswith(("郑纺机", "银行学校"))].level == "national"
    ).all()
    assert (stations.radius_m == 3000.0).all()


def test_stations_keep_their_gcj02_originals(ledger):
    stations = ledger["stations"]
    assert set(stations.orig_crs) == {"gcj02"}
    for row in stations.itertuples():
        orig = shapely.from_wkt(row.orig_wkt)
        lon, lat = to_lonlat(orig.x, orig.y, crs=row.orig_crs)
        assert abs(lon - row.geometry.x) <= HALF_ULP_DEG
        assert abs(lat - row.geometry.y) <= HALF_ULP_DEG
        # and the stored point is not the GCJ-02 one: the offset was removed
        assert GEOD.inv(orig.x, orig.y, row.geometry.x, row.geometry.y)[2] > 300


def test_station_round_trip_through_gcj02(ledger):
    """Stored -> GCJ-02 lands on the coordinates read off the map (within 1 cm)."""
    rows = {r["id"]: r for r in _csv("stations-gcj02.csv")}
    for row in ledger["stations"].itertuples():
        x, y = from_lonlat(row.geometry.x, row.geometry.y, crs="gcj02")
        assert GEOD.inv(x, y, float(rows[row.id]["lon"]), float(rows[row.id]["lat"]))[2] < 0.02


# -- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["grids", "stations", "sources", "inspections"])
def test_every_record_is_marked_demonstration_data(ledger, layer):
    frame = ledger[layer]
    assert (frame.demo == True).all()  # noqa: E712 - object column of Python bools
    if "notes" in frame:
        assert frame.notes.str.contains("演示数据").all()
    if layer == "stations":
        assert frame.name.str.contains("演示").all()


@pytest.mark.parametrize("column", ["name", "address", "subdistrict", "community", "grid", "notes"])
def test_sources_text_is_chinese(ledger, column):
    assert ledger["sources"][column].map(lambda s: bool(CJK.search(s))).all()


def test_synthetic_sources_record_their_wgs84_origin(ledger):
    sources = ledger["sources"]
    synthetic = sources[sources.category != "construction_site"]
    assert set(synthetic.orig_crs) == {"wgs84"}
    again = shapely.from_wkt(synthetic.orig_wkt.to_numpy())
    assert shapely.equals_exact(again, synthetic.geometry.values, tolerance=1e-9).all()


def test_dates_are_iso_strings(ledger):
    dates = pd.concat([ledger["inspections"].date, ledger["sources"].last_inspected.dropna()])
    assert all(dt.date.fromisoformat(d).isoformat() == d for d in dates)


# -- loading into a real store -----------------------------------------------------------------


def test_load_demo_writes_every_layer(store, ledger):
    counts = demo.load_demo(store)
    expected = {layer: len(ledger[layer]) for layer in demo.LOAD_ORDER}
    # the months of tests/geo/test_demo_cases.py and tests/geo/test_demo_air.py
    assert counts == {**expected, "cases": 120, "observations": 5 * 720 - 6}
    for layer, n in expected.items():
        assert store.count(layer) == n
    assert store.history("sources", "S00001")[0].actor == "zonewatch demo"


def test_the_store_gives_the_ledger_back(store, ledger):
    demo.load_demo(store)
    for layer in demo.LOAD_ORDER:
        back, ref = store.read(layer), ledger[layer]
        fields = [c for c in ref.columns if c not in ("geometry", "updated_at", "version")]
        for field in fields:
            got = [None if pd.isna(v) else v for v in back[field]]
            assert got == ref[field].tolist(), (layer, field)
        if "geometry" in ref:
            same = shapely.equals_exact(back.geometry.values, ref.geometry.values, tolerance=0)
            assert same.all(), layer


def test_load_demo_twice_replaces(store):
    demo.load_demo(store)
    counts = demo.load_demo(store, actor="second run")
    assert store.count("sources") == counts["sources"] == 2026 + 347 + 10 + 9 + 4


def test_data_readme_names_every_data_file():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for path in sorted(Path(DATA).iterdir()):
        if path.name != "README.md":
            assert path.name in readme
