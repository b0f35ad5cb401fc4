"""The open-cases layer in real Chromium: colours by time left, legend, popups, Amap datum.

One Chromium per module (the ``chromium`` fixture), a fresh context per screen size; the
map is served by ``zonewatch serve`` over a small ledger of its own on both stores, its
cases made through the case loop relative to the clock, since the server measures time
left at the moment it is asked. Screenshots: ``tests/artifacts/map-cases-*.png``.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from shapely.geometry import Point, box

from geo import writes
from geo.crs import from_lonlat
from geo.ledger import Feature
from geo.store import Store
from tests._support.live_server import serve_store
from tests._support.map_visit import BLANK_PNG, VIEWPORTS, MapVisit, wait_drawn
from tests._support.stores import STORE_KINDS, make_store
from tests.maps.test_cases_layer import HOSTILE, Made, _act, _dispatched, make_cases

pytestmark = pytest.mark.slow

HOSTILE_UNIT = "<b>中队</b><img src=y onerror=\"window.__pwned=2\">"
HOSTILE_SPOT = Point(113.66, 34.76)
CASES_READY = "window.zonewatch && zonewatch.cases && zonewatch.cases.ready"
BANDS = ("overdue", "due_soon", "on_time", "not_dispatched")


class Visit(MapVisit):
    """A map page in its own context; screenshots ``tests/artifacts/map-cases-<name>.png``."""

    prefix = "map-cases"


def _ledger(store: Store) -> tuple[Made, str]:
    """A district, a station, two sources (one on a case's spot) and the cases of each band."""
    now = dt.datetime.now(dt.UTC)
    made = make_cases(store, now)
    writes.create(store, "districts", Feature("D-1", {"name": "中原区（测试）"},
                                              box(113.555, 34.705, 113.685, 34.785)), actor="t")
    writes.create(store, "stations", Feature("M-1", {"name": "监测点一", "radius_m": 1500.0},
                                             Point(113.64, 34.775)), actor="t")
    for fid, name, spot in (("S-1", "北边餐馆", Point(113.60, 34.775)),
                            ("S-AT", "案件旁餐馆", Point(113.60, 34.74))):  # SPOTS[3]
        writes.create(store, "sources", Feature(fid, {"name": name, "category": "catering"},
                                                spot), actor="t")
    hostile = _dispatched(store, "site_dust", now - 2 * dt.timedelta(hours=1), point=HOSTILE_SPOT,
                          unit=HOSTILE_UNIT, address=HOSTILE_UNIT)
    return made, hostile


@pytest.fixture(scope="module", params=STORE_KINDS)
def case_ledger(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Any]:
    """The store, its cases and a live server over it, per store kind."""
    for store in make_store(request.param, tmp_path_factory.mktemp("map-cases")):
        made, hostile = _ledger(store)
        with serve_store(store) as url:
            yield store, made, hostile, url


@pytest.fixture
def visit(fresh_page: Callable[..., Any], case_ledger: Any) -> Callable[..., Visit]:
    """Open ``/map?<query>`` at a screen size; wait until the sources and cases are drawn."""
    url = case_ledger[3]

    def open_map(query: str = "", size: str = "desktop") -> Visit:
        width, height = VIEWPORTS[size]
        seen = Visit(fresh_page(viewport={"width": width, "height": height},
                                has_touch=size == "phone"), url)
        seen.listen()
        # tiles answered in the browser: the server never fetches one from the internet
        seen.page.route("**/map/tiles/**", lambda route: route.fulfill(
            status=200, content_type="image/png", body=BLANK_PNG))
        seen.page.goto(f"{url}/map?{query}")
        wait_drawn(seen.page)
        seen.page.wait_for_function(CASES_READY, timeout=30_000)
        assert seen.page.evaluate("zonewatch.cases.error") is None
        return seen

    return open_map


def _served(url: str, datum: str = "wgs84") -> dict:
    with urllib.request.urlopen(f"{url}/map/cases.json?datum={datum}", timeout=10) as res:
        return json.loads(res.read())


def _marker_pixel(page: Any, fid: str) -> tuple[float, float]:
    x, y = page.evaluate("""(id) => {
        const m = zonewatch.cases.markers[id], map = zonewatch.map;
        const p = map.latLngToContainerPoint(m.getLatLng());
        const r = map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""", fid)
    return float(x), float(y)


def _popup(page: Any, fid: str) -> Any:
    popup = page.locator(f'.zw-case-popup[data-case="{fid}"]')
    popup.wait_for(state="visible", timeout=5_000)
    return popup


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_markers_and_legend_show_the_bands_of_the_data(
    visit: Callable[..., Visit], case_ledger: Any, size: str
) -> None:
    seen = visit(size=size)
    page = seen.page
    data = page.evaluate("zonewatch.cases.data")
    assert data["counts"] == _served(case_ledger[3])["counts"]
    assert data["counts"] == {"overdue": 1, "due_soon": 2, "on_time": 2, "not_dispatched": 2}
    assert page.evaluate("zonewatch.map.hasLayer(zonewatch.cases.layer)")  # overdue: on
    assert page.locator("path.zw-case").count() == data["count"] == 7
    for band in BANDS:
        assert page.locator(f"path.zw-case-{band}").count() == data["counts"][band], band
        shown = page.locator(f'.zw-cases-legend [data-band="{band}"] .zw-cases-count')
        assert shown.text_content() == str(data["counts"][band]), band
    # not colour alone: the ring of each band differs too
    dashes = {band: page.locator(f"path.zw-case-{band}").first.get_attribute("stroke-dasharray")
              for band in BANDS}
    assert dashes == {"overdue": None, "due_soon": "4 3", "on_time": None,
                      "not_dispatched": "0.1 4"}
    assert "未结案件 (7)" in page.locator(".leaflet-control-layers").text_content()
    legend = page.locator(".zw-cases-legend details")
    assert legend.evaluate("d => d.open") is (size == "desktop")  # a phone starts folded
    # above the sources: the cases' pane is over the markers' and overlays'
    assert page.evaluate("+zonewatch.map.getPane('zwCases').style.zIndex") > 600
    if size == "phone":
        page.locator(".zw-cases-legend summary").tap()
        assert legend.evaluate("d => d.open")
    seen.shot(size)
    assert seen.foreign() == [] and seen.errors == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_click_on_a_case_opens_its_popup_with_the_link(
    visit: Callable[..., Visit], case_ledger: Any, size: str
) -> None:
    made: Made = case_ledger[1]
    seen = visit(size=size)
    page = seen.page
    x, y = _marker_pixel(page, made.overdue)
    under = page.evaluate("([x, y]) => document.elementFromPoint(x, y).getAttribute('class')",
                          [x, y])
    assert "zw-case-overdue" in under  # drawn on top, not under a control or a source
    if size == "phone":
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)
    popup = _popup(page, made.overdue)
    text = popup.inner_text()
    assert "超期 3小时" in text and "露天烧烤" in text and "派遣" in text
    assert "林山寨街道中队" in text and "北京时间" in text
    link = popup.locator("a.zw-case-link")
    assert link.get_attribute("href") == f"/cases/{made.overdue}"
    assert made.overdue in link.inner_text()
    width = VIEWPORTS[size][0]
    # the whole popup on screen, once Leaflet's animated pan to show it has ended
    page.wait_for_function("""(width) => {
        const r = document.querySelector('.leaflet-popup').getBoundingClientRect();
        return r.left >= 0 && r.right <= width; }""", arg=width, timeout=5_000)
    seen.shot(f"popup-{size}")
    assert seen.foreign() == [] and seen.errors == []


def test_time_left_reads_as_the_case_pages_say_it(
    visit: Callable[..., Visit], case_ledger: Any
) -> None:
    made: Made = case_ledger[1]
    page = visit().page
    expected = {made.soon_floor: "即将到期 · 剩余 29分",
                made.soon_quarter: "即将到期 · 剩余 7小时59分",
                made.on_time: "剩余 22小时59分", made.reported: "未派遣（派遣后计时）"}
    for fid, words in expected.items():
        page.evaluate("(id) => zonewatch.cases.open(id)", fid)
        left = _popup(page, fid).locator(".zw-case-left").inner_text().strip()
        # the minutes the test has run take a minute off at most
        assert left == words or left == words.replace("29分", "28分").replace(
            "59分", "58分"), (fid, left)
    page.evaluate("(id) => zonewatch.cases.open(id)", made.soon_quarter)
    assert "已处置" in _popup(page, made.soon_quarter).inner_text()


def test_hostile_texts_show_as_text(visit: Callable[..., Visit], case_ledger: Any) -> None:
    made: Made = case_ledger[1]
    hostile: str = case_ledger[2]
    seen = visit()
    page = seen.page
    for fid, needle in ((made.overdue, HOSTILE), (hostile, HOSTILE_UNIT)):
        assert page.evaluate("(id) => zonewatch.cases.open(id)", fid)
        popup = _popup(page, fid)
        assert needle in popup.inner_text()
        assert popup.locator("img, b").count() == 0
    page.wait_for_timeout(300)  # an injected onerror would have fired by now
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("img[src='x'], img[src='y']").count() == 0
    seen.shot("hostile")
    assert seen.errors == []


def test_an_amap_page_draws_the_cases_in_gcj02_beside_the_sources(
    visit: Callable[..., Visit], case_ledger: Any
) -> None:
    store: Store = case_ledger[0]
    made: Made = case_ledger[1]
    seen = visit("basemap=amap")
    page = seen.page
    assert page.evaluate("zonewatch.datum") == "gcj02"
    assert page.evaluate("zonewatch.cases.data.datum") == "gcj02"
    at = page.evaluate("(id) => { const l = zonewatch.cases.markers[id].getLatLng();"
                       " return [l.lat, l.lng]; }", made.on_time)
    stored = store.get("cases", made.on_time).geometry
    x, y = from_lonlat(stored.x, stored.y, crs="gcj02")
    assert at == pytest.approx([float(y), float(x)], abs=1e-6)
    assert at == pytest.approx(page.evaluate("zonewatch.find('S-AT')"), abs=1e-9)
    assert abs(at[1] - stored.x) > 0.003  # shifted, as the Amap tiles are
    assert seen.foreign() == [] and seen.errors == []
    seen.shot("amap")


def test_measuring_over_a_case_opens_no_popup(visit: Callable[..., Visit], case_ledger: Any
                                              ) -> None:
    made: Made = case_ledger[1]
    page = visit().page
    page.locator(".zw-measure-toggle").click()
    page.mouse.click(*_marker_pixel(page, made.on_time))
    page.mouse.click(*_marker_pixel(page, made.overdue))
    assert page.locator(".leaflet-popup").count() == 0
    assert page.evaluate("zonewatch.measure.lengthM") > 2000  # three spots apart: ~2.7 km


def test_a_refresh_after_a_case_is_closed_drops_it(
    visit: Callable[..., Visit], case_ledger: Any
) -> None:
    store: Store = case_ledger[0]
    hostile: str = case_ledger[2]
    page = visit().page
    assert page.locator("path.zw-case-on_time").count() == 2
    for action, kwargs in (("handle", {}), ("verify", {"passed": True}), ("close", {})):
        _act(store, hostile, action, dt.datetime.now(dt.UTC), **kwargs)
    page.evaluate("zonewatch.cases.refresh()")
    page.wait_for_function("zonewatch.cases.data.counts.on_time === 1", timeout=10_000)
    assert page.locator("path.zw-case-on_time").count() == 1
    assert page.locator('.zw-cases-legend [data-band="on_time"] .zw-cases-count'
                        ).text_content() == "1"
    assert "未结案件 (6)" in page.locator(".leaflet-control-layers").text_content()
    assert page.evaluate(f"zonewatch.cases.markers[{json.dumps(hostile)}] === undefined")


def test_the_case_and_source_pages_links_open_the_map_on_them(
    visit: Callable[..., Visit], case_ledger: Any
) -> None:
    made: Made = case_ledger[1]
    seen = visit(f"focus={made.overdue}")
    page = seen.page
    assert page.evaluate("zonewatch.timings.readyCalls") == 1  # the plugins' ready came once
    popup = _popup(page, made.overdue)  # opened on arrival, without a click
    assert page.evaluate("zonewatch.map.getZoom()") >= 17
    assert popup.locator("a.zw-case-link").get_attribute("href") == f"/cases/{made.overdue}"
    source = visit("focus=S-AT").page
    source.locator(".leaflet-popup").wait_for(state="visible", timeout=10_000)
    assert "案件旁餐馆" in source.locator(".leaflet-popup").inner_text()
    missing = urllib.request.Request(f"{case_ledger[3]}/map?focus=S-none")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(missing, timeout=10)
    assert refused.value.code == 404
    assert seen.foreign() == [] and seen.errors == []
