"""How many clicks each staff task takes from the home page, walked in a real Chromium.

Each task is the list of links a new officer clicks, starting on the home
page after signing in; the test clicks exactly those (nothing typed into the
address bar) and checks where they lead. The counts are the ones the
closing note of the workspace issue quotes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests._support.browser import SIZES, StaffBrowser
from tests._support.workspace import PASSWORD

NAV = "header.site nav.main "
#: task -> (who, the links clicked from home, the page it ends on)
TASKS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "priority list": ("viewer1", ("a.card[href='/ledger?priority=true']",),
                      "/ledger?priority=true"),
    "re-check list": ("viewer1", ("a.card[href='/ledger?recheck=true']",), "/ledger?recheck=true"),
    "not checked this round": ("viewer1", ("a.card[href='/ledger?overdue=true']",),
                               "/ledger?overdue=true"),
    "add a source": ("editor1", (NAV + "a[href='/ledger']", "a[href='/ledger/new']"),
                     "/ledger/new"),
    "edit a source": ("editor1", (NAV + "a[href='/ledger']", "tr[data-id='S-1'] a",
                                  "a[href='/ledger/S-1/edit']"), "/ledger/S-1/edit"),
    "record an inspection": ("editor1", (NAV + "a[href='/ledger']", "tr[data-id='S-1'] a",
                                         "a[href='/ledger/S-1/inspect']"), "/ledger/S-1/inspect"),
    "a community's round sheet": ("editor1", (NAV + "a[href='/rounds']",
                                              "table.communities a:text('甲社区')"),
                                  "/rounds/%E7%94%B2%E7%A4%BE%E5%8C%BA?round=1"),
    "the inspections list": ("viewer1", (NAV + "a[href='/rounds']", "a.inspections"),
                             "/inspections?round=1"),
    "import a file": ("editor1", (NAV + "a[href='/ledger/import']",), "/ledger/import"),
    "a station's page": ("viewer1", ("a[href='/stations/M-1']",), "/stations/M-1"),
    "add a station": ("editor1", ("h2 a[href='/stations']", "a[href='/stations/new']"),
                      "/stations/new"),
    "reports": ("viewer1", (NAV + "a[href^='/reports/summary']",), "/reports/summary?f=html"),
    "accounts": ("admin1", (NAV + "a[href='/admin/users']",), "/admin/users"),
}


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def person(chromium: Any, workspace_url: str, size: str) -> Iterator[StaffBrowser]:
    browser = StaffBrowser(chromium, workspace_url, size)
    yield browser
    browser.close()


@pytest.mark.parametrize("task", list(TASKS))
def test_each_task_is_a_few_clicks_from_home(person: StaffBrowser, task: str) -> None:
    who, clicks, ends_on = TASKS[task]
    person.sign_in(who, PASSWORD)
    page = person.page
    assert page.url == person.base + "/"  # signing in lands on home
    for selector in clicks:
        page.locator(selector).first.click()
        page.wait_for_load_state()
    assert page.url == person.base + ends_on, task


def test_the_excel_of_a_station_s_radius_is_one_click(person: StaffBrowser) -> None:
    person.sign_in("viewer1", PASSWORD)
    with person.page.expect_download() as download:
        person.page.click("tr[data-station='M-1'] a.xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
