"""Zonewatch's domain: the ledger, its stores, the radius engine, imports, exports, reports.

Pure Python over numpy, shapely, pyproj, pandas and GDAL; it never imports FastAPI,
Starlette, Folium, branca, Jinja or anything of ``api`` and ``maps``
(``tests/test_architecture.py`` holds it to that). Every write goes through
:mod:`geo.writes`, which runs the ledger's rules once over a store transaction.
"""
