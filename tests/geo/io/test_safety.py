"""Upload safety: content must match the name, zips are checked before extraction."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from geo.errors import InputError
from geo.io.safety import check_content, check_zip, extract_zip


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("fmt", "head", "ok"),
    [
        ("csv", "名称,经度\n".encode(), True),
        ("csv", b"PK\x03\x04rest", False),
        ("csv", b"a,b\x00c", False),
        ("geojson", b'\xef\xbb\xbf  {"type": "FeatureCollection"}', True),
        ("geojson", b"<OGRVRTDataSource/>", False),
        ("geojson", b"OAPIF:https://example.invalid", False),
        ("gpkg", b"SQLite format 3\x00...", True),
        ("gpkg", b"{}", False),
        ("kml", b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2">', True),
        ("kml", b"<html></html>", False),
        ("xlsx", b"PK\x03\x04...", True),
        ("shp", b"\x00\x00\x27\x0a", False),
    ],
    ids=["csv", "csv-zip", "csv-nul", "geojson-bom", "geojson-vrt", "geojson-oapif", "gpkg",
         "gpkg-json", "kml", "kml-html", "xlsx", "shp-unzipped"],
)
def test_check_content(tmp_path: Path, fmt: str, head: bytes, ok: bool) -> None:
    path = tmp_path / f"f.{fmt}"
    path.write_bytes(head)
    if ok:
        check_content(path, fmt)
    else:
        with pytest.raises(InputError, match="f."):
            check_content(path, fmt)


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ({"../x.shp": b"x"}, "outside"),
        ({"a/../../x.shp": b"x"}, "outside"),
        ({"/abs.shp": b"x"}, "outside"),
        ({"C:/win.shp": b"x"}, "outside"),
        ({"big.shp": b"\0" * (4 * 1024 * 1024)}, "zip bomb"),
        ({f"f{i}.dbf": b"x" for i in range(201)}, "members"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "drive-letter", "ratio", "too-many"],
)
def test_check_zip_refuses_unsafe_archives(tmp_path: Path, members: dict, words: str) -> None:
    path = write_zip(tmp_path / "a.zip", members)
    with pytest.raises(InputError, match=words):
        check_zip(path)


def test_check_zip_bounds_the_total_size(tmp_path: Path) -> None:
    import os

    members = {f"p{i}.dbf": os.urandom(300_000) for i in range(4)}  # incompressible
    path = write_zip(tmp_path / "a.zip", members)
    assert len(check_zip(path, max_unzipped_bytes=2_000_000)) == 4
    with pytest.raises(InputError, match="more than 1000000 bytes"):
        check_zip(path, max_unzipped_bytes=1_000_000)


def test_extract_zip_writes_only_wanted_parts_flat_into_the_folder(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "a.zip", {"data/x.shp": b"1", "data/x.dbf": b"2",
                                           "readme.txt": b"3", "data/.hidden.shp": b"4"})
    out = tmp_path / "out"
    out.mkdir()
    written = extract_zip(path, out, suffixes=(".shp", ".dbf"), max_unzipped_bytes=100)
    assert sorted(p.name for p in written) == ["x.dbf", "x.shp"]
    assert sorted(p.name for p in out.iterdir()) == ["x.dbf", "x.shp"]


def test_cli_imports_an_xlsx_ledger_with_chinese_headers(tmp_path: Path) -> None:
    from openpyxl import Workbook
    from typer.testing import CliRunner

    from api.cli import app
    from geo.store import open_store

    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "类别", "街道", "社区", "网格", "经度", "纬度", "坐标系", "油烟净化器",
                  "状态"])
    sheet.append(["老王烧烤", "烧烤", "林山寨街道", "甲社区", "一网格", 113.66, 34.75, "wgs84",
                  "无", "营业"])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = tmp_path / "台账.xlsx"
    xlsx.write_bytes(buffer.getvalue())
    url = str(tmp_path / "ledger.gpkg")
    result = CliRunner().invoke(app, ["import", str(xlsx), "--layer", "sources", "--store", url])
    assert result.exit_code == 0, result.output
    store = open_store(url)
    try:
        row = store.read("sources").iloc[0]
        assert (row["name"], row["category"], row["community"], row["fume_purifier"]) == (
            "老王烧烤", "bbq", "甲社区", "none")
    finally:
        store.close()


@pytest.mark.parametrize("fmt", ["shp", "xlsx"])
def test_an_empty_zip_is_called_empty(tmp_path: Path, fmt: str) -> None:
    path = write_zip(tmp_path / f"e.{fmt}", {})
    with pytest.raises(InputError, match=r"^e\.\w+: empty zip archive, nothing to import$"):
        check_content(path, fmt)
