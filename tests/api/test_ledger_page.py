"""The ledger table page: filters, sorting, paging, and export of exactly the selection."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
from pyproj import Geod
from shapely import Point

from geo import writes
from geo.ledger import Feature
from tests._support import ledger as ledger_support
from tests._support.ledger import FAR, NEAR, STATION, Ledger

ledger = ledger_support.ledger  # the fixture (one small ledger per store kind)
HTML = {"accept": "text/html"}
_ROW_IDS = re.compile(r'<tr data-id="([^"]+)"')


def shown_ids(page: str) -> list[str]:
    return _ROW_IDS.findall(page)


def _add(ledger: Ledger, fid: str, lonlat: tuple[float, float], **props: object) -> None:
    writes.create(ledger.store, "sources", Feature(fid, {"category": "catering", **props},
                                                   Point(*lonlat)), actor="test")


def test_the_table_shows_labels_and_whole_metres(ledger: Ledger) -> None:
    page = ledger.client.get("/ledger", headers=HTML)
    assert page.status_code == 200
    assert shown_ids(page.text) == ["S-far", "S-near"]
    near_m = Geod(ellps="WGS84").inv(*STATION, *NEAR)[2]
    assert f">{near_m:,.0f}</td>" in page.text
    assert '">餐饮</td>' in page.text and '">露天烧烤</td>' in page.text
    assert "共 2 条" in page.text


def test_filters_pick_the_rows(ledger: Ledger) -> None:
    client = ledger.client
    assert shown_ids(client.get("/ledger?priority=true", headers=HTML).text) == ["S-near"]
    assert shown_ids(client.get("/ledger?category=bbq", headers=HTML).text) == ["S-far"]
    assert shown_ids(client.get("/ledger?q=%E8%BF%9C%E5%A4%84", headers=HTML).text) == ["S-far"]
    assert shown_ids(client.get("/ledger?community=甲社区", headers=HTML).text) == ["S-near"]
    assert shown_ids(client.get("/ledger?station=M-1", headers=HTML).text) == ["S-near"]
    empty = client.get("/ledger?q=nothing-like-this", headers=HTML).text
    assert shown_ids(empty) == [] and "没有符合条件的污染源" in empty


def test_sorting_and_paging(ledger: Ledger) -> None:
    _add(ledger, "S-mid", (113.70, 34.80), name="中间")
    client = ledger.client
    by_distance = client.get("/ledger?sort=distance_m&descending=true", headers=HTML).text
    assert shown_ids(by_distance) == ["S-far", "S-mid", "S-near"]
    first = client.get("/ledger?per_page=2", headers=HTML).text
    assert shown_ids(first) == ["S-far", "S-mid"] and "第 1 / 2 页" in first
    link = re.search(r'rel="next" href="([^"]+)"', first)
    assert link is not None
    second = client.get(link.group(1).replace("&amp;", "&"), headers=HTML).text
    assert shown_ids(second) == ["S-near"]


def test_the_excel_export_holds_exactly_the_selection(ledger: Ledger) -> None:
    _add(ledger, "S-near2", (113.6655, 34.7575), name="近处二", fume_purifier="in_use")
    client = ledger.client
    page = client.get("/ledger?priority=true", headers=HTML).text
    href = re.search(r'class="xlsx" href="([^"]+)"', page)
    assert href is not None
    res = client.get(href.group(1).replace("&amp;", "&"))
    assert res.status_code == 200 and ".xlsx" in res.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(res.content)).active
    assert sheet is not None and sheet.title == "台账"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert "WKT" not in " ".join(map(str, header)).upper()
    assert header[:4] == ("编号", "名称", "类别", "状态")
    ids = [row[0] for row in rows[1:]]
    assert ids == shown_ids(page) == ["S-near", "S-near2"]
    record = dict(zip(header, rows[2], strict=True))
    assert record["油烟净化器"] == "正常使用" and record["类别"] == "餐饮"
    assert record["经度"] == 113.6655 and record["纬度"] == 34.7575
    distance_m = Geod(ellps="WGS84").inv(*STATION, 113.6655, 34.7575)[2]
    assert record["距最近监测点（米）"] == round(distance_m)


def test_csv_and_geojson_exports(ledger: Ledger) -> None:
    client = ledger.client
    text = client.get("/ledger?category=bbq&f=csv").content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][0] == "编号" and [r[0] for r in rows[1:]] == ["S-far"]
    assert rows[1][rows[0].index("类别")] == "露天烧烤"
    english = client.get("/ledger?category=bbq&f=csv&lang=en").content.decode("utf-8-sig")
    assert english.splitlines()[0].startswith("ID,Name,Category")
    res = client.get("/ledger?category=bbq&f=geojson")
    assert res.headers["content-type"].startswith("application/geo+json")
    assert "attachment" in res.headers["content-disposition"]
    body = res.json()
    assert [f["id"] for f in body["features"]] == ["S-far"]
    assert body["features"][0]["geometry"]["coordinates"] == list(FAR)
    assert body["features"][0]["properties"]["category"] == "bbq"


def test_a_bad_filter_is_a_page_for_people_and_problem_json_for_programs(
        ledger: Ledger) -> None:
    page = ledger.client.get("/ledger?category=nope", headers=HTML)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "category" in page.text
    program = ledger.client.get("/ledger?category=nope&f=csv",
                                headers={"accept": "application/json"})
    assert program.status_code == 422
    assert program.headers["content-type"] == "application/problem+json"


def test_user_text_is_shown_as_text(ledger: Ledger) -> None:
    _add(ledger, "S-x", NEAR, name="<script>alert(1)</script>", community="<b>社区</b>")
    page = ledger.client.get("/ledger", headers=HTML).text
    assert "<script>alert(1)</script>" not in page and "<b>社区</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
