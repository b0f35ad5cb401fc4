"""Every workspace page in a real Chromium: hostile text stays text, phones need no sideways scroll.

The ledger here holds a station, a source, an inspection and a community
whose every text field is an HTML or template payload. Each page is opened
on a desktop and on a phone: no payload runs (no dialog, no injected
element), the payload is shown as the text it is, the page fits the
phone's width, and a screenshot goes to ``tests/artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from shapely import Point

from geo import writes
from geo.ledger import Feature, bureau_today
from geo.store import Store
from tests._support.browser import SIZES, StaffBrowser
from tests._support.workspace import HOSTILE_NAME, PASSWORD

TEMPLATE = "{{ 7*7 }}{% raw %}"
HOSTILE = HOSTILE_NAME + TEMPLATE


@pytest.fixture(scope="module", autouse=True)
def hostile_records(workspace_store: Store) -> None:
    """A station, a source and an inspection whose every text field is a payload."""
    writes.create(workspace_store, "stations", Feature("M-X", {
        "name": HOSTILE, "address": HOSTILE}, Point(113.6700, 34.7700)), actor="seed")
    writes.create(workspace_store, "sources", Feature("S-X", {
        "name": HOSTILE, "category": "bbq", "address": HOSTILE, "subdistrict": HOSTILE,
        "community": HOSTILE, "grid": HOSTILE, "notes": HOSTILE},
        Point(113.6701, 34.7701)), actor="seed")
    writes.create(workspace_store, "inspections", Feature("I-X", {
        "source_id": "S-X", "date": bureau_today().isoformat(), "round": 1,
        "result": "violation", "inspector": HOSTILE, "notes": HOSTILE}), actor="seed")


#: Page name -> path; each shows the payload somewhere in its main part.
PAGES = {
    "home": "/",
    "ledger": "/ledger?q=" + quote("img"),
    "source": "/ledger/S-X",
    "source-edit": "/ledger/S-X/edit",
    "inspect": "/ledger/S-X/inspect",
    "rounds": "/rounds?round=1",
    "round-sheet": "/rounds/" + quote(HOSTILE, safe="") + "?round=1",
    "stations": "/stations",
    "station": "/stations/M-X",
    "station-edit": "/stations/M-X/edit",
    "inspections": "/inspections",
    "inspection": "/inspections/I-X",
    "inspection-edit": "/inspections/I-X/edit",
    "history": "/collections/sources/items/S-X/history?f=html",
    "source-inspections": "/collections/sources/items/S-X/inspections?f=html",
    "campaign": "/campaigns/1?f=html",
    "report-community": "/reports/summary?by=community&f=html",
    "map": "/map",
}
#: Pages whose payload is only in form values, not in the text.
_IN_INPUTS = {"source-edit", "station-edit", "inspection-edit"}
#: Pages that list only what is due in a round: the seeded catering premise S-4, not the bbq S-X.
_SHOWS_S4 = {"campaign"}
#: Pages that show no ledger text at all (counts only) or draw it in the map's own script.
_NO_TEXT = {"home", "map", "report-community", "rounds"}


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def editor(chromium: Any, workspace_url: str, size: str) -> Iterator[StaffBrowser]:
    person = StaffBrowser(chromium, workspace_url, size)
    person.sign_in("editor1", PASSWORD)
    yield person
    person.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_shows_hostile_text_as_text_and_fits_a_phone(
        editor: StaffBrowser, name: str) -> None:
    answer = editor.go(PAGES[name])
    assert answer.status == 200, (name, answer.status)
    page = editor.page
    page.wait_for_load_state("networkidle")
    assert page.locator("img[src=x]").count() == 0, name
    assert "49" not in page.title()
    if name in _IN_INPUTS:
        values = page.eval_on_selector_all(
            "input[type=text], textarea", "els => els.map(e => e.value)")
        assert HOSTILE in values, name
    elif name not in _NO_TEXT:
        shown = HOSTILE_NAME if name in _SHOWS_S4 else HOSTILE
        assert shown in page.inner_text("main"), name
    if editor.size == "phone":
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} scrolls sideways by {overflow} px on a phone"
    editor.shot(f"page-{name}")
