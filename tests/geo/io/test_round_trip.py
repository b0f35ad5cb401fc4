"""Export -> import: every file Zonewatch writes imports back as the same ledger.

An upsert of an export updates every record and inserts none: ids come back
as ids (KML too), mixed-geometry Shapefile zips come back whole, and text
that looks like a formula comes back exactly as it was stored.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely import LineString, Point, Polygon

from geo import writes
from geo.errors import ImportRejectedError, InputError
from geo.io.importer import import_file
from geo.io.writers import export_frame
from geo.ledger import Feature
from geo.store import Store

TEXT_FIELDS = ("name", "category", "status", "fume_purifier", "address", "subdistrict",
               "community", "grid", "notes")
SOURCES = [
    Feature("S-pt1", {"name": '=HYPERLINK("http://evil.example/","点我")', "category": "catering",
                      "status": "operating", "fume_purifier": "in_use", "address": "=1+1",
                      "community": "=2+3", "subdistrict": "林山寨街道", "grid": "-1+2",
                      "notes": "@SUM(A1)"}, Point(113.66, 34.75)),
    Feature("S-pt2", {"name": "老王烧烤", "category": "bbq", "status": "closed",
                      "community": "甲社区"}, Point(113.67, 34.76)),
    Feature("S-line", {"name": "渣土车路线一", "category": "muck_route", "status": "operating"},
            LineString([(113.60, 34.70), (113.62, 34.71)])),
    Feature("S-poly", {"name": "夜市一号", "category": "night_market", "status": "operating",
                       "fume_purifier": "installed"},
            Polygon([(113.60, 34.70), (113.601, 34.70), (113.601, 34.701), (113.60, 34.70)])),
]
FORMATS = {"csv": ".csv", "xlsx": ".xlsx", "geojson": ".geojson", "gpkg": ".gpkg",
           "kml": ".kml", "shp": ".zip"}


def seed(store: Store) -> None:
    for feature in SOURCES:
        writes.create(store, "sources", feature, actor="seed")


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_then_upsert_updates_every_record(store: Store, tmp_path: Path, fmt: str) -> None:
    seed(store)
    path = tmp_path / f"rt{FORMATS[fmt]}"
    export_frame(store.read("sources"), path, fmt=fmt, layer_name="sources")
    report = import_file(store, path, layer="sources", mode="upsert", actor="t")
    assert report.rejected == []
    assert report.written is not None
    assert (report.written.inserted, report.written.updated) == (0, len(SOURCES))
    assert store.count("sources") == len(SOURCES)
    for feature in SOURCES:
        stored = store.get("sources", feature.id)
        for field in TEXT_FIELDS:
            assert stored.properties[field] == feature.properties.get(field), (fmt, field)
        assert shapely.hausdorff_distance(stored.geometry, feature.geometry) < 1e-7


def test_kml_placemark_ids_made_up_by_gdal_are_not_record_ids(tmp_path: Path) -> None:
    from geo.io.readers import read_raw

    frame = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(113.6, 34.7)] * 2,
                             crs="EPSG:4326")
    path = tmp_path / "plain.kml"
    pyogrio.write_dataframe(frame, path, layer="sources", driver="KML")
    assert "sources.1" in path.read_text(encoding="utf-8")  # what GDAL writes
    assert read_raw(path).attributes["id"].isna().all()


def _zip_of_shapefiles(tmp_path: Path, parts: dict[str, gpd.GeoDataFrame]) -> Path:
    folder = tmp_path / "parts"
    folder.mkdir()
    for stem, frame in parts.items():
        pyogrio.write_dataframe(frame, folder / f"{stem}.shp", encoding="UTF-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for stem in parts:
            for part in sorted(folder.glob(f"{stem}.*")):
                archive.write(part, part.name)
    path = tmp_path / "many.zip"
    path.write_bytes(buffer.getvalue())
    return path


def test_zip_of_several_shapefiles_rejects_rows_by_file(store: Store, tmp_path: Path) -> None:
    points = gpd.GeoDataFrame({"name": ["a", "b"], "category": ["bbq", "bbq"]},
                              geometry=[Point(113.6, 34.7), Point(113.61, 34.7)], crs="EPSG:4326")
    lines = gpd.GeoDataFrame({"name": ["c", "d"], "category": ["muck_route", "spaceship"]},
                             geometry=[LineString([(113.6, 34.7), (113.7, 34.8)])] * 2,
                             crs="EPSG:4326")
    path = _zip_of_shapefiles(tmp_path, {"a_point": points, "b_line": lines})
    with pytest.raises(ImportRejectedError) as info:
        import_file(store, path, layer="sources", actor="t")
    [row] = info.value.rows
    assert row.row == 4 and row.reason.startswith("b_line.shp feature 2: ")
    assert "spaceship" in row.reason and store.count("sources") == 0


def test_zip_of_shapefiles_in_different_crs_is_refused(store: Store, tmp_path: Path) -> None:
    wgs = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(113.6, 34.7)], crs="EPSG:4326")
    path = _zip_of_shapefiles(tmp_path, {"a": wgs, "b": wgs.to_crs("EPSG:4547")})
    with pytest.raises(InputError, match=r"different coordinate systems: a\.shp .*b\.shp"):
        import_file(store, path, layer="sources", actor="t")


def test_zip_with_two_members_of_one_name_is_refused(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "twice.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/x.shp", b"\x00\x00\x27\x0a")
        archive.writestr("b/x.shp", b"\x00\x00\x27\x0a")
    with pytest.raises(InputError, match="two members are named 'x.shp'"):
        import_file(store, path, layer="sources", actor="t")
