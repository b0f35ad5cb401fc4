"""Zonewatch maps: Folium pages built from :mod:`geo` results, assets served locally.

Modules: ``data`` (what the map draws, as compact JSON columns), ``cache``
(that data kept gzip-compressed while the ledger is unchanged), ``render``
(the Folium page), ``files`` (a map written to disk), ``basemaps`` (tile
sources and the server-side tile proxy), ``assets`` (vendored Leaflet and
plugins), ``styles`` and ``i18n``. ``maps`` imports ``geo``, never FastAPI.
"""
