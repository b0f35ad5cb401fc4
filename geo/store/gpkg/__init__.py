"""The GeoPackage store: the ledger in one GeoPackage 1.3 file, written with ``sqlite3``.

Modules: ``store`` (:class:`GeoPackageStore`), ``schema`` (tables, triggers and
connections), ``binary`` (GeoPackage geometry blobs), ``rows`` (rows to frames and
back, SQL filters), ``write`` (bulk inserts, updates and the history rows), ``tx``
(the write transaction), ``cache`` (the in-memory layer snapshots) and ``tokens``.

May import: ``geo.store.base``, ``geo.store.records``, ``geo.ledger``, ``geo.errors``,
``geo.geodesy`` and ``geo.radius``; never ``geo.writes``, the other store or the web layer.
"""

from geo.store.gpkg.store import GeoPackageStore

__all__ = ["GeoPackageStore"]
