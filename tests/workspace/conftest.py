"""Workspace fixtures: a small ledger with staff accounts, served live, and a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from shapely import Point

from geo import writes
from geo.accounts import add_account
from geo.ledger import Feature
from geo.store import Store
from tests.conftest import STORE_KINDS, make_store
from tests.live_server import serve_store
from tests.maps.conftest import CHROMIUM_ARGS

PASSWORD = "night patrol 42"
STATION = (113.6650, 34.7570)
HOSTILE_NAME = '<img src=x onerror="alert(1)">'


def _seed(store: Store) -> None:
    for username, role in (("editor1", "editor"), ("viewer1", "viewer"), ("admin1", "admin")):
        add_account(store, username=username, role=role, password=PASSWORD)
    writes.create(store, "stations", Feature("M-1", {"name": "市监测站"}, Point(*STATION)),
                  actor="seed")
    rows = [("S-1", "老王餐馆", "catering", (113.6660, 34.7580), "甲社区"),
            ("S-2", "河边烧烤", "bbq", (113.6700, 34.7600), "甲社区"),
            ("S-3", "远郊工地", "construction_site", (113.9000, 34.9000), "乙社区"),
            ("S-4", HOSTILE_NAME, "catering", (113.6640, 34.7560), HOSTILE_NAME)]
    for fid, name, category, lonlat, community in rows:
        writes.create(store, "sources", Feature(fid, {
            "name": name, "category": category, "community": community, "address": name},
            Point(*lonlat)), actor="seed")


@pytest.fixture(scope="module", params=STORE_KINDS)
def workspace_store(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Store]:
    """A small ledger with an editor, a viewer and an admin, per store kind."""
    for store in make_store(request.param, tmp_path_factory.mktemp("workspace")):
        _seed(store)
        yield store


@pytest.fixture(scope="module")
def workspace_url(workspace_store: Store) -> Iterator[str]:
    """Base URL of ``zonewatch serve`` over the workspace ledger."""
    with serve_store(workspace_store) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(tmp_path_factory) -> Iterator[object]:
    """One headless Debian Chromium per module (Playwright drives it; fresh profile)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs /usr/bin/chromium (scripts/browser-setup.sh)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                                     headless=True)
        yield browser
        browser.close()
