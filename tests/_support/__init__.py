"""What many test modules share, kept out of ``conftest.py`` so it can be imported by name.

``stores`` opens a fresh store of each kind; ``ledger`` a small ledger with
tokens of every role; ``signin`` signs a TestClient in; ``live_server``
runs ``zonewatch serve`` in its own process; ``browser`` the Chromium
settings and the screenshot folder; ``injection`` and ``hostile_files``
hostile ledgers and files. Fixtures stay in the ``conftest.py`` files.
"""
