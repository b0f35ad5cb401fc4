"""The field map in real Chromium: priority in clusters, re-check list, station counts, search,
heat-map note and locate-me, at 1440x900, 1024x768 and on a 390x844 touch phone.

One Chromium per module, a fresh context per page; the map is served by ``zonewatch serve``
over the demo ledger on both stores (``tests/maps/conftest.py``). What the page shows is
compared with the server's own answers (``/priority``, the store's flags), never with
numbers written here. Positions are checked with pyproj's ``Geod``, the project's oracle.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod

from geo.crs import wgs84_to_gcj02
from geo.priority import flagged_sources
from geo.store import Store
from geo.vocabulary import CODE_LABELS
from tests._support.map_visit import VIEWPORTS, MapVisit, wait_drawn

pytestmark = pytest.mark.slow

GEOD = Geod(ellps="WGS84")
SIZES = list(VIEWPORTS)
HERE = {"longitude": 113.6253, "latitude": 34.7466, "accuracy": 30.0}  # inside the district


@dataclass
class Visit(MapVisit):
    """A map page in its own context at one screen size, taps on a phone, clicks elsewhere."""

    size: str = "desktop"

    prefix = "map-field"

    def clean(self) -> None:
        """Nothing asked of another host, no script error."""
        assert self.foreign() == [] and self.errors == []

    def shot(self, name: str) -> Path:
        """Save the page to ``tests/artifacts/map-field-<name>-<size>.png``."""
        return super().shot(f"{name}-{self.size}")

    def tap(self, selector: str) -> None:
        """Tap (phone) or click (else) the first element matching ``selector``."""
        if self.size == "phone":
            self.page.locator(selector).first.tap()
        else:
            self.page.locator(selector).first.click()

    def press_at(self, x: float, y: float) -> None:
        """Tap (phone) or click (else) a page position."""
        if self.size == "phone":
            self.page.touchscreen.tap(x, y)
        else:
            self.page.mouse.click(x, y)


@pytest.fixture
def visit(fresh_page: Callable[..., Any], map_url: str) -> Callable[..., Visit]:
    """Open ``/map?<query>`` at a viewport size; wait until every source is drawn."""

    def open_map(query: str = "", size: str = "desktop", **context: Any) -> Visit:
        width, height = VIEWPORTS[size]
        phone = size == "phone"
        page = fresh_page(viewport={"width": width, "height": height}, has_touch=phone,
                          is_mobile=phone, **context)
        seen = Visit(page, map_url, size=size)
        seen.listen()
        page.goto(f"{map_url}/map?{query}")
        wait_drawn(page)
        return seen

    return open_map


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as res:
        return json.loads(res.read())


def _priority_features(base: str) -> list[dict[str, Any]]:
    """The server's priority targets plus the re-check list (``recheck`` on each)."""
    return [{**f["properties"], "id": f["id"]} for f in
            _get_json(f"{base}/priority?include_closed=true&f=json")["features"]]


def _switch_overlay(seen: Visit, label: str) -> None:
    """Tick or untick an overlay of the layer control (unfolding it first on a phone)."""
    page = seen.page
    if page.locator(".leaflet-control-layers-expanded").count() == 0:
        seen.tap(".leaflet-control-layers-toggle")
        page.wait_for_selector(".leaflet-control-layers-expanded")
    row = page.locator(".leaflet-control-layers-overlays label", has_text=label)
    assert row.count() == 1, label
    row.locator("input").click()
    page.wait_for_timeout(300)


# -- priority in the clusters -----------------------------------------------------------

_CLUSTERS = """() => { const ctx = zonewatch.ctx, pri = ctx.src.priority, out = [];
    Object.values(ctx.groups).forEach(g => g._featureGroup.eachLayer(l => {
        if (!(l instanceof L.MarkerCluster) || !l._icon) { return; }
        const want = l.getAllChildMarkers().filter(m => pri[m.zwIndex] === 1).length;
        const badge = l._icon.querySelector('.zw-cluster-badge');
        const r = badge ? badge.getBoundingClientRect() : null;
        out.push({want: want, shown: badge ? Number(badge.textContent) : 0,
                  ring: !!l._icon.querySelector('.zw-cluster-priority'),
                  seen: r ? r.width > 0 && r.height > 0 : null,
                  title: badge ? badge.title : null});
    }));
    return out; }"""

# priority markers drawn one by one on the map right now (unclustered at this zoom)
_SINGLES = """() => { const ctx = zonewatch.ctx, pri = ctx.src.priority; let n = 0;
    ctx.markers.forEach((m, i) => { if (pri[i] === 1 && ctx.map.hasLayer(m)) { n += 1; } });
    return n; }"""


def _check_clusters(page: Any) -> list[dict[str, Any]]:
    clusters = page.evaluate(_CLUSTERS)
    assert clusters
    for c in clusters:
        assert c["shown"] == c["want"], c
        assert c["ring"] == (c["want"] > 0), c
        if c["want"]:
            assert c["seen"] and str(c["want"]) in c["title"], c
    return clusters


@pytest.mark.parametrize("size", SIZES)
def test_clusters_count_their_priority_members(
    visit: Callable[..., Visit], map_url: str, size: str
) -> None:
    seen = visit(size=size)
    page = seen.page
    clusters = _check_clusters(page)
    assert any(c["want"] for c in clusters) and any(not c["want"] for c in clusters)
    # the whole district is in view: badges plus single priority markers are all of them
    total = sum(1 for p in _priority_features(map_url) if not p["recheck"])
    assert sum(c["shown"] for c in clusters) + page.evaluate(_SINGLES) == total
    seen.shot("clusters")
    page.evaluate("void zonewatch.map.setZoom(zonewatch.map.getZoom() + 2, {animate: false})")
    page.wait_for_timeout(600)
    _check_clusters(page)  # and again at another zoom: every level shows priority
    seen.clean()


_SPLIT = """() => { const ctx = zonewatch.ctx, pri = ctx.src.priority;
    const loose = [], inClusters = [];
    Object.values(ctx.loose).forEach(g => g.eachLayer(m => loose.push(m.zwIndex)));
    Object.values(ctx.groups).forEach(g => g.eachLayer(m => {
        if (pri[m.zwIndex] === 1) { inClusters.push(m.zwIndex); } }));
    const onMap = loose.filter(i => ctx.map.hasLayer(ctx.markers[i])).length;
    const red = loose.filter(i => ctx.markers[i].options.color === ctx.cfg.priorityColour).length;
    const want = []; pri.forEach((p, i) => { if (p === 1) { want.push(i); } });
    const badges = document.querySelectorAll('.zw-cluster-badge').length;
    return {loose: loose.sort((a, b) => a - b), want: want, inClusters: inClusters.length,
            onMap: onMap, red: red, badges: badges,
            members: Object.values(ctx.groups).reduce((n, g) => n + g.getLayers().length, 0)}; }"""


@pytest.mark.parametrize("size", SIZES)
def test_priority_unclustered_shows_exactly_the_priority_markers(
    visit: Callable[..., Visit], size: str
) -> None:
    seen = visit(size=size)
    page = seen.page
    before = page.evaluate(_SPLIT)
    assert before["loose"] == [] and before["inClusters"] == len(before["want"]) > 0
    _switch_overlay(seen, "重点管控不聚合")
    on = page.evaluate(_SPLIT)
    assert on["loose"] == on["want"]  # every priority marker, and nothing else
    assert on["inClusters"] == 0 and on["badges"] == 0  # none drawn twice
    assert on["onMap"] == len(on["want"]) == on["red"]
    assert on["members"] + len(on["loose"]) == page.evaluate("zonewatch.rendered")
    seen.shot("unclustered")
    _switch_overlay(seen, "重点管控不聚合")
    off = page.evaluate(_SPLIT)
    assert off["loose"] == [] and off["inClusters"] == len(off["want"])
    assert off["members"] == page.evaluate("zonewatch.rendered")
    seen.clean()


def test_a_priority_marker_put_back_by_another_script_leaves_the_clusters(
    visit: Callable[..., Visit],
) -> None:
    seen = visit()
    page = seen.page
    _switch_overlay(seen, "重点管控不聚合")
    # what the editing script does after a change: out of its cluster group, back in
    page.evaluate("""() => { const ctx = zonewatch.ctx, i = ctx.src.priority.indexOf(1);
        const g = ctx.groups[ctx.src.category.values[ctx.src.category.codes[i]]];
        g.removeLayer(ctx.markers[i]); g.addLayer(ctx.markers[i]); }""")
    page.wait_for_timeout(100)
    split = page.evaluate(_SPLIT)
    assert split["loose"] == split["want"] and split["inClusters"] == 0
    # ... and one it takes off the map (a source its filter no longer shows) is gone
    gone = page.evaluate("""() => { const ctx = zonewatch.ctx, i = ctx.src.priority.indexOf(1);
        ctx.groups[ctx.src.category.values[ctx.src.category.codes[i]]].removeLayer(ctx.markers[i]);
        return ctx.map.hasLayer(ctx.markers[i]); }""")
    assert gone is False
    seen.clean()


# -- the re-check list -----------------------------------------------------------------

_LOOKS = """() => { const ctx = zonewatch.ctx, s = ctx.src, out = [];
    ctx.markers.forEach((m, i) => { const o = m.options;
        out.push([s.id[i], s.priority[i], s.recheck[i], o.color, o.dashArray || null,
                  o.fillOpacity, o.radius]); });
    return [out, ctx.cfg.priorityColour]; }"""


def test_recheck_sources_wear_their_own_ring(visit: Callable[..., Visit], map_url: str) -> None:
    seen = visit()
    page = seen.page
    looks, red = page.evaluate(_LOOKS)
    server = {p["id"] for p in _priority_features(map_url) if p["recheck"]}
    shown = {row[0] for row in looks if row[2] == 1}
    assert shown == server and server  # the map's re-check list is the server's
    for fid, priority, recheck, colour, dash, fill_opacity, _ in looks:
        assert not (priority and recheck), fid
        if recheck:
            assert colour != red and dash and fill_opacity < 0.5, fid
        elif priority:
            assert colour == red and dash is None, fid
        else:
            assert colour != red and dash is None, fid
    legend = page.locator(".zw-legend")
    assert "待复查（半径内已关停）" in legend.inner_text()
    assert legend.locator(".zw-swatch-recheck").count() == 1
    fid = sorted(server)[0]
    page.evaluate(f"zonewatch.open({json.dumps(fid)})")
    rows = dict(zip(page.locator(".zw-popup th").all_inner_texts(),
                    page.locator(".zw-popup td").all_inner_texts(), strict=True))
    assert rows["待复查"] == "是" and rows["重点管控"] == "否"
    assert rows["状态"] == CODE_LABELS["zh"]["status"]["closed"]
    # close up, a re-check source and its grey dashed ring
    lat, lon = page.evaluate(f"zonewatch.find({json.dumps(fid)})")
    page.evaluate(f"zonewatch.map.closePopup(); void zonewatch.map.setView([{lat}, {lon}], 18, "
                  "{animate: false})")
    page.wait_for_timeout(500)
    seen.shot("recheck")
    seen.clean()


def test_english_words_of_the_new_tools(visit: Callable[..., Visit]) -> None:
    seen = visit("lang=en")
    page = seen.page
    assert "To re-check (closed, inside a radius)" in page.locator(".zw-legend").inner_text()
    assert "Priority unclustered" in page.locator(".leaflet-control-layers").inner_text()
    assert page.locator(".zw-locate-button").get_attribute("title") == "My location"
    assert "Search" in page.locator(".zw-search input").get_attribute("placeholder")
    seen.clean()


# -- station popups -----------------------------------------------------------------------

def _open_station(seen: Visit, sid: str) -> dict[str, int]:
    page = seen.page
    x, y = page.evaluate("""(sid) => { const r = zonewatch.ctx.stationMarkers[sid]._icon
        .getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }""", sid)
    seen.press_at(x, y)
    page.wait_for_selector(".zw-station-popup")
    rows = page.locator(".zw-station-popup tr[data-count]")
    return {rows.nth(k).get_attribute("data-count"): int(rows.nth(k).locator("td").inner_text())
            for k in range(rows.count())}


@pytest.mark.parametrize("size", SIZES)
def test_station_popup_counts_what_the_server_flags(
    visit: Callable[..., Visit], map_url: str, map_store: Store, size: str
) -> None:
    seen = visit(size=size)
    page = seen.page
    sid = "M002"
    shown = _open_station(seen, sid)
    flagged = flagged_sources(map_store)
    inside = flagged[[sid in (s if s is not None else []) for s in flagged["stations"]]]
    targets = inside[inside["priority"].astype(bool)]
    want = dict(Counter(targets["category"]))
    want["priority"] = len(targets)
    want["recheck"] = int(inside["recheck"].astype(bool).sum())
    assert shown == want
    # ... the same as /priority says of this station
    features = [p for p in _priority_features(map_url) if sid in p["stations"]]
    assert shown["recheck"] == sum(1 for p in features if p["recheck"]) > 0
    assert shown["priority"] == sum(1 for p in features if not p["recheck"])
    ledger = page.locator(".zw-station-popup a.zw-ledger-link")
    assert ledger.get_attribute("href") == f"/ledger?station={sid}&priority=true"
    report = page.locator(".zw-station-popup .zw-popup a")
    assert report.get_attribute("href").startswith(f"/reports/summary?by=station&station={sid}")
    seen.shot("station-popup")
    seen.clean()


# -- search ------------------------------------------------------------------------------

def _search(seen: Visit, text: str) -> tuple[list[str], str | None]:
    """Type ``text``; return the rows' texts and the "more" row's text (None if none)."""
    page = seen.page
    page.fill(".zw-search input", text)
    rows = page.locator(".zw-search-results li:not(.zw-search-more)").all_inner_texts()
    more = page.locator(".zw-search-results li.zw-search-more")
    return rows, (more.inner_text() if more.count() else None)


def _matching(map_store: Store, text: str) -> list[str]:
    """Ids of the sources whose name, id, address or community holds ``text`` (any case)."""
    frame = map_store.read("sources")
    q = text.lower()
    hit = frame[["name", "id", "address", "community"]].apply(
        lambda col: col.fillna("").astype(str).str.lower().str.contains(q, regex=False))
    return sorted(frame.loc[hit.any(axis=1), "id"])


@pytest.mark.parametrize("size", SIZES)
def test_search_finds_ids_addresses_communities_and_stations(
    visit: Callable[..., Visit], map_store: Store, size: str
) -> None:
    seen = visit(size=size)
    page = seen.page
    sources = map_store.read("sources").set_index("id")
    # an id, typed in lower case; Enter picks the first row and opens its popup
    rows, more = _search(seen, "s00012")
    assert rows[0].startswith(sources.loc["S00012", "name"]) and more is None
    page.press(".zw-search input", "Enter")
    page.wait_for_selector(".zw-popup a[href$='/S00012']", timeout=10_000)
    # an address: exactly the sources that hold it
    address = str(sources.loc["S00040", "address"])
    page.fill(".zw-search input", address)
    ids = page.eval_on_selector_all(".zw-search-results li[data-source]",
                                    "els => els.map(e => e.dataset.source)")
    want = _matching(map_store, address)
    assert "S00040" in ids and sorted(ids) == want[:10]
    assert all(address in text for text in page.locator(".zw-search-hit").all_inner_texts())
    # a community: more than ten, so ten rows and a "more" row that brings ten more
    community = "西站社区"
    total = len(_matching(map_store, community))
    assert total > 20
    rows, more = _search(seen, community)
    assert len(rows) == 10 and more == f"更多…（还有 {total - 10} 条）"
    seen.shot("search-more")
    page.locator(".zw-search-results li.zw-search-more").click()
    rows = page.locator(".zw-search-results li.zw-search-hit").count()
    assert rows == 20
    assert page.locator(".zw-search-results li.zw-search-more").inner_text() == \
        f"更多…（还有 {total - 20} 条）"
    # a station: its row comes first, and picking it flies to its whole circle
    rows, _ = _search(seen, "须水")
    assert page.locator(".zw-search-results li").first.get_attribute("data-station") == "M003"
    page.press(".zw-search input", "Enter")
    page.wait_for_selector(".zw-station-popup", timeout=10_000)
    rim = page.evaluate("""() => { let b = null; zonewatch.ctx.zones.eachLayer(z => {
        if (z.zwStation === 'M003') { b = z.getBounds(); } });
        return zonewatch.map.getBounds().pad(0.02).contains(b); }""")
    assert rim
    rows, more = _search(seen, "no such thing at all")
    assert rows == ["无匹配"] and more is None
    seen.clean()


# -- heat map note -----------------------------------------------------------------------

_HEAT_NOTE = {"zh": "热力图在缩放级别 15 以上不显示，请缩小地图",
              "en": "The heat map is not shown above zoom level 15: zoom out to see it"}


def _zoom_to(page: Any, zoom: int) -> None:
    page.evaluate(f"void zonewatch.map.setZoom({zoom}, {{animate: false}})")
    page.wait_for_timeout(300)


def _heat_canvas(page: Any) -> str:
    return str(page.evaluate("zonewatch.ctx.heat._canvas.style.display"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_heat_map_says_why_it_is_off_at_high_zoom(
    visit: Callable[..., Visit], lang: str
) -> None:
    seen = visit(f"lang={lang}")
    page = seen.page
    label = "热力图" if lang == "zh" else "Heat map"
    note = page.locator(".zw-heat-note")
    _switch_overlay(seen, label)
    assert note.is_hidden() and _heat_canvas(page) == ""
    _zoom_to(page, 16)  # on, then closer than it shows
    assert note.is_visible() and note.inner_text() == _HEAT_NOTE[lang]
    assert _heat_canvas(page) == "none"
    seen.shot(f"heat-note-{lang}")
    _zoom_to(page, 15)
    assert note.is_hidden() and _heat_canvas(page) == ""
    _switch_overlay(seen, label)  # off
    _zoom_to(page, 17)
    assert note.is_hidden()  # nothing asked for, nothing to explain
    seen.clean()


def test_heat_map_asked_for_up_close_explains_and_comes_on_further_out(
    visit: Callable[..., Visit],
) -> None:
    seen = visit()
    page = seen.page
    note = page.locator(".zw-heat-note")
    _zoom_to(page, 17)
    row = page.locator(".leaflet-control-layers-overlays label", has_text="热力图")
    assert row.locator("input").is_disabled()  # Leaflet greys it out above its maxZoom
    row.click(force=True)  # tapping the greyed row still asks
    page.wait_for_timeout(200)
    assert note.is_visible() and note.inner_text() == _HEAT_NOTE["zh"]
    _zoom_to(page, 15)
    assert note.is_hidden()
    assert page.evaluate("zonewatch.map.hasLayer(zonewatch.ctx.heat)")
    assert page.evaluate("zonewatch.ctx.heat._latlngs.length") == page.evaluate(
        "zonewatch.rendered")
    assert row.locator("input").is_checked()
    seen.clean()


# -- locate me ---------------------------------------------------------------------------

def _button_box(page: Any, selector: str) -> dict[str, float]:
    return dict(page.locator(selector).first.bounding_box())


@pytest.mark.parametrize("size", SIZES)
def test_locate_me_puts_a_dot_where_the_browser_says(
    visit: Callable[..., Visit], size: str
) -> None:
    seen = visit(size=size, geolocation=HERE, permissions=["geolocation"])
    page = seen.page
    button = _button_box(page, ".zw-locate-button")
    bar, zoom = _button_box(page, ".zw-locate"), _button_box(page, ".leaflet-control-zoom")
    measure = _button_box(page, ".zw-measure")
    assert bar["x"] == zoom["x"]  # in the toolbar, under the zoom buttons
    assert zoom["y"] + zoom["height"] <= button["y"] < measure["y"]
    least = 44 if size == "phone" else 30
    assert button["width"] >= least and button["height"] >= least
    seen.tap(".zw-locate-button")
    page.wait_for_function("zonewatch.locate.latlng !== null", timeout=10_000)
    lat, lon, accuracy = page.evaluate(
        "[zonewatch.locate.latlng.lat, zonewatch.locate.latlng.lng, zonewatch.locate.accuracyM]")
    assert GEOD.inv(HERE["longitude"], HERE["latitude"], lon, lat)[2] < 1.0
    assert accuracy == HERE["accuracy"]
    page.wait_for_timeout(800)  # the map moves to the dot
    dot = page.locator(".leaflet-zwLocate-pane path.zw-locate-dot")
    assert dot.count() == 1
    box = dot.bounding_box()
    want = page.evaluate("""([lat, lon]) => { const p = zonewatch.map.latLngToContainerPoint(
        [lat, lon]); const r = zonewatch.map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""", [HERE["latitude"], HERE["longitude"]])
    assert abs(box["x"] + box["width"] / 2 - want[0]) < 1.5
    assert abs(box["y"] + box["height"] / 2 - want[1]) < 1.5
    assert "30" in page.locator(".zw-locate-note").inner_text()
    seen.shot("locate")
    seen.clean()


def test_locate_me_on_an_amap_basemap_shifts_to_gcj02(visit: Callable[..., Visit]) -> None:
    seen = visit("basemap=amap", geolocation=HERE, permissions=["geolocation"])
    page = seen.page
    seen.page.route("**/map/tiles/**", lambda route: route.abort())  # no upstream tile fetches
    seen.tap(".zw-locate-button")
    page.wait_for_function("zonewatch.locate.latlng !== null", timeout=10_000)
    lat, lon = page.evaluate("[zonewatch.locate.latlng.lat, zonewatch.locate.latlng.lng]")
    want_lon, want_lat = wgs84_to_gcj02(HERE["longitude"], HERE["latitude"])
    assert GEOD.inv(float(want_lon), float(want_lat), lon, lat)[2] < 1.0
    assert GEOD.inv(HERE["longitude"], HERE["latitude"], lon, lat)[2] > 100  # really shifted


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_locate_me_denied_says_so(visit: Callable[..., Visit], size: str) -> None:
    seen = visit(size=size, geolocation=HERE)  # a position exists, but no permission
    page = seen.page
    seen.tap(".zw-locate-button")
    page.wait_for_function("zonewatch.locate.error !== null", timeout=10_000)
    note = page.locator(".zw-locate-note")
    assert note.is_visible() and note.get_attribute("role") == "alert"
    assert "未允许本网站使用位置信息" in note.inner_text()
    assert page.locator(".leaflet-zwLocate-pane path").count() == 0
    seen.shot("locate-denied")
    seen.clean()


def test_pages_ask_nothing_of_other_hosts(visit: Callable[..., Visit], map_url: str) -> None:
    seen = visit("station=M001", size="phone", geolocation=HERE, permissions=["geolocation"])
    seen.tap(".zw-locate-button")
    seen.page.wait_for_function("zonewatch.locate.latlng !== null", timeout=10_000)
    _search(seen, "须水")
    seen.page.press(".zw-search input", "Enter")
    seen.page.wait_for_selector(".zw-station-popup", timeout=10_000)
    seen.clean()
