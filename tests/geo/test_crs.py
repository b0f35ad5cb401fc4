"""Tests for geo.crs: labels, GCJ-02/BD-09 offsets, EPSG codes, checks, geometries.

Distances are measured on the WGS84 ellipsoid with pyproj Geod, the project's oracle.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely import LineString, Point, Polygon

from geo import crs
from geo.crs import (
    LABELS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    check_lonlat,
    from_lonlat,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geometry_from_lonlat,
    geometry_to_lonlat,
    normalize_label,
    to_lonlat,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.errors import CoordinateError

GEOD = Geod(ellps="WGS84")
ZHENGZHOU = (113.65, 34.75)
ROUND_TRIP_M = 0.01


def distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres between matching lon/lat pairs."""
    shape = np.shape(lon1)
    args = [np.atleast_1d(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)]
    return np.reshape(GEOD.inv(*args)[2], shape)


def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """60 000 points across mainland China's extent, plus Zhengzhou."""
    lon, lat = np.meshgrid(np.linspace(73.5, 135.0, 300), np.linspace(18.0, 53.5, 200))
    return np.append(lon.ravel(), ZHENGZHOU[0]), np.append(lat.ravel(), ZHENGZHOU[1])


# -- published reference pairs -------------------------------------------------------------
# (source lon, lat) -> (expected lon, lat), from published test data of other
# implementations of the same public algorithm (numbers only).
WGS_TO_GCJ = [
    # wandergis/coordtransform, test/app.js (Beijing, Tiananmen area)
    pytest.param((116.404, 39.915), (116.41024449916938, 39.91640428150164), id="tiananmen"),
    # googollee/eviltransform, test data (Shanghai, Shenzhen, Beijing)
    pytest.param((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597), id="shanghai"),
    pytest.param((113.912316, 22.543847), (113.9171764808363, 22.540796131694766), id="shenzhen"),
    pytest.param((116.377817, 39.911954), (116.38404722455657, 39.91334545536069), id="beijing"),
    # pyxis / geotool crypto test constants (Jiaxing)
    pytest.param((121.0917077, 30.6107779), (121.09626935575027, 30.608604331756705), id="jiaxing"),
    # cuihw/collection PositionUtilTest (Zhengzhou)
    pytest.param((113.647881, 34.829793), (113.65396374215176, 34.8287280094783), id="zhengzhou"),
    # geoToolbox test data
    pytest.param((116.0, 40.0), (116.006141221789, 40.001213650174), id="beijing-116-40"),
]
GCJ_TO_BD = [
    # wandergis/coordtransform, test/app.js
    pytest.param((116.404, 39.915), (116.41036949371029, 39.92133699351021), id="tiananmen"),
]
WGS_TO_BD = [
    # pyxis / geotool crypto test constants (Jiaxing)
    pytest.param((121.0917077, 30.6107779), (121.10271732371203, 30.61484572185035), id="jiaxing"),
]
# Five-decimal pairs from the geoChina / aseshms R documentation (Baidu's own
# service), so only good to about a metre.
GCJ_TO_BD_5DP = [
    pytest.param((116.42703, 39.90245), (116.43351, 39.90851), id="beijing-railway-station"),
    pytest.param((116.397131, 39.908746), (116.40350, 39.91509), id="tiananmen-square"),
]
REFERENCE_TOL_M = 0.05


@pytest.mark.parametrize(("wgs", "gcj"), WGS_TO_GCJ)
def test_wgs84_to_gcj02_matches_published_pairs(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert distance_m(lon, lat, *gcj) < REFERENCE_TOL_M


@pytest.mark.parametrize(("wgs", "gcj"), WGS_TO_GCJ)
def test_gcj02_to_wgs84_recovers_published_pairs(wgs, gcj):
    lon, lat = gcj02_to_wgs84(*gcj)
    assert distance_m(lon, lat, *wgs) < REFERENCE_TOL_M


def test_wgs84_to_gcj02_is_bit_for_bit_close_on_krasovsky_reference():
    # wandergis uses the same Krasovsky constants, so agreement is to rounding.
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-12)
    assert lat == pytest.approx(39.91640428150164, abs=1e-12)


@pytest.mark.parametrize(("gcj", "bd"), GCJ_TO_BD)
def test_gcj02_bd09_match_published_pairs(gcj, bd):
    assert distance_m(*gcj02_to_bd09(*gcj), *bd) < REFERENCE_TOL_M
    assert distance_m(*bd09_to_gcj02(*bd), *gcj) < REFERENCE_TOL_M


@pytest.mark.parametrize(("wgs", "bd"), WGS_TO_BD)
def test_wgs84_bd09_match_published_pairs(wgs, bd):
    assert distance_m(*wgs84_to_bd09(*wgs), *bd) < REFERENCE_TOL_M
    assert distance_m(*bd09_to_wgs84(*bd), *wgs) < REFERENCE_TOL_M


@pytest.mark.parametrize(("gcj", "bd"), GCJ_TO_BD_5DP)
def test_gcj02_bd09_match_five_decimal_published_pairs(gcj, bd):
    assert distance_m(*gcj02_to_bd09(*gcj), *bd) < 1.0
    assert distance_m(*bd09_to_gcj02(*bd), *gcj) < 1.0


def test_bd09_inverse_beats_the_closed_form_approximation():
    # wandergis's closed-form bd09togcj02(116.404, 39.915); the iterative inverse
    # differs from it by centimetres, and maps back onto the input exactly.
    closed_form = (116.39762729119315, 39.90865673957631)
    lon, lat = bd09_to_gcj02(116.404, 39.915)
    assert distance_m(lon, lat, *closed_form) < 0.1
    back = gcj02_to_bd09(lon, lat)
    assert back == pytest.approx((116.404, 39.915), abs=1e-11)
    assert distance_m(*gcj02_to_bd09(*closed_form), 116.404, 39.915) > 0.01


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        pytest.param(wgs84_to_gcj02, gcj02_to_wgs84, id="wgs-gcj-wgs"),
        pytest.param(gcj02_to_wgs84, wgs84_to_gcj02, id="gcj-wgs-gcj"),
        pytest.param(gcj02_to_bd09, bd09_to_gcj02, id="gcj-bd-gcj"),
        pytest.param(bd09_to_gcj02, gcj02_to_bd09, id="bd-gcj-bd"),
        pytest.param(wgs84_to_bd09, bd09_to_wgs84, id="wgs-bd-wgs"),
    ],
)
def test_round_trip_over_china_grid_is_under_a_centimetre(forward, inverse):
    lon, lat = china_grid()
    moved_lon, moved_lat = forward(lon, lat)
    assert distance_m(lon, lat, moved_lon, moved_lat).min() > 10.0  # every point really moved
    back_lon, back_lat = inverse(moved_lon, moved_lat)
    assert distance_m(lon, lat, back_lon, back_lat).max() < ROUND_TRIP_M
    assert np.abs(back_lon - lon).max() < 1e-9
    assert np.abs(back_lat - lat).max() < 1e-9


@pytest.mark.parametrize("label", ["gcj02", "bd09", "EPSG:4547", "EPSG:3857", "wgs84"])
def test_to_and_from_lonlat_round_trip_at_zhengzhou(label):
    x, y = from_lonlat(*ZHENGZHOU, crs=label)
    lon, lat = to_lonlat(x, y, crs=label)
    assert distance_m(lon, lat, *ZHENGZHOU) < 1e-3


def test_gcj02_offset_at_zhengzhou_is_a_few_hundred_metres():
    lon, lat = wgs84_to_gcj02(*ZHENGZHOU)
    assert 300.0 < distance_m(lon, lat, *ZHENGZHOU) < 800.0


# -- outside China --------------------------------------------------------------------------
OUTSIDE_CHINA = [
    pytest.param((2.3522, 48.8566), id="paris"),
    pytest.param((151.2093, -33.8688), id="sydney"),
    pytest.param((139.6917, 35.6895), id="tokyo"),
    pytest.param((-74.006, 40.7128), id="new-york"),
]
CONVERTERS = [
    wgs84_to_gcj02,
    gcj02_to_wgs84,
    gcj02_to_bd09,
    bd09_to_gcj02,
    wgs84_to_bd09,
    bd09_to_wgs84,
]


@pytest.mark.parametrize("point", OUTSIDE_CHINA)
@pytest.mark.parametrize("convert", CONVERTERS, ids=lambda f: f.__name__)
def test_outside_china_passes_through_unchanged(point, convert):
    assert convert(*point) == point


@pytest.mark.parametrize("label", ["gcj02", "bd09"])
@pytest.mark.parametrize("point", OUTSIDE_CHINA)
def test_outside_china_labels_pass_through_to_lonlat(point, label):
    assert to_lonlat(*point, crs=label) == point
    assert from_lonlat(*point, crs=label) == point


@pytest.mark.parametrize(
    ("point", "shifted"),
    [
        pytest.param((72.004, 40.0), True, id="west-edge-inside"),
        pytest.param((72.0039, 40.0), False, id="west-edge-outside"),
        pytest.param((137.8347, 40.0), True, id="east-edge-inside"),
        pytest.param((137.8348, 40.0), False, id="east-edge-outside"),
        pytest.param((110.0, 0.8293), True, id="south-edge-inside"),
        pytest.param((110.0, 0.8292), False, id="south-edge-outside"),
        pytest.param((110.0, 55.8271), True, id="north-edge-inside"),
        pytest.param((110.0, 55.8272), False, id="north-edge-outside"),
    ],
)
def test_china_box_edges(point, shifted):
    assert (wgs84_to_gcj02(*point) != point) is shifted
    assert (gcj02_to_bd09(*point) != point) is shifted


def test_mixed_array_shifts_only_points_inside_china():
    lon = np.array([2.3522, 113.65, 151.2093])
    lat = np.array([48.8566, 34.75, -33.8688])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(g_lon[[0, 2]], lon[[0, 2]])
    np.testing.assert_array_equal(g_lat[[0, 2]], lat[[0, 2]])
    assert distance_m(g_lon[1], g_lat[1], lon[1], lat[1]) > 100.0


# -- shapes ---------------------------------------------------------------------------------


def test_scalars_in_give_float_scalars_out():
    lon, lat = to_lonlat(*ZHENGZHOU, crs="gcj02")
    assert isinstance(lon, float) and isinstance(lat, float)
    x, y = from_lonlat(*ZHENGZHOU, crs="EPSG:4547")
    assert isinstance(x, float) and isinstance(y, float)


def test_array_shape_is_preserved_and_input_untouched():
    lon = np.full((3, 4), ZHENGZHOU[0])
    lat = np.full((3, 4), ZHENGZHOU[1])
    for label in ("wgs84", "gcj02", "bd09", "EPSG:4547"):
        x, y = from_lonlat(lon, lat, crs=label)
        assert x.shape == y.shape == (3, 4)
        back = to_lonlat(x, y, crs=label)
        assert back[0].shape == (3, 4)
    assert (lon == ZHENGZHOU[0]).all() and (lat == ZHENGZHOU[1]).all()


def test_lists_and_empty_arrays_are_accepted():
    lon, lat = to_lonlat([113.65, 113.7], [34.75, 34.8], crs="bd09")
    assert lon.shape == (2,)
    empty = to_lonlat(np.array([]), np.array([]), crs="gcj02")
    assert empty[0].shape == (0,)


def test_mismatched_shapes_are_rejected():
    with pytest.raises(CoordinateError, match=r"same shape; got \(2,\) and \(3,\)"):
        to_lonlat([1.0, 2.0], [1.0, 2.0, 3.0], crs="wgs84")


def test_non_numeric_coordinates_are_rejected():
    with pytest.raises(CoordinateError, match="coordinates must be numbers; got x='east'"):
        to_lonlat("east", 34.75, crs="wgs84")


# -- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("wgs84", "wgs84"),
        ("WGS84", "wgs84"),
        (" WGS 84 ", "wgs84"),
        ("WGS-84", "wgs84"),
        ("CGCS2000", "cgcs2000"),
        ("GCJ-02", "gcj02"),
        ("gcj_02", "gcj02"),
        ("Amap", "gcj02"),
        ("tencent", "gcj02"),
        ("BD-09", "bd09"),
        ("Baidu", "bd09"),
        ("bd09ll", "bd09"),
        ("epsg:4547", "EPSG:4547"),
        ("EPSG 4547", "EPSG:4547"),
        ("EPSG:3857", "EPSG:3857"),
        ("EPSG:4326", "wgs84"),
        ("epsg:4490", "cgcs2000"),
    ],
    ids=lambda v: repr(v),
)
def test_normalize_label(raw, expected):
    assert normalize_label(raw) == expected
    assert normalize_label(expected) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("mars", "unknown coordinate label 'mars'", id="unknown-name"),
        pytest.param("", "unknown coordinate label ''", id="empty"),
        pytest.param("EPSG:", "unknown coordinate label 'EPSG:'", id="no-code"),
        pytest.param("EPSG:999999", "pyproj knows no such EPSG code", id="unknown-code"),
        pytest.param("EPSG:4978", "Geocentric CRS; expected a geographic", id="geocentric"),
        pytest.param("EPSG:5773", "Vertical CRS; expected a geographic", id="vertical"),
        pytest.param(4547, "must be a string; got 4547", id="int"),
    ],
)
def test_normalize_label_rejects(raw, message):
    with pytest.raises(CoordinateError, match=message):
        normalize_label(raw)


def test_unknown_label_is_rejected_by_conversions():
    with pytest.raises(CoordinateError, match="unknown coordinate label 'utm'"):
        to_lonlat(*ZHENGZHOU, crs="utm")
    with pytest.raises(CoordinateError, match="unknown coordinate label 'utm'"):
        geometry_from_lonlat(Point(ZHENGZHOU), crs="utm")


def test_labels_constant():
    assert LABELS == ("wgs84", "cgcs2000", "gcj02", "bd09")
    assert all(normalize_label(label) == label for label in LABELS)


@pytest.mark.parametrize("label", ["wgs84", "cgcs2000", "EPSG:4490"])
def test_wgs84_and_cgcs2000_are_stored_as_given(label):
    lon, lat = to_lonlat(*ZHENGZHOU, crs=label)
    assert (lon, lat) == ZHENGZHOU


# -- EPSG codes -----------------------------------------------------------------------------


def test_zhengzhou_in_epsg_4547_matches_pyproj_and_geometry():
    easting, northing = from_lonlat(*ZHENGZHOU, crs="EPSG:4547")
    oracle = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    assert (easting, northing) == pytest.approx(oracle.transform(*ZHENGZHOU), abs=1e-3)
    # CM 114°E with a 500 000 m false easting: Zhengzhou lies ~32 km west of it,
    # so the easting is 500 000 minus the geodesic distance to the meridian,
    # and the northing is the meridian arc up to the foot of that distance.
    foot_lat = np.linspace(34.74, 34.76, 40001)
    to_cm = distance_m(
        np.full_like(foot_lat, ZHENGZHOU[0]),
        np.full_like(foot_lat, ZHENGZHOU[1]),
        np.full_like(foot_lat, 114.0),
        foot_lat,
    )
    nearest = int(np.argmin(to_cm))
    assert 467_000 < easting < 469_000
    assert easting == pytest.approx(500_000 - to_cm[nearest], abs=1.0)
    assert northing == pytest.approx(distance_m(114.0, 0.0, 114.0, foot_lat[nearest]), abs=1.0)


def test_epsg_4547_round_trip_over_its_zone():
    lon, lat = np.meshgrid(np.linspace(112.6, 115.4, 60), np.linspace(22.0, 45.0, 60))
    x, y = from_lonlat(lon, lat, crs="EPSG:4547")
    back_lon, back_lat = to_lonlat(x, y, crs="epsg:4547")
    assert distance_m(lon, lat, back_lon, back_lat).max() < 1e-3


def test_epsg_3857_gives_x_easting_y_northing():
    x, y = from_lonlat(180.0, 0.0, crs="EPSG:3857")
    assert x == pytest.approx(20037508.342789244, abs=1e-3)
    assert y == pytest.approx(0.0, abs=1e-6)


def test_epsg_transformers_are_cached_per_code():
    first = crs._transformers(4547)
    assert crs._transformers(4547) is first
    assert crs._transformers(3857) is not first


def test_geographic_epsg_input_is_checked_before_conversion():
    with pytest.raises(CoordinateError, match="row 4: latitude 95.0 is outside -90..90"):
        to_lonlat(120.0, 95.0, crs="EPSG:4214", record="row 4")


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        pytest.param(113.65, 34.75, r"EPSG:4547 x=113.65, y=34.75 converts", id="lonlat-given"),
        pytest.param(3846914.1, 467952.2, r"x=3846914.1, y=467952.2", id="swapped-xy"),
        pytest.param(5e7, 4.7e5, r"converts to lon/lat \(inf, inf\)", id="off-projection"),
        pytest.param(float("nan"), 3846914.1, r"x=nan", id="nan"),
    ],
)
def test_projected_input_is_checked_after_conversion(x, y, message):
    with pytest.raises(CoordinateError, match=message):
        to_lonlat(x, y, crs="EPSG:4547", record="row 9")


def test_projected_error_names_record_and_index():
    x = np.array([467952.2, 467952.2, 1.0])
    y = np.array([3846914.1, 3846914.1, 1.0])
    with pytest.raises(CoordinateError, match=r"^row 9, coordinate 2: EPSG:4547 x=1.0"):
        to_lonlat(x, y, crs="EPSG:4547", record="row 9")


# -- coordinate checks ----------------------------------------------------------------------
NAN = float("nan")
INF = float("inf")


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        pytest.param(NAN, 34.75, r"^row 7: longitude nan is not a finite number", id="nan-lon"),
        pytest.param(113.65, NAN, r"^row 7: latitude nan is not a finite number", id="nan-lat"),
        pytest.param(INF, 34.75, r"^row 7: longitude inf is not a finite", id="inf-lon"),
        pytest.param(113.65, -INF, r"^row 7: latitude -inf is not a finite", id="inf-lat"),
        pytest.param(180.001, 34.75, r"^row 7: longitude 180.001 is outside -180..180", id="lon"),
        pytest.param(120.0, 90.001, r"^row 7: latitude 90.001 is outside -90..90$", id="lat"),
        pytest.param(34.75, 113.65, r"latitude 113.65 .* look swapped", id="swapped"),
        pytest.param(-34.75, -113.65, r"latitude -113.65 .* look swapped", id="swapped-neg"),
    ],
)
def test_check_lonlat_rejects(lon, lat, message):
    with pytest.raises(CoordinateError, match=message):
        check_lonlat(lon, lat, record="row 7")


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        pytest.param(180.0, 90.0, id="max-corner"),
        pytest.param(-180.0, -90.0, id="min-corner"),
        pytest.param(0.0, 0.0, id="origin"),
        pytest.param(*ZHENGZHOU, id="zhengzhou"),
    ],
)
def test_check_lonlat_accepts_the_boundary(lon, lat):
    check_lonlat(lon, lat)


def test_check_lonlat_names_first_bad_index_and_counts_the_rest():
    lon = np.array([113.65, 113.66, NAN, 200.0])
    lat = np.array([34.75, 34.76, 34.77, 34.78])
    with pytest.raises(CoordinateError, match=r"^row 3, coordinate 2: longitude nan .*\(1 more"):
        check_lonlat(lon, lat, record="row 3")


def test_check_lonlat_without_record_has_bare_message():
    with pytest.raises(CoordinateError, match=r"^latitude 91.0 is outside"):
        check_lonlat(100.0, 91.0)


@pytest.mark.parametrize("label", ["wgs84", "gcj02", "bd09", "EPSG:4547"])
def test_from_lonlat_checks_its_input(label):
    with pytest.raises(CoordinateError, match=r"^row 5: .*look swapped"):
        from_lonlat(34.75, 113.65, crs=label, record="row 5")


@pytest.mark.parametrize("label", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_to_lonlat_checks_geographic_input_before_conversion(label):
    with pytest.raises(CoordinateError, match=r"^row 2: longitude nan"):
        to_lonlat(NAN, 34.75, crs=label, record="row 2")


# -- geometries -----------------------------------------------------------------------------
SQUARE = Polygon(
    [(113.64, 34.74), (113.66, 34.74), (113.66, 34.76), (113.64, 34.76)],
    holes=[[(113.645, 34.745), (113.645, 34.75), (113.65, 34.75), (113.65, 34.745)]],
)
GEOMETRIES = [
    pytest.param(Point(ZHENGZHOU), id="point"),
    pytest.param(LineString([(113.60, 34.70), (113.65, 34.75), (113.70, 34.78)]), id="line"),
    pytest.param(SQUARE, id="polygon-with-hole"),
]


@pytest.mark.parametrize("geom", GEOMETRIES)
@pytest.mark.parametrize("label", ["gcj02", "bd09", "EPSG:4547"])
def test_geometry_round_trip(geom, label):
    moved = geometry_from_lonlat(geom, crs=label)
    assert moved.geom_type == geom.geom_type
    assert not shapely.equals_exact(moved, geom, tolerance=1e-6)
    back = geometry_to_lonlat(moved, crs=label)
    assert shapely.equals_exact(back, geom, tolerance=1e-9)
    assert back.is_valid


@pytest.mark.parametrize("geom", GEOMETRIES)
def test_geometry_vertices_match_point_conversion(geom):
    coords = shapely.get_coordinates(geom)
    expected = np.column_stack(wgs84_to_gcj02(coords[:, 0], coords[:, 1]))
    moved = geometry_from_lonlat(geom, crs="gcj02")
    np.testing.assert_array_equal(shapely.get_coordinates(moved), expected)


def test_projected_square_keeps_its_geodesic_area():
    # a 100 m x 100 m square on the EPSG:4547 grid near Zhengzhou
    x0, y0 = 467_950.0, 3_846_910.0
    grid_square = Polygon([(x0, y0), (x0 + 100, y0), (x0 + 100, y0 + 100), (x0, y0 + 100)])
    square = geometry_to_lonlat(grid_square, crs="EPSG:4547")
    area_m2, perimeter_m = GEOD.geometry_area_perimeter(square)
    # Gauss-Krüger scale 32 km from the central meridian is ~1.0000126
    assert abs(area_m2) == pytest.approx(10_000.0, abs=1.0)
    assert perimeter_m == pytest.approx(400.0, abs=0.05)


def test_geometry_array_is_transformed_in_one_call():
    points = shapely.points([[113.65, 34.75], [2.3522, 48.8566], [113.70, 34.80]])
    moved = geometry_from_lonlat(points, crs="gcj02")
    assert moved.shape == (3,)
    assert moved[1].equals(points[1])  # Paris passes through
    assert not moved[0].equals(points[0])


def test_empty_geometry_passes_through():
    assert geometry_to_lonlat(Point(), crs="gcj02").is_empty


def test_geometry_error_names_record_and_vertex():
    line = LineString([(113.60, 34.70), (34.75, 113.65), (113.70, 34.78)])
    with pytest.raises(CoordinateError, match=r"^row 3, coordinate 1: .*look swapped"):
        geometry_to_lonlat(line, crs="gcj02", record="row 3")
