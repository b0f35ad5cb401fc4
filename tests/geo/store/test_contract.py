"""The Store contract: behaviour every store documents in geo/store/base.py.

Runs once per store kind through the ``store`` fixture (tests/conftest.py).
Only documented behaviour is tested here; GeoPackage and PostGIS internals
have their own test modules. Distances are checked against pyproj ``Geod``.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely import LineString, MultiPolygon, Point, Polygon

from geo import writes
from geo.errors import (
    DeletedIdError,
    DuplicateIdError,
    NotFoundError,
    StoreError,
    ValidationError,
    VersionMismatchError,
)
from geo.ledger import LAYERS, Feature, now_utc
from geo.store import Query, Store, WriteSummary
from geo.store.base import MAX_STORE_INT

GEOD = Geod(ellps="WGS84")
STATION = (113.6650, 34.7570)  # Zhongyuan District, Zhengzhou
AZIMUTHS = (0.0, 45.0, 90.0, 137.5, 180.0, 225.0, 270.0, 333.3)


# -- builders ------------------------------------------------------------------------


def square(lon: float, lat: float, half: float = 0.001) -> Polygon:
    return Polygon(
        [
            (lon - half, lat - half),
            (lon + half, lat - half),
            (lon + half, lat + half),
            (lon - half, lat + half),
        ]
    )


def fwd(lon: float, lat: float, azimuth: float, dist_m: float) -> tuple[float, float]:
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth, dist_m)
    return float(lon2), float(lat2)


def geod_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


FULL_SOURCE = {
    "name": "老王烧烤（建设路店）",
    "category": "catering",
    "status": "rectifying",
    "fume_purifier": "in_use",
    "address": "中原区建设路12号",
    "subdistrict": "林山寨街道",
    "community": "建设路社区",
    "grid": "网格-07",
    "last_inspected": "2025-03-14",
    "notes": "油烟净化器已清洗；名称、地址已核对",
    "demo": True,
    "orig_crs": "gcj02",
    "orig_wkt": "POINT (113.6712 34.7601)",
}

def add_inspected_source(store: Store) -> None:
    """Create the source the sample inspection inspects (an inspection needs its source)."""
    writes.create(store, "sources", source(SAMPLES["inspections"][0]["source_id"]), actor="t")


SAMPLES: dict[str, tuple[dict[str, Any], Any]] = {
    "sources": (FULL_SOURCE, Point(113.6650, 34.7570)),
    "stations": (
        {
            "name": "市监测站（郑州大学）",
            "level": "national",
            "radius_m": 2500.5,
            "address": "中原区科学大道100号",
            "demo": False,
            "orig_crs": "wgs84",
        },
        Point(113.5351, 34.8172),
    ),
    "inspections": (
        {
            "source_id": "S-0001",
            "date": "2025-04-02",
            "round": 3,
            "inspector": "张三",
            "result": "violation",
            "notes": "未开启净化器",
            "demo": True,
        },
        None,
    ),
    "grids": (
        {"name": "第七网格", "subdistrict": "林山寨街道", "community": "建设路社区"},
        square(113.66, 34.76, 0.004),
    ),
    "districts": (
        {"name": "中原区", "provenance": "demo"},
        MultiPolygon([square(113.6, 34.75, 0.02), square(113.7, 34.75, 0.01)]),
    ),
}


def source(fid: str | None, geometry: Any = None, **props: Any) -> Feature:
    base = {"name": f"店{fid}", "category": "catering"}
    return Feature(fid, {**base, **props}, geometry or Point(*STATION))


def sources_frame(ids: list[str], geoms: list[Any], **columns: Any) -> gpd.GeoDataFrame:
    data = {"id": ids, "name": [f"店{i}" for i in ids], "category": "catering", **columns}
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")


def grid_points(n: int) -> list[Point]:
    return [Point(113.60 + 0.001 * (i % 50), 34.70 + 0.001 * (i // 50)) for i in range(n)]


def snapshot(store: Store, layer: str) -> list[dict[str, Any]]:
    frame = store.read(layer)
    if "geometry" in frame:
        frame = pd.DataFrame(frame).assign(geometry=shapely.to_wkb(frame.geometry.values))
    return frame.to_dict("records")


# -- schema and emptiness ------------------------------------------------------------


def test_store_satisfies_protocol(store: Store) -> None:
    assert isinstance(store, Store)
    assert isinstance(store.url, str) and store.url


def test_init_schema_is_idempotent(store: Store) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    store.init_schema()
    store.init_schema()
    assert store.get("sources", "S-1").properties["name"] == "店S-1"
    assert store.count("sources") == 1


def test_is_empty_counts_only_sources_and_stations(store: Store) -> None:
    assert store.is_empty()
    props, _ = SAMPLES["inspections"]
    # an import may hold inspections of sources not (or no longer) in the ledger
    frame = pd.DataFrame([{"id": "I-1", **props}])
    writes.write_frame(store, "inspections", frame, mode="append", actor="t")
    assert store.is_empty()
    writes.create(store, "stations", Feature("M-1", {"name": "站"}, Point(*STATION)), actor="t")
    assert not store.is_empty()


def test_unknown_layer_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="rivers"):
        store.read("rivers")
    with pytest.raises(NotFoundError, match="rivers"):
        store.get("rivers", "x")


# -- single-feature round trips ------------------------------------------------------


@pytest.mark.parametrize("layer", list(SAMPLES), ids=list(SAMPLES))
def test_create_get_round_trip_every_layer(store: Store, layer: str) -> None:
    props, geometry = SAMPLES[layer]
    if layer == "inspections":
        add_inspected_source(store)
    created = writes.create(store, layer, Feature("X-1", dict(props), geometry), actor="甲")
    got = store.get(layer, "X-1")
    assert created == got
    assert got.id == "X-1"
    assert set(got.properties) == set(LAYERS[layer].field_names) - {"id"}
    for name, value in props.items():
        assert got.properties[name] == value, name
        assert type(got.properties[name]) is type(value), name
    assert got.properties["version"] == 1
    assert type(got.properties["version"]) is int
    stamp = dt.datetime.fromisoformat(got.properties["updated_at"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 60
    if geometry is None:
        assert got.geometry is None
    else:
        assert got.geometry.equals_exact(geometry, tolerance=0)


@pytest.mark.parametrize(
    "geometry,category",
    [
        (square(113.67, 34.76), "construction_site"),
        (MultiPolygon([square(113.67, 34.76), square(113.69, 34.76)]), "night_market"),
        (LineString([(113.60, 34.74), (113.62, 34.75), (113.65, 34.75)]), "muck_route"),
    ],
    ids=["polygon", "multipolygon", "line"],
)
def test_polygon_and_line_sources_round_trip(store: Store, geometry: Any, category: str) -> None:
    writes.create(store, "sources", source("S-1", geometry, category=category), actor="t")
    got = store.get("sources", "S-1")
    assert got.geometry.geom_type == geometry.geom_type
    assert got.geometry.equals_exact(geometry, tolerance=0)
    frame = store.read("sources")
    assert frame.geometry.iloc[0].equals_exact(geometry, tolerance=0)


def test_missing_optional_fields_take_defaults_or_none(store: Store) -> None:
    got = writes.create(
        store,
        "sources",
        Feature("S-1", {"name": "店", "category": "bbq"}, Point(*STATION)),
        actor="t",
    )
    assert got.properties["status"] == "operating"
    assert got.properties["demo"] is False
    assert got.properties["fume_purifier"] is None
    assert got.properties["last_inspected"] is None
    station = writes.create(
        store, "stations", Feature("M-1", {"name": "站"}, Point(*STATION)), actor="t"
    )
    assert station.properties["radius_m"] == 3000.0


def test_create_assigns_unique_ids_with_the_layer_prefix(store: Store) -> None:
    first = writes.create(store, "sources", source(None), actor="t")
    second = writes.create(store, "sources", source(None), actor="t")
    assert first.id and second.id and first.id != second.id
    assert first.id.startswith("S") and second.id.startswith("S")
    assert store.get("sources", first.id).id == first.id
    add_inspected_source(store)
    inspection = writes.create(
        store, "inspections", Feature(None, SAMPLES["inspections"][0]), actor="t"
    )
    assert inspection.id.startswith("I")


def test_create_taken_id_is_duplicate_and_changes_nothing(store: Store) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    with pytest.raises(DuplicateIdError, match="S-1"):
        writes.create(store, "sources", source("S-1", name="另一家"), actor="t")
    assert store.get("sources", "S-1").properties["name"] == "店S-1"
    assert len(store.history("sources", "S-1")) == 1


@pytest.mark.parametrize(
    "props,geometry,field",
    [
        ({"name": "店", "category": "cafe"}, Point(*STATION), "category"),
        ({"category": "bbq"}, Point(*STATION), "name"),
        ({"name": "店", "category": "bbq", "colour": "red"}, Point(*STATION), "colour"),
        ({"name": "工地", "category": "bbq"}, square(113.6, 34.7), "geometry"),
        (
            {"name": "店", "category": "bbq", "last_inspected": "2025-13-40"},
            Point(*STATION),
            "last_inspected",
        ),
        ({"name": "店", "category": "bbq"}, Point(200.0, 34.7), "geometry"),
    ],
    ids=[
        "bad-choice",
        "missing-required",
        "unknown-field",
        "wrong-geometry-type",
        "bad-date",
        "out-of-range",
    ],
)
def test_create_refuses_invalid_records(
    store: Store, props: dict[str, Any], geometry: Any, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        writes.create(store, "sources", Feature("S-1", props, geometry), actor="t")
    assert info.value.field == field
    assert store.count("sources") == 0
    assert store.history("sources", "S-1") == []


# -- updates, versions, deletes ------------------------------------------------------


def test_update_bumps_version_and_updated_at_and_keeps_other_fields(store: Store) -> None:
    created = writes.create(
        store, "sources", Feature("S-1", dict(FULL_SOURCE), Point(*STATION)), actor="t"
    )
    moved = Point(113.70, 34.78)
    updated = writes.update(
        store, "sources", "S-1", {"status": "closed"}, moved, expected_version=1, actor="乙"
    )
    assert updated.properties["version"] == 2
    assert updated.properties["status"] == "closed"
    assert updated.properties["updated_at"] >= created.properties["updated_at"]
    for name in ("name", "address", "community", "last_inspected", "demo"):
        assert updated.properties[name] == FULL_SOURCE[name]
    assert updated.geometry.equals_exact(moved, tolerance=0)
    again = writes.update(
        store, "sources", "S-1", {"notes": None}, expected_version=None, actor="乙"
    )
    assert again.properties["version"] == 3
    assert again.properties["notes"] is None
    assert again.geometry.equals_exact(moved, tolerance=0)  # geometry None keeps it
    assert store.get("sources", "S-1") == again


def test_update_ignores_caller_system_fields(store: Store) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    got = writes.update(
        store,
        "sources",
        "S-1",
        {"name": "新名", "version": 99, "updated_at": "2000-01-01T00:00:00Z"},
        expected_version=1,
        actor="t",
    )
    assert got.properties["version"] == 2
    assert got.properties["updated_at"] > "2000-01-02"


def test_update_refuses_an_id_change(store: Store) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    with pytest.raises(ValidationError):
        writes.update(store, "sources", "S-1", {"id": "S-2"}, expected_version=1, actor="t")
    assert store.get("sources", "S-1").properties["version"] == 1


@pytest.mark.parametrize("stale", [0, 1, 3], ids=["older", "previous", "newer"])
def test_stale_version_is_refused_and_changes_nothing(store: Store, stale: int) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    writes.update(store, "sources", "S-1", {"name": "新名"}, expected_version=1, actor="t")
    before = store.get("sources", "S-1")
    with pytest.raises(VersionMismatchError) as info:
        writes.update(
            store,
            "sources",
            "S-1",
            {"name": "旧名"},
            Point(113.0, 34.0),
            expected_version=stale,
            actor="t",
        )
    assert info.value.current_version == 2
    with pytest.raises(VersionMismatchError) as info:
        writes.delete(store, "sources", "S-1", expected_version=stale, actor="t")
    assert info.value.current_version == 2
    assert store.get("sources", "S-1") == before
    assert [e.operation for e in store.history("sources", "S-1")] == ["create", "update"]


def test_invalid_update_changes_nothing(store: Store) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    before = store.get("sources", "S-1")
    with pytest.raises(ValidationError):
        writes.update(
            store, "sources", "S-1", {"status": "demolished"}, expected_version=1, actor="t"
        )
    assert store.get("sources", "S-1") == before


@pytest.mark.parametrize("call", ["get", "update", "delete", "update-with-version"])
def test_missing_feature_is_not_found(store: Store, call: str) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    with pytest.raises(NotFoundError, match="S-404"):
        if call == "get":
            store.get("sources", "S-404")
        elif call == "update":
            writes.update(
                store, "sources", "S-404", {"name": "x"}, expected_version=None, actor="t"
            )
        elif call == "update-with-version":
            writes.update(store, "sources", "S-404", {"name": "x"}, expected_version=1, actor="t")
        else:
            writes.delete(store, "sources", "S-404", expected_version=None, actor="t")
    assert store.count("sources") == 1


def test_delete_removes_the_feature_but_keeps_its_history(store: Store) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    writes.create(store, "sources", source("S-2"), actor="t")
    writes.delete(store, "sources", "S-1", expected_version=1, actor="丙")
    with pytest.raises(NotFoundError):
        store.get("sources", "S-1")
    assert store.read("sources")["id"].tolist() == ["S-2"]
    assert [e.operation for e in store.history("sources", "S-1")] == ["create", "delete"]
    with pytest.raises(DeletedIdError, match="S-1"):  # its history keeps the id
        writes.create(store, "sources", source("S-1"), actor="t")


# -- history -------------------------------------------------------------------------------


def test_history_records_create_update_delete_with_actor_before_after(store: Store) -> None:
    first = Point(113.6650, 34.7570)
    second = Point(113.6712345678901, 34.7601234567891)
    writes.create(store, "sources", Feature("S-1", dict(FULL_SOURCE), first), actor="录入员")
    writes.update(
        store, "sources", "S-1", {"status": "closed"}, second, expected_version=1, actor="审核员"
    )
    writes.delete(store, "sources", "S-1", expected_version=2, actor="管理员")
    entries = store.history("sources", "S-1")
    assert [e.operation for e in entries] == ["create", "update", "delete"]
    assert [e.actor for e in entries] == ["录入员", "审核员", "管理员"]
    assert all(e.layer == "sources" and e.fid == "S-1" for e in entries)
    assert entries[0].seq < entries[1].seq < entries[2].seq
    assert entries[0].at <= entries[1].at <= entries[2].at
    create, update, delete = entries
    assert create.before is None and delete.after is None
    assert create.after["properties"]["name"] == FULL_SOURCE["name"]
    assert create.after["properties"]["demo"] is True
    assert create.after["properties"]["version"] == 1
    assert update.before["properties"]["status"] == "rectifying"
    assert update.after["properties"]["status"] == "closed"
    assert update.after["properties"]["version"] == 2
    assert shapely.from_wkt(update.before["geometry"]).equals_exact(first, 1e-9)
    assert shapely.from_wkt(update.after["geometry"]).equals_exact(second, 1e-9)
    assert delete.before == update.after


def test_history_of_an_unknown_feature_is_empty(store: Store) -> None:
    assert store.history("sources", "S-never") == []


def test_history_of_a_layer_without_geometry(store: Store) -> None:
    props, _ = SAMPLES["inspections"]
    add_inspected_source(store)
    writes.create(store, "inspections", Feature("I-1", dict(props)), actor="t")
    (entry,) = store.history("inspections", "I-1")
    assert entry.after["geometry"] is None
    assert entry.after["properties"]["round"] == 3


# -- write_frame ------------------------------------------------------------------------


def test_write_frame_append_inserts_and_logs(store: Store) -> None:
    frame = sources_frame(["S-1", "S-2", "S-3"], grid_points(3), community="建设路社区")
    summary = writes.write_frame(store, "sources", frame, mode="append", actor="导入")
    assert summary == WriteSummary(inserted=3, updated=0, deleted=0)
    read = store.read("sources")
    assert read["id"].tolist() == ["S-1", "S-2", "S-3"]
    assert read["version"].tolist() == [1, 1, 1]
    assert read["community"].tolist() == ["建设路社区"] * 3
    assert [e.operation for e in store.history("sources", "S-2")] == ["create"]
    assert store.history("sources", "S-2")[0].actor == "导入"


def test_write_frame_assigns_missing_ids(store: Store) -> None:
    frame = sources_frame(["S-1", None, ""], grid_points(3))
    writes.write_frame(store, "sources", frame, mode="append", actor="t")
    ids = store.read("sources")["id"].tolist()
    assert len(set(ids)) == 3 and "S-1" in ids and all(i for i in ids)


def test_write_frame_upsert_updates_and_inserts(store: Store) -> None:
    writes.write_frame(
        store, "sources", sources_frame(["S-1", "S-2"], grid_points(2)), mode="append", actor="t"
    )
    frame = sources_frame(["S-2", "S-3"], grid_points(2), status="closed")
    summary = writes.write_frame(store, "sources", frame, mode="upsert", actor="u")
    assert summary == WriteSummary(inserted=1, updated=1, deleted=0)
    read = store.read("sources").set_index("id")
    assert read.loc["S-1", "status"] == "operating" and read.loc["S-1", "version"] == 1
    assert read.loc["S-2", "status"] == "closed" and read.loc["S-2", "version"] == 2
    assert read.loc["S-3", "version"] == 1
    update = store.history("sources", "S-2")[-1]
    assert update.operation == "update" and update.actor == "u"
    assert update.before["properties"]["status"] == "operating"
    assert update.after["properties"]["status"] == "closed"


def test_write_frame_replace_empties_the_layer_first(store: Store) -> None:
    writes.write_frame(
        store, "sources", sources_frame(["S-1", "S-2"], grid_points(2)), mode="append", actor="t"
    )
    summary = writes.write_frame(
        store, "sources", sources_frame(["S-2", "S-9"], grid_points(2)), mode="replace", actor="r"
    )
    assert summary.inserted == 2 and summary.deleted == 2 and summary.updated == 0
    assert store.read("sources")["id"].tolist() == ["S-2", "S-9"]
    assert store.history("sources", "S-1")[-1].operation == "delete"
    assert store.count("stations") == 0


def test_write_frame_ignores_system_columns(store: Store) -> None:
    frame = sources_frame(["S-1"], grid_points(1), version=[7], updated_at=["2001-01-01"])
    writes.write_frame(store, "sources", frame, mode="append", actor="t")
    got = store.get("sources", "S-1")
    assert got.properties["version"] == 1 and got.properties["updated_at"] > "2002"


def test_write_frame_without_geometry_layer(store: Store) -> None:
    props, _ = SAMPLES["inspections"]
    frame = pd.DataFrame([{**props, "id": "I-1"}, {**props, "id": "I-2", "round": None}])
    writes.write_frame(store, "inspections", frame, mode="append", actor="t")
    read = store.read("inspections")
    assert type(read) is pd.DataFrame
    assert read["round"].tolist() == [3, None]


def _thousand(prefix: str = "S-") -> gpd.GeoDataFrame:
    ids = [f"{prefix}{i:04d}" for i in range(1000)]
    return sources_frame(ids, grid_points(1000))


@pytest.mark.parametrize("mode", ["append", "upsert", "replace"])
@pytest.mark.parametrize(
    "column,bad",
    [("category", "cafe"), ("last_inspected", "not a date"), ("geometry", None)],
    ids=["bad-category", "bad-date", "no-geometry"],
)
def test_write_frame_is_all_or_nothing(store: Store, mode: str, column: str, bad: Any) -> None:
    writes.write_frame(
        store,
        "sources",
        sources_frame(["S-0001", "S-keep"], grid_points(2)),
        mode="append",
        actor="t",
    )
    before = snapshot(store, "sources")
    frame = _thousand()
    if column != "geometry":
        frame[column] = frame[column].astype(object) if column in frame else None
    frame.loc[500, column] = bad
    with pytest.raises(ValidationError, match="row 501"):
        writes.write_frame(store, "sources", frame, mode=mode, actor="t")
    assert snapshot(store, "sources") == before
    assert store.history("sources", "S-0999") == []


def test_write_frame_append_with_a_taken_id_is_duplicate_and_changes_nothing(
    store: Store,
) -> None:
    writes.create(store, "sources", source("S-0999"), actor="t")
    before = snapshot(store, "sources")
    with pytest.raises(DuplicateIdError, match="S-0999"):
        writes.write_frame(store, "sources", _thousand(), mode="append", actor="t")
    assert snapshot(store, "sources") == before
    assert store.history("sources", "S-0000") == []


def test_write_frame_repeated_id_in_the_frame_is_duplicate(store: Store) -> None:
    frame = sources_frame(["S-1", "S-2", "S-1"], grid_points(3))
    with pytest.raises(DuplicateIdError, match="S-1"):
        writes.write_frame(store, "sources", frame, mode="upsert", actor="t")
    assert store.count("sources") == 0


def test_write_frame_refuses_an_unknown_mode(store: Store) -> None:
    with pytest.raises(ValidationError, match="merge"):
        writes.write_frame(store, "sources", _thousand(), mode="merge", actor="t")  # type: ignore[arg-type]
    assert store.count("sources") == 0


# -- read and count ------------------------------------------------------------------


@pytest.fixture
def ledger(store: Store) -> Store:
    """Ten sources on a grid with varied attributes, ids out of insertion order."""
    ids = ["S-9", "S-10", "S-B", "S-a", "S-1", "S-05", "S-中", "S-2", "S-3", "S-4"]
    geoms = [Point(113.60 + 0.01 * i, 34.70 + 0.01 * i) for i in range(10)]
    frame = sources_frame(
        ids,
        geoms,
        status=["operating", "closed"] * 5,
        community=["建设路社区", "绿东村社区", None, "建设路社区", None] * 2,
        demo=[True, False, False, True, False, True, False, False, True, False],
    )
    writes.write_frame(store, "sources", frame, mode="append", actor="t")
    return store


def test_read_frame_shape_and_types(ledger: Store) -> None:
    frame = ledger.read("sources")
    assert isinstance(frame, gpd.GeoDataFrame)
    assert list(frame.columns) == [*LAYERS["sources"].field_names, "geometry"]
    assert frame.crs.to_epsg() == 4326
    rows = frame.to_dict("records")
    first = rows[0]
    assert type(first["demo"]) is bool and type(first["version"]) is int
    assert first["fume_purifier"] is None and first["last_inspected"] is None
    assert isinstance(first["updated_at"], str)
    assert frame["community"].isna().sum() == 4
    assert all(v is None for v in frame["community"] if not isinstance(v, str))


def test_read_layer_without_geometry_is_a_plain_frame(store: Store) -> None:
    props, _ = SAMPLES["inspections"]
    add_inspected_source(store)
    writes.create(store, "inspections", Feature("I-1", dict(props)), actor="t")
    frame = store.read("inspections")
    assert type(frame) is pd.DataFrame
    assert list(frame.columns) == list(LAYERS["inspections"].field_names)
    assert frame.to_dict("records")[0]["date"] == "2025-04-02"


@pytest.mark.parametrize("layer", list(LAYERS), ids=list(LAYERS))
def test_read_empty_layer_has_the_columns(store: Store, layer: str) -> None:
    frame = store.read(layer)
    assert len(frame) == 0
    extra = ["geometry"] if LAYERS[layer].has_geometry else []
    assert list(frame.columns) == [*LAYERS[layer].field_names, *extra]


def test_read_orders_by_id_code_point(ledger: Store) -> None:
    ids = ledger.read("sources")["id"].tolist()
    assert ids == sorted(ids)
    assert ids[:3] == ["S-05", "S-1", "S-10"]
    assert ids[-1] == "S-中"


QUERIES = {
    "status": Query(filters={"status": "closed"}),
    "status-any-of": Query(filters={"status": ["closed", "rectifying"]}),
    "community": Query(filters={"community": "建设路社区"}),
    "community-none": Query(filters={"community": None}),
    "demo-true": Query(filters={"demo": True}),
    "two-filters": Query(filters={"status": "operating", "demo": False}),
    "ids": Query(ids=("S-1", "S-中", "S-missing")),
    "bbox": Query(bbox=(113.615, 34.615, 113.655, 34.655)),
    "bbox-and-filter": Query(bbox=(113.6, 34.6, 113.7, 34.7), filters={"status": "operating"}),
    "limit": Query(limit=3),
    "offset": Query(offset=8),
    "limit-offset": Query(limit=2, offset=3),
    "limit-zero": Query(limit=0),
    "empty-any-of": Query(filters={"status": []}),
}


def _brute(frame: pd.DataFrame, query: Query) -> list[str]:
    keep = pd.Series(True, index=frame.index)
    for name, value in query.filters.items():
        values = list(value) if isinstance(value, list | tuple) else [value]
        column = frame[name]
        hit = column.isin([v for v in values if v is not None])
        if None in values:
            hit |= column.isna()
        keep &= hit
    if query.ids is not None:
        keep &= frame["id"].isin(query.ids)
    if query.bbox is not None:
        keep &= frame.geometry.intersects(shapely.box(*query.bbox))
    ids = sorted(frame.loc[keep, "id"])
    stop = None if query.limit is None else query.offset + query.limit
    return ids[query.offset : stop]


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_read_and_count_agree_with_brute_force(ledger: Store, query: Query) -> None:
    everything = ledger.read("sources")
    expected = _brute(everything, query)
    got = ledger.read("sources", query=query)
    assert got["id"].tolist() == expected
    unpaged = Query(bbox=query.bbox, filters=query.filters, ids=query.ids)
    assert ledger.count("sources", query=query) == len(_brute(everything, unpaged))


def test_read_bbox_is_exact_not_envelope(store: Store) -> None:
    triangle = Polygon([(113.60, 34.70), (113.62, 34.70), (113.60, 34.72)])
    route = LineString([(113.60, 34.72), (113.62, 34.70)])
    writes.create(
        store, "sources", source("S-tri", triangle, category="construction_site"), actor="t"
    )
    writes.create(store, "sources", source("S-line", route, category="muck_route"), actor="t")
    writes.create(store, "sources", source("S-edge", Point(113.619, 34.719)), actor="t")
    corner = (113.6185, 34.7185, 113.619, 34.719)  # inside both envelopes only
    assert store.read("sources", query=Query(bbox=corner))["id"].tolist() == ["S-edge"]
    assert store.count("sources", query=Query(bbox=corner)) == 1


@pytest.mark.parametrize(
    "query",
    [
        Query(bbox=(1.0, 2.0, 0.0, 3.0)),
        Query(bbox=(1.0, 2.0, 3.0)),  # type: ignore[arg-type]
        Query(filters={"colour": "red"}),
        Query(limit=-1),
        Query(offset=-2),
    ],
    ids=[
        "bbox-min-over-max",
        "bbox-three-numbers",
        "unknown-field",
        "negative-limit",
        "negative-offset",
    ],
)
def test_read_refuses_bad_queries(ledger: Store, query: Query) -> None:
    with pytest.raises(ValidationError):
        ledger.read("sources", query=query)


BEYOND = MAX_STORE_INT + 1


@pytest.mark.parametrize(
    ("layer", "query", "field"),
    [
        ("sources", Query(offset=BEYOND), "offset"),
        ("sources", Query(limit=BEYOND), "limit"),
        ("inspections", Query(offset=BEYOND), "offset"),
        ("inspections", Query(filters={"round": BEYOND}), "round"),
        ("inspections", Query(filters={"round": -BEYOND}), "round"),
        ("inspections", Query(filters={"round": "99999999999999999999"}), "round"),
        ("inspections", Query(filters={"round": [1, BEYOND]}), "round"),
    ],
    ids=[
        "offset",
        "limit",
        "offset-no-geometry",
        "filter",
        "filter-negative",
        "filter-text",
        "filter-any-of",
    ],
)
def test_integers_beyond_64_bits_are_refused_alike(
    store: Store, layer: str, query: Query, field: str
) -> None:
    # PostgreSQL refuses them and SQLite compares them as floats: both must refuse
    add_inspected_source(store)
    writes.create(store, "inspections", Feature("I-1", dict(SAMPLES["inspections"][0])), actor="t")
    calls = [store.read] if query.filters == {} else [store.read, store.count]
    for call in calls:
        with pytest.raises(ValidationError, match="64-bit|9223372036854775807") as info:
            call(layer, query=query)
        assert info.value.field == field


def test_the_largest_store_integers_match_nothing(store: Store) -> None:
    add_inspected_source(store)
    writes.create(store, "inspections", Feature("I-1", dict(SAMPLES["inspections"][0])), actor="t")
    assert len(store.read("inspections", query=Query(offset=MAX_STORE_INT))) == 0
    for value in (MAX_STORE_INT, -MAX_STORE_INT, str(MAX_STORE_INT)):
        query = Query(filters={"round": value})
        assert len(store.read("inspections", query=query)) == 0
        assert store.count("inspections", query=query) == 0


# -- within and flag_priority ---------------------------------------------------------


def _ring_sources(store: Store) -> dict[str, tuple[float, float]]:
    """Sources at 2999.99 m (in) and 3000.01 m (out) of STATION along several azimuths."""
    spots: dict[str, tuple[float, float]] = {}
    for k, azimuth in enumerate(AZIMUTHS):
        spots[f"S-in-{k}"] = fwd(*STATION, azimuth, 2999.99)
        spots[f"S-out-{k}"] = fwd(*STATION, azimuth, 3000.01)
    frame = sources_frame(list(spots), [Point(*xy) for xy in spots.values()])
    writes.write_frame(store, "sources", frame, mode="append", actor="t")
    return spots


def test_within_is_exact_on_the_boundary(store: Store) -> None:
    spots = _ring_sources(store)
    found = store.within("sources", *STATION, radius_m=3000.0)
    assert sorted(found["id"]) == sorted(i for i in spots if i.startswith("S-in"))
    oracle = [geod_m(*STATION, *spots[i]) for i in found["id"]]
    np.testing.assert_allclose(found["distance_m"], oracle, atol=0.01)
    assert list(found["distance_m"]) == sorted(found["distance_m"])
    assert "distance_m" in found and set(LAYERS["sources"].field_names) <= set(found.columns)


def test_within_orders_nearest_first(store: Store) -> None:
    spots = {f"S-{d}": fwd(*STATION, 30.0 * d, 100.0 * d) for d in (5, 1, 9, 3)}
    frame = sources_frame(list(spots), [Point(*xy) for xy in spots.values()])
    writes.write_frame(store, "sources", frame, mode="append", actor="t")
    found = store.within("sources", *STATION, radius_m=1000.0)
    assert found["id"].tolist() == ["S-1", "S-3", "S-5", "S-9"]


def test_within_measures_lines_and_polygons_by_minimum_distance(store: Store) -> None:
    def meridian_segment(dist_m: float) -> LineString:
        lon, lat = fwd(*STATION, 90.0, dist_m)
        return LineString([(lon, lat - 0.005), (lon, lat + 0.005)])

    inside_line, outside_line = meridian_segment(2995.0), meridian_segment(3005.0)
    lon_in, lat_in = fwd(*STATION, 270.0, 2995.0)
    near_poly = Polygon(
        [
            (lon_in, lat_in - 0.002),
            (lon_in - 0.01, lat_in - 0.002),
            (lon_in - 0.01, lat_in + 0.002),
            (lon_in, lat_in + 0.002),
        ]
    )
    records = [
        source("S-line-in", inside_line, category="muck_route"),
        source("S-line-out", outside_line, category="muck_route"),
        source("S-poly-in", near_poly, category="construction_site"),
        source("S-poly-around", square(*STATION, 0.002), category="night_market"),
    ]
    for feature in records:
        writes.create(store, "sources", feature, actor="t")
    found = store.within("sources", *STATION, radius_m=3000.0).set_index("id")
    assert sorted(found.index) == ["S-line-in", "S-poly-around", "S-poly-in"]
    assert found.loc["S-poly-around", "distance_m"] == pytest.approx(0.0, abs=0.5)
    assert found.loc["S-line-in", "distance_m"] == pytest.approx(2995.0, abs=0.5)
    assert found.loc["S-poly-in", "distance_m"] == pytest.approx(2995.0, abs=0.5)


def test_within_refuses_a_layer_without_geometry(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.within("inspections", *STATION, radius_m=3000.0)


def _stations(store: Store, rows: list[tuple[str, tuple[float, float], float]]) -> None:
    for sid, (lon, lat), radius_m in rows:
        props = {"name": f"站{sid}", "radius_m": radius_m}
        writes.create(store, "stations", Feature(sid, props, Point(lon, lat)), actor="t")


def test_flag_priority_is_exact_on_the_boundary(store: Store) -> None:
    spots = _ring_sources(store)
    _stations(store, [("M-1", STATION, 3000.0)])
    flags = store.flag_priority()
    assert flags["id"].tolist() == sorted(spots)
    assert list(flags.columns[:6]) == [
        "id",
        "priority",
        "recheck",
        "nearest_station",
        "distance_m",
        "stations",
    ]
    for row in flags.to_dict("records"):
        inside = row["id"].startswith("S-in")
        assert row["priority"] == inside
        assert not row["recheck"]  # no source here is closed
        assert row["nearest_station"] == "M-1"
        assert row["stations"] == (["M-1"] if inside else [])
        assert row["distance_m"] == pytest.approx(geod_m(*STATION, *spots[row["id"]]), abs=0.01)


def test_a_closed_source_inside_is_to_recheck_not_a_priority_target(store: Store) -> None:
    """DESIGN "Priority": not closed and inside is priority; closed and inside is re-check."""
    _stations(store, [("M-1", STATION, 3000.0)])
    spots = {f"S-{status}-{where}": fwd(*STATION, 45.0, metres)
             for status in ("operating", "rectifying", "closed")
             for where, metres in (("in", 2999.99), ("out", 3000.01))}
    frame = sources_frame(list(spots), [Point(*xy) for xy in spots.values()])
    frame["status"] = [name.split("-")[1] for name in spots]
    writes.write_frame(store, "sources", frame, mode="append", actor="t")
    flags = store.flag_priority().set_index("id")
    priority = sorted(flags.index[flags["priority"].astype(bool)])
    recheck = sorted(flags.index[flags["recheck"].astype(bool)])
    assert priority == ["S-operating-in", "S-rectifying-in"]
    assert recheck == ["S-closed-in"]
    assert flags.loc["S-closed-in", "stations"] == ["M-1"]  # still measured as inside
    assert flags.loc["S-closed-in", "distance_m"] == pytest.approx(2999.99, abs=0.01)
    # reopening the stall makes it a priority target again
    writes.update(store, "sources", "S-closed-in", {"status": "operating"}, expected_version=1,
                  actor="t")
    again = store.flag_priority(ids=["S-closed-in"]).iloc[0]
    assert (bool(again["priority"]), bool(again["recheck"])) == (True, False)


def test_flag_priority_uses_each_station_radius_and_the_override(store: Store) -> None:
    west = fwd(*STATION, 270.0, 4000.0)
    _stations(store, [("M-big", STATION, 3000.0), ("M-small", west, 1000.0)])
    spots = {
        "S-a": fwd(*STATION, 90.0, 2400.0),  # only M-big
        "S-b": fwd(*west, 0.0, 999.99),  # only M-small (1000 m)
        "S-c": fwd(*west, 0.0, 1000.01),  # outside M-small
        "S-d": fwd(*STATION, 270.0, 2200.0),  # M-big at 2200 m; M-small nearer, 1800 m
        "S-e": fwd(*STATION, 0.0, 5000.0),  # nowhere
    }
    frame = sources_frame(list(spots), [Point(*xy) for xy in spots.values()])
    writes.write_frame(store, "sources", frame, mode="append", actor="t")
    flags = store.flag_priority().set_index("id")
    assert flags["priority"].to_dict() == {
        "S-a": True,
        "S-b": True,
        "S-c": False,
        "S-d": True,
        "S-e": False,
    }
    assert flags.loc["S-a", "stations"] == ["M-big"]
    assert flags.loc["S-b", "stations"] == ["M-small"]
    assert flags.loc["S-b", "nearest_station"] == "M-small"
    assert flags.loc["S-d", "stations"] == ["M-big"]
    assert flags.loc["S-d", "nearest_station"] == "M-small"
    wide = store.flag_priority(radius_m=2500.0).set_index("id")
    assert wide["priority"].to_dict() == {
        "S-a": True,
        "S-b": True,
        "S-c": True,
        "S-d": True,
        "S-e": False,
    }
    assert wide.loc["S-c", "stations"] == ["M-small"]
    assert wide.loc["S-d", "stations"] == ["M-small", "M-big"]  # nearest first
    for sid in spots:
        station = STATION if flags.loc[sid, "nearest_station"] == "M-big" else west
        assert flags.loc[sid, "distance_m"] == pytest.approx(
            geod_m(*station, *spots[sid]), abs=0.01
        )


def test_flag_priority_of_some_ids_is_those_rows_of_the_whole(store: Store) -> None:
    spots = _ring_sources(store)
    _stations(store, [("M-1", STATION, 3000.0)])
    whole = store.flag_priority()
    wanted = sorted(spots)[1::3]
    part = store.flag_priority(ids=[*reversed(wanted), "S-nowhere", wanted[0]])
    assert part["id"].tolist() == wanted  # ordered by id, unknown and repeated ids skipped
    expected = whole[whole["id"].isin(wanted)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)
    wide = store.flag_priority(radius_m=9000.0, ids=wanted)
    assert wide["priority"].all()
    assert len(store.flag_priority(ids=[])) == 0


def test_flag_priority_without_stations_flags_nothing(store: Store) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    flags = store.flag_priority()
    row = flags.to_dict("records")[0]
    assert not row["priority"]
    assert np.isnan(row["distance_m"])
    assert row["nearest_station"] is None
    assert row["stations"] == []


def test_flag_priority_of_an_empty_ledger(store: Store) -> None:
    flags = store.flag_priority()
    assert len(flags) == 0
    assert {"id", "priority", "nearest_station", "distance_m", "stations"} <= set(flags.columns)


# -- history until a moment (time travel) ------------------------------------------------


def test_history_until_gives_each_features_last_change_by_then(store: Store) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    writes.create(store, "sources", source("S-2"), actor="t")
    middle = store.history("sources", "S-2")[-1].at
    while now_utc() <= middle:  # history times are in milliseconds: change in a later one
        time.sleep(0.001)
    writes.update(store, "sources", "S-1", {"name": "改名"}, expected_version=1, actor="t")
    writes.delete(store, "sources", "S-2", expected_version=1, actor="t")
    then = store.history_until("sources", middle)
    assert [(e.fid, e.operation) for e in then] == [("S-1", "create"), ("S-2", "create")]
    now = store.history_until("sources", "9999-12-31T23:59:59.999Z")
    assert [(e.fid, e.operation) for e in now] == [("S-1", "update"), ("S-2", "delete")]
    assert now[0].after["properties"]["name"] == "改名"
    assert now[1].after is None


def test_history_until_before_anything_is_empty(store: Store) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    assert store.history_until("sources", "2000-01-01T00:00:00.000Z") == []
    assert store.history_until("stations", "9999-12-31T23:59:59.999Z") == []


# -- tokens -------------------------------------------------------------------------------


def test_tokens_are_stored_listed_found_and_revoked(store: Store) -> None:
    first = store.tokens.add(name="张三", role="editor", token_hash="a" * 64)
    second = store.tokens.add(name="viewer", role="viewer", token_hash="b" * 64)
    assert first.id != second.id
    assert (first.name, first.role, first.revoked_at) == ("张三", "editor", None)
    assert [t.id for t in store.tokens.records()] == sorted([first.id, second.id])
    assert store.tokens.find("a" * 64) == first
    assert store.tokens.find("c" * 64) is None
    revoked = store.tokens.revoke(first.id)
    assert revoked.revoked_at is not None
    assert store.tokens.revoke(first.id).revoked_at == revoked.revoked_at  # idempotent
    assert store.tokens.find("a" * 64).revoked_at == revoked.revoked_at


def test_token_hashes_are_unique_and_unknown_ids_not_found(store: Store) -> None:
    store.tokens.add(name="a", role="admin", token_hash="d" * 64)
    with pytest.raises((DuplicateIdError, StoreError)):
        store.tokens.add(name="b", role="admin", token_hash="d" * 64)
    with pytest.raises(NotFoundError, match="no token"):
        store.tokens.revoke(999)


# -- inspections ---------------------------------------------------------------------------


def inspection(fid: str | None, source_id: str = "S-1", **props: Any) -> Feature:
    base = {"source_id": source_id, "date": "2026-05-01", "round": 1, "result": "compliant"}
    return Feature(fid, {**base, **props})


def test_record_inspection_updates_its_source_in_the_same_write(store: Store) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    stored = writes.record_inspection(store, inspection("I-1", result="closed_down"), actor="李四")
    assert stored.id == "I-1" and stored.properties["result"] == "closed_down"
    src = store.get("sources", "S-1").properties
    assert (src["status"], src["last_inspected"], src["version"]) == ("closed", "2026-05-01", 2)
    assert [e.actor for e in store.history("sources", "S-1")] == ["t", "李四"]
    writes.record_inspection(
        store, inspection("I-2", date="2026-04-01"), actor="t"
    )  # older: no effect
    assert store.get("sources", "S-1").properties["last_inspected"] == "2026-05-01"


@pytest.mark.parametrize(
    ("fid", "source_id", "error"),
    [("I-1", "S-1", DuplicateIdError), ("I-9", "S-none", NotFoundError)],
    ids=["taken-id", "unknown-source"],
)
def test_a_refused_inspection_changes_nothing(
    store: Store, fid: str, source_id: str, error: type[Exception]
) -> None:
    writes.create(store, "sources", source("S-1"), actor="t")
    writes.record_inspection(store, inspection("I-1", date="2026-01-01"), actor="t")
    with pytest.raises(error):
        writes.record_inspection(
            store, inspection(fid, source_id, date="2026-06-01", result="closed_down"), actor="t"
        )
    src = store.get("sources", "S-1").properties
    assert (src["status"], src["last_inspected"], src["version"]) == ("operating", "2026-01-01", 2)
    assert store.count("inspections") == 1


def _reopened(store: Store) -> Store:
    """A second handle on the same ledger: another connection, as another program has."""
    from geo.store import open_store

    return open_store(store.url, pg_schema=getattr(store, "schema", "zonewatch"))


def test_change_token_moves_with_every_commit_and_only_then(store: Store) -> None:
    steady = store.change_token()
    store.read("sources")
    store.count("sources")
    assert store.change_token() == steady  # reads change nothing
    tokens = [steady]
    created = writes.create(store, "sources", source(None, name="甲店"), actor="t")
    tokens.append(store.change_token())
    writes.update(store, "sources", created.id, {"name": "乙店"}, expected_version=1, actor="t")
    tokens.append(store.change_token())
    writes.write_frame(
        store, "sources", sources_frame(["W1"], [Point(113.6, 34.75)]), mode="append", actor="t"
    )
    tokens.append(store.change_token())
    writes.delete(store, "sources", created.id, expected_version=2, actor="t")
    tokens.append(store.change_token())
    assert len(set(tokens)) == len(tokens), tokens


def test_change_token_sees_commits_by_another_handle(store: Store) -> None:
    other = _reopened(store)
    try:
        before = store.change_token()
        writes.create(other, "sources", source(None, name="外部导入"), actor="cli")
        assert store.change_token() != before
    finally:
        other.close()
