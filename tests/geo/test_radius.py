"""Tests for the radius and priority engine against the pyproj Geod oracle."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely import LineString, Point, Polygon

from geo.errors import CoordinateError, InputError, ValidationError
from geo.radius import flag_priority, geodesic_distance_m, nearest_station, within

GEOD = Geod(ellps="WGS84")
AZIMUTHS = np.arange(0.0, 360.0, 15.0)


def sources_frame(ids, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": list(ids)}, geometry=list(geoms), crs=4326)


def stations_frame(*rows: tuple[str, float, float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "radius_m": [r[3] for r in rows]},
        geometry=[Point(r[1], r[2]) for r in rows],
        crs=4326,
    )


def oracle_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    _, _, dist = GEOD.inv(*np.broadcast_arrays(lon1, lat1, lon2, lat2))
    return np.asarray(dist)


def ring(lon: float, lat: float, dist_m: float) -> list[Point]:
    n = len(AZIMUTHS)
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), AZIMUTHS, np.full(n, dist_m))
    return [Point(x, y) for x, y in zip(lons, lats, strict=True)]


# --------------------------------------------------------------------------- points at the radius
STATION_SITES = [
    pytest.param(113.65, 34.75, 3000.0, id="zhengzhou"),
    pytest.param(10.0, 0.0, 3000.0, id="equator"),
    pytest.param(24.9, 60.0, 3000.0, id="north-60"),
    pytest.param(-60.0, -70.0, 3000.0, id="south-70"),
    pytest.param(114.0 + 1e-6, 34.7, 3000.0, id="gk-cm114-east"),
    pytest.param(114.0 - 1e-6, 34.7, 3000.0, id="gk-cm114-west"),
    pytest.param(117.0, 31.8, 3000.0, id="utm-zone-edge-117"),
    pytest.param(179.9999, -16.5, 3000.0, id="antimeridian-east"),
    pytest.param(-179.99995, 52.0, 3000.0, id="antimeridian-west"),
    pytest.param(30.0, 89.99, 3000.0, id="circle-holds-north-pole"),
    pytest.param(113.65, 34.75, 50_000.0, id="zhengzhou-50km"),
    pytest.param(24.9, 60.0, 300_000.0, id="north-60-300km"),
]


@pytest.mark.parametrize(("lon", "lat", "radius_m"), STATION_SITES)
def test_points_just_inside_and_outside_the_radius(lon, lat, radius_m):
    inner, outer = ring(lon, lat, radius_m - 0.01), ring(lon, lat, radius_m + 0.01)
    n = len(inner)
    sources = sources_frame(
        [f"in{i:02d}" for i in range(n)] + [f"out{i:02d}" for i in range(n)], inner + outer
    )
    result = flag_priority(sources, stations_frame(("m1", lon, lat, radius_m)))
    assert result.priority.tolist() == [True] * n + [False] * n
    xs, ys = sources.geometry.x.to_numpy(), sources.geometry.y.to_numpy()
    np.testing.assert_allclose(result.distance_m, oracle_m(lon, lat, xs, ys), rtol=0, atol=0.01)
    assert (result.nearest == 0).all()


@pytest.mark.parametrize(("lon", "lat", "radius_m"), STATION_SITES)
def test_within_returns_the_inner_ring_nearest_first(lon, lat, radius_m):
    pts = ring(lon, lat, radius_m - 0.01) + ring(lon, lat, radius_m + 0.01) + ring(lon, lat, 10.0)
    sources = sources_frame([f"s{i:03d}" for i in range(len(pts))], pts)
    hits = within(sources, lon, lat, radius_m=radius_m)
    assert len(hits) == 2 * len(AZIMUTHS)
    assert hits["distance_m"].is_monotonic_increasing
    expected = oracle_m(lon, lat, hits.geometry.x.to_numpy(), hits.geometry.y.to_numpy())
    np.testing.assert_allclose(hits["distance_m"], expected, rtol=0, atol=0.01)


def test_antimeridian_sources_on_both_sides_are_flagged():
    lon, lat = 179.9995, 10.0
    pts = ring(lon, lat, 2999.99)
    assert min(p.x for p in pts) < 0 < max(p.x for p in pts)  # the ring really wraps
    result = flag_priority(
        sources_frame(range(len(pts)), pts), stations_frame(("m", lon, lat, 3e3))
    )
    assert result.priority.all()


def test_per_station_radii_decide_each_pair():
    a, b = (113.60, 34.75), (113.70, 34.75)
    pts = [
        *ring(*a, 999.99)[:2],
        *ring(*a, 1000.01)[:2],
        *ring(*b, 4999.99)[:2],
        *ring(*b, 5000.01)[:2],
    ]
    ids = ["a_in1", "a_in2", "a_out1", "a_out2", "b_in1", "b_in2", "b_out1", "b_out2"]
    stations = stations_frame(("A", *a, 1000.0), ("B", *b, 5000.0))
    frame = flag_priority(sources_frame(ids, pts), stations).to_frame().set_index("id")
    for sid in ids:
        covering = set(frame.loc[sid, "stations"])
        assert ("A" in covering) == sid.startswith("a_in"), sid
        if sid.startswith("b_"):
            assert ("B" in covering) == sid.startswith("b_in"), sid


def test_nearest_may_be_a_station_whose_radius_does_not_cover():
    small, large = (113.65, 34.75), (113.70, 34.75)
    src = ring(*small, 1500.0)[6]  # due east of the small station, 1.5 km
    stations = stations_frame(("big", *large, 10_000.0), ("small", *small, 1000.0))
    row = flag_priority(sources_frame(["s"], [src]), stations).to_frame().iloc[0]
    assert row["priority"] and row["stations"] == ["big"]
    assert row["nearest_station"] == "small"
    assert row["distance_m"] == pytest.approx(1500.0, abs=0.01)


@pytest.mark.parametrize(
    ("override_m", "inside"),
    [
        pytest.param(1500.0, [True, False], id="smaller"),
        pytest.param(6000.0, [True, True], id="larger"),
    ],
)
def test_radius_override_replaces_every_station_radius(override_m, inside):
    lon, lat = 113.65, 34.75
    pts = [ring(lon, lat, 1499.99)[3], ring(lon, lat, 1500.01)[5]]
    stations = stations_frame(("m", lon, lat, 1000.0))
    result = flag_priority(sources_frame(["x", "y"], pts), stations, radius_m=override_m)
    assert result.priority.tolist() == inside


def test_stations_list_is_sorted_by_distance_then_id():
    lon, lat = 113.65, 34.75
    near, mid = ring(lon, lat, 500.0)[0], ring(lon, lat, 2000.0)[12]
    stations = stations_frame(
        ("far", lon, lat + 0.02, 3000.0),
        ("twin_b", near.x, near.y, 3000.0),
        ("mid", mid.x, mid.y, 3000.0),
        ("twin_a", near.x, near.y, 3000.0),
    )
    row = flag_priority(sources_frame(["s"], [Point(lon, lat)]), stations).to_frame().iloc[0]
    assert row["stations"] == ["twin_a", "twin_b", "mid", "far"]
    assert row["nearest_station"] == "twin_a"
    assert row["distance_m"] == pytest.approx(500.0, abs=0.01)


def test_frame_keeps_input_order_and_columns():
    lon, lat = 113.65, 34.75
    pts = [ring(lon, lat, 5000.0)[0], ring(lon, lat, 100.0)[0], ring(lon, lat, 2000.0)[0]]
    frame = flag_priority(
        sources_frame(["z", "b", "a"], pts), stations_frame(("m", lon, lat, 3000.0))
    ).to_frame()
    assert list(frame.columns) == ["id", "priority", "nearest_station", "distance_m", "stations"]
    assert frame["id"].tolist() == ["z", "b", "a"]
    assert frame["priority"].tolist() == [False, True, True]
    assert frame["stations"].tolist() == [[], ["m"], ["m"]]
    np.testing.assert_allclose(frame["distance_m"], [5000.0, 100.0, 2000.0], atol=0.01)


def test_far_nearest_station_distance_is_exact():
    lon, lat = 113.65, 34.75
    pts = [ring(lon, lat, d)[4] for d in (25_000.0, 150_000.0, 900_000.0, 9_000_000.0)]
    result = flag_priority(sources_frame("abcd", pts), stations_frame(("m", lon, lat, 3000.0)))
    expected = oracle_m(lon, lat, [p.x for p in pts], [p.y for p in pts])
    np.testing.assert_allclose(result.distance_m, expected, rtol=0, atol=0.01)
    assert not result.priority.any()


# --------------------------------------------------------------------------- lines and polygons
def densified_min_distance_m(geom, lon: float, lat: float) -> float:
    """Brute-force oracle: densify in lon/lat to ~0.1 m and take the minimum Geod distance."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        if geom.intersects(Point(lon, lat)):
            return 0.0
        geom = geom.boundary
    dense = shapely.segmentize(geom, 1e-6)
    xy = shapely.get_coordinates(dense)
    return float(oracle_m(lon, lat, xy[:, 0], xy[:, 1]).min())


STATION = (113.65, 34.75)
SHAPES = {
    # one long lon/lat-straight edge passing 2.9 km from the station, no vertex near it
    "long-line": LineString([(113.50, 34.776), (113.80, 34.776)]),
    "route": LineString([(113.60, 34.70), (113.62, 34.73), (113.66, 34.722), (113.70, 34.77)]),
    "far-line": LineString([(113.90, 34.90), (113.95, 34.95)]),
    "square": Polygon([(113.66, 34.76), (113.68, 34.76), (113.68, 34.78), (113.66, 34.78)]),
    "covers-station": Polygon([(113.6, 34.7), (113.7, 34.7), (113.7, 34.8), (113.6, 34.8)]),
    "station-in-hole": Polygon(
        [(113.6, 34.7), (113.7, 34.7), (113.7, 34.8), (113.6, 34.8)],
        [[(113.64, 34.74), (113.66, 34.74), (113.66, 34.76), (113.64, 34.76)]],
    ),
    "multipolygon": shapely.MultiPolygon(
        [
            Polygon([(113.70, 34.70), (113.71, 34.70), (113.71, 34.71)]),
            Polygon([(113.62, 34.76), (113.63, 34.76), (113.63, 34.77)]),
        ]
    ),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_shape_minimum_distance_matches_densified_oracle(name):
    geom = SHAPES[name]
    result = flag_priority(sources_frame([name], [geom]), stations_frame(("m", *STATION, 3000.0)))
    expected = densified_min_distance_m(geom, *STATION)
    assert result.distance_m[0] == pytest.approx(expected, abs=0.5)
    if abs(expected - 3000.0) > 0.5:
        assert bool(result.priority[0]) == (expected <= 3000.0)


def test_station_inside_polygon_has_distance_zero():
    geom = SHAPES["covers-station"]
    result = flag_priority(sources_frame(["p"], [geom]), stations_frame(("m", *STATION, 100.0)))
    assert result.distance_m[0] == 0.0 and result.priority[0]


def test_parallel_edge_at_60n_is_not_the_geodesic():
    # a 40 km edge along the 60N parallel: the geodesic between its ends bows ~50 m north,
    # but GeoJSON edges are straight in lon/lat, so the distance is to the parallel
    lon, lat = 25.0, 60.0
    station_lat = lat - 1000.0 / 111_400.0
    edge = LineString([(lon - 0.36, lat), (lon + 0.36, lat)])
    result = flag_priority(
        sources_frame(["e"], [edge]), stations_frame(("m", lon, station_lat, 3e3))
    )
    assert result.distance_m[0] == pytest.approx(
        densified_min_distance_m(edge, lon, station_lat), abs=0.5
    )


def test_mixed_points_and_shapes_with_many_stations():
    rng = np.random.default_rng(7)
    st_lon, st_lat = rng.uniform(113.55, 113.75, 6), rng.uniform(34.70, 34.80, 6)
    stations = stations_frame(
        *((f"m{i}", x, y, 2500.0) for i, (x, y) in enumerate(zip(st_lon, st_lat, strict=True)))
    )
    geoms = [SHAPES["route"], Point(113.6, 34.72), SHAPES["square"], Point(113.9, 34.9)]
    result = flag_priority(sources_frame(["r", "p1", "sq", "p2"], geoms), stations)
    for row, geom in enumerate(geoms):
        dists = np.array(
            [densified_min_distance_m(geom, x, y) for x, y in zip(st_lon, st_lat, strict=True)]
        )
        assert result.distance_m[row] == pytest.approx(dists.min(), abs=0.5)
        got = sorted(result.pair_station[result.pair_source == row].tolist())
        assert got == np.flatnonzero(dists <= 2500.0).tolist()


# --------------------------------------------------------------------------- empty inputs
def test_no_stations_means_no_priority_and_nan_distance():
    empty_stations = stations_frame()
    result = flag_priority(sources_frame(["a"], [Point(113.6, 34.7)]), empty_stations)
    frame = result.to_frame()
    assert frame["priority"].tolist() == [False]
    assert frame["nearest_station"].tolist() == [None]
    assert np.isnan(frame["distance_m"].iloc[0])
    assert frame["stations"].tolist() == [[]]
    assert nearest_station(empty_stations, 113.6, 34.7) is None


def test_no_sources_gives_an_empty_frame():
    frame = flag_priority(sources_frame([], []), stations_frame(("m", *STATION, 3e3))).to_frame()
    assert frame.empty
    assert list(frame.columns) == ["id", "priority", "nearest_station", "distance_m", "stations"]
    assert within(sources_frame([], []), *STATION, radius_m=100.0).empty


# --------------------------------------------------------------------------- within, nearest
def test_within_breaks_distance_ties_by_id_and_handles_shapes():
    lon, lat = STATION
    spot = ring(lon, lat, 700.0)[2]
    sources = sources_frame(
        ["c", "b", "sq", "a"], [spot, spot, SHAPES["square"], ring(lon, lat, 300.0)[9]]
    )
    hits = within(sources, lon, lat, radius_m=3000.0)
    assert hits["id"].tolist() == ["a", "b", "c", "sq"]
    assert "distance_m" in hits.columns and isinstance(hits, gpd.GeoDataFrame)


def test_nearest_station_returns_id_and_exact_distance():
    lon, lat = STATION
    a, b = ring(lon, lat, 1234.5)[1], ring(lon, lat, 1234.5)[13]
    stations = stations_frame(
        ("zz", a.x, a.y, 3e3), ("aa", b.x, b.y, 3e3), ("far", lon + 1, lat, 3e3)
    )
    sid, dist = nearest_station(stations, lon, lat)
    assert sid == "aa"  # equidistant to the mm: geodesic decides, then the id
    assert dist == pytest.approx(1234.5, abs=0.01)


def test_geodesic_distance_matches_geod():
    got = geodesic_distance_m([113.65, 0.0], [34.75, 0.0], [113.66, 179.0], [34.76, 1.0])
    np.testing.assert_allclose(
        got, oracle_m([113.65, 0.0], [34.75, 0.0], [113.66, 179.0], [34.76, 1.0])
    )


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "radius_m",
    [
        pytest.param(0.0, id="zero"),
        pytest.param(-5.0, id="negative"),
        pytest.param(float("nan"), id="nan"),
        pytest.param(float("inf"), id="inf"),
        pytest.param("abc", id="text"),
    ],
)
def test_bad_radius_is_refused(radius_m):
    sources = sources_frame(["a"], [Point(*STATION)])
    stations = stations_frame(("m", *STATION, 3e3))
    # the one radius rule of geo.geodesy: the same words at every entry point
    with pytest.raises(InputError, match="radius_m must be a number of metres greater than 0"):
        flag_priority(sources, stations, radius_m=radius_m)
    with pytest.raises(InputError, match="radius_m must be a number of metres greater than 0"):
        within(sources, *STATION, radius_m=radius_m)


def test_bad_station_radius_names_the_station():
    with pytest.raises(ValidationError, match="station 'm2' has radius_m -1"):
        flag_priority(
            sources_frame(["a"], [Point(*STATION)]),
            stations_frame(("m1", *STATION, 3e3), ("m2", *STATION, -1.0)),
        )


def test_blank_station_radius_means_default():
    stations = stations_frame(("m", *STATION, 3e3))
    stations["radius_m"] = [None]
    result = flag_priority(sources_frame(["a"], [ring(*STATION, 2999.99)[0]]), stations)
    assert result.priority[0]


def test_missing_id_column_is_refused():
    frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(*STATION)], crs=4326)
    with pytest.raises(ValidationError, match="no column 'id'"):
        flag_priority(frame, stations_frame(("m", *STATION, 3e3)))


def test_projected_frame_is_refused():
    sources = sources_frame(["a"], [Point(*STATION)]).to_crs(4547)
    with pytest.raises(CoordinateError, match="EPSG:4547.*expected lon/lat"):
        flag_priority(sources, stations_frame(("m", *STATION, 3e3)))


def test_missing_geometry_is_refused():
    sources = sources_frame(["a", "b"], [Point(*STATION), None])
    with pytest.raises(ValidationError, match="'b' has no geometry"):
        flag_priority(sources, stations_frame(("m", *STATION, 3e3)))


def test_out_of_range_coordinates_are_refused():
    with pytest.raises(CoordinateError, match="lat"):
        flag_priority(
            sources_frame(["a"], [Point(113.6, 95.0)]), stations_frame(("m", *STATION, 3e3))
        )
    with pytest.raises(InputError):
        nearest_station(stations_frame(("m", *STATION, 3e3)), float("nan"), 0.0)


# --------------------------------------------------------------------------- property test
@st.composite
def scenes(draw):
    n_st = draw(st.integers(1, 5))
    n_src = draw(st.integers(0, 40))
    lon0 = draw(st.floats(-179.0, 179.0))
    lat0 = draw(st.floats(-80.0, 80.0))
    spread = draw(st.sampled_from([0.01, 0.05, 0.3]))
    coord = st.tuples(st.floats(-1, 1), st.floats(-1, 1))
    stations = [draw(coord) for _ in range(n_st)]
    radii = [draw(st.floats(50.0, 30_000.0)) for _ in range(n_st)]
    sources = [draw(coord) for _ in range(n_src)]
    # half of the sources sit on a station's radius, give or take 2 cm
    on_ring = [
        draw(st.tuples(st.integers(0, n_st - 1), st.floats(0, 360), st.floats(-0.02, 0.02)))
        for _ in range(n_src // 2)
    ]
    return lon0, lat0, spread, stations, radii, sources, on_ring


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_flags_match_brute_force_geod(scene):
    lon0, lat0, spread, st_xy, radii, src_xy, on_ring = scene
    s_lon = np.array([lon0 + spread * x for x, _ in st_xy])
    s_lat = np.array([lat0 + spread * y for _, y in st_xy])
    p_lon = np.array([lon0 + spread * x for x, _ in src_xy])
    p_lat = np.array([lat0 + spread * y for _, y in src_xy])
    for k, (j, az, delta) in enumerate(on_ring):
        p_lon[k], p_lat[k], _ = GEOD.fwd(s_lon[j], s_lat[j], az, radii[j] + delta)
    stations = stations_frame(*((f"m{j}", s_lon[j], s_lat[j], radii[j]) for j in range(len(radii))))
    sources = sources_frame(
        [f"s{i:02d}" for i in range(len(p_lon))],
        [Point(x, y) for x, y in zip(p_lon, p_lat, strict=True)],
    )
    result = flag_priority(sources, stations)
    dist = oracle_m(p_lon[:, None], p_lat[:, None], s_lon[None, :], s_lat[None, :])
    inside = dist <= np.array(radii)[None, :]
    got = np.zeros_like(inside)
    got[result.pair_source, result.pair_station] = True
    np.testing.assert_array_equal(got, inside)
    np.testing.assert_array_equal(result.priority, inside.any(axis=1))
    if len(p_lon):
        np.testing.assert_allclose(result.distance_m, dist.min(axis=1), rtol=0, atol=0.01)
        chosen = dist[np.arange(len(p_lon)), result.nearest]
        np.testing.assert_allclose(chosen, dist.min(axis=1), rtol=0, atol=0.01)
        np.testing.assert_allclose(
            result.pair_distance_m, dist[result.pair_source, result.pair_station], atol=0.01
        )


def test_a_subnormal_radius_still_flags_exactly():
    # 5e-324 m makes grid cells of 0 degrees: it was a ValueError (a 500 on /priority)
    pts = [Point(*STATION), ring(*STATION, 1.0)[0]]
    stations = stations_frame(("m", *STATION, 3e3))
    result = flag_priority(sources_frame(["at", "near"], pts), stations, radius_m=5e-324)
    assert result.priority.tolist() == [True, False]
