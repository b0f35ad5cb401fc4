"""The field map's fixes in real Chromium: measure tool, wheel zoom, the view it opens on.

One Chromium per module, a fresh context per viewport; each map is served by
``zonewatch serve`` over the demo ledger on both stores (``tests/maps/conftest.py``).
Distances are checked against pyproj's ``Geod`` on WGS84, the project's oracle;
the district and stations come from the store itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from pyproj import Geod

from geo.store import Store
from tests._support.map_visit import VIEWPORTS, MapVisit, wait_drawn

pytestmark = pytest.mark.slow

GEOD = Geod(ellps="WGS84")


class Visit(MapVisit):
    """A map page in its own context; screenshots ``tests/artifacts/map-fix-<name>.png``."""

    prefix = "map-fix"


@pytest.fixture
def visit(fresh_page: Callable[..., Any], map_url: str) -> Callable[..., Visit]:
    """Open ``/map?<query>`` at a viewport size; wait until every source is drawn."""

    def open_map(query: str = "", size: str = "desktop") -> Visit:
        width, height = VIEWPORTS[size]
        seen = Visit(fresh_page(viewport={"width": width, "height": height}), map_url)
        seen.listen()
        seen.page.goto(f"{map_url}/map?{query}")
        wait_drawn(seen.page)
        return seen

    return open_map


def _station(store: Store, sid: str) -> tuple[float, float, float]:
    """Return lon, lat and radius_m of a station as the store holds it."""
    frame = store.read("stations")
    row = frame[frame["id"] == sid].iloc[0]
    return float(row.geometry.x), float(row.geometry.y), float(row["radius_m"])


def _pixel(page: Any, lon: float, lat: float) -> tuple[float, float]:
    """Return the page position of a lon/lat on the map (map.latLngToContainerPoint)."""
    x, y = page.evaluate("""([lat, lon]) => {
        const p = zonewatch.map.latLngToContainerPoint([lat, lon]);
        const r = zonewatch.map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""", [lat, lon])
    return float(x), float(y)


def _clickable(page: Any, x: float, y: float) -> bool:
    """Is the point on the map itself, not under a control?"""
    return bool(page.evaluate("""([x, y]) => { const e = document.elementFromPoint(x, y);
        return !!e && !e.closest('.leaflet-control') && !!e.closest('.leaflet-container'); }""",
                              [x, y]))


_LENGTH = re.compile(r"^([\d.]+) (米|千米|m|km)$")


def _shown_m(page: Any) -> float:
    """Return the length the measure tool shows, read from its text, in metres."""
    text = page.locator(".zw-measure-value").inner_text().strip()
    match = _LENGTH.match(text)
    assert match, text
    value = float(match.group(1))
    return value * 1000 if match.group(2) in ("千米", "km") else value


def _view(page: Any) -> list[float]:
    """Return the map's centre lat, lon and its zoom."""
    return list(page.evaluate(
        "(() => { const c = zonewatch.map.getCenter(); return [c.lat, c.lng, "
        "zonewatch.map.getZoom()]; })()"))


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_measure_between_two_stations_is_geodesic(
    visit: Callable[..., Visit], map_store: Store, size: str
) -> None:
    seen = visit(size=size)
    page = seen.page
    (lon1, lat1, _), (lon2, lat2, _) = _station(map_store, "M001"), _station(map_store, "M002")
    _, _, truth_m = GEOD.inv(lon1, lat1, lon2, lat2)
    assert 3000 < truth_m < 6000  # the pair of the field report (4.2 km apart)
    page.locator(".zw-measure-toggle").click()
    assert page.locator(".zw-measure-toggle").get_attribute("aria-pressed") == "true"
    first, second = _pixel(page, lon1, lat1), _pixel(page, lon2, lat2)
    assert _clickable(page, *first) and _clickable(page, *second)
    before = _view(page)
    page.mouse.click(*first)
    page.wait_for_timeout(300)
    assert _view(page) == before  # the first click neither pans nor zooms
    page.mouse.click(*second)
    shown = _shown_m(page)
    assert shown == pytest.approx(truth_m, rel=0.01)
    assert float(page.locator(".zw-measure-value").get_attribute("data-metres")) == \
        pytest.approx(truth_m, rel=0.01)
    assert page.locator(".leaflet-popup").count() == 0  # clicks on stations measured, no popup
    assert "千米" in page.locator(".zw-measure-value").inner_text()
    seen.shot(f"measure-{size}")
    page.locator(".zw-measure-finish").click()
    assert page.locator(".zw-measure-toggle").get_attribute("aria-pressed") == "false"
    assert _shown_m(page) == shown  # the finished line keeps its length
    page.locator(".zw-measure-clear").click()
    assert page.locator(".zw-measure-panel").is_hidden()
    assert page.evaluate("zonewatch.measure.lengthM") == 0
    assert seen.foreign() == [] and seen.errors == []


def test_measure_sums_geodesic_segments(visit: Callable[..., Visit]) -> None:
    page = visit().page
    page.locator(".zw-measure-toggle").click()
    width, height = VIEWPORTS["desktop"]
    clicks = [(width * 0.45, height * 0.35), (width * 0.55, height * 0.40),
              (width * 0.50, height * 0.60), (width * 0.40, height * 0.55)]
    lonlats = []
    for x, y in clicks:
        assert _clickable(page, x, y)
        lat, lon = page.evaluate("""([x, y]) => { const ll = zonewatch.map.containerPointToLatLng(
            [x, y]); return [ll.lat, ll.lng]; }""", [x, y])
        lonlats.append((lon, lat))
        page.mouse.click(x, y)
        page.wait_for_timeout(350)  # apart, so no two clicks make a double click
    truth_m = sum(GEOD.inv(a[0], a[1], b[0], b[1])[2] for a, b in pairwise(lonlats))
    assert page.evaluate("zonewatch.measure.lengthM") == pytest.approx(truth_m, abs=0.01)
    assert float(page.locator(".zw-measure-value").get_attribute("data-metres")) == \
        pytest.approx(truth_m, abs=0.06)
    assert _shown_m(page) == pytest.approx(truth_m, abs=5)  # "4.21 千米": 10 m steps
    page.keyboard.press("Escape")
    assert page.evaluate("zonewatch.measure.active") is False


PAIRS = [  # (lon1, lat1, lon2, lat2): short, city, country, hemispheres, antimeridian, poles
    (113.5960, 34.7660, 113.5961, 34.7660),
    (113.5960, 34.7660, 113.6040, 34.7290),
    (113.6253, 34.7466, 116.4074, 39.9042),
    (113.6253, 34.7466, -46.6333, -23.5505),
    (179.9, 10.0, -179.9, -10.0),
    (0.0, 0.0, 0.0, 89.9),
    (10.0, 0.0, 50.0, 0.0),
]


def test_js_geodesic_matches_pyproj(visit: Callable[..., Visit]) -> None:
    page = visit().page
    for lon1, lat1, lon2, lat2 in PAIRS:
        got = page.evaluate("([a, b, c, d]) => zonewatch.distanceM({lat: b, lng: a}, "
                            "{lat: d, lng: c})", [lon1, lat1, lon2, lat2])
        _, _, want = GEOD.inv(lon1, lat1, lon2, lat2)
        assert got == pytest.approx(want, abs=1e-3), (lon1, lat1, lon2, lat2)


def test_measure_speaks_english(visit: Callable[..., Visit]) -> None:
    page = visit("lang=en").page
    toggle = page.locator(".zw-measure-toggle")
    assert toggle.get_attribute("title") == "Measure distance"
    toggle.click()
    assert page.locator(".zw-measure-value").inner_text() == "0 m"
    assert page.locator(".zw-measure-finish").inner_text() == "Finish"
    assert page.locator(".zw-measure-clear").inner_text() == "Clear"


def _zoom_after_wheel(page: Any, delta_y: float) -> float:
    before = page.evaluate("zonewatch.map.getZoom()")
    page.mouse.wheel(0, delta_y)
    page.wait_for_function(f"zonewatch.map.getZoom() !== {before}", timeout=5_000)
    page.wait_for_timeout(500)  # no second step after the first
    return float(page.evaluate("zonewatch.map.getZoom()")) - before


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_one_wheel_notch_is_one_zoom_level(visit: Callable[..., Visit], size: str) -> None:
    page = visit(size=size).page
    width, height = VIEWPORTS[size]
    page.mouse.move(width / 2, height / 2)
    assert _zoom_after_wheel(page, -100) == 1
    assert _zoom_after_wheel(page, 100) == -1


def _outside(page: Any, lonlats: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Return the lon/lats that lie outside what the map shows."""
    return [(lon, lat) for lon, lat in lonlats if not page.evaluate(
        "([lat, lon]) => zonewatch.map.getBounds().contains([lat, lon])", [lat, lon])]


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_map_opens_on_the_whole_district(
    visit: Callable[..., Visit], map_store: Store, size: str
) -> None:
    seen = visit(size=size)
    page = seen.page
    west, south, east, north = map_store.read("districts").total_bounds
    corners = [(west, south), (west, north), (east, south), (east, north)]
    assert _outside(page, corners) == []
    # ... and not from afar: one zoom level closer and the district would not fit
    zoom, fits = page.evaluate("""([w, s, e, n]) => [zonewatch.map.getZoom(),
        zonewatch.map.getBoundsZoom([[s, w], [n, e]])]""", [west, south, east, north])
    assert fits - 1 <= zoom <= fits
    if size != "phone":  # beside the panels; a phone's map runs under its folded controls
        assert _overlapping_controls(page, corners) == []
    assert seen.foreign() == [] and seen.errors == []
    seen.shot(f"district-{size}")


def _overlapping_controls(page: Any, corners: list[tuple[float, float]]) -> list[str]:
    xs, ys = zip(*(_pixel(page, lon, lat) for lon, lat in corners), strict=True)
    return list(page.evaluate("""([l, t, r, b]) => [...document.querySelectorAll(
        '.leaflet-control')].filter(c => { const k = c.getBoundingClientRect();
        return k.width > 0 && !(k.right <= l || r <= k.left || k.bottom <= t || b <= k.top); })
        .map(c => c.className)""", [min(xs), min(ys), max(xs), max(ys)]))


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_station_view_shows_its_whole_circle(
    visit: Callable[..., Visit], map_store: Store, size: str
) -> None:
    seen = visit("station=M003", size=size)
    page = seen.page
    lon, lat, radius_m = _station(map_store, "M003")
    azimuths = [i * 22.5 for i in range(16)]
    lons, lats, _ = GEOD.fwd([lon] * 16, [lat] * 16, azimuths, [radius_m] * 16)
    rim = list(zip(lons, lats, strict=True))
    assert _outside(page, rim) == []
    # the circle fills the view: one level closer and its rim would leave it
    zoom = page.evaluate("zonewatch.map.getZoom()")
    fits = page.evaluate("""([s, w, n, e]) => zonewatch.map.getBoundsZoom([[s, w], [n, e]])""",
                         [min(lats), min(lons), max(lats), max(lons)])
    assert fits - 1 <= zoom <= fits
    assert seen.foreign() == [] and seen.errors == []
    seen.shot(f"station-{size}")


def test_a_resized_window_still_shows_the_district(
    visit: Callable[..., Visit], map_store: Store
) -> None:
    page = visit(size="desktop").page
    west, south, east, north = map_store.read("districts").total_bounds
    corners = [(west, south), (west, north), (east, south), (east, north)]
    page.set_viewport_size({"width": 390, "height": 844})  # until the officer moves the map
    page.wait_for_timeout(400)  # Leaflet's resize handler is debounced
    assert _outside(page, corners) == []
