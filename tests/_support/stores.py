"""Fresh stores of each kind for tests: a GeoPackage in a temporary folder, a PostGIS schema.

The PostGIS store runs when ``ZONEWATCH_TEST_PG`` names a database with the
PostGIS extension (``scripts/test.sh`` sets it up). Without it the PostGIS
tests are skipped locally, but under CI (``CI=true``) a missing database is
a failure, never a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.store import Store

__all__ = ["STORE_KINDS", "make_store", "pg_url"]

STORE_KINDS = ["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)]


def pg_url() -> str:
    """Return the PostGIS test database URL or skip (fail under CI)."""
    url = os.environ.get("ZONEWATCH_TEST_PG")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("ZONEWATCH_TEST_PG is not set under CI: the PostGIS suite must run")
    pytest.skip("ZONEWATCH_TEST_PG not set (run scripts/test.sh to set up PostGIS)")


def make_store(kind: str, tmp_path: Path) -> Iterator[Store]:
    """Yield a fresh, empty store of ``kind``, removed afterwards."""
    if kind == "gpkg":
        from geo.store.gpkg import GeoPackageStore

        store: Store = GeoPackageStore(tmp_path / "ledger.gpkg")
        store.init_schema()
        yield store
        store.close()
        return
    from geo.store.postgis import PostGISStore

    schema = f"zw_test_{uuid.uuid4().hex[:12]}"
    pg = PostGISStore(pg_url(), schema=schema)
    pg.init_schema()
    try:
        yield pg
    finally:
        pg.drop_schema()
        pg.close()
