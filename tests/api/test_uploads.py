"""POST /import: every format, all-or-nothing, dry runs, and hostile files refused."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from shapely import Point

from api.app import create_app
from api.settings import Settings
from tests._support import ledger as ledger_support
from tests._support.hostile_files import (
    NAMES,
    SHEET,
    corrupt_data,
    google_earth_kml,
    mixed_csv,
    nested,
    patch_header,
    shapefile_zip,
    stale_gpkg,
    xlsx_bytes,
)
from tests._support.ledger import Ledger

ZH_HEADER = "名称,类别,地址,街道,社区,网格,经度,纬度,坐标系,油烟净化器,状态\n"

ledger = ledger_support.ledger  # the fixture (one small ledger per store kind)


def zh_rows(n: int, start: int = 0) -> str:
    return "".join(
        f"店{i},餐饮,中原路{i}号,林山寨街道,甲社区,一网格,{113.60 + i * 1e-5:.6f},34.75,"
        f"wgs84,已安装,营业\n"
        for i in range(start, start + n)
    )


def upload(ledger: Ledger, name: str, data: bytes, query: str = "layer=sources",
           client: TestClient | None = None, role: str = "editor"):
    return (client or ledger.client).post(
        f"/import?{query}", files={"file": (name, data)}, headers=ledger.auth(role))


def frame(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"名称": [f"店{i}" for i in range(n)], "类别": ["catering"] * n, "社区": ["甲社区"] * n},
        geometry=[Point(113.60 + i * 0.001, 34.75) for i in range(n)], crs="EPSG:4326")


# -- formats ------------------------------------------------------------------------------


def test_csv_with_chinese_headers(ledger: Ledger) -> None:
    res = upload(ledger, "台账.csv", (ZH_HEADER + zh_rows(5)).encode("utf-8-sig"))
    assert res.status_code == 200, res.text
    assert (res.json()["accepted"], res.json()["written"]["inserted"]) == (5, 5)
    stored = ledger.store.read("sources")
    added = stored[stored["name"] == "店3"].iloc[0]
    assert (added["category"], added["community"], added["fume_purifier"]) == (
        "catering", "甲社区", "installed")
    assert ledger.store.history("sources", added["id"])[0].actor.startswith("editor用户#")


def _as_file(tmp_path: Path, driver: str, suffix: str) -> bytes:
    path = tmp_path / f"in{suffix}"
    pyogrio.write_dataframe(frame(), path, driver=driver)
    return path.read_bytes()


def _zipped_shapefile(tmp_path: Path) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame(), folder / "sources.shp", driver="ESRI Shapefile",
                            encoding="UTF-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, f"data/{part.name}")
    return buffer.getvalue()


def _xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "类别", "社区", "经度", "纬度", "坐标系"])
    for i in range(3):
        sheet.append([f"店{i}", "餐饮", "甲社区", 113.60 + i * 0.001, 34.75, "wgs84"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("in.geojson", lambda tmp: _as_file(tmp, "GeoJSON", ".geojson")),
        ("in.gpkg", lambda tmp: _as_file(tmp, "GPKG", ".gpkg")),
        ("in.kml", lambda tmp: _as_file(tmp, "KML", ".kml")),
        ("in.zip", _zipped_shapefile),
        ("in.xlsx", lambda tmp: _xlsx()),
    ],
    ids=["geojson", "gpkg", "kml", "shapefile-zip", "xlsx"],
)
def test_every_format_imports_three_sources(
    ledger: Ledger, tmp_path: Path, name: str, make
) -> None:
    res = upload(ledger, name, make(tmp_path))
    assert res.status_code == 200, res.text
    assert res.json()["accepted"] == 3
    stored = ledger.store.read("sources")
    assert set(stored["name"]) >= {"店0", "店1", "店2"}
    assert set(stored.loc[stored["name"] == "店1", "community"]) == {"甲社区"}


def test_dry_run_reports_everything_and_writes_nothing(ledger: Ledger) -> None:
    body = ZH_HEADER + zh_rows(3) + "坏店,咖啡,,,,,113.6,34.75,wgs84,,\n"
    res = upload(ledger, "a.csv", body.encode(), "layer=sources&dry_run=true")
    assert res.status_code == 200
    report = res.json()
    assert (report["accepted"], report["dry_run"], report["written"]) == (3, True, None)
    assert [r["row"] for r in report["rejected"]] == [5]  # file line
    assert ledger.store.count("sources") == 2


def test_one_bad_row_among_ten_thousand_writes_nothing(ledger: Ledger) -> None:
    rows = zh_rows(10_000).splitlines(keepends=True)
    rows[6_999] = "坏店,餐饮,,,,,113.6,95.0,wgs84,,\n"  # latitude out of range
    res = upload(ledger, "big.csv", (ZH_HEADER + "".join(rows)).encode())
    assert res.status_code == 422
    rejected = res.json()["rejected"]
    assert len(rejected) == 1 and rejected[0]["row"] == 7_001  # file line: header is line 1
    assert "95" in rejected[0]["reason"]
    assert ledger.store.count("sources") == 2


def test_upsert_mode_updates_by_id(ledger: Ledger) -> None:
    body = "id,name,category,lon,lat\nS-near,改名餐馆,catering,113.666,34.758\n"
    res = upload(ledger, "u.csv", body.encode(), "layer=sources&mode=upsert")
    assert res.status_code == 200 and res.json()["written"]["updated"] == 1
    assert ledger.store.get("sources", "S-near").properties["name"] == "改名餐馆"


# -- limits and hostile files ---------------------------------------------------------------


def test_an_oversized_upload_is_413(ledger: Ledger) -> None:
    small = create_app(Settings(store=ledger.store.url, seed_demo=False, max_upload_bytes=10_000),
                       store=ledger.store)
    with TestClient(small) as client:
        res = upload(ledger, "big.csv", (ZH_HEADER + zh_rows(1_000)).encode(), client=client)
    assert res.status_code == 413
    assert ledger.store.count("sources") == 2


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


HOSTILE = {
    "zip-bomb": ("bomb.zip", lambda: _zip({"a.shp": b"\0" * (60 * 1024 * 1024)}), "zip bomb"),
    "zip-traversal": ("evil.zip", lambda: _zip({"../../etc/a.shp": b"x"}), "outside"),
    "zip-absolute": ("evil.zip", lambda: _zip({"/tmp/a.shp": b"x"}), "outside"),
    "csv-that-is-a-zip": ("a.csv", lambda: _zip({"a.txt": b"x"}), "binary"),
    "geojson-that-is-vrt": (
        "a.geojson",
        lambda: b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd'
                b"</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
        "VRT"),
    "geojson-that-is-oapif": ("a.geojson", lambda: b"OAPIF:http://127.0.0.1:9/x", "connection"),
    "gpkg-that-is-text": ("a.gpkg", lambda: b"name,lon,lat\n", "SQLite"),
    "xlsx-that-is-csv": ("a.xlsx", lambda: b"name,lon,lat\n", "zip"),
    "kml-that-is-json": ("a.kml", lambda: b'{"type": "FeatureCollection"}', "kml"),
    "unknown-suffix": ("a.exe", lambda: b"MZ", "unsupported"),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_files_are_refused_with_a_clear_4xx(ledger: Ledger, case: str) -> None:
    name, make, words = HOSTILE[case]
    res = upload(ledger, name, make())
    assert 400 <= res.status_code < 500, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert words.lower() in res.json()["detail"].lower()
    assert ledger.store.count("sources") == 2


def test_a_geopackage_view_is_not_imported(ledger: Ledger, tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "view.gpkg"
    pyogrio.write_dataframe(frame(), path, driver="GPKG", layer="base")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE VIEW sources AS SELECT * FROM base")
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
            "VALUES ('sources', 'features', 'sources', 4326)")
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES ('sources', 'geom', 'POINT', 4326, 0, 0)")
    conn.close()
    res = upload(ledger, "view.gpkg", path.read_bytes())
    assert res.status_code == 400
    assert "not a table" in res.json()["detail"]
    assert ledger.store.count("sources") == 2


@pytest.mark.parametrize("role", ["viewer", None], ids=["viewer", "anonymous"])
def test_imports_need_an_editor(ledger: Ledger, role: str | None) -> None:
    headers = ledger.auth(role) if role else {}
    res = ledger.client.post("/import?layer=sources", headers=headers,
                             files={"file": ("a.csv", (ZH_HEADER + zh_rows(1)).encode())})
    assert res.status_code == (403 if role else 401)
    assert ledger.store.count("sources") == 2


def test_an_upload_without_a_file_field_is_400(ledger: Ledger) -> None:
    res = ledger.client.post("/import?layer=sources", files={"other": ("a.csv", b"x")},
                             headers=ledger.auth())
    assert res.status_code == 400
    assert "'file'" in res.json()["detail"]
    res = ledger.client.post("/import?layer=sources", data={"file": "not a file"},
                             headers=ledger.auth())
    assert res.status_code == 400


def test_an_upload_without_content_length_is_411(ledger: Ledger) -> None:
    def chunks():
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
        yield (ZH_HEADER + zh_rows(1)).encode() + b"\r\n--b--\r\n"

    res = ledger.client.post("/import?layer=sources", content=chunks(), headers=ledger.auth(
        **{"Content-Type": "multipart/form-data; boundary=b"}))
    assert res.status_code == 411
    assert ledger.store.count("sources") == 2


# -- bureau workbooks -----------------------------------------------------------------------


def _titled_xlsx(bad_row: bool = False) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["中原区餐饮油烟治理台账（2026年）"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(["名称", "类别", "社区", "经度", "纬度", "坐标系"])
    sheet.append(["店0", "正常经营" if bad_row else "餐饮", "甲社区", 113.60, 34.75, "高德"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_a_title_row_imports(ledger: Ledger) -> None:
    res = upload(ledger, "台账.xlsx", _titled_xlsx())
    assert res.status_code == 200, res.text
    stored = ledger.store.read("sources")
    assert stored.loc[stored["name"] == "店0", "orig_crs"].tolist() == ["gcj02"]


def test_xlsx_rejections_use_excel_row_numbers(ledger: Ledger) -> None:
    res = upload(ledger, "台账.xlsx", _titled_xlsx(bad_row=True))
    assert res.status_code == 422
    assert [r["row"] for r in res.json()["rejected"]] == [4]  # Excel row 4


def test_an_empty_zip_says_so(ledger: Ledger) -> None:
    res = upload(ledger, "empty.zip", _zip({}))
    assert res.status_code == 400
    assert "empty zip archive" in res.json()["detail"]


# -- issue 10: files that crashed or were stored wrong ---------------------------------------------


def _deep_geojson(tmp_path: Path) -> bytes:
    return ('{"type": "FeatureCollection", "features": ' + nested(100_000) + "}").encode()


REFUSED_FILES = {
    "geojson-nested-100000-deep": ("deep.geojson", _deep_geojson, 400, "nested too deeply"),
    "zip-central-size-lies": ("lie.zip", lambda tmp: patch_header(
        shapefile_zip(tmp), "sources.shp", central=True, field="file_size", value=10),
        400, "not a readable zip archive"),
    "zip-unsupported-compression": ("lie.zip", lambda tmp: patch_header(
        shapefile_zip(tmp), "sources.shp", central=True, field="method", value=9),
        400, "not a readable zip archive"),
    "xlsx-corrupt-sheet": ("lie.xlsx", lambda tmp: corrupt_data(
        xlsx_bytes(20_000), SHEET, near_end=True), 400, "not a readable XLSX workbook"),
    "csv-mixed-encodings": ("mixed.csv", lambda tmp: mixed_csv(), 400,
                            "line 4 reads as GB18030 while line 2 reads as UTF-8"),
}


@pytest.mark.parametrize("case", list(REFUSED_FILES), ids=list(REFUSED_FILES))
def test_malformed_files_are_a_4xx_naming_the_file_and_write_nothing(
    ledger: Ledger, tmp_path: Path, case: str
) -> None:
    name, make, status, words = REFUSED_FILES[case]
    res = upload(ledger, name, make(tmp_path))
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["detail"].startswith(f"upload{Path(name).suffix}: ")
    assert words in res.json()["detail"]
    assert ledger.store.count("sources") == 2


def test_a_google_earth_kml_with_empty_folders_imports(ledger: Ledger) -> None:
    res = upload(ledger, "我的地点.kml", google_earth_kml().encode())
    assert res.status_code == 200, res.text
    assert res.json()["accepted"] == 3
    assert set(ledger.store.read("sources")["name"]) >= set(NAMES)


def test_a_geopackage_with_a_stale_feature_count_imports_every_row(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = stale_gpkg(tmp_path / "stale.gpkg", cached=1)
    res = upload(ledger, "stale.gpkg", path.read_bytes())
    assert res.status_code == 200, res.text
    assert (res.json()["accepted"], ledger.store.count("sources")) == (3, 5)


def test_geojson_values_of_the_wrong_type_are_422_rows_naming_the_field(ledger: Ledger) -> None:
    values = [{"grid": "12"}, {"grid": 12}, {"grid": {"a": 1}}, {"community": ["a"]},
              {"address": False}]
    features = [{"type": "Feature", "properties": {"name": f"店{i}", "category": "bbq", **v},
                 "geometry": {"type": "Point", "coordinates": [113.6, 34.75]}}
                for i, v in enumerate(values)]
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    res = upload(ledger, "typed.geojson", body)
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert [(r["row"], r["reason"]) for r in res.json()["rejected"]] == [
        (2, "field 'grid': expected a string such as \"12\", got the number 12"),
        (3, "field 'grid': expected a string, got an object"),
        (4, "field 'community': expected a string, got an array"),
        (5, "field 'address': expected a string, got the boolean false"),
    ]
    assert ledger.store.count("sources") == 2


def test_a_numeric_grid_cell_of_a_workbook_is_stored_as_its_text(ledger: Ledger) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "类别", "网格", "经度", "纬度"])
    sheet.append(["店0", "餐饮", 12, 113.60, 34.75])
    buffer = io.BytesIO()
    book.save(buffer)
    res = upload(ledger, "grid.xlsx", buffer.getvalue())
    assert res.status_code == 200, res.text
    stored = ledger.store.read("sources")
    assert stored.loc[stored["name"] == "店0", "grid"].tolist() == ["12"]
