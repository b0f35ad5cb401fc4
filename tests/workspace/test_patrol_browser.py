"""The night patrol on a phone, in a real Chromium: locate, shut a stall, record a new one.

A 390×844 touch screen whose GPS reports a fixed position. An editor signs
in and taps, from the home page: 巡查, 定位我的位置, 现场取缔 on the nearest
open priority target, 此处发现新摊点. Every tap is counted (the flow's
count is the one the field map issue quotes), each step is checked on the
store the live server writes to, the page never scrolls sideways, every
button is at least 48 px tall and its text has at least 7:1 contrast.
Screenshots go to ``tests/artifacts/patrol-*.png``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pyproj import Geod
from shapely import Point

from geo import writes
from geo.ledger import Feature, bureau_today
from geo.store import Store
from tests._support.browser import ARTIFACTS, StaffBrowser
from tests._support.live_server import serve_store
from tests._support.stores import STORE_KINDS, make_store
from tests._support.workspace import PASSWORD, STATION, seed_workspace

GEOD = Geod(ellps="WGS84")
PHONE = (113.6668, 34.7590)  # where the phone's GPS says the officer stands
#: How many taps the whole flow takes from the home page (巡查, 定位, 取缔, 新摊点).
FLOW_TAPS = 4
NAV = "header.site nav.main "

CONTRAST = """(el) => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => { const [r, g, b] = c.map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let node = el, back = 'rgba(0, 0, 0, 0)';
  while (node && /rgba\\(.*, 0\\)$/.test(back)) { back = getComputedStyle(node).backgroundColor;
    node = node.parentElement; }
  if (/rgba\\(.*, 0\\)$/.test(back)) { back = 'rgb(255, 255, 255)'; }
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(back))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def fwd(azimuth: float, dist_m: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(*PHONE, azimuth, dist_m)
    return float(lon), float(lat)


@pytest.fixture(scope="module", params=STORE_KINDS)
def patrol_store(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The workspace ledger plus a night market street around the phone (the nearest closed)."""
    for store in make_store(request.param, tmp_path_factory.mktemp("patrol")):
        seed_workspace(store)
        stalls = [("N-closed", "已关停烤串", 0.0, 15.0, "closed"),
                  ("N-open", "老李烤串", 120.0, 35.0, "operating"),
                  *((f"N-{k:02d}", f"夜市摊位{k}", 25.0 * k, 60.0 + 45.0 * k, "operating")
                    for k in range(14))]
        for fid, name, azimuth, dist_m, status in stalls:
            writes.create(store, "sources", Feature(fid, {
                "name": name, "category": "bbq", "status": status, "community": "甲社区"},
                Point(*fwd(azimuth, dist_m))), actor="seed")
        yield store


@pytest.fixture(scope="module")
def patrol_url(patrol_store: Store) -> Iterator[str]:
    with serve_store(patrol_store) as url:
        yield url


@pytest.fixture
def phone(chromium: Any, patrol_url: str) -> Iterator[StaffBrowser]:
    browser = StaffBrowser(chromium, patrol_url, "phone", has_touch=True, is_mobile=True,
                           geolocation={"longitude": PHONE[0], "latitude": PHONE[1]},
                           permissions=["geolocation"])
    yield browser
    browser.close()


def shot(phone: StaffBrowser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    phone.page.screenshot(path=str(ARTIFACTS / f"patrol-{name}.png"), full_page=True)


def check_fits(phone: StaffBrowser) -> None:
    """No sideways scroll; buttons >= 48 px tall; button and list text >= 7:1 contrast."""
    page = phone.page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for button in page.locator(".big:visible").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 48, button.inner_text()
        assert button.evaluate(CONTRAST) >= 7.0, button.inner_text()
    for text in page.locator("ol.near li .meta, ol.near .dist, ol.near .mark, .here").all():
        assert text.evaluate(CONTRAST) >= 7.0, text.inner_text()


def tap(phone: StaffBrowser, selector: str, *, lands_on: str) -> None:
    """Tap the first ``selector`` and wait for the page it leads to."""
    phone.page.locator(selector).first.tap()
    phone.page.wait_for_url(f"**{lands_on}**")
    phone.page.wait_for_load_state()


def test_an_officer_shuts_a_stall_and_records_a_new_one(phone: StaffBrowser,
                                                        patrol_store: Store) -> None:
    phone.sign_in("editor1", PASSWORD)
    assert phone.page.url == phone.base + "/"
    visits, sources = patrol_store.count("inspections"), patrol_store.count("sources")
    started, taps = time.monotonic(), 0

    tap(phone, NAV + "a[href='/patrol']", lands_on="/patrol")
    taps += 1
    check_fits(phone)
    shot(phone, "start")
    tap(phone, "#locate", lands_on="/patrol?lon=")
    taps += 1
    items = phone.page.locator("ol.near li")
    assert items.first.get_attribute("data-id") == "N-closed"  # nearest, but shut already
    target = phone.page.locator("ol.near li.priority").first
    assert target.get_attribute("data-id") == "N-open"
    assert "N-closed" not in (phone.page.locator("form.shut").first.get_attribute("action") or "")
    check_fits(phone)
    shot(phone, "list")

    tap(phone, "ol.near li.priority button.shut", lands_on="done=shut")
    taps += 1
    shut = patrol_store.get("sources", "N-open").properties
    assert (shut["status"], shut["last_inspected"]) == ("closed", bureau_today().isoformat())
    assert patrol_store.count("inspections") == visits + 1
    assert "老李烤串 现场取缔" in phone.page.locator("#notice").inner_text()
    shot(phone, "shut")

    tap(phone, "button.new-stall[value='violation']", lands_on="done=new")
    taps += 1
    assert patrol_store.count("sources") == sources + 1
    assert patrol_store.count("inspections") == visits + 2
    landed = parse_qs(urlsplit(phone.page.url).query)
    new_id, case_id = landed["sid"][0], landed["case"][0]
    stall = patrol_store.get("sources", new_id)
    # still trading: its case opened with it (the box is ticked unless the officer unticks it)
    case = patrol_store.get("cases", case_id).properties
    assert (case["source_id"], case["channel"], case["status"]) == (new_id, "patrol", "reported")
    assert phone.page.locator(f"#notice a[href='/cases/{case_id}']").count() == 1
    assert stall.properties["category"] == "bbq" and stall.properties["status"] == "operating"
    assert stall.geometry is not None
    assert GEOD.inv(stall.geometry.x, stall.geometry.y, *PHONE)[2] < 1.0
    assert phone.page.locator("ol.near li").first.get_attribute("data-id") == new_id
    check_fits(phone)
    shot(phone, "new-stall")

    assert taps == FLOW_TAPS
    assert time.monotonic() - started < 60.0


def test_a_viewer_on_a_phone_sees_the_list_without_buttons(phone: StaffBrowser) -> None:
    phone.sign_in("viewer1", PASSWORD)
    phone.go(f"/patrol?lon={STATION[0]}&lat={STATION[1]}")
    assert phone.page.locator("ol.near li").count() >= 4
    assert phone.page.locator("form.shut, form.stall, form.case").count() == 0
    check_fits(phone)
    shot(phone, "viewer")
