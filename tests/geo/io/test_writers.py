"""Exports in every format, read back by GDAL and openpyxl."""

import csv
import io
import json
import zipfile

import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely import LineString, Point, Polygon

from geo.errors import InputError
from geo.io.writers import export_frame, write_geojson

CW_SQUARE = Polygon([(113.6, 34.7), (113.6, 34.71), (113.61, 34.71), (113.61, 34.7)])


@pytest.fixture
def frame():
    return gpd.GeoDataFrame(
        {
            "id": ["S1", "S2", "S3"],
            "name": ["老王烧烤", "夜市 <b>", "渣土路线"],
            "category": ["bbq", "night_market", "muck_route"],
            "distance_m": [12.3456, 100.0, None],
            "stations": [["M1", "M2"], ["M1"], []],
        },
        geometry=[
            Point(113.123456789, 34.987654321),
            CW_SQUARE,
            LineString([(113.6, 34.7), (113.7, 34.8)]),
        ],
        crs="EPSG:4326",
    )


def test_geojson_is_rfc7946(frame):
    buffer = io.StringIO()
    assert write_geojson(frame, buffer) == 3
    doc = json.loads(buffer.getvalue())
    assert "crs" not in doc
    point, square, _ = doc["features"]
    assert point["id"] == "S1"
    assert point["geometry"]["coordinates"] == [113.1234568, 34.9876543]
    assert point["properties"]["name"] == "老王烧烤"
    assert point["properties"]["stations"] == ["M1", "M2"]
    ring = shapely.LinearRing(square["geometry"]["coordinates"][0])
    assert ring.is_ccw
    assert doc["features"][2]["properties"]["distance_m"] is None


def test_csv_has_bom_lonlat_and_wkt(frame, tmp_path):
    path = tmp_path / "out.csv"
    export_frame(frame, path, fmt="csv", layer_name="sources")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["name"] == "老王烧烤"
    assert float(rows[0]["lon"]) == pytest.approx(113.1234568)
    assert rows[0]["stations"] == "M1;M2"
    assert rows[1]["lon"] == "" and rows[1]["wkt"].startswith("POLYGON")
    assert shapely.from_wkt(rows[2]["wkt"]).equals(frame.geometry.iloc[2])


@pytest.mark.parametrize("fmt", ["gpkg", "fgb", "kml"])
def test_gdal_formats_read_back(frame, tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    assert export_frame(frame, path, fmt=fmt, layer_name="sources") == 3
    back = pyogrio.read_dataframe(path).rename(columns={"Name": "name"})
    back = back.set_index("name").loc[frame["name"]]
    for got, want in zip(back.geometry, frame.geometry, strict=True):
        assert got.normalize().equals_exact(want.normalize(), tolerance=1e-7)


def test_shapefile_zip_has_prj_and_cpg(frame, tmp_path):
    path = tmp_path / "out.zip"
    export_frame(frame, path, fmt="shp", layer_name="sources")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        cpgs = [n for n in names if n.endswith(".cpg")]
        assert cpgs and all(archive.read(n).strip().upper() in (b"UTF-8", b"UTF8") for n in cpgs)
        assert any(n.endswith(".prj") for n in names)
    back = pyogrio.read_dataframe(f"/vsizip/{path}/sources_point.shp")
    assert back["name"].tolist() == ["老王烧烤"]


def test_xlsx(frame, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "out.xlsx"
    export_frame(frame, path, fmt="xlsx", layer_name="sources")
    sheet = load_workbook(path)["sources"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:2] == ("id", "name")
    assert rows[1][1] == "老王烧烤"
    assert rows[1][header.index("lon")] == pytest.approx(113.1234568)


def test_unknown_format(frame, tmp_path):
    with pytest.raises(InputError, match="unknown export format 'dxf'"):
        export_frame(frame, tmp_path / "x.dxf", fmt="dxf", layer_name="sources")


# -- text that looks like a formula (CSV / formula injection) --------------------------------

HOSTILE = {
    "name": '=HYPERLINK("http://evil.example/","点我")',
    "address": "=1+1",
    "community": "=2+3",
    "notes": "@SUM(A1)",
    "grid": "-2+3",
    "subdistrict": "\t=1",
}


@pytest.fixture
def hostile():
    return gpd.GeoDataFrame(
        {"id": ["S1"], **{k: [v] for k, v in HOSTILE.items()}, "distance_m": [-1.5],
         "version": [2]},
        geometry=[Point(-70.5, -33.25)],
        crs="EPSG:4326",
    )


def test_csv_export_neutralises_formulas_but_not_numbers(hostile, tmp_path):
    path = tmp_path / "out.csv"
    export_frame(hostile, path, fmt="csv", layer_name="sources")
    row = next(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    for field, value in HOSTILE.items():
        assert row[field] == "'" + value, field
    assert (row["lon"], row["lat"], row["distance_m"]) == ("-70.5", "-33.25", "-1.5")
    assert row["wkt"] == "POINT (-70.5 -33.25)"


def test_xlsx_export_writes_text_cells_never_formulas(hostile, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "out.xlsx"
    export_frame(hostile, path, fmt="xlsx", layer_name="sources")
    sheet = load_workbook(path)["sources"]
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    for field, value in HOSTILE.items():
        assert (cells[field].value, cells[field].data_type) == (value, "s"), field
    assert (cells["lon"].value, cells["distance_m"].value, cells["version"].value) == (
        -70.5, -1.5, 2)


# -- Shapefiles ----------------------------------------------------------------------------


def test_shapefile_set_beside_a_shp_path(frame, tmp_path):
    points = frame.iloc[[0]]
    path = tmp_path / "out.shp"
    assert export_frame(points, path, fmt="shp", layer_name="sources") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.cpg", "out.dbf", "out.prj", "out.shp", "out.shx"]
    assert pyogrio.read_info(path)["geometry_type"] == "Point"  # not MultiPoint
    assert pyogrio.read_dataframe(path)["name"].tolist() == ["老王烧烤"]


def test_mixed_layer_as_shp_path_writes_one_set_per_family(frame, tmp_path):
    export_frame(frame, tmp_path / "out.shp", fmt="shp", layer_name="sources")
    shps = sorted(p.name for p in tmp_path.glob("*.shp"))
    assert shps == ["out_linestring.shp", "out_point.shp", "out_polygon.shp"]


def test_single_and_multi_points_share_one_multipoint_file(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["a", "b"]}, crs="EPSG:4326",
                           geometry=[Point(113.6, 34.7), shapely.MultiPoint([(1, 2), (3, 4)])])
    export_frame(gdf, tmp_path / "out.shp", fmt="shp", layer_name="sources")
    assert pyogrio.read_info(tmp_path / "out.shp")["geometry_type"] == "MultiPoint"


@pytest.mark.parametrize("name", ["out", "out.shz", "out.geojson"])
def test_shapefile_export_needs_zip_or_shp(frame, tmp_path, name):
    with pytest.raises(InputError, match=r"\.zip .* or a \.shp"):
        export_frame(frame, tmp_path / name, fmt="shp", layer_name="sources")
    assert list(tmp_path.iterdir()) == []


def test_shapefile_field_names_are_cut_without_gdal_warnings(frame, tmp_path):
    import warnings

    wide = frame.assign(fume_purifier="in_use", last_inspected="2026-01-01")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_frame(wide, tmp_path / "out.zip", fmt="shp", layer_name="sources")
    assert not [w for w in caught if "laundered" in str(w.message)]
    fields = pyogrio.read_info(f"/vsizip/{tmp_path / 'out.zip'}/sources_point.shp")["fields"]
    assert {"fume_purif", "last_inspe"} <= set(fields)


def test_empty_layer_writes_a_readable_shapefile(frame, tmp_path):
    path = tmp_path / "out.zip"
    assert export_frame(frame.iloc[:0], path, fmt="shp", layer_name="sources") == 0
    assert len(pyogrio.read_dataframe(f"/vsizip/{path}/sources.shp")) == 0
