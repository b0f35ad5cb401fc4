"""The working map in real headless Chromium against a live ``zonewatch serve``."""

from __future__ import annotations

import json
import urllib.request

import pytest

from geo.crs import wgs84_to_gcj02
from tests._support.map_ledger import HOSTILE

pytestmark = pytest.mark.slow


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as res:
        return json.loads(res.read())


def _api_count(base: str, query: str) -> int:
    """How many sources the API itself says match a map filter."""
    if query.startswith("station="):
        url = f"{base}/stations/{query.split('=')[1]}/sources?f=json"
    elif query == "priority=true":
        url = f"{base}/priority?f=json"
    else:
        url = f"{base}/collections/sources/items?{query}&limit=1&f=json"
    return int(_get_json(url)["numberMatched"])


@pytest.mark.parametrize(
    "query",
    ["", "category=bbq", "category=construction_site", "priority=true",
     "community=%E7%BA%A2%E6%9D%BE%E7%A4%BE%E5%8C%BA", "station=M001"],
    ids=["all", "bbq", "sites", "priority", "community", "station"],
)
def test_map_draws_what_the_api_counts(map_url, open_map, query):
    visit = open_map(f"{map_url}/map?{query}")
    page = visit.page
    assert page.evaluate("zonewatch.error") is None
    expected = (_api_count(map_url, query) if query
                else _get_json(f"{map_url}/collections/sources/items?limit=1")["numberMatched"])
    assert expected > 0
    assert page.evaluate("zonewatch.rendered") == expected
    assert visit.foreign() == []
    assert visit.errors == []
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".zw-legend").count() == 1
    if query in ("", "station=M001"):
        visit.shot("default" if not query else "station")  # for a human to look at


def test_map_controls_are_there_in_chinese(map_url, open_map):
    page = open_map(f"{map_url}/map").page
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.locator(".zw-legend-title").inner_text() == "图例"
    layers = page.locator(".leaflet-control-layers").inner_text()
    for word in ("餐饮", "露天烧烤", "监测点", "网格", "行政区边界", "热力图"):
        assert word in layers
    for control in (".leaflet-control-scale", ".leaflet-control-zoom-fullscreen",
                    ".zw-measure-toggle", ".zw-search input"):
        assert page.locator(control).count() == 1, control
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "放大"
    assert page.locator(".leaflet-control-zoom-fullscreen").get_attribute("title") == "全屏"
    assert "ft" not in page.locator(".leaflet-control-scale").inner_text()  # metric only
    assert page.locator(".zw-status").inner_text().startswith("已显示污染源：")
    # the radius is a true circle in metres: Leaflet's circle of the station radius
    radii = page.evaluate("""() => { const r = [];
        zonewatch.ctx.zones.eachLayer(z => r.push(z.getRadius())); return r; }""")
    assert radii and all(r == 3000 for r in radii)


def test_english_map(map_url, open_map):
    visit = open_map(f"{map_url}/map?lang=en")
    page = visit.page
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator(".zw-legend-title").inner_text() == "Legend"
    layers = page.locator(".leaflet-control-layers").inner_text()
    assert "Catering" in layers and "Monitoring points" in layers
    assert "餐饮" not in page.locator(".zw-legend").inner_text()
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom in"
    visit.shot("en")
    page.evaluate("zonewatch.open('S00001')")
    assert "Last inspection" in page.locator(".zw-popup").inner_text()


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (1024, 640)], ids=["wide", "small"])
def test_controls_do_not_overlap(map_url, open_map, width, height):
    page = open_map(f"{map_url}/map").page
    page.set_viewport_size({"width": width, "height": height})
    # the window takes its new size at a later frame; Leaflet hears the resize on the frame
    # after it, and folds what is crowded then
    page.wait_for_function(f"innerWidth === {width} && innerHeight === {height}")
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    boxes = page.evaluate("""[...document.querySelectorAll('.leaflet-control')]
        .map(e => { const r = e.getBoundingClientRect();
                    return [e.className, r.left, r.top, r.right, r.bottom]; })""")
    for i, (name, left, top, right, bottom) in enumerate(boxes):
        assert right <= width and bottom <= height, f"{name} leaves the map"
        for other, l2, t2, r2, b2 in boxes[i + 1:]:
            apart = right <= l2 or r2 <= left or bottom <= t2 or b2 <= top
            assert apart, f"{name} overlaps {other}"


def test_heat_map_has_every_source_once_switched_on(map_url, open_map):
    page = open_map(f"{map_url}/map").page
    assert page.evaluate("zonewatch.ctx.heat._latlngs.length") == 0  # nothing built before
    heat = page.locator(".leaflet-control-layers-overlays label", has_text="热力图")
    heat.locator("input").check()
    assert page.evaluate("zonewatch.ctx.heat._latlngs.length") == page.evaluate(
        "zonewatch.rendered")
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1


def test_popup_shows_the_ledger_record(map_url, open_map):
    page = open_map(f"{map_url}/map").page
    record = _get_json(f"{map_url}/collections/sources/items/S00001")["properties"]
    page.evaluate("zonewatch.open('S00001')")
    popup = page.locator(".zw-popup")
    text = popup.inner_text()
    for value in (record["name"], record["address"], record["community"], record["grid"],
                  record["last_inspected"], "正常使用", "距最近监测点"):
        assert value in text
    href = popup.locator("a").get_attribute("href")
    assert href == "/collections/sources/items/S00001"


def test_station_popup_links_its_report(map_url, open_map):
    page = open_map(f"{map_url}/map?station=M001").page
    page.locator(".zw-station").first.click()
    link = page.locator(".zw-popup a")
    assert link.get_attribute("href").startswith("/reports/summary?by=station&station=M0")


@pytest.mark.parametrize(("fid", "name"), HOSTILE, ids=["img", "script", "template"])
def test_hostile_names_show_as_text(map_url, open_map, fid, name):
    visit = open_map(f"{map_url}/map")
    page = visit.page
    page.evaluate(f"zonewatch.open({json.dumps(fid)})")
    assert page.locator(".zw-popup-title").inner_text() == name
    page.fill(".zw-search input", name[:12])
    assert page.locator(".zw-search-results li").first.inner_text().startswith(name)
    page.locator(".zw-search-results li").first.click()
    page.wait_for_timeout(300)
    assert visit.dialogs == []
    assert visit.errors == []
    assert page.locator(".leaflet-container img[src='x']").count() == 0
    injected = "[...document.scripts].filter(s => s.text.includes('alert')).length"
    assert page.evaluate(injected) == 0


def test_amap_basemap_shifts_overlays_to_gcj02(map_url, open_map):
    page = open_map(f"{map_url}/map?basemap=amap").page
    assert page.evaluate("zonewatch.datum") == "gcj02"
    lat, lon = page.evaluate("zonewatch.find('S00001')")
    geom = _get_json(f"{map_url}/collections/sources/items/S00001")["geometry"]["coordinates"]
    want_lon, want_lat = wgs84_to_gcj02(geom[0], geom[1])
    assert lon == pytest.approx(float(want_lon), abs=2e-6)
    assert lat == pytest.approx(float(want_lat), abs=2e-6)
    assert abs(lon - geom[0]) > 1e-4  # really moved: hundreds of metres


def test_osm_basemap_keeps_wgs84(map_url, open_map):
    visit = open_map(f"{map_url}/map?basemap=osm")
    lat, lon = visit.page.evaluate("zonewatch.find('S00001')")
    geom = _get_json(f"{map_url}/collections/sources/items/S00001")["geometry"]["coordinates"]
    assert (lon, lat) == pytest.approx((geom[0], geom[1]), abs=2e-6)
    tiles = [u for u in visit.requests if "/map/tiles/osm/" in u]
    assert tiles and visit.foreign() == []
