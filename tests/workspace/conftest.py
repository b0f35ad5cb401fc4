"""Workspace fixtures: a small ledger with staff accounts, served live, and a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from geo.store import Store
from tests._support.browser import CHROMIUM_ARGS
from tests._support.live_server import serve_store
from tests._support.stores import STORE_KINDS, make_store
from tests._support.workspace import seed_workspace


@pytest.fixture(scope="module", params=STORE_KINDS)
def workspace_store(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Store]:
    """A small ledger with an editor, a viewer and an admin, per store kind."""
    for store in make_store(request.param, tmp_path_factory.mktemp("workspace")):
        seed_workspace(store)
        yield store


@pytest.fixture(scope="module")
def workspace_url(workspace_store: Store) -> Iterator[str]:
    """Base URL of ``zonewatch serve`` over the workspace ledger."""
    with serve_store(workspace_store) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(playwright) -> Iterator[object]:
    """One headless Debian Chromium per module, with a fresh profile for every context."""
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
