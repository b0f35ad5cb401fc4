"""Map fixtures: a demo ledger with hostile names, a live server, a real Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from geo.demo import load_demo
from geo.store import Store
from tests._support.browser import CHROMIUM_ARGS
from tests._support.live_server import serve_store
from tests._support.map_ledger import TIANDITU_KEY, add_hostile
from tests._support.map_visit import BLANK_PNG, READY, MapVisit, origin
from tests._support.stores import STORE_KINDS, make_store


@pytest.fixture(scope="package", params=STORE_KINDS)
def map_store(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Store]:
    """The demo ledger plus three sources with hostile names, per store kind."""
    for store in make_store(request.param, tmp_path_factory.mktemp("maps")):
        load_demo(store)
        add_hostile(store)
        yield store


@pytest.fixture(scope="package")
def map_url(map_store: Store) -> Iterator[str]:
    """Base URL of ``zonewatch serve`` over ``map_store`` (own process, loopback)."""
    with serve_store(map_store, tianditu_key=TIANDITU_KEY) as url:
        yield url


@pytest.fixture(scope="session")
def browser(playwright, tmp_path_factory) -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
        headless=True, viewport={"width": 1400, "height": 900})
    yield context
    context.close()


@pytest.fixture(scope="module")
def chromium(playwright: Any) -> Iterator[Any]:
    """Debian's headless Chromium, shared by every test of one module."""
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def fresh_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh zh-CN context of ``chromium``; close them all after the test.

    The keyword arguments are those of Playwright's ``Browser.new_context``.
    """
    contexts = []

    def open_page(**options: Any) -> Any:
        context = chromium.new_context(locale="zh-CN", **options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@dataclass
class OpenedMap(MapVisit):
    """A page ``open_map`` loaded, with the dialogs it opened too."""

    dialogs: list[str] = field(default_factory=list)

    settle_ms = 500  # the last tiles of a whole map take a moment longer


@pytest.fixture
def open_map(browser) -> Iterator[Callable[[str], OpenedMap]]:
    """Open a map URL, record every request, error and dialog; wait until drawn.

    Tile requests to our proxy are answered with a blank tile in the browser,
    so no test ever makes the server fetch a real tile from the internet.
    """
    pages = []

    def visit(url: str) -> OpenedMap:
        page = browser.new_page()
        pages.append(page)
        seen = OpenedMap(page, origin(url))
        seen.listen()
        page.on("dialog", lambda dlg: (seen.dialogs.append(dlg.message), dlg.dismiss()))
        page.route("**/map/tiles/**", lambda route: route.fulfill(
            status=200, content_type="image/png", body=BLANK_PNG))
        page.goto(url)
        page.wait_for_function(READY, timeout=30_000)
        return seen

    yield visit
    for page in pages:
        page.close()


@pytest.fixture(scope="package")
def map_client(map_store: Store) -> Iterator[object]:
    """A TestClient over ``map_store`` with a (fake) Tianditu key configured."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    settings = Settings(store=map_store.url, seed_demo=False, tianditu_key=TIANDITU_KEY)
    with TestClient(create_app(settings, store=map_store)) as client:
        yield client
