"""The workspace tests' ledger: staff of every role, one station, sources near and far."""

from __future__ import annotations

from shapely import Point

from geo import writes
from geo.accounts import add_account
from geo.ledger import Feature
from geo.store import Store
from tests._support.signin import PASSWORD

__all__ = ["HOSTILE_NAME", "PASSWORD", "STATION", "seed_workspace"]

STATION = (113.6650, 34.7570)
HOSTILE_NAME = '<img src=x onerror="alert(1)">'


def seed_workspace(store: Store) -> None:
    """Add an editor, a viewer, an admin, one station and four sources (one hostile)."""
    for username, role in (("editor1", "editor"), ("viewer1", "viewer"), ("admin1", "admin")):
        add_account(store, username=username, role=role, password=PASSWORD)
    writes.create(store, "stations", Feature("M-1", {"name": "市监测站"}, Point(*STATION)),
                  actor="seed")
    rows = [("S-1", "老王餐馆", "catering", (113.6660, 34.7580), "甲社区"),
            ("S-2", "河边烧烤", "bbq", (113.6700, 34.7600), "甲社区"),
            ("S-3", "远郊工地", "construction_site", (113.9000, 34.9000), "乙社区"),
            ("S-4", HOSTILE_NAME, "catering", (113.6640, 34.7560), HOSTILE_NAME)]
    for fid, name, category, lonlat, community in rows:
        writes.create(store, "sources", Feature(fid, {
            "name": name, "category": category, "community": community, "address": name},
            Point(*lonlat)), actor="seed")
