"""Imports never store a file wrong: each file imports correctly or is refused with a reason.

Issue 10 items 2 (import side) and 3, on both stores: files nested past
Python's stack, zips whose headers lie, Google Earth's empty KML folders,
CSV files mixing encodings, GeoPackages with a stale feature count, JSON
values of the wrong type, and number cells of text columns.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from geo.errors import ImportRejectedError, InputError
from geo.io.importer import import_file
from geo.store import Store
from tests._support.hostile_files import (
    CSV_HEADER,
    NAMES,
    SHEET,
    corrupt_data,
    csv_row,
    google_earth_kml,
    mixed_csv,
    nested,
    patch_header,
    shapefile_zip,
    sources_frame,
    stale_gpkg,
    xlsx_bytes,
)


def _import(store: Store, path: Path, **options):
    return import_file(store, path, layer="sources", actor="tester", **options)


# -- item 2: nesting ----------------------------------------------------------------------

DEPTH = 100_000


@pytest.mark.parametrize(
    "template",
    [
        '{"type": "FeatureCollection", "features": %s}',
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"name": "x", "category": "bbq", "grid": %s}, "geometry": null}]}',
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Point", "coordinates": %s}}]}',
    ],
    ids=["features", "property", "coordinates"],
)
def test_a_geojson_nested_100000_deep_is_refused_naming_the_file(
    store: Store, tmp_path: Path, template: str
) -> None:
    path = tmp_path / "deep.geojson"
    path.write_text(template % nested(DEPTH))
    with pytest.raises(InputError, match="deep.geojson: nested too deeply"):
        _import(store, path)
    assert store.count("sources") == 0


def test_a_nested_value_the_parser_reads_is_a_rejected_row(store: Store, tmp_path: Path) -> None:
    feature = {"type": "Feature", "properties": {"name": "x", "category": "bbq", "grid": "@"},
               "geometry": {"type": "Point", "coordinates": [113.6, 34.75]}}
    text = json.dumps({"type": "FeatureCollection", "features": [feature]})
    path = tmp_path / "nested.geojson"
    path.write_text(text.replace('"@"', nested(400)))
    with pytest.raises(ImportRejectedError) as info:
        _import(store, path)
    assert [(r.row, r.reason) for r in info.value.rows] == [
        (1, "field 'grid': expected a string, got an array")]
    assert store.count("sources") == 0


def test_a_geojson_number_past_pythons_integer_digits_is_not_valid_json(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "digits.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [], "n": 1' + "0" * 5000 + "}")
    with pytest.raises(InputError, match="digits.geojson: not valid JSON"):
        _import(store, path)


# -- item 2: zips whose headers lie -----------------------------------------------------------

LYING_ZIPS: dict[str, tuple[str, Callable[[Path], bytes]]] = {
    "shp-central-size-smaller": ("lie.zip", lambda tmp: patch_header(
        shapefile_zip(tmp), "sources.shp", central=True, field="file_size", value=10)),
    "shp-central-size-zero": ("lie.zip", lambda tmp: patch_header(
        shapefile_zip(tmp), "sources.dbf", central=True, field="file_size", value=0)),
    "shp-bad-crc": ("lie.zip", lambda tmp: patch_header(
        shapefile_zip(tmp), "sources.shp", central=True, field="crc", value=1)),
    "shp-unsupported-method": ("lie.zip", lambda tmp: patch_header(
        shapefile_zip(tmp), "sources.shp", central=True, field="method", value=9)),
    "shp-corrupt-data": ("lie.zip", lambda tmp: corrupt_data(
        shapefile_zip(tmp), "sources.dbf")),
    "xlsx-central-size-smaller": ("lie.xlsx", lambda tmp: patch_header(
        xlsx_bytes(), SHEET, central=True, field="file_size", value=10)),
    "xlsx-corrupt-late-in-a-sheet": ("lie.xlsx", lambda tmp: corrupt_data(
        xlsx_bytes(20_000), SHEET, near_end=True)),
}


@pytest.mark.parametrize("case", list(LYING_ZIPS), ids=list(LYING_ZIPS))
def test_a_zip_that_lies_or_is_corrupt_is_refused_naming_the_file(
    store: Store, tmp_path: Path, case: str
) -> None:
    name, make = LYING_ZIPS[case]
    path = tmp_path / name
    path.write_bytes(make(tmp_path))
    with pytest.raises(InputError, match=f"{name}: not a readable"):
        _import(store, path)
    assert store.count("sources") == 0


def test_a_local_header_that_lies_about_the_size_is_ignored_like_every_unzip_does(
    store: Store, tmp_path: Path
) -> None:
    # The central directory is the archive's index; its sizes and CRC agree with the data.
    path = tmp_path / "local.zip"
    path.write_bytes(patch_header(shapefile_zip(tmp_path), "sources.shp", central=False,
                                  field="file_size", value=10))
    assert _import(store, path).accepted == 3
    assert sorted(store.read("sources")["name"]) == sorted(NAMES)


# -- item 2: Google Earth's empty folders ------------------------------------------------------


def test_a_kml_with_empty_folders_imports_every_placemark(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "台账.kml"
    path.write_text(google_earth_kml(), encoding="utf-8")
    assert _import(store, path).accepted == 3
    stored = store.read("sources")
    assert dict(zip(stored["name"], stored["category"], strict=True)) == {
        NAMES[0]: "bbq", NAMES[1]: "catering", NAMES[2]: "other"}


# -- item 3: CSV in mixed encodings -----------------------------------------------------------


def test_a_csv_with_one_gb18030_line_among_utf8_is_refused_naming_it(
    store: Store, tmp_path: Path
) -> None:
    raw = mixed_csv()
    assert raw.decode("gb18030").splitlines()[1] == "搴椾竴,catering,閲戞按,113.6001,34.75"
    path = tmp_path / "mixed.csv"
    path.write_bytes(raw)
    with pytest.raises(InputError, match="mixed.csv: line 4 reads as GB18030") as info:
        _import(store, path, dry_run=True)
    assert "one encoding" in str(info.value)
    assert store.count("sources") == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_in_one_encoding_imports_as_written(
    store: Store, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "one.csv"
    path.write_bytes((CSV_HEADER + csv_row(1) + csv_row(2)).encode(encoding))
    assert _import(store, path).accepted == 2
    assert set(store.read("sources")["community"]) == {"金水"}


# -- item 3: GeoPackage with a stale feature count -----------------------------------------------


@pytest.mark.parametrize("cached", [1, 0, 50], ids=["stale-low", "zero", "stale-high"])
def test_a_geopackage_with_a_stale_feature_count_imports_every_row(
    store: Store, tmp_path: Path, cached: int
) -> None:
    path = stale_gpkg(tmp_path / "stale.gpkg", cached=cached)
    assert pyogrio.read_info(path)["features"] == cached  # what GDAL believes
    assert _import(store, path).accepted == 3
    assert sorted(store.read("sources")["name"]) == sorted(NAMES)


# -- item 3: JSON values of the wrong type --------------------------------------------------------


def _geojson(tmp_path: Path, values: list) -> Path:
    features = [{"type": "Feature", "properties": {"name": f"店{i}", "category": "bbq", **v},
                 "geometry": {"type": "Point", "coordinates": [113.6 + i * 1e-3, 34.75]}}
                for i, v in enumerate(values)]
    path = tmp_path / "typed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_geojson_values_of_the_wrong_type_are_rejected_rows(store: Store, tmp_path: Path) -> None:
    path = _geojson(tmp_path, [{"grid": "12"}, {"grid": {"a": 1}}, {"grid": ["a"]},
                               {"grid": False}, {"grid": 12}, {"name": 12},
                               {"community": "\ud800"}, {"last_inspected": 20240101}])
    with pytest.raises(ImportRejectedError) as info:
        _import(store, path)
    assert [(r.row, r.reason) for r in info.value.rows] == [
        (2, "field 'grid': expected a string, got an object"),
        (3, "field 'grid': expected a string, got an array"),
        (4, "field 'grid': expected a string, got the boolean false"),
        (5, "field 'grid': expected a string such as \"12\", got the number 12"),
        (6, "field 'name': expected a string such as \"12\", got the number 12"),
        (7, "field 'community': is not valid Unicode ('\\ud800' holds a lone surrogate, "
            "half of a UTF-16 pair)"),
        (8, "field 'last_inspected': expected a date as text (YYYY-MM-DD), "
            "got the number 20240101"),
    ]
    assert store.count("sources") == 0


def test_geojson_numbers_for_number_fields_stay_accepted(store: Store, tmp_path: Path) -> None:
    features = [{"type": "Feature", "id": 7, "properties": {"name": "站", "radius_m": 2500},
                 "geometry": {"type": "Point", "coordinates": [113.6, 34.75]}}]
    path = tmp_path / "stations.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    import_file(store, path, layer="stations", actor="tester")
    assert store.get("stations", "7").properties["radius_m"] == 2500.0


@pytest.mark.parametrize(
    ("properties", "reason"),
    [
        (["a"], "'properties' must be an object"),
        ({"\ud800": "x"}, "property name '\\ud800' is not valid Unicode"),
    ],
    ids=["properties-array", "surrogate-name"],
)
def test_malformed_geojson_properties_are_rejected_rows(
    store: Store, tmp_path: Path, properties: object, reason: str
) -> None:
    feature = {"type": "Feature", "properties": properties,
               "geometry": {"type": "Point", "coordinates": [113.6, 34.75]}}
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature],
                                "crs": "EPSG:4326"}))
    with pytest.raises(ImportRejectedError) as info:
        _import(store, path)
    assert [(r.row, r.reason) for r in info.value.rows] == [(1, reason)]
    assert store.count("sources") == 0


# -- spreadsheet and GIS cells: numbers in text columns are the text they show --------------------


def _xlsx_with_grid(path: Path, grids: list) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "类别", "网格", "经度", "纬度"])
    for i, grid in enumerate(grids):
        sheet.append([NAMES[i], "餐饮", grid, 113.60 + i * 0.01, 34.75])
    book.save(path)


def _gis_with_grid(path: Path, grids: list) -> None:
    frame = sources_frame(grid=grids)
    if path.suffix == ".gpkg":
        pyogrio.write_dataframe(frame, path, driver="GPKG", layer="sources")
        return
    folder = path.parent / "parts"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "sources.shp", driver="ESRI Shapefile")
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)


@pytest.mark.parametrize(
    ("name", "grids", "write"),
    [
        ("grid.xlsx", [12, 7, 3], _xlsx_with_grid),
        ("int.gpkg", [12, 7, 3], _gis_with_grid),
        ("real.gpkg", [12.0, 7.0, 3.0], _gis_with_grid),
        ("real.zip", [12.0, 7.0, 3.0], _gis_with_grid),
    ],
    ids=["xlsx-number-cell", "gpkg-integer", "gpkg-real", "shapefile-real"],
)
def test_number_cells_of_text_columns_are_stored_as_the_text_they_show(
    store: Store, tmp_path: Path, name: str, grids: list, write: Callable
) -> None:
    path = tmp_path / name
    write(path, grids)
    assert _import(store, path).accepted == 3
    stored = store.read("sources")
    assert sorted(stored["grid"]) == ["12", "3", "7"]


def test_an_empty_date_of_a_geopackage_is_blank_not_nat(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "dates.gpkg"
    dates = pd.to_datetime(["2026-01-02", None, None])
    pyogrio.write_dataframe(sources_frame(last_inspected=dates), path, driver="GPKG",
                            layer="sources")
    _import(store, path)
    stored = store.read("sources")
    found = dict(zip(stored["name"], stored["last_inspected"], strict=True))
    assert found == {NAMES[0]: "2026-01-02", NAMES[1]: None, NAMES[2]: None}
