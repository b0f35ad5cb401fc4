"""Ledger stores: one interface, a GeoPackage file or a PostGIS database."""

from __future__ import annotations

from pathlib import Path

from geo.store.base import HistoryEntry, Query, Store, WriteMode, WriteSummary

__all__ = ["HistoryEntry", "Query", "Store", "WriteMode", "WriteSummary", "open_store"]


def open_store(url: str | Path, *, create: bool = True, pg_schema: str = "zonewatch") -> Store:
    """Open the store that ``url`` names.

    Parameters
    ----------
    url : str or Path
        A ``postgresql://`` URL, or a path to a ``.gpkg`` file.
    create : bool, default True
        Create the schema (and the file) if missing.
    pg_schema : str, default "zonewatch"
        For PostGIS, the schema holding the ledger tables.

    Returns
    -------
    Store
        A GeoPackageStore or a PostGISStore.
    """
    text = str(url)
    store: Store
    if text.startswith(("postgresql://", "postgres://")):
        from geo.store.postgis import PostGISStore

        store = PostGISStore(text, schema=pg_schema)
    else:
        from geo.store.gpkg import GeoPackageStore

        store = GeoPackageStore(Path(text))
    if create:
        store.init_schema()
    return store
