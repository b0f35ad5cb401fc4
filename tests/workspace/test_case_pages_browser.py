"""A case round the whole loop in a real Chromium: reported on a phone, run from a desk.

An editor on a 390×844 touch screen reports an open-air barbecue with a
photo and coordinates pasted from Amap (GCJ-02); a dispatcher at a
1440×900 desk files and dispatches it; the editor handles it, the re-check
fails (rework count 1 shown), the editor handles it again and it passes;
the dispatcher closes it. Each step is checked on the store the live
server writes to; the timeline shows every step; no page scrolls sideways;
no script of the hostile text runs. Screenshots: ``tests/artifacts/case-*.png``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod
from shapely.geometry import Point, box

from geo import writes
from geo.accounts import add_account
from geo.cases import act_on_case, report_case
from geo.crs import wgs84_to_gcj02
from geo.ledger import Feature
from geo.store import Store
from tests._support.browser import ARTIFACTS, StaffBrowser
from tests._support.images import jpeg
from tests._support.live_server import serve_store
from tests._support.stores import STORE_KINDS, make_store
from tests._support.workspace import PASSWORD, seed_workspace

GEOD = Geod(ellps="WGS84")
SPOT = (113.6672, 34.7586)  # WGS84, inside the grid
XSS = "<img src=x onerror=alert(1)>{{ 7*7 }}"
LOOP = ["report", "file", "dispatch", "handle", "verify", "handle", "verify", "close"]


@pytest.fixture(scope="module", params=STORE_KINDS)
def case_store(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The workspace ledger, a dispatcher and one grid cell around the spot."""
    for store in make_store(request.param, tmp_path_factory.mktemp("cases")):
        seed_workspace(store)
        add_account(store, username="disp1", role="dispatcher", password=PASSWORD)
        writes.create(store, "grids", Feature("G-1", {
            "name": "甲网格", "community": "甲社区", "subdistrict": "林山寨街道"},
            box(113.66, 34.75, 113.68, 34.77)), actor="seed")
        yield store


@pytest.fixture(scope="module")
def case_url(case_store: Store) -> Iterator[str]:
    with serve_store(case_store) as url:
        yield url


@pytest.fixture
def phone(chromium: Any, case_url: str) -> Iterator[StaffBrowser]:
    browser = StaffBrowser(chromium, case_url, "phone", has_touch=True, is_mobile=True)
    yield browser
    browser.close()


@pytest.fixture
def desk(chromium: Any, case_url: str) -> Iterator[StaffBrowser]:
    browser = StaffBrowser(chromium, case_url, "desktop")
    yield browser
    browser.close()


def shot(person: StaffBrowser, name: str) -> None:
    """Save ``tests/artifacts/case-<name>-<size>.png`` after checking nothing scrolls sideways."""
    page = person.page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"case-{name}-{person.size}.png"), full_page=True)


def take(person: StaffBrowser, action: str, **fields: str) -> None:
    """Fill the ``action`` form of the open case page and submit it; wait for the case again."""
    page = person.page
    form = page.locator(f"form.act-{action}")
    for name, value in fields.items():
        if name == "passed":
            form.locator(f"input[name=passed][value={value}]").check()
        else:
            form.locator(f"[name={name}]").fill(value)
    button = form.locator("button[type=submit]")
    button.tap() if person.size == "phone" else button.click()
    page.wait_for_url(f"**done={action}**")
    page.wait_for_load_state()


def status(store: Store, fid: str) -> tuple[str, int]:
    p = store.get("cases", fid).properties
    return str(p["status"]), int(p["rework"])


def report_on_the_phone(phone: StaffBrowser, tmp_path: Path) -> str:
    """Report the case as the editor would, from the home page; return its id."""
    page = phone.page
    phone.sign_in("editor1", PASSWORD)
    page.locator("header.site nav.main a[href='/cases']").tap()
    page.wait_for_url("**/cases")
    shot(phone, "list-empty")
    page.locator("a.new-case").tap()
    page.wait_for_url("**/cases/new")
    page.select_option("#f-event_type", "open_air_bbq")
    page.select_option("#f-channel", "patrol")
    typed = wgs84_to_gcj02(*SPOT)
    page.fill("#f-coords", f"{typed[0]:.6f},{typed[1]:.6f}")
    page.select_option("#f-crs", "gcj02")
    page.fill("#f-description", XSS)
    photo = tmp_path / "stall.jpg"
    photo.write_bytes(jpeg())
    page.set_input_files("#f-photos", str(photo))
    shot(phone, "report")
    page.locator("form.record button[type=submit]").tap()
    page.wait_for_url("**/cases/C-*")
    page.wait_for_load_state()
    return page.url.rsplit("/", 1)[1]


def test_a_case_goes_round_the_loop(phone: StaffBrowser, desk: StaffBrowser,
                                    case_store: Store, tmp_path: Path) -> None:
    fid = report_on_the_phone(phone, tmp_path)
    case = case_store.get("cases", fid)
    assert GEOD.inv(case.geometry.x, case.geometry.y, *SPOT)[2] < 1.0
    assert (case.properties["grid"], case.properties["reported_by"]) == ("甲网格", "editor1")
    assert phone.page.locator("td.description").inner_text() == XSS
    assert phone.page.locator("ol.steps img").count() == 1
    assert phone.page.locator("form.act").count() == 0  # an editor does not file
    shot(phone, "reported")

    desk.sign_in("disp1", PASSWORD)
    desk.go(f"/cases/{fid}")
    assert desk.page.locator("form.act").evaluate_all(
        "forms => forms.map(f => f.querySelector('[name=action]').value)") == ["file", "reject"]
    take(desk, "file")
    take(desk, "dispatch", unit="林山寨街道城管中队", notes="请两小时内处置")
    assert status(case_store, fid) == ("dispatched", 0)
    assert "剩余" in desk.page.locator("td.deadline").inner_text()
    shot(desk, "dispatched")

    phone.page.reload()
    take(phone, "handle", notes="已劝离")
    take(phone, "verify", passed="false", notes="复查时又在经营")
    assert status(case_store, fid) == ("dispatched", 1)
    assert phone.page.locator(".badge.rework").inner_text() == "返工 1 次"
    assert phone.page.locator("td.rework").inner_text() == "1"
    shot(phone, "rework")
    take(phone, "handle", notes="已取缔，设备暂扣")
    take(phone, "verify", passed="true")
    assert status(case_store, fid) == ("verified", 1)

    desk.page.reload()
    take(desk, "close", notes="结案")
    assert status(case_store, fid) == ("closed", 1)
    steps = desk.page.locator("ol.steps > li")
    assert steps.evaluate_all("items => items.map(i => i.dataset.action)") == LOOP
    assert "核查不通过，返工" in desk.page.locator("ol.steps").inner_text()
    assert desk.page.locator("form.act").count() == 0
    shot(desk, "closed")
    phone.page.reload()
    shot(phone, "closed")

    phone.go("/cases")
    row = phone.page.locator(f"tr[data-id='{fid}']")
    assert "结案" in row.inner_text() and "按期结案" in row.inner_text()
    shot(phone, "list")
    late = overdue_case(case_store)
    desk.go("/cases?overdue=true")
    assert desk.page.locator("tr[data-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.id)") == [late]
    assert "超期 3小时" in desk.page.locator(f"tr[data-id='{late}']").inner_text()
    shot(desk, "overdue")
    phone.go("/cases?overdue=true")
    shot(phone, "overdue")


def overdue_case(store: Store) -> str:
    """Store a case dispatched five hours ago with a two-hour limit: three hours overdue."""
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)
    case = report_case(store, event_type="open_air_bbq", point=Point(*SPOT), actor="editor1",
                       at=start, channel="hotline", description="夜市烧烤")
    for action, fields in (("file", {}), ("dispatch", {"unit": "林山寨街道城管中队"})):
        act_on_case(store, str(case.id), action, actor="disp1", role="dispatcher", at=start,
                    **fields)
    return str(case.id)
