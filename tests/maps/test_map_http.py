"""``/map``, ``/map/data.json``, tiles and assets over HTTP (no browser)."""

from __future__ import annotations

import json
import re

import pytest

from maps.assets import ASSET_DIR
from maps.basemaps import choose_basemap, upstream_url
from maps.render import MapPage, render_map, safe_json
from tests._support.map_ledger import HOSTILE, TIANDITU_KEY

_URL_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def _page_urls(html: str) -> list[str]:
    return _URL_ATTR.findall(html)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("basemap", ["none", "osm", "amap", "tianditu"])
def test_page_loads_only_local_urls(map_client, lang, basemap):
    res = map_client.get("/map", params={"lang": lang, "basemap": basemap})
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/html")
    urls = _page_urls(res.text)
    assert urls, "the page should load our scripts"
    assert [u for u in urls if not (u.startswith("/") or u.startswith("data:"))] == []
    for bad in ("cdn.", "jquery", "bootstrap", "fontawesome", "//"):
        assert bad not in " ".join(urls)
    assert TIANDITU_KEY not in res.text


def test_every_page_asset_is_served(map_client):
    html = map_client.get("/map").text
    for url in _page_urls(html):
        if url.startswith("/assets/"):
            assert map_client.get(url).status_code == 200, url


def test_tile_url_is_our_proxy(map_client):
    config = _config(map_client.get("/map", params={"basemap": "tianditu"}).text)
    assert config["tiles"]["url"] == "/map/tiles/tianditu/{z}/{x}/{y}"
    assert _config(map_client.get("/map").text)["tiles"] is None


def _config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="zonewatch-config">(.*?)</script>',
                      html, re.S)
    assert match
    return json.loads(match.group(1))


def test_upstream_tile_url_carries_the_key_server_side():
    basemap = choose_basemap("tianditu", tianditu_key=TIANDITU_KEY)
    url = upstream_url(basemap, 12, 3370, 1628, key=TIANDITU_KEY)
    assert url.startswith("https://t0.tianditu.gov.cn/vec_w/wmts?")
    assert "TILEMATRIX=12&TILEROW=1628&TILECOL=3370" in url and f"tk={TIANDITU_KEY}" in url


@pytest.mark.parametrize(
    ("params", "status"),
    [({"basemap": "google"}, 400), ({"lang": "fr"}, 400), ({"category": "farm"}, 400),
     ({"station": "NOPE"}, 404), ({"colour": "red"}, 400), ({"priority": "maybe"}, 400)],
    ids=["basemap", "lang", "category", "station", "unknown-param", "priority"],
)
def test_bad_map_requests_are_problems(map_client, params, status):
    res = map_client.get("/map", params=params)
    assert res.status_code == status
    assert res.headers["content-type"] == "application/problem+json"


def test_basemap_needs_its_setting():
    with pytest.raises(ValueError, match="tianditu_key"):
        choose_basemap("tianditu")
    with pytest.raises(ValueError, match="tile_url"):
        choose_basemap("local")
    assert choose_basemap(None, tile_url="http://tiles.intranet/{z}/{x}/{y}.png").name == "local"
    assert choose_basemap(None).url is None


@pytest.mark.parametrize(
    ("tile", "status"), [("osm/3/8/1", 404), ("none/1/0/0", 404), ("google/1/0/0", 400)],
    ids=["outside-pyramid", "no-tiles", "unknown"])
def test_bad_tile_requests(map_client, tile, status):
    assert map_client.get(f"/map/tiles/{tile}").status_code == status


@pytest.mark.parametrize("path", ["../render.py", "..%2Frender.py", "nope.js", "leaflet"],
                         ids=["dotdot", "encoded", "missing", "folder"])
def test_assets_stay_in_their_folder(map_client, path):
    assert map_client.get(f"/assets/map/{path}").status_code == 404


def test_data_is_compact_and_gzipped(map_client):
    res = map_client.get("/map/data.json", headers={"Accept-Encoding": "gzip"})
    assert res.status_code == 200
    assert res.headers["content-encoding"] == "gzip"
    data = res.json()
    total = map_client.get("/collections/sources/items?limit=1").json()["numberMatched"]
    cols = data["sources"]
    assert data["count"] == total == len(cols["id"]) == len(cols["lon"])
    assert len(cols["category"]["codes"]) == total
    assert set(cols["category"]["values"]) <= {"catering", "bbq", "night_market",
                                                "construction_site", "muck_route"}
    assert {s["id"] for s in data["stations"]} >= {"M001"}
    assert data["districts"]["features"] and data["grids"]["features"]


def test_data_filter_station_matches_radius_query(map_client):
    data = map_client.get("/map/data.json", params={"station": "M001"}).json()
    want = map_client.get("/stations/M001/sources").json()
    assert sorted(data["sources"]["id"]) == sorted(f["id"] for f in want["features"])


def test_safe_json_cannot_close_the_script():
    text = safe_json({"name": "</script><script>alert(1)</script>", "x": "&\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script>"


def test_file_page_carries_hostile_names_only_escaped():
    data = {"sources": {"name": [n for _, n in HOSTILE]}, "count": 3}
    html = render_map(MapPage(data=data, asset_prefix="map_files/"))
    for _, name in HOSTILE:
        assert name not in html
    assert html.count("</script>") == html.count("<script")


def test_vendored_assets_have_licences():
    for folder in ("leaflet", "markercluster", "heat", "fullscreen"):
        names = [p.name.lower() for p in (ASSET_DIR / folder).iterdir()]
        assert any("licen" in n for n in names), folder
    assert "leaflet 1.9.4" in (ASSET_DIR / "README.md").read_text().lower()


def test_gzip_shrinks_the_data(map_client):
    zipped = map_client.get("/map/data.json", headers={"Accept-Encoding": "gzip"})
    plain = map_client.get("/map/data.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert zipped.num_bytes_downloaded * 3 < plain.num_bytes_downloaded
