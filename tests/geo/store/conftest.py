"""Fixtures of the GeoPackage store tests: the file's path and a fresh store on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.store.gpkg import GeoPackageStore


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """Where the test's GeoPackage lives (GDAL and sqlite3 open it there too)."""
    return tmp_path / "ledger.gpkg"


@pytest.fixture
def gpkg(path: Path) -> Iterator[GeoPackageStore]:
    """An empty GeoPackage store with its schema, closed after the test."""
    store = GeoPackageStore(path)
    store.init_schema()
    yield store
    store.close()
