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
