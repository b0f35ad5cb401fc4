"""Editing the ledger on the map, in a real Chromium, as a signed-in editor would.

At 1440×900 with a mouse and at 390×844 with a touch screen (taps, and touch
drags sent as touch events through the DevTools protocol): add a source by a
click and at the GPS position, move a point (confirmed first), draw an area
and a route, reshape an area, close and reopen from the popup. Each change is
checked in the store the live server writes to (positions within 1 m on the
WGS84 ellipsoid, pyproj ``Geod``); a stale edit shows the conflict and keeps
the other change; a viewer's and an anonymous map carry no tools and no CSRF
token; on an Amap (GCJ-02) basemap what is stored is WGS84. Every page asks
nothing of any host but the server. Screenshots: ``tests/artifacts/map-edit-*.png``.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from pyproj import Geod
from shapely import Point, Polygon

from geo import writes
from geo.crs import from_lonlat, to_lonlat
from geo.ledger import Feature
from geo.store import Store
from geo.tokens import issue_token
from tests._support.browser import SIZES, StaffBrowser
from tests._support.live_server import serve_store
from tests._support.map_visit import BLANK_PNG, screenshot, wait_drawn
from tests._support.stores import STORE_KINDS, make_store
from tests._support.workspace import HOSTILE_NAME, PASSWORD, seed_workspace

pytestmark = pytest.mark.slow

GEOD = Geod(ellps="WGS84")
#: Each screen works in its own part of the ledger, away from the seeded sources.
CORNER = {"desktop": (113.6400, 34.7400), "phone": (113.6400, 34.7300)}


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance in metres between two (lon, lat) points."""
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def near(size: str, east_m: float, north_m: float) -> tuple[float, float]:
    """The (lon, lat) ``east_m`` and ``north_m`` from this screen's corner."""
    lon, lat, _ = GEOD.fwd(*CORNER[size], 90.0, east_m)
    lon, lat, _ = GEOD.fwd(lon, lat, 0.0, north_m)
    return float(lon), float(lat)


@pytest.fixture(scope="module", params=STORE_KINDS)
def edit_store(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The workspace ledger (an editor, a viewer, one station) on each store."""
    for store in make_store(request.param, tmp_path_factory.mktemp("map-edit")):
        seed_workspace(store)
        yield store


@pytest.fixture(scope="module")
def edit_url(edit_store: Store) -> Iterator[str]:
    with serve_store(edit_store) as url:
        yield url


class EditMap:
    """The map page of one officer: where things are on screen, taps or clicks, drags."""

    def __init__(self, officer: StaffBrowser, query: str = "") -> None:
        self.officer, self.page = officer, officer.page
        self.touch = officer.size == "phone"
        # tiles (Amap here) come from our proxy; answered in the browser, never fetched upstream
        self.page.route("**/map/tiles/**", lambda route: route.fulfill(
            status=200, content_type="image/png", body=BLANK_PNG))
        officer.go("/map" + (f"?{query}" if query else ""))
        wait_drawn(self.page)

    def view(self, lonlat: tuple[float, float], zoom: int = 18) -> None:
        """Centre the map on ``lonlat`` (as the map shows it) at ``zoom``."""
        self.page.evaluate("([lon, lat, z]) => zonewatch.map.setView([lat, lon], z, "
                           "{animate: false})", [lonlat[0], lonlat[1], zoom])
        self.page.wait_for_timeout(300)

    def at(self, lonlat: tuple[float, float]) -> tuple[float, float]:
        """Page pixel of a map (lon, lat)."""
        xy = self.page.evaluate("""([lon, lat]) => {
            const p = zonewatch.map.latLngToContainerPoint([lat, lon]);
            const r = zonewatch.map.getContainer().getBoundingClientRect();
            return [p.x + r.left, p.y + r.top]; }""", list(lonlat))
        return float(xy[0]), float(xy[1])

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        """The map (lon, lat) under a page pixel."""
        ll = self.page.evaluate("""([x, y]) => {
            const r = zonewatch.map.getContainer().getBoundingClientRect();
            const q = zonewatch.map.containerPointToLatLng([x - r.left, y - r.top]);
            return [q.lng, q.lat]; }""", [x, y])
        return float(ll[0]), float(ll[1])

    def centre(self, dx: float = 0, dy: float = 0) -> tuple[float, float]:
        """A page pixel ``dx``, ``dy`` from the middle of the map."""
        box = self.page.evaluate("""() => { const r = zonewatch.map.getContainer()
            .getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }""")
        return box[0] + dx, box[1] + dy

    def press(self, x: float, y: float) -> None:
        """Tap (phone) or click (desktop) a page pixel."""
        if self.touch:
            self.page.touchscreen.tap(x, y)
        else:
            self.page.mouse.click(x, y)
        self.page.wait_for_timeout(150)

    def hit(self, selector: str) -> None:
        """Tap or click the one visible element ``selector``."""
        target = self.page.locator(selector).locator("visible=true")
        assert target.count() == 1, selector
        if self.touch:
            target.tap()
        else:
            target.click()

    def drag(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        """Drag from one page pixel to another: a finger on the phone, the mouse on a desktop."""
        steps = [(start[0] + (end[0] - start[0]) * k / 12, start[1] + (end[1] - start[1]) * k / 12)
                 for k in range(13)]
        if not self.touch:
            self.page.mouse.move(*start)
            self.page.mouse.down()
            for x, y in steps[1:]:
                self.page.mouse.move(x, y)
            self.page.mouse.up()
            return
        cdp = self.page.context.new_cdp_session(self.page)
        cdp.send("Input.dispatchTouchEvent",
                 {"type": "touchStart", "touchPoints": [{"x": start[0], "y": start[1]}]})
        for x, y in steps[1:]:
            cdp.send("Input.dispatchTouchEvent",
                     {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        cdp.detach()

    def saved(self, text: str = "已保存") -> str:
        """Wait for the edit bar's note to say ``text``; return the whole note."""
        note = self.page.locator(".zw-edit-note")
        # the form goes first: a note still saying "saved" from the edit before proves nothing
        self.page.locator("form.zw-edit-form").wait_for(state="detached")  # faded out
        note.filter(has_text=text).wait_for(timeout=15_000)
        self.page.wait_for_function("!zonewatch.edit.mode")
        return note.inner_text()

    def start(self, selector: str) -> None:
        """Press a button of the open popup, then wait until the popup has faded out."""
        self.hit(".leaflet-popup " + selector)
        self.page.wait_for_function("!document.querySelector('.leaflet-popup')")

    def fill_form(self, name: str, category: str | None = None) -> None:
        form = self.page.locator("form.zw-edit-form")
        form.wait_for()
        # as a person would, type and tap once the map has stopped zooming or panning the form
        self.page.wait_for_function("!zonewatch.map._animatingZoom && !(zonewatch.map._panAnim"
                                    " && zonewatch.map._panAnim._inProgress)")
        form.locator("input[name=name]").fill(name)
        if category:
            form.locator("select[name=category]").select_option(category)
        self.hit("form.zw-edit-form button.zw-edit-save")

    def shot(self, name: str) -> None:
        """Save the page to ``tests/artifacts/map-edit-<name>-<size>.png``."""
        screenshot(self.page, f"map-edit-{name}-{self.officer.size}")


@pytest.fixture(params=list(SIZES))
def officer(request: pytest.FixtureRequest, chromium: Any, edit_url: str) -> Iterator[StaffBrowser]:
    """A signed-in editor at 1440×900 (mouse) or 390×844 (touch), GPS near the corner."""
    size = request.param
    gps = near(size, 120.0, -80.0)
    browser = StaffBrowser(chromium, edit_url, size, has_touch=size == "phone",
                           is_mobile=size == "phone", permissions=["geolocation"],
                           geolocation={"longitude": gps[0], "latitude": gps[1]})
    browser.sign_in("editor1", PASSWORD)
    yield browser
    browser.close()


def by_name(store: Store, name: str) -> Feature:
    """The one stored source called ``name``."""
    frame = store.read("sources")
    rows = frame[frame["name"] == name]
    assert len(rows) == 1, f"{len(rows)} sources named {name!r}"
    return store.get("sources", str(rows.iloc[0]["id"]))


def seed(store: Store, fid: str, name: str, geometry: Any, category: str = "catering") -> None:
    writes.create(store, "sources", Feature(fid, {"name": name, "category": category},
                                             geometry), actor="seed")


def test_add_a_source_by_clicking_the_map(officer: StaffBrowser, edit_store: Store) -> None:
    m = EditMap(officer)
    m.view(near(officer.size, 0, 0))
    m.hit("button.zw-edit-add")
    x, y = m.centre(40, -60)
    clicked = m.lonlat(x, y)
    m.press(x, y)
    name = f"点选新增-{officer.size}"
    m.shot("add-form")
    m.fill_form(name, "bbq")
    assert name in m.saved()
    stored = by_name(edit_store, name)
    assert metres((stored.geometry.x, stored.geometry.y), clicked) < 1.0
    assert (stored.properties["category"], stored.properties["status"]) == ("bbq", "operating")
    m.page.locator(".leaflet-popup .zw-popup-title", has_text=name).wait_for()  # redrawn
    m.shot("added")


def test_add_a_source_at_my_location(officer: StaffBrowser, edit_store: Store) -> None:
    m = EditMap(officer)
    m.hit("button.zw-edit-here")
    name = f"定位新增-{officer.size}"
    m.fill_form(name)
    m.saved()
    stored = by_name(edit_store, name)
    assert metres((stored.geometry.x, stored.geometry.y), near(officer.size, 120.0, -80.0)) < 1.0
    assert stored.properties["category"] == "bbq"  # what a night patrol finds most


def test_move_a_point_after_confirming(officer: StaffBrowser, edit_store: Store) -> None:
    fid, start = f"MV-{officer.size}", near(officer.size, 300.0, 0.0)
    seed(edit_store, fid, f"待移动-{officer.size}", Point(*start))
    m = EditMap(officer)
    m.view(start)
    m.press(*m.at(start))
    m.start("button.zw-edit-move")
    m.page.locator(".zw-edit-handle").wait_for()
    grip = m.at(start)
    target = m.lonlat(grip[0] + 70, grip[1] - 45)
    m.drag(grip, (grip[0] + 70, grip[1] - 45))
    hint = m.page.locator(".zw-edit-hint")
    hint.filter(has_text="移动").wait_for()
    assert f"{round(metres(start, target))} 米" in hint.inner_text()  # says how far, first
    assert edit_store.get("sources", fid).geometry.equals(Point(*start))  # nothing yet
    m.shot("move-confirm")
    m.hit(".zw-edit button.zw-edit-confirm")
    m.saved()
    moved = edit_store.get("sources", fid).geometry
    assert metres((moved.x, moved.y), target) < 1.0
    shown = m.page.evaluate("id => zonewatch.find(id)", fid)
    assert metres((shown[1], shown[0]), target) < 1.0  # the marker moved too


def _draw(m: EditMap, corners: list[tuple[float, float]], *,
          finish: str) -> list[tuple[float, float]]:
    """Tap or click each page pixel; return the map positions clicked."""
    clicked = [m.lonlat(x, y) for x, y in corners]
    for x, y in corners:
        m.press(x, y)
    if finish == "first":
        m.press(*corners[0])
    else:
        m.hit(".zw-edit button.zw-edit-finish")
    return clicked


def test_draw_an_area_and_a_route(officer: StaffBrowser, edit_store: Store) -> None:
    m = EditMap(officer)
    m.view(near(officer.size, 0.0, 250.0))
    m.hit("button.zw-edit-area")
    cx, cy = m.centre()
    corners = [(cx - 80, cy - 60), (cx + 70, cy - 70), (cx + 90, cy + 50), (cx - 60, cy + 80)]
    clicked = _draw(m, corners, finish="first")
    site = f"新工地-{officer.size}"
    m.fill_form(site)
    m.saved()
    stored = by_name(edit_store, site)
    assert stored.properties["category"] == "construction_site"
    ring = list(stored.geometry.exterior.coords)[:-1]
    assert len(ring) == 4
    # the ring may start at any vertex and run either way: match each clicked one to its own
    assert all(min(metres(c, v) for v in ring) < 1.0 for c in clicked)
    m.shot("area")

    m.hit("button.zw-edit-line")  # closes the area's popup
    m.page.wait_for_function("!document.querySelector('.leaflet-popup')")
    points = [(cx - 120, cy + 60), (cx - 20, cy - 20), (cx + 100, cy - 100)]  # over the area
    clicked = _draw(m, points, finish="button")
    route = f"新渣土线路-{officer.size}"
    m.fill_form(route)
    m.saved()
    stored = by_name(edit_store, route)
    assert stored.properties["category"] == "muck_route"
    assert stored.geometry.geom_type == "LineString"
    line = list(stored.geometry.coords)
    assert len(line) == 3 and all(metres(c, v) < 1.0 for c, v in zip(clicked, line, strict=True))
    m.shot("route")


def test_reshape_an_area(officer: StaffBrowser, edit_store: Store) -> None:
    fid = f"RS-{officer.size}"
    corners = [near(officer.size, e, n) for e, n in ((500, 0), (600, 0), (600, 80), (500, 80))]
    seed(edit_store, fid, f"待改工地-{officer.size}", Polygon(corners), "construction_site")
    m = EditMap(officer)
    m.view(near(officer.size, 550.0, 40.0))
    m.press(*m.at(near(officer.size, 520.0, 20.0)))  # inside the area: its outline
    m.start("button.zw-edit-reshape")
    m.page.locator(".zw-edit .zw-edit-save").wait_for()
    grip = m.at(corners[2])
    drop = (grip[0] + 40, grip[1] - 30)
    target = m.lonlat(*drop)
    m.drag(grip, drop)
    m.shot("reshape")
    m.hit(".zw-edit button.zw-edit-save")
    m.saved()
    ring = list(edit_store.get("sources", fid).geometry.exterior.coords)[:-1]
    expected = [corners[0], corners[1], target, corners[3]]
    assert len(ring) == 4 and all(min(metres(e, v) for v in ring) < 1.0 for e in expected)


def test_close_then_reopen_from_the_popup(officer: StaffBrowser, edit_store: Store) -> None:
    fid, at = f"CL-{officer.size}", near(officer.size, 300.0, 200.0)
    seed(edit_store, fid, f"待关停-{officer.size}", Point(*at), "bbq")
    m = EditMap(officer)
    m.view(at)
    m.press(*m.at(at))
    m.hit(".leaflet-popup button.zw-edit-close")
    m.saved()
    assert edit_store.get("sources", fid).properties["status"] == "closed"
    m.page.locator(".leaflet-popup button.zw-edit-reopen").wait_for()  # the popup, redrawn
    assert "已关停" in m.page.locator(".leaflet-popup").inner_text()
    m.shot("closed")
    m.hit(".leaflet-popup button.zw-edit-reopen")
    m.saved()
    assert edit_store.get("sources", fid).properties["status"] == "operating"
    m.page.locator(".leaflet-popup button.zw-edit-close").wait_for()


def _change_over_http(base: str, token: str, fid: str, name: str) -> None:
    """Another office renames the source through the API, with its own token and ETag."""
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{base}/collections/sources/items/{fid}"
    with urllib.request.urlopen(urllib.request.Request(url, headers=auth)) as answer:
        etag = answer.headers["ETag"]
    body = json.dumps({"properties": {"name": name}}).encode()
    patch = urllib.request.Request(url, data=body, method="PATCH", headers={
        **auth, "If-Match": etag, "Content-Type": "application/merge-patch+json"})
    with urllib.request.urlopen(patch) as answer:
        assert answer.status == 200


def test_a_stale_edit_shows_the_conflict_and_keeps_the_other_change(
        officer: StaffBrowser, edit_store: Store, edit_url: str) -> None:
    fid, start = f"ST-{officer.size}", near(officer.size, 600.0, 300.0)
    seed(edit_store, fid, f"冲突源-{officer.size}", Point(*start))
    token, _ = issue_token(edit_store, name=f"other-office-{officer.size}", role="editor")
    m = EditMap(officer)
    m.view(start)
    m.press(*m.at(start))
    m.start("button.zw-edit-move")
    m.page.locator(".zw-edit-handle").wait_for()  # the page has read the source: its ETag
    renamed = f"他人已改名-{officer.size}"
    _change_over_http(edit_url, token, fid, renamed)
    grip = m.at(start)
    m.drag(grip, (grip[0] + 60, grip[1] + 40))
    m.hit(".zw-edit button.zw-edit-confirm")
    note = m.saved("未保存")
    assert "已被他人修改" in note
    stored = edit_store.get("sources", fid)
    assert stored.properties["name"] == renamed
    assert metres((stored.geometry.x, stored.geometry.y), start) < 0.01
    popup = m.page.locator(".leaflet-popup .zw-popup-title")
    popup.filter(has_text=renamed).wait_for()  # the source, reloaded as it is now
    m.shot("conflict")


@pytest.mark.parametrize("who", ["viewer1", None], ids=["viewer", "anonymous"])
def test_no_edit_tools_nor_csrf_token_for_a_viewer_or_anonymous(
        who: str | None, chromium: Any, edit_url: str) -> None:
    browser = StaffBrowser(chromium, edit_url, "desktop")
    try:
        if who:
            browser.sign_in(who, PASSWORD)
        html = browser.page.request.get(edit_url + "/map").text()  # with this browser's cookies
        m = EditMap(browser)
        assert m.page.evaluate("JSON.parse(document.getElementById('zonewatch-config')"
                               ".textContent).edit") is None
        assert "csrfToken" not in html and "csrf_token" not in html
        assert not any("geoman" in u or "zonewatch-edit" in u for u in browser.requests)
        assert m.page.evaluate("typeof L.PM") == "undefined"
        assert m.page.locator(".zw-edit").count() == 0
        m.view(CORNER["desktop"], 12)
        m.page.evaluate("zonewatch.open('S-1')")
        m.page.locator(".leaflet-popup .zw-popup-title").wait_for()
        assert m.page.locator(".zw-edit-actions").count() == 0
    finally:
        browser.close()


def test_an_editors_map_carries_the_token_and_is_never_cached(officer: StaffBrowser) -> None:
    answer = officer.go("/map")
    assert answer.headers["cache-control"] == "no-store"
    config = officer.page.evaluate(
        "JSON.parse(document.getElementById('zonewatch-config').textContent).edit")
    cookie_csrf = officer.page.evaluate("""async () => {
        const r = await fetch('/collections/sources/items/S-1', {method: 'PATCH',
          headers: {'Content-Type': 'application/merge-patch+json', 'If-Match': '"x"'},
          body: '{}'}); return r.status; }""")
    assert config["user"] == "editor1" and len(config["csrfToken"]) >= 32
    assert cookie_csrf == 403  # the cookie alone writes nothing: the token must come too


def test_on_an_amap_basemap_what_is_stored_is_wgs84(officer: StaffBrowser,
                                                     edit_store: Store) -> None:
    m = EditMap(officer, "basemap=amap")
    assert m.page.evaluate("zonewatch.datum") == "gcj02"
    shown = from_lonlat(*near(officer.size, -300.0, 0.0), crs="gcj02")
    m.view((float(shown[0]), float(shown[1])))
    m.hit("button.zw-edit-add")
    x, y = m.centre(-30, 40)
    clicked = m.lonlat(x, y)  # GCJ-02, as the basemap draws it
    m.press(x, y)
    name = f"高德底图新增-{officer.size}"
    m.fill_form(name)
    m.saved()
    stored = by_name(edit_store, name)
    lon, lat = to_lonlat(*clicked, crs="gcj02")
    assert metres((stored.geometry.x, stored.geometry.y), (float(lon), float(lat))) < 1.0
    assert metres(clicked, (stored.geometry.x, stored.geometry.y)) > 100  # it was converted

    m.hit("button.zw-edit-here")  # the GPS speaks WGS84: stored as is, shown shifted
    m.page.locator("form.zw-edit-form").wait_for()
    popup = m.page.evaluate("(() => { const p = zonewatch.map._popup.getLatLng(); "
                            "return [p.lng, p.lat]; })()")
    gps = near(officer.size, 120.0, -80.0)
    expected = from_lonlat(*gps, crs="gcj02")
    assert metres((popup[0], popup[1]), (float(expected[0]), float(expected[1]))) < 1.0
    here = f"高德底图定位-{officer.size}"
    m.fill_form(here)
    m.saved()
    stored = by_name(edit_store, here)
    assert metres((stored.geometry.x, stored.geometry.y), gps) < 1.0


def test_a_hostile_name_stays_text_in_every_edit_message(officer: StaffBrowser,
                                                         edit_store: Store) -> None:
    fid, at = f"HX-{officer.size}", near(officer.size, -200.0, 300.0)
    seed(edit_store, fid, HOSTILE_NAME, Point(*at), "bbq")
    m = EditMap(officer)
    m.view(at)
    m.press(*m.at(at))
    m.start("button.zw-edit-move")
    m.page.locator(".zw-edit-handle").wait_for()
    grip = m.at(at)
    m.drag(grip, (grip[0] + 30, grip[1] + 30))
    assert HOSTILE_NAME in m.page.locator(".zw-edit-hint").inner_text()  # the confirmation
    m.hit(".zw-edit button.zw-edit-confirm")
    assert HOSTILE_NAME in m.saved()
    assert m.page.locator("img[src=x]").count() == 0  # and no dialog ran (officer.close)
