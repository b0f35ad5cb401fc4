"""A small ledger with tokens of every role, for edit, auth and upload tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely import Point

from api.app import create_app
from api.settings import Settings
from geo import writes
from geo.ledger import Feature
from geo.store import Store
from geo.tokens import issue_token
from tests._support.stores import STORE_KINDS, make_store

STATION = (113.6650, 34.7570)
NEAR = (113.6660, 34.7580)  # ~150 m from STATION
FAR = (113.9000, 34.9000)  # ~27 km away


@dataclass
class Ledger:
    store: Store
    client: TestClient
    tokens: dict[str, str]

    def auth(self, role: str = "editor", **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **headers}


def seed(store: Store) -> dict[str, str]:
    writes.create(store, "stations", Feature("M-1", {"name": "监测点一", "radius_m": 3000.0},
                                     Point(*STATION)), actor="seed")
    writes.create(store, "sources", Feature("S-near", {"name": "近处餐馆", "category": "catering",
                                               "community": "甲社区"}, Point(*NEAR)), actor="seed")
    writes.create(store, "sources", Feature("S-far", {"name": "远处烧烤", "category": "bbq",
                                              "community": "乙社区"}, Point(*FAR)), actor="seed")
    tokens = {}
    for role in ("viewer", "editor", "admin"):
        tokens[role], _ = issue_token(store, name=f"{role}用户", role=role)
    return tokens


def build(store: Store, **settings: object) -> Ledger:
    tokens = seed(store)
    app = create_app(Settings(store=store.url, seed_demo=False, **settings), store=store)
    return Ledger(store, TestClient(app), tokens)


@pytest.fixture(params=STORE_KINDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    for store in make_store(request.param, tmp_path):
        built = build(store)
        with built.client:
            yield built
