"""The offline basemap in real Chromium: tiles from the server's own file, drawn, lined up.

Three ``zonewatch serve`` processes per store kind, each with ``ZONEWATCH_BASEMAP_FILE``
set: a raster MBTiles drawn in WGS84, a raster PMTiles drawn in GCJ-02 (as from Amap
data) and a vector PMTiles. Raster tiles carry the district outline in pure red; with
the page's own overlays hidden, the district the page draws from ``/map/data.json`` must
fall on that red line, which it does only if the data came in the file's datum.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from geo.store import Store
from tests._support.browser import SIZES
from tests._support.live_server import serve_store
from tests._support.map_ledger import TIANDITU_KEY
from tests._support.map_visit import BLANK_PNG, MapVisit, origin, screenshot, wait_drawn
from tests._support.tile_files import (
    district_bbox,
    district_rings,
    raster_tiles,
    vector_tiles,
    write_mbtiles,
    write_pmtiles,
)

pytestmark = pytest.mark.slow

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
# what the page draws over the basemap, hidden to look at the basemap alone
_HIDE_OVERLAYS = (".leaflet-overlay-pane, .leaflet-marker-pane, .leaflet-shadow-pane, "
                  ".leaflet-tooltip-pane, .leaflet-popup-pane, .leaflet-control-container "
                  "{ visibility: hidden !important; }")


def _files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Build the three basemap files; return kind -> (path, datum)."""
    wgs, gcj = district_rings("wgs84"), district_rings("gcj02")
    raster = raster_tiles(wgs, range(10, 15))
    bbox = district_bbox(wgs)
    mbtiles = write_mbtiles(folder / "office.mbtiles", raster, {
        "name": HOSTILE_NAME, "attribution": HOSTILE_NAME, "format": "png",
        "bounds": ",".join(str(v) for v in bbox)})
    gcj_bbox = district_bbox(gcj)
    pmtiles = write_pmtiles(folder / "amap-drawn.pmtiles", raster_tiles(gcj, range(10, 15)),
                            tile_format="png", bounds=gcj_bbox,
                            metadata={"name": "GCJ-02 测试", "attribution": "© 测试"})
    vector = write_pmtiles(folder / "vector.pmtiles", vector_tiles(wgs, range(8, 15)),
                           tile_format="pbf", bounds=bbox, gzipped_tiles=True,
                           metadata={"name": "矢量", "vector_layers": [
                               {"id": "district"}, {"id": "roads"}, {"id": "places"}]})
    return {"raster": (mbtiles, "wgs84"), "gcj02": (pmtiles, "gcj02"),
            "vector": (vector, "wgs84")}


@pytest.fixture(scope="module")
def servers(map_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Base URL of a server per basemap file kind (all over the same store)."""
    files = _files(tmp_path_factory.mktemp("basemap-files"))
    urls: dict[str, str] = {}
    managers = []
    try:
        for kind, (path, datum) in files.items():
            manager = serve_store(map_store, basemap_file=str(path), basemap_file_datum=datum,
                                  tianditu_key=TIANDITU_KEY)
            urls[kind] = manager.__enter__()
            managers.append(manager)
        yield urls
    finally:
        for manager in managers:
            manager.__exit__(None, None, None)


@dataclass
class Visit(MapVisit):
    """A map page with its answers' statuses and its dialogs; ``basemap-<name>.png`` shots."""

    statuses: dict[str, int] = field(default_factory=dict)
    dialogs: list[str] = field(default_factory=list)

    prefix = "basemap"
    settle_ms = 0  # shot once the tiles are drawn, see _wait_drawn

    def file_tiles(self) -> list[str]:
        """Tile requests of the local file."""
        return [u for u in self.requests if urlsplit(u).path.startswith("/map/tiles/file/")]

    def data_datums(self) -> list[str]:
        """The ``datum`` of every request for the map's data."""
        return [parse_qs(urlsplit(u).query)["datum"][0] for u in self.requests
                if urlsplit(u).path == "/map/data.json"]


@pytest.fixture
def visit(fresh_page: Callable[..., Any]) -> Callable[..., Visit]:
    """Open a map URL at a size; wait until its sources and its file basemap are drawn."""

    def open_map(url: str, size: str = "desktop") -> Visit:
        phone = size == "phone"
        page = fresh_page(viewport=SIZES[size], has_touch=phone, is_mobile=phone)
        seen = Visit(page, origin(url))
        seen.listen()
        page.on("response", lambda res: seen.statuses.__setitem__(res.url, res.status))
        page.on("dialog", lambda dlg: (seen.dialogs.append(dlg.message), dlg.dismiss()))
        # upstream basemaps answered in the browser: the server never reaches the internet
        for name in ("osm", "amap", "tianditu"):
            page.route(f"**/map/tiles/{name}/**", lambda route: route.fulfill(
                status=200, content_type="image/png", body=BLANK_PNG))
        page.goto(url)
        _wait_drawn(page)
        return seen

    return open_map


def _wait_drawn(page: Any) -> None:
    wait_drawn(page)
    page.evaluate("zonewatch.basemap && zonewatch.basemap.shown")  # the layer is on the map
    page.wait_for_function("""() => {
        const b = zonewatch.basemap;
        if (!b || !b.layer) { return true; }
        const pane = document.querySelector('.leaflet-tile-pane');
        const imgs = pane.querySelectorAll('img.leaflet-tile');
        if (imgs.length) { return [...imgs].every(i => i.complete); }
        const canvases = pane.querySelectorAll('canvas');
        return canvases.length > 0 && b.layer._loading === false;
    }""", timeout=30_000)
    page.wait_for_timeout(400)  # vector labels land a moment after the tiles


def _district_points(page: Any) -> list[tuple[float, float]]:
    """Screen positions of the district's vertices as the page draws them from its data."""
    return [tuple(p) for p in page.evaluate("""() => {
        const map = zonewatch.map, out = [], size = map.getSize();
        const walk = (ll) => Array.isArray(ll) ? ll.forEach(walk) : out.push(ll);
        zonewatch.ctx.districts.eachLayer((layer) => walk(layer.getLatLngs()));
        return out.map((ll) => map.latLngToContainerPoint(ll))
          .filter((p) => p.x > 3 && p.y > 3 && p.x < size.x - 3 && p.y < size.y - 3)
          .map((p) => [p.x, p.y]);
    }""")]


def _basemap_alone(page: Any, name: str) -> Image.Image:
    """Screenshot the basemap with all the page draws over it hidden (``basemap-<name>-alone``)."""
    page.add_style_tag(content=_HIDE_OVERLAYS)
    path = screenshot(page, f"basemap-{name}-alone", settle_ms=100)
    page.evaluate("document.head.lastElementChild.remove()")
    return Image.open(path).convert("RGB")


def _on_red(image: Image.Image, points: list[tuple[float, float]], dx: float = 0) -> float:
    """Share of ``points`` (moved ``dx`` px right) within 2 px of a red outline pixel."""
    px = image.load()

    def red(x: int, y: int) -> bool:
        if not (0 <= x < image.width and 0 <= y < image.height):
            return False
        r, g, b = px[x, y]
        return r > 200 and g < 90 and b < 90

    hits = sum(any(red(round(x + dx) + i, round(y) + j) for i in range(-2, 3)
                   for j in range(-2, 3)) for x, y in points)
    return hits / len(points)


def _check_served_and_local(seen: Visit) -> None:
    tiles = seen.file_tiles()
    assert tiles, "no tile of the basemap file was requested"
    # every tile answered came back whole; a few asked for before the map fitted the
    # district may have been cancelled (no answer), none may have failed
    answered = {u: seen.statuses[u] for u in tiles if u in seen.statuses}
    assert answered and set(answered.values()) == {200}, answered
    assert seen.foreign() == []
    assert seen.errors == [] and seen.dialogs == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_raster_file_is_drawn_from_the_server_and_lines_up(visit, servers, size):
    seen = visit(f"{servers['raster']}/map", size)
    page = seen.page
    _check_served_and_local(seen)
    loaded = page.evaluate("""() => [...document.querySelectorAll('.leaflet-tile-pane img')]
        .map((i) => [new URL(i.src).pathname, i.naturalWidth])""")
    assert loaded and all(p.startswith("/map/tiles/file/") and w == 256 for p, w in loaded)
    assert seen.data_datums() == ["wgs84"]
    seen.shot(f"raster-{size}")
    image = _basemap_alone(page, f"raster-{size}")
    points = _district_points(page)
    assert len(points) > 100
    assert _on_red(image, points) > 0.95  # the overlay falls on the file's outline
    assert _on_red(image, points, dx=12) < 0.5  # and the check can tell when it does not


def test_gcj02_file_gets_gcj02_overlays_that_line_up(visit, servers):
    seen = visit(f"{servers['gcj02']}/map")
    _check_served_and_local(seen)
    assert seen.data_datums() == ["gcj02"]
    assert seen.page.evaluate("zonewatch.datum") == "gcj02"
    seen.shot("gcj02-desktop")
    image = _basemap_alone(seen.page, "gcj02-desktop")
    points = _district_points(seen.page)
    assert _on_red(image, points) > 0.95


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_vector_file_is_drawn_on_canvas(visit, servers, size):
    seen = visit(f"{servers['vector']}/map", size)
    page = seen.page
    _check_served_and_local(seen)
    renderer = [u for u in seen.requests if u.endswith("protomaps-leaflet/protomaps-leaflet.js")]
    assert len(renderer) == 1  # loaded from our own assets, only for this vector file
    seen.shot(f"vector-{size}")
    image = _basemap_alone(page, f"vector-{size}")
    colours = image.getcolors(maxcolors=image.width * image.height)
    share = {rgb: n / (image.width * image.height) for n, rgb in colours}

    def near(target: tuple[int, int, int], tol: int = 12) -> float:
        return sum(v for rgb, v in share.items()
                   if all(abs(a - b) <= tol for a, b in zip(rgb, target, strict=True)))

    assert near((0x8A, 0x6F, 0xA8), 30) > 0.0005  # the district boundary line (dashed)
    assert near((239, 234, 243), 4) > 0.1  # the district's fill, 85 % over the background
    assert near((0xF2, 0xEF, 0xE9), 4) > 0.3  # the style's background fills the tiles
    # the east-west road runs along the district's middle latitude, where the page puts it
    west, south, east, north = district_bbox(district_rings())
    road = [page.evaluate("([lat, lon]) => { const p = zonewatch.map.latLngToContainerPoint("
                          "[lat, lon]); return [p.x, p.y]; }", [(south + north) / 2, lon])
            for lon in [west + (east - west) * k / 20 for k in range(2, 19)]]
    px = image.load()
    on_road = [any(min(px[round(x), round(y) + j]) >= 248 for j in range(-2, 3))
               for x, y in road if x != round(image.width / 2)]
    assert sum(on_road) >= 0.9 * len(on_road)


def test_switcher_lists_every_basemap_and_keeps_the_query(visit, servers):
    base = servers["raster"]
    seen = visit(f"{base}/map?category=catering&lang=en")
    page = seen.page
    entries = page.locator(".zw-basemaps [data-basemap]")
    names = [entries.nth(i).get_attribute("data-basemap") for i in range(entries.count())]
    assert names == ["none", "file", "tianditu", "amap", "osm"]
    current = page.locator(".zw-basemaps [aria-current]")
    assert current.get_attribute("data-basemap") == "file" and current.get_attribute("href") is None
    # the file's name (hostile) is shown as text, and runs nothing
    assert page.locator(".zw-basemap-note").inner_text() == HOSTILE_NAME
    assert HOSTILE_NAME in page.locator(".leaflet-control-attribution").inner_text()
    amap = page.locator(".zw-basemaps [data-basemap=amap]")
    href = urlsplit(amap.get_attribute("href"))
    assert parse_qs(href.query) == {"category": ["catering"], "lang": ["en"], "basemap": ["amap"]}
    assert "GCJ-02" in amap.inner_text()
    amap.click()
    page.wait_for_url("**basemap=amap**")
    _wait_drawn(page)
    assert seen.data_datums()[-1] == "gcj02"  # Amap's datum: the data reloads shifted
    assert any("/map/tiles/amap/" in u for u in seen.requests)
    page.locator(".zw-basemaps [data-basemap=file]").click()
    page.wait_for_url("**basemap=file**")
    _wait_drawn(page)
    assert seen.data_datums()[-1] == "wgs84"
    assert seen.foreign() == [] and seen.errors == [] and seen.dialogs == []


def test_switcher_on_a_phone_is_folded_and_easy_to_tap(visit, servers):
    seen = visit(f"{servers['gcj02']}/map", "phone")
    page = seen.page
    box = page.locator(".zw-basemaps details")
    assert box.evaluate("d => d.open") is False
    page.locator(".zw-basemaps-title").tap()
    assert box.evaluate("d => d.open") is True
    for i in range(page.locator(".zw-basemaps .zw-basemap").count()):
        entry = page.locator(".zw-basemaps .zw-basemap").nth(i)
        assert entry.bounding_box()["height"] >= 24
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES["phone"]["width"]  # no sideways scrolling
    seen.shot("switcher-phone")
    page.locator(".zw-basemaps [data-basemap=none]").tap()
    page.wait_for_url("**basemap=none**")
    _wait_drawn(page)
    assert seen.data_datums()[-1] == "wgs84"
    assert page.locator(".leaflet-tile-pane img, .leaflet-tile-pane canvas").count() == 0
    assert seen.foreign() == [] and seen.errors == []
