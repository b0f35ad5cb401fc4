"""GeoJSON bodies of edits: merge patches, ignored fields, coordinate labels."""

from __future__ import annotations

import pytest
from shapely import Point

from geo import crs as crs_mod
from geo import writes
from geo.edits import feature_from_geojson, merge_patch, patch_feature
from geo.errors import ValidationError
from geo.ledger import Feature


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
        ({"a": "b"}, ["c"], ["c"]),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
    ids=["replace", "add", "remove", "nested", "array-replaced", "non-object", "deep-null"],
)
def test_merge_patch_follows_rfc_7396(target, patch, result) -> None:
    assert merge_patch(target, patch) == result


def doc(**props) -> dict:
    return {"type": "Feature", "properties": {"name": "店", "category": "bbq", **props},
            "geometry": {"type": "Point", "coordinates": [113.65, 34.75]}}


def test_derived_and_system_fields_are_dropped() -> None:
    f = feature_from_geojson("sources", doc(priority=True, distance_m=3, stations=[],
                                            nearest_station="M", version=7, updated_at="x"))
    assert set(f.properties) == {"name", "category", "orig_crs", "orig_wkt"}


def test_bd09_geometry_is_converted_and_kept() -> None:
    bd = crs_mod.wgs84_to_bd09(113.65, 34.75)
    body = {**doc(), "geometry": {"type": "Point", "coordinates": [float(bd[0]), float(bd[1])]}}
    f = feature_from_geojson("sources", body, crs="baidu")
    assert f.geometry.distance(Point(113.65, 34.75)) < 1e-7
    assert f.properties["orig_crs"] == "bd09"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"type": "Feature", "properties": [], "geometry": None}, "properties"),
     ({**doc(), "id": "a", "properties": {"id": "b"}}, "id"),
     ({**doc(), "geometry": {"type": "Point", "coordinates": "x"}}, "geometry"),
     ({**doc(), "geometry": {"type": "Point", "coordinates": [113.6, 91]}}, "geometry")],
    ids=["properties-not-object", "two-ids", "garbage-coordinates", "latitude-91"],
)
def test_bad_bodies_name_the_field(body, field) -> None:
    with pytest.raises(ValidationError) as info:
        feature_from_geojson("sources", body)
    assert info.value.field == field


def test_patch_keeps_unpatched_fields_and_geometry() -> None:
    current = Feature("S-1", {"name": "店", "category": "bbq", "address": "路", "version": 3,
                              "priority": True}, Point(113.65, 34.75))
    props, geometry = patch_feature("sources", current, {"properties": {"address": None}})
    assert props == {"name": "店", "category": "bbq"} and geometry is None
    with pytest.raises(ValidationError, match="ids never change"):
        patch_feature("sources", current, {"id": "S-2"})


@pytest.mark.parametrize(
    "fid", [5, "a/b?c#d", "x" * 5000], ids=["integer", "url-chars", "5000-chars"])
@pytest.mark.parametrize("where", ["feature", "properties"])
def test_ids_are_checked_not_coerced(fid, where) -> None:
    body = {**doc(), "id": fid} if where == "feature" else doc(id=fid)
    with pytest.raises(ValidationError, match="not a valid id") as info:
        feature_from_geojson("sources", body)
    assert info.value.field == "id"


def test_a_blank_id_asks_for_a_new_one() -> None:
    assert feature_from_geojson("sources", {**doc(), "id": " "}).id is None


# -- writes through a store (both kinds) ---------------------------------------------------


def _source(fid: str | None = "S-1", **props) -> Feature:
    return Feature(fid, {"name": "店", "category": "bbq", **props}, Point(113.65, 34.75))


def test_the_id_of_a_deleted_feature_is_not_given_to_a_new_one(store) -> None:
    from geo.errors import DeletedIdError

    writes.create(store, "sources", _source(), actor="t")
    writes.delete(store, "sources", "S-1", expected_version=1, actor="t")
    with pytest.raises(DeletedIdError, match="'S-1' belonged to deleted"):
        writes.create(store, "sources", _source(name="另一家"), actor="t")
    assert [e.operation for e in store.history("sources", "S-1")] == ["create", "delete"]
    assert writes.create(store, "sources", _source("S-2"), actor="t").id == "S-2"


def test_an_edit_that_changes_nothing_keeps_version_and_history(store) -> None:

    stored = writes.create(store, "sources", _source(address="中原路1号"), actor="t")
    same = writes.update(store, "sources", stored.id, {"address": " 中原路1号 ", "name": "店"},
                          Point(113.65, 34.75), expected_version=1, actor="t")
    assert same.version == 1 and len(store.history("sources", "S-1")) == 1
    changed = writes.update(store, "sources", stored.id, {"address": "中原路2号"},
                             expected_version=1, actor="t")
    assert changed.version == 2 and len(store.history("sources", "S-1")) == 2


def test_a_stale_version_is_refused_even_when_nothing_changes(store) -> None:
    from geo.errors import VersionMismatchError

    stored = writes.create(store, "sources", _source(), actor="t")
    with pytest.raises(VersionMismatchError):
        writes.update(store, "sources", stored.id, {}, expected_version=7, actor="t")


def test_a_merge_patch_nested_thousands_deep_is_merged_without_recursion() -> None:
    deep: dict = {}
    for _ in range(5_000):
        deep = {"a": deep}
    merged = merge_patch({"name": "店"}, {"notes": deep})
    depth, value = 0, merged["notes"]
    while value:
        depth, value = depth + 1, value["a"]
    assert (merged["name"], depth) == ("店", 5_000)


def test_coordinates_nested_past_the_stack_are_an_unreadable_geometry() -> None:
    coordinates: list = [113.6, 34.75]
    for _ in range(2_000):
        coordinates = [coordinates]
    body = {**doc(), "geometry": {"type": "Point", "coordinates": coordinates}}
    with pytest.raises(ValidationError, match="unreadable GeoJSON geometry") as info:
        feature_from_geojson("sources", body)
    assert info.value.field == "geometry"
