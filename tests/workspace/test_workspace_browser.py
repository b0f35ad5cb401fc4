"""Staff tasks end to end in a real Chromium, on a desktop and on a phone.

Each test works through the pages as an officer would (typing, clicking,
downloading) and then asserts on what the store holds. Screenshots of every
page go to ``tests/artifacts/workspace-*.png`` at both sizes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyproj import Geod

from geo import writes
from geo.crs import gcj02_to_wgs84
from geo.store import Store
from tests._support.browser import SIZES, StaffBrowser
from tests._support.images import jpeg
from tests._support.workspace import HOSTILE_NAME, PASSWORD

GCJ = (113.671231, 34.755820)


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def officer(chromium: Any, workspace_url: str, size: str) -> Iterator[StaffBrowser]:
    person = StaffBrowser(chromium, workspace_url, size)
    yield person
    person.close()


def test_sign_in_and_find_the_ledger_from_home(officer: StaffBrowser) -> None:
    officer.go("/")
    officer.shot("home-anonymous")
    officer.sign_in("editor1", PASSWORD)
    page = officer.page
    assert "editor1" in page.inner_text("header.site")
    officer.shot("home")
    page.click("a.card[href='/ledger?priority=true']")  # one click: the priority targets
    page.wait_for_load_state()
    ids = page.eval_on_selector_all("tr[data-id]", "rows => rows.map(r => r.dataset.id)")
    assert sorted(ids) == ["S-1", "S-2", "S-4"]
    officer.shot("ledger-priority")
    cookies = {c["name"]: c for c in officer.context.cookies()}
    assert cookies["zw_session"]["httpOnly"] and cookies["zw_session"]["sameSite"] == "Lax"


def test_the_excel_of_a_station_holds_the_rows_the_table_shows(officer: StaffBrowser) -> None:
    officer.sign_in("viewer1", PASSWORD)
    page = officer.page
    page.click("a[href='/ledger?station=M-1']")  # home -> the station's ledger
    page.wait_for_load_state()
    shown = page.eval_on_selector_all("tr[data-id]", "rows => rows.map(r => r.dataset.id)")
    with page.expect_download() as download:
        page.click("a.xlsx")  # second click: the Excel of exactly this selection
    path = download.value.path()
    sheet = openpyxl.load_workbook(io.BytesIO(open(path, "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and [r[0] for r in rows[1:]] == shown
    assert len(shown) == 3


def test_add_a_source_with_amap_coordinates(officer: StaffBrowser,
                                            workspace_store: Store) -> None:
    officer.sign_in("editor1", PASSWORD)
    page = officer.page
    page.click("nav.main a[href='/ledger']")
    page.click("a[href='/ledger/new']")
    page.fill("#f-name", f"夜市新摊点-{officer.size}")
    page.select_option("#f-category", "bbq")
    page.fill("#f-community", "乙社区")
    page.fill("#f-coords", f"{GCJ[0]},{GCJ[1]}")
    page.select_option("#f-crs", "gcj02")
    officer.shot("source-form")
    page.click("form.record button[type=submit]")
    page.wait_for_load_state()
    fid = page.url.rsplit("/", 1)[1]
    stored = workspace_store.get("sources", fid)
    lon, lat = gcj02_to_wgs84(*GCJ)
    assert stored.geometry is not None
    assert Geod(ellps="WGS84").inv(stored.geometry.x, stored.geometry.y,
                                   float(lon), float(lat))[2] < 1.0
    assert workspace_store.history("sources", fid)[-1].actor == "editor1"
    officer.shot("source")


def test_record_an_inspection_with_a_photo(officer: StaffBrowser, workspace_store: Store,
                                           tmp_path: Path) -> None:
    officer.sign_in("editor1", PASSWORD)
    page = officer.page
    officer.go("/ledger/S-1")
    page.click("a[href='/ledger/S-1/inspect']")
    page.select_option("#f-result", "violation")
    page.select_option("#f-fume_purifier", "installed")
    page.fill("#f-notes", f"净化器未开启-{officer.size}")
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg((1200, 900)))
    page.set_input_files("#f-photos", str(photo))
    officer.shot("inspection-form")
    page.click("form.record button[type=submit]")
    page.wait_for_load_state()
    visits = workspace_store.read("inspections")
    mine = visits[visits["notes"] == f"净化器未开启-{officer.size}"]
    assert len(mine) == 1 and mine.iloc[0]["result"] == "violation"
    photos = workspace_store.photos.of_inspections([str(mine.iloc[0]["id"])])
    assert len(next(iter(photos.values()))) == 1
    thumbs = page.locator("td.photos img")
    assert thumbs.count() >= 1
    assert page.evaluate("img => img.naturalWidth", thumbs.first.element_handle()) > 0
    officer.shot("source-inspected")


def test_a_form_with_mistakes_keeps_what_was_typed(officer: StaffBrowser) -> None:
    officer.sign_in("editor1", PASSWORD)
    page = officer.page
    officer.go("/ledger/new")
    page.fill("#f-name", "只填了名称")
    page.click("form.record button[type=submit]")
    page.wait_for_load_state()
    assert page.get_attribute("#f-category", "aria-invalid") == "true"
    assert page.get_attribute("#f-coords", "aria-invalid") == "true"
    assert page.input_value("#f-name") == "只填了名称"
    officer.shot("source-form-errors")


def test_a_stale_edit_shows_the_conflict_and_overwrites_nothing(
        officer: StaffBrowser, workspace_store: Store) -> None:
    officer.sign_in("editor1", PASSWORD)
    page = officer.page
    officer.go("/ledger/S-3/edit")
    page.fill("#f-address", "我的新地址")
    current = workspace_store.get("sources", "S-3")
    writes.update(workspace_store, "sources", "S-3", {"address": f"张三改的-{officer.size}"},
                  expected_version=current.version, actor="张三")
    page.click("form.record button[type=submit]")
    page.wait_for_load_state()
    assert "张三" in page.inner_text("main") and "我的新地址" in page.inner_text("main")
    assert workspace_store.get("sources", "S-3").properties["address"] == \
        f"张三改的-{officer.size}"
    officer.shot("conflict")


def test_a_viewer_has_no_edit_buttons_and_forged_posts_fail(
        officer: StaffBrowser, workspace_store: Store) -> None:
    officer.sign_in("viewer1", PASSWORD)
    page = officer.page
    officer.go("/ledger/S-1")
    assert page.locator("a[href='/ledger/S-1/edit']").count() == 0
    assert page.locator("form[action='/ledger/S-1/close']").count() == 0
    token = page.get_attribute("input[name=csrf_token]", "value")
    forged = page.request.post(officer.base + "/ledger/S-1/close",
                               form={"csrf_token": token or "", "version": "1"})
    assert forged.status == 403
    no_token = page.request.post(officer.base + "/ledger/S-1/close", form={"version": "1"})
    assert no_token.status == 403
    assert workspace_store.get("sources", "S-1").properties["status"] == "operating"
    officer.shot("source-viewer")


def test_hostile_text_is_text_on_every_page(officer: StaffBrowser) -> None:
    officer.sign_in("editor1", PASSWORD)
    page = officer.page
    for path in ("/", "/ledger", "/ledger/S-4", "/ledger/S-4/edit", "/ledger?q=img"):
        officer.go(path)
        assert page.locator("img[src=x]").count() == 0, path
        if path.endswith("/edit"):
            assert page.input_value("#f-name") == HOSTILE_NAME  # the value, as typed
        elif path != "/":
            assert HOSTILE_NAME in page.inner_text("main"), path


def test_the_english_switch(officer: StaffBrowser) -> None:
    officer.sign_in("editor1", PASSWORD)
    page = officer.page
    officer.go("/ledger")
    page.click("header.site a.lang")
    page.wait_for_load_state()
    assert re.search(r"\d+ sources", page.inner_text("main"))
    assert page.get_attribute("html", "lang") == "en"
    officer.shot("ledger-en")
    page.click("header.site a.lang")
