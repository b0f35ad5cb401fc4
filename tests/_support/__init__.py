"""What many test modules share, kept out of ``conftest.py`` so it can be imported by name.

``stores`` opens a fresh store of each kind; ``ledger`` a small ledger with
tokens of every role; ``signin`` signs a TestClient in; ``live_server``
runs ``zonewatch serve`` in its own process; ``browser`` the Chromium
settings and the screenshot folder; ``map_visit`` one map page's requests,
errors and screenshots; ``tile_files`` small MBTiles and PMTiles basemaps;
``injection`` and ``hostile_files`` hostile ledgers and files. Fixtures stay
in the ``conftest.py`` files.
"""
