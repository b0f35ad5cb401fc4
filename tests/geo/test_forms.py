"""Records from typed forms: every field's message at once, pasted coordinates in any label."""

from __future__ import annotations

import pytest
from pyproj import Geod
from shapely import Point

from geo.crs import bd09_to_wgs84, gcj02_to_wgs84
from geo.errors import CoordinateError
from geo.forms import (
    FormErrors,
    inspection_from_form,
    parse_coords,
    record_from_form,
    source_from_form,
    station_from_form,
)
from geo.ledger import Feature

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize("text", ["113.665412,34.757975", "113.665412，34.757975",
                                  " 113.665412  34.757975 ", "113.665412;34.757975"])
def test_pasted_pairs_in_the_ways_map_apps_copy_them(text: str) -> None:
    assert parse_coords(text) == (113.665412, 34.757975)


@pytest.mark.parametrize("text", ["113.66", "113.66,34.75,10", "abc,def", "nan,34", ""])
def test_anything_but_two_numbers_is_refused(text: str) -> None:
    with pytest.raises(CoordinateError, match="coordinate pair"):
        parse_coords(text)


def test_a_baidu_point_is_converted_and_the_typed_one_kept() -> None:
    props, geom = source_from_form({"name": "店", "category": "catering",
                                    "coords": "113.678,34.762", "crs": "百度"})
    lon, lat = bd09_to_wgs84(113.678, 34.762)
    assert geom is not None
    assert GEOD.inv(geom.x, geom.y, float(lon), float(lat))[2] < 0.01
    assert props["orig_crs"] == "bd09" and props["orig_wkt"] == "POINT (113.678 34.762)"


def test_all_problems_come_back_together() -> None:
    with pytest.raises(FormErrors) as caught:
        source_from_form({"name": " ", "category": "cafe", "fume_purifier": "maybe",
                          "lon": "113.6", "lat": "x", "crs": "wgs84"})
    assert set(caught.value.errors) == {"name", "category", "fume_purifier", "lon"}


def test_a_new_source_needs_a_place_and_its_label() -> None:
    with pytest.raises(FormErrors) as caught:
        source_from_form({"name": "店", "category": "catering"})
    assert set(caught.value.errors) == {"coords"}
    with pytest.raises(FormErrors) as caught:
        source_from_form({"name": "店", "category": "catering", "coords": "113.6,34.7"})
    assert set(caught.value.errors) == {"crs"}


def test_swapped_coordinates_are_refused_not_guessed() -> None:
    with pytest.raises(FormErrors) as caught:
        source_from_form({"name": "店", "category": "catering", "coords": "34.75,113.66",
                          "crs": "wgs84"})
    assert "coords" in caught.value.errors


def test_an_edit_that_shows_the_stored_point_keeps_it() -> None:
    stored = Feature("S1", {"name": "店", "category": "catering", "version": 3},
                     Point(113.123456789, 34.1))
    props, geom = source_from_form({"name": "店", "category": "catering",
                                    "lon": "113.1234568", "lat": "34.1000000", "crs": "wgs84"},
                                   stored=stored)
    assert geom is None and "orig_crs" not in props
    _, moved = source_from_form({"name": "店", "category": "catering",
                                 "lon": "113.1300000", "lat": "34.1000000", "crs": "wgs84"},
                                stored=stored)
    assert moved is not None and moved.x == 113.13


def test_a_route_category_needs_a_line_not_a_typed_point() -> None:
    with pytest.raises(FormErrors) as caught:
        source_from_form({"name": "渣土车", "category": "muck_route", "coords": "113.6,34.7",
                          "crs": "wgs84"})
    assert "coords" in caught.value.errors


def test_a_station_pasted_from_amap_is_stored_within_a_metre_of_the_conversion() -> None:
    props, geom = station_from_form({"name": "站", "level": "national", "radius_m": "2500",
                                     "coords": "113.671231，34.755820", "crs": "高德"})
    lon, lat = gcj02_to_wgs84(113.671231, 34.755820)
    assert geom is not None
    assert GEOD.inv(geom.x, geom.y, float(lon), float(lat))[2] < 1.0
    assert GEOD.inv(113.671231, 34.755820, geom.x, geom.y)[2] > 100  # it was shifted
    assert props["orig_crs"] == "gcj02" and props["level"] == "national"


@pytest.mark.parametrize("radius", ["0", "-1", "abc", "50000.01", "nan", "inf"],
                         ids=["zero", "negative", "text", "above-max", "nan", "infinite"])
def test_a_bad_radius_is_named_beside_radius_m(radius: str) -> None:
    with pytest.raises(FormErrors) as caught:
        station_from_form({"name": "站", "radius_m": radius, "coords": "113.6,34.7",
                           "crs": "wgs84"})
    assert set(caught.value.errors) == {"radius_m"}


@pytest.mark.parametrize("radius", ["0.01", "3000", "50000"])
def test_radii_up_to_the_maximum_are_taken(radius: str) -> None:
    props, _ = station_from_form({"name": "站", "radius_m": radius, "coords": "113.6,34.7",
                                  "crs": "wgs84"})
    assert props["radius_m"] == radius


def test_a_station_edit_without_a_new_place_keeps_its_point() -> None:
    stored = Feature("M1", {"name": "站", "level": "city", "radius_m": 3000.0, "version": 2},
                     Point(113.6654321, 34.7570001))
    props, geom = station_from_form({"name": "新名", "level": "city", "radius_m": "1000",
                                     "lon": "113.6654321", "lat": "34.7570001",
                                     "crs": "wgs84"}, stored=stored)
    assert geom is None and props["name"] == "新名" and "orig_crs" not in props
    with pytest.raises(FormErrors) as caught:
        station_from_form({"name": "", "level": "county"}, stored=stored)
    assert set(caught.value.errors) == {"name", "level"}


def test_a_layer_without_a_place_needs_no_coordinates() -> None:
    props, geom = record_from_form("inspections", {
        "source_id": "S1", "date": "2026-03-01", "result": "compliant", "coords": "junk"},
        ("source_id", "date", "result"), point=False)
    assert geom is None and props == {"source_id": "S1", "date": "2026-03-01",
                                      "result": "compliant"}


def test_an_inspection_edit_keeps_its_source_and_names_each_wrong_field() -> None:
    stored = Feature("I1", {"source_id": "S1", "date": "2026-03-01", "result": "compliant",
                            "version": 1})
    props = inspection_from_form({"date": "2026-03-02", "result": "violation", "round": "2"},
                                 source_id="S1", stored=stored)
    assert props["source_id"] == "S1" and props["result"] == "violation"
    with pytest.raises(FormErrors) as caught:
        inspection_from_form({"date": "2999-01-01", "result": "", "round": "0"},
                             source_id="S1", stored=stored)
    assert set(caught.value.errors) == {"date", "result", "round"}
