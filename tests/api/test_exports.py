"""Every export format of every feature endpoint reads back to the GeoJSON answer.

Files are read with the tools planners' software uses: GDAL (pyogrio, with
``/vsizip/`` for the zipped Shapefile), openpyxl for Excel, and the csv
module for CSV. Ids, Chinese attribute text and geometry must survive.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile

import openpyxl
import pyogrio
import pytest
import shapely
from shapely import LineString, Point, Polygon
from shapely.geometry import shape

from geo import writes
from geo.ledger import Feature
from tests._support import ledger as ledger_support
from tests._support.ledger import NEAR, Ledger

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

ENDPOINTS = {
    "items": ("/collections/sources/items", {"limit": 400, "offset": 1000}, "sources"),
    "within": ("/sources/within", {"lon": 113.62, "lat": 34.75, "radius_m": 1500}, "within"),
    "station": ("/stations/M001/sources", {"radius_m": 1200}, "station-M001"),
    "priority": ("/priority", {"radius_m": 800}, "priority"),
}
FORMATS = {
    "csv": ("text/csv", ".csv"),
    "gpkg": ("application/geopackage+sqlite3", ".gpkg"),
    "shp": ("application/zip", ".zip"),
    "kml": ("application/vnd.google-earth.kml+xml", ".kml"),
    "fgb": ("application/flatgeobuf", ".fgb"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}
# Geometry in GeoJSON is rounded to 7 decimals; files keep the stored coordinates.
TOLERANCE_DEG = 1e-6
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def geojson_answers(client):
    answers = {}
    for key, (path, params, _) in ENDPOINTS.items():
        res = client.get(path, params={**params, "f": "json"})
        assert res.status_code == 200 and res.headers["content-type"] == "application/geo+json"
        features = res.json()["features"]
        assert features, key
        answers[key] = {f["id"]: f for f in features}
    return answers


def _read_csv(content: bytes, _tmp) -> dict[str, dict]:
    assert content.startswith(codecs.BOM_UTF8)  # Excel needs the BOM to show Chinese
    rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    out = {}
    for row in rows:
        geom = shapely.from_wkt(row["wkt"])
        if geom.geom_type == "Point":
            assert (float(row["lon"]), float(row["lat"])) == pytest.approx(
                (geom.x, geom.y), abs=1e-9)
        out[row["id"]] = {"name": row["name"], "category": row["category"], "geometry": geom}
    return out


def _read_xlsx(content: bytes, tmp) -> dict[str, dict]:
    path = tmp / "out.xlsx"
    path.write_bytes(content)
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    out = {}
    for values in rows:
        row = dict(zip(header, values, strict=False))
        out[row["id"]] = {"name": row["name"], "category": row["category"],
                          "geometry": shapely.from_wkt(row["wkt"])}
    return out


def _frame_records(frame) -> dict[str, dict]:
    # GDAL's KML reader takes the Placemark id as "id"; the ledger id is then "id2".
    id_column = "id2" if "id2" in frame else "id"
    name_column = "name" if "name" in frame else "Name"
    return {
        row[id_column]: {"name": row[name_column], "category": row["category"],
                         "geometry": row["geometry"]}
        for row in frame.to_dict("records")
    }


def _read_gdal(suffix: str):
    def read(content: bytes, tmp) -> dict[str, dict]:
        path = tmp / f"out{suffix}"
        path.write_bytes(content)
        return _frame_records(pyogrio.read_dataframe(path))
    return read


def _read_shp(content: bytes, tmp) -> dict[str, dict]:
    path = tmp / "out.zip"
    path.write_bytes(content)
    names = zipfile.ZipFile(path).namelist()
    out = {}
    # one shapefile per geometry type inside the zip
    for member in (n for n in names if n.endswith(".shp")):
        out.update(_frame_records(pyogrio.read_dataframe(f"/vsizip/{path}/{member}")))
    return out


READERS = {"csv": _read_csv, "gpkg": _read_gdal(".gpkg"), "shp": _read_shp,
           "kml": _read_gdal(".kml"), "fgb": _read_gdal(".fgb"), "xlsx": _read_xlsx}


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_export_round_trip(client, geojson_answers, tmp_path, endpoint, fmt):
    path, params, stem = ENDPOINTS[endpoint]
    res = client.get(path, params={**params, "f": fmt})
    assert res.status_code == 200, res.text
    media_type, suffix = FORMATS[fmt]
    assert res.headers["content-type"].split(";")[0] == media_type
    assert res.headers["content-disposition"] == f'attachment; filename="{stem}{suffix}"'
    got = READERS[fmt](res.content, tmp_path)
    want = geojson_answers[endpoint]
    assert set(got) == set(want)
    for fid, feature in want.items():
        row = got[fid]
        assert row["name"] == feature["properties"]["name"], fid
        assert row["category"] == feature["properties"]["category"], fid
        expected = shape(feature["geometry"])
        assert shapely.hausdorff_distance(row["geometry"], expected) < TOLERANCE_DEG, fid


def test_chinese_names_are_exported(geojson_answers):
    names = [f["properties"]["name"] for f in geojson_answers["within"].values()]
    assert all(CJK.search(name) for name in names)


def test_shapefile_zip_has_prj_and_utf8_cpg(client):
    path, params, _ = ENDPOINTS["within"]
    res = client.get(path, params={**params, "f": "shp"})
    archive = zipfile.ZipFile(io.BytesIO(res.content))
    stems = {name.rsplit(".", 1)[0] for name in archive.namelist()}
    for stem in stems:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            assert f"{stem}.{ext}" in archive.namelist()
        assert archive.read(f"{stem}.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        prj = archive.read(f"{stem}.prj").decode()
        assert "WGS" in prj and "84" in prj


def test_export_of_an_empty_answer(client, tmp_path):
    # a point far from every source: zero features still make a readable file
    res = client.get("/sources/within", params={"lon": 100, "lat": 30, "radius_m": 10,
                                                "f": "csv"})
    assert res.status_code == 200
    assert _read_csv(res.content, tmp_path) == {}


@pytest.mark.parametrize("fmt", ["gpkg", "fgb", "shp", "kml"])
def test_layer_without_geometry_refuses_gis_formats(client, fmt):
    res = client.get("/collections/inspections/items", params={"f": fmt, "limit": 5})
    assert res.status_code == 400
    assert res.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_layer_without_geometry_exports_tables(client, fmt):
    res = client.get("/collections/inspections/items", params={"f": fmt, "limit": 5})
    assert res.status_code == 200
    assert res.headers["content-disposition"] == f'attachment; filename="inspections.{fmt}"'


# -- text that looks like a formula, and exports that import back ------------------------------

ledger = ledger_support.ledger  # a small ledger per store kind, with tokens
HOSTILE = {"name": '=HYPERLINK("http://evil.example/","点我")', "address": "=1+1",
           "community": "=2+3"}


def _hostile(ledger: Ledger) -> None:
    writes.create(ledger.store, "sources", Feature("S-evil", {"category": "catering", **HOSTILE},
                                           Point(NEAR[0] + 1e-4, NEAR[1])), actor="t")


def _mixed(ledger: Ledger) -> None:
    x, y = NEAR
    writes.create(ledger.store, "sources", Feature("S-route", {"name": "渣土车路线", "category":
                                                       "muck_route"},
                                           LineString([(x, y), (x + 0.002, y + 0.001)])),
                        actor="t")
    writes.create(ledger.store, "sources", Feature("S-market", {"name": "夜市", "category":
                                                        "night_market"},
                                           Polygon([(x, y), (x + 0.001, y), (x, y + 0.001)])),
                        actor="t")


@pytest.mark.parametrize("path", ["/collections/sources/items", "/priority"])
def test_xlsx_exports_hold_formula_like_text_as_text(ledger: Ledger, tmp_path, path) -> None:
    _hostile(ledger)
    res = ledger.client.get(path, params={"f": "xlsx"})
    assert res.status_code == 200, res.text
    (tmp_path / "x.xlsx").write_bytes(res.content)
    sheet = openpyxl.load_workbook(tmp_path / "x.xlsx").worksheets[0]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("id")].value == "S-evil")
    for field, value in HOSTILE.items():
        assert (row[header.index(field)].value, row[header.index(field)].data_type) == (
            value, "s")


@pytest.mark.parametrize("path", ["/collections/sources/items", "/priority"])
def test_csv_exports_neutralise_formula_like_text(ledger: Ledger, path) -> None:
    _hostile(ledger)
    res = ledger.client.get(path, params={"f": "csv"})
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(res.content.decode("utf-8-sig")))}
    for field, value in HOSTILE.items():
        assert rows["S-evil"][field] == "'" + value
    assert float(rows["S-evil"]["lon"]) == pytest.approx(NEAR[0] + 1e-4)


@pytest.mark.parametrize("fmt", ["shp", "kml", "xlsx", "csv"])
def test_priority_export_of_mixed_geometry_imports_back(ledger: Ledger, fmt: str) -> None:
    _mixed(ledger)
    _hostile(ledger)
    res = ledger.client.get("/priority", params={"f": fmt})
    assert res.status_code == 200, res.text
    if fmt == "shp":
        shps = [n for n in zipfile.ZipFile(io.BytesIO(res.content)).namelist()
                if n.endswith(".shp")]
        assert len(shps) == 3
    count = ledger.store.count("sources")
    name = f"priority.{'zip' if fmt == 'shp' else fmt}"
    back = ledger.client.post("/import?layer=sources&mode=upsert", headers=ledger.auth(),
                              files={"file": (name, res.content)})
    assert back.status_code == 200, back.text
    assert back.json()["written"]["inserted"] == 0
    assert back.json()["written"]["updated"] == 4  # S-near, S-evil, the route and the market
    assert ledger.store.count("sources") == count
    assert ledger.store.get("sources", "S-evil").properties["name"] == HOSTILE["name"]
