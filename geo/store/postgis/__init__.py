"""The PostGIS store: the ledger in a PostgreSQL schema with PostGIS.

Modules: ``store`` (:class:`PostGISStore`), ``sql`` (table names, column lists and
filters as SQL), ``frames`` (rows to frames and features), ``radius`` (radius queries
and priority flags in SQL on the spheroid), ``tx`` (the write transaction) and
``tokens``.

May import: ``geo.store.base``, ``geo.store.records``, ``geo.ledger``, ``geo.errors``
and ``geo.geodesy``; never ``geo.writes``, the other store or the web layer.
"""

from geo.store.postgis.store import PostGISStore

__all__ = ["PostGISStore"]
