"""Shared fixtures: a fresh store of each kind per test (see tests._support.stores), Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.store import Store
from tests._support.stores import STORE_KINDS, make_store


@pytest.fixture(scope="session")
def playwright() -> Iterator[object]:
    """The one Playwright driver of the run (two sync drivers cannot run at once)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs /usr/bin/chromium (scripts/browser-setup.sh)")
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh empty store, once per store kind."""
    yield from make_store(request.param, tmp_path)
