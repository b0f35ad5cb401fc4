"""Ledger stores: one interface, a GeoPackage file or a PostGIS database.

Modules: ``base`` (the :class:`Store` and transaction interfaces), ``records`` (what
both stores do alike before any SQL: records, ids, checks), and one package per
implementation, ``gpkg`` and ``postgis``, imported lazily by :func:`open_store` so
that PostGIS's driver is needed only by whoever opens a ``postgresql://`` store.

May import: ``geo.ledger``, ``geo.errors``, ``geo.geodesy`` and ``geo.radius``; never
``geo.writes`` (which writes through a store), ``geo.io``, the web layer or maps.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from geo.errors import StoreError
from geo.store.base import HistoryEntry, Query, Store, WriteMode, WriteSummary
from geo.store.records import new_id

__all__ = [
    "HistoryEntry",
    "Query",
    "Store",
    "WriteMode",
    "WriteSummary",
    "new_id",
    "open_store",
]


def open_store(url: str | Path, *, create: bool = True, pg_schema: str = "zonewatch") -> Store:
    """Open the store that ``url`` names.

    Parameters
    ----------
    url : str or Path
        A ``postgresql://`` URL, or a path to a ``.gpkg`` file.
    create : bool, default True
        Whether a missing GeoPackage file may be created (with its schema);
        with False a missing file is a StoreError. An existing file must be a
        Zonewatch store (it has the ``zw_meta`` table): any other file, such
        as someone's own GeoPackage, is refused without being written to.
        The schema of an existing store is completed (idempotent); a PostGIS
        schema is created when missing.
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

        _check_gpkg_file(Path(text), create=create)
        store = GeoPackageStore(Path(text))
    store.init_schema()
    return store


def _check_gpkg_file(path: Path, *, create: bool) -> None:
    """Refuse a path that is not, and may not become, a Zonewatch GeoPackage store."""
    if path.is_dir():
        raise StoreError(f"store {str(path)!r} is a folder, not a .gpkg file")
    if not path.exists() or (create and path.stat().st_size == 0):
        if not create:
            raise StoreError(f"no store at {str(path)!r}; check --store, or create one with "
                             f"`zonewatch demo` or `zonewatch import`")
        if not path.parent.is_dir():
            raise StoreError(f"cannot create store {str(path)!r}: folder {str(path.parent)!r} "
                             f"does not exist")
        return
    try:  # query_only: looking must never write to a file that is not ours
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA query_only = ON")
            known = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                 "AND name = 'zw_meta'").fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"store {str(path)!r} is not a GeoPackage ({exc})") from None
    if not known:
        raise StoreError(f"{str(path)!r} is not a Zonewatch store (no zw_meta table); Zonewatch "
                         f"does not write into other GeoPackages: import its layers into a "
                         f"store instead (zonewatch import FILE --layer sources --store NEW.gpkg)")
