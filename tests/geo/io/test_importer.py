"""Imports into a layer: all rows or none, every rejected row numbered and explained."""

import json

import pytest
import shapely
from pyproj import Geod

from geo import crs
from geo.errors import ImportRejectedError, InputError
from geo.io.importer import import_file

GEOD = Geod(ellps="WGS84")
HEADER = "id,name,category,status,fume_purifier,community,lon,lat\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def good_rows(n, start=0):
    return "".join(
        f"S{i:05d},餐馆{i},catering,operating,in_use,绿东村社区,{113.60 + i * 1e-5:.7f},34.75\n"
        for i in range(start, start + n)
    )


def test_csv_import_writes_all_rows(store, tmp_path):
    path = write(tmp_path, "ledger.csv", HEADER + good_rows(25))
    report = import_file(store, path, layer="sources", actor="tester")
    assert report.accepted == 25 and report.rejected == []
    assert store.count("sources") == 25
    first = store.get("sources", "S00000")
    assert first.properties["name"] == "餐馆0"
    assert first.properties["community"] == "绿东村社区"
    assert first.properties["orig_crs"] == "wgs84"


def test_bad_row_among_many_rejects_everything(store, tmp_path):
    rows = good_rows(500) + "S99999,坏行,cafe,operating,in_use,x,113.6,34.75\n" + good_rows(
        499, start=500
    )
    path = write(tmp_path, "ledger.csv", HEADER + rows)
    with pytest.raises(ImportRejectedError, match="1 row\\(s\\) rejected") as info:
        import_file(store, path, layer="sources", actor="tester")
    # row numbers are file lines: the header is line 1, the 501st record line 502
    assert [(r.row, "'cafe'" in r.reason) for r in info.value.rows] == [(502, True)]
    assert store.count("sources") == 0


def test_every_rejected_row_is_listed_with_reason(store, tmp_path):
    rows = (
        "A1,ok,catering,operating,in_use,c,113.6,34.75\n"
        "A2,no coords,catering,operating,in_use,c,,\n"
        "A3,swapped,catering,operating,in_use,c,34.75,113.6\n"
        "A4,text coords,catering,operating,in_use,c,east,north\n"
        "A1,dup id,catering,operating,in_use,c,113.6,34.75\n"
    )
    path = write(tmp_path, "ledger.csv", HEADER + rows)
    report = import_file(store, path, layer="sources", actor="t", dry_run=True)
    reasons = {r.row: r.reason for r in report.rejected}  # CSV rows are file lines
    assert sorted(reasons) == [3, 4, 5, 6]
    assert "missing" in reasons[3]
    assert "swap" in reasons[4] or "range" in reasons[4]
    assert "not numbers" in reasons[5]
    assert "already used in row 2" in reasons[6]
    assert report.accepted == 1
    assert store.count("sources") == 0


def test_gcj02_input_is_converted_and_original_kept(store, tmp_path):
    wgs = (113.6500000, 34.7500000)
    glon, glat = crs.from_lonlat(*wgs, crs="gcj02")
    glon_text, glat_text = f"{float(glon):.9f}", f"{float(glat):.9f}"
    text = HEADER + f"G1,测试,catering,operating,in_use,c,{glon_text},{glat_text}\n"
    path = write(tmp_path, "gcj.csv", text)
    import_file(store, path, layer="sources", crs="gcj02", actor="t")
    feature = store.get("sources", "G1")
    _, _, dist = GEOD.inv(wgs[0], wgs[1], feature.geometry.x, feature.geometry.y)
    assert dist < 0.01
    assert feature.properties["orig_crs"] == "gcj02"
    original = shapely.from_wkt(feature.properties["orig_wkt"])
    assert (original.x, original.y) == (float(glon_text), float(glat_text))


def test_chinese_headers_values_and_gbk_encoding(store, tmp_path):
    text = (
        "编号,名称,类别,状态,油烟净化器,社区,经度,纬度,坐标系\n"
        "C1,老李烧烤,露天烧烤,已取缔,无,三官庙社区,113.61,34.74,wgs84\n"
        "C2,好吃餐馆,餐饮,正常营业,正常使用,三官庙社区,113.62,34.74,wgs84\n"
    )
    path = write(tmp_path, "台账.csv", text, encoding="gb18030")
    report = import_file(store, path, layer="sources", actor="t")
    assert report.accepted == 2
    bbq = store.get("sources", "C1").properties
    assert (bbq["category"], bbq["status"], bbq["fume_purifier"]) == ("bbq", "closed", "none")
    assert store.get("sources", "C2").properties["fume_purifier"] == "in_use"


def test_wkt_column_and_polygon(store, tmp_path):
    text = (
        "id,name,category,wkt\n"
        'N1,夜市,night_market,"POLYGON ((113.6 34.7, 113.601 34.7, 113.601 34.701, 113.6 34.7))"\n'
    )
    path = write(tmp_path, "markets.csv", text)
    import_file(store, path, layer="sources", actor="t")
    assert store.get("sources", "N1").geometry.geom_type == "Polygon"


def test_geojson_import_with_bad_feature(store, tmp_path):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": "J1", "properties": {"name": "a", "category": "bbq"},
             "geometry": {"type": "Point", "coordinates": [113.6, 34.7]}},
            {"type": "Feature", "properties": {"name": "b", "category": "bbq"},
             "geometry": {"type": "Point", "coordinates": "nonsense"}},
        ],
    }
    path = write(tmp_path, "in.geojson", json.dumps(doc))
    with pytest.raises(ImportRejectedError) as info:
        import_file(store, path, layer="sources", actor="t")
    assert info.value.rows[0].row == 2
    assert store.count("sources") == 0
    doc["features"].pop()
    path.write_text(json.dumps(doc))
    import_file(store, path, layer="sources", actor="t")
    assert store.get("sources", "J1").properties["name"] == "a"


def test_geopackage_import_in_projected_crs(store, tmp_path):
    import geopandas as gpd
    from shapely import Point

    x, y = crs.from_lonlat(113.65, 34.75, crs="EPSG:4547")
    frame = gpd.GeoDataFrame(
        {"id": ["P1"], "name": ["工地"], "category": ["construction_site"]},
        geometry=[Point(float(x), float(y))],
        crs="EPSG:4547",
    )
    path = tmp_path / "sites.gpkg"
    frame.to_file(path, layer="sites", driver="GPKG")
    import_file(store, path, layer="sources", actor="t")
    feature = store.get("sources", "P1")
    assert feature.properties["orig_crs"] == "EPSG:4547"
    assert abs(feature.geometry.x - 113.65) < 1e-7 and abs(feature.geometry.y - 34.75) < 1e-7


def test_modes_append_upsert_replace(store, tmp_path):
    first = write(tmp_path, "a.csv", HEADER + good_rows(3))
    import_file(store, first, layer="sources", actor="t")
    from geo.errors import DuplicateIdError

    with pytest.raises(DuplicateIdError):
        import_file(store, first, layer="sources", actor="t")
    changed = write(tmp_path, "b.csv", HEADER + good_rows(4).replace("餐馆1,", "新名字,"))
    import_file(store, changed, layer="sources", mode="upsert", actor="t")
    assert store.count("sources") == 4
    assert store.get("sources", "S00001").properties["name"] == "新名字"
    only = write(tmp_path, "c.csv", HEADER + good_rows(1, start=7))
    import_file(store, only, layer="sources", mode="replace", actor="t")
    assert store.read("sources")["id"].tolist() == ["S00007"]


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("x.shp.txt2", "hello", "unsupported file type"),
        ("bad.geojson", "{not json", "not valid JSON"),
        ("list.geojson", "[1, 2]", "FeatureCollection"),
        ("nocoords.csv", "id,name,category\nA,b,bbq\n", "lon/lat columns"),
        ("bad.gpkg", "this is not sqlite", "not a readable GeoPackage"),
    ],
    ids=["suffix", "json-syntax", "json-shape", "csv-no-geometry", "gpkg-garbage"],
)
def test_unreadable_files_say_why(store, tmp_path, name, content, match):
    path = write(tmp_path, name, content)
    with pytest.raises(InputError, match=match):
        import_file(store, path, layer="sources", actor="t")
    assert store.count("sources") == 0


def test_unknown_crs_label(store, tmp_path):
    path = write(tmp_path, "a.csv", HEADER + good_rows(1))
    with pytest.raises(InputError, match="mars"):
        import_file(store, path, layer="sources", crs="mars", actor="t")
