"""The map tests' extras on the demo ledger: sources with hostile names, a fake Tianditu key."""

from __future__ import annotations

from shapely import Point

from geo import writes
from geo.ledger import Feature
from geo.store import Store

__all__ = ["HOSTILE", "TIANDITU_KEY", "add_hostile"]

TIANDITU_KEY = "tk-test-9f3a1c"  # a fake key: only checked for absence in pages
# (id, name): markup, a script break-out and a template-literal payload
HOSTILE = [
    ("XSS1", "<img src=x onerror=alert(1)>"),
    ("XSS2", "</script><script>alert(1)</script>"),
    ("XSS3", "${alert(1)}`\\`"),
]


def add_hostile(store: Store) -> None:
    """Add the sources of :data:`HOSTILE` (hostile names in every text field)."""
    for i, (fid, name) in enumerate(HOSTILE):
        props = {"name": name, "category": "catering", "address": name,
                 "community": "红松社区", "grid": name}
        writes.create(store, "sources", Feature(fid, props, Point(113.62 + i * 0.002, 34.76)),
                     actor="map tests")
