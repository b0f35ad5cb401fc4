"""A small ledger whose every free-text field holds a template or markup payload.

Shared by the template-injection tests of the map (``tests/maps``) and of the
HTML pages and report files (``tests/api``). Each payload ``i`` fills every
text field of station ``M{i}``, source ``S{i}``, inspection ``I{i}``, grid
``G{i}`` and district ``D{i}``; ids stay ids (letters and digits only).
The shell payload touches a canary file: it must never appear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from shapely import Point, box

from geo import writes
from geo.ledger import Feature
from geo.store import Store
from tests._support.stores import make_store

CANARY_NAME = "PWNED_FILE"
_STATION_LONLAT = (113.640, 34.750)  # the sources lie 100 m apart east of it


def payloads(canary: Path) -> list[str]:
    """Return every payload; the shell one would create ``canary`` if evaluated."""
    return [
        "{{ 7*7 }}",
        f"{{{{ cycler.__init__.__globals__.os.popen('touch {canary}').read() }}}}",
        "{{ undefined_var.attr }}",
        "{% raw %}",
        "{#",
        "</script><script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
    ]


PAYLOAD_IDS = ["arithmetic", "shell", "undefined", "raw-block", "comment", "script", "img"]

#: text fields each layer carries, all filled with the payload
SOURCE_TEXT = ("name", "address", "subdistrict", "community", "grid", "notes")
STATION_TEXT = ("name", "address")
INSPECTION_TEXT = ("inspector", "notes")
GRID_TEXT = ("name", "subdistrict", "community")
DISTRICT_TEXT = ("name", "provenance")


def _lonlat(i: int) -> tuple[float, float]:
    return _STATION_LONLAT[0] + 0.0011 * (i + 1), _STATION_LONLAT[1]


def seed_payloads(store: Store, texts: list[str]) -> None:
    """Write one station, source, inspection, grid and district per payload."""
    day = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    for i, text in enumerate(texts):
        lon, lat = _lonlat(i)
        writes.create(store, "stations", Feature(
            f"M{i}", {"name": text, "address": text, "level": "city", "radius_m": 3000.0},
            Point(_STATION_LONLAT[0], _STATION_LONLAT[1] + 0.0011 * i)), actor="payloads")
        writes.create(store, "sources", Feature(
            f"S{i}", {**dict.fromkeys(SOURCE_TEXT, text), "category": "catering",
                      "status": "operating", "fume_purifier": "in_use"},
            Point(lon, lat)), actor="payloads")
        writes.create(store, "inspections", Feature(
            f"I{i}", {"source_id": f"S{i}", "date": day, "round": 1, "result": "compliant",
                      **dict.fromkeys(INSPECTION_TEXT, text)}), actor="payloads")
        cell = box(lon - 0.0005, lat - 0.0005, lon + 0.0005, lat + 0.0005)
        writes.create(store, "grids", Feature(f"G{i}", dict.fromkeys(GRID_TEXT, text), cell),
                     actor="payloads")
        writes.create(store, "districts", Feature(f"D{i}", dict.fromkeys(DISTRICT_TEXT, text),
                                          cell.buffer(0.0002)), actor="payloads")


@dataclass
class PayloadLedger:
    """A store seeded by :func:`seed_payloads`, its payloads and the canary they aim at."""

    store: Store
    texts: list[str]
    canary: Path

    def check_canary(self) -> None:
        """Fail when the shell payload ran somewhere."""
        assert not self.canary.exists(), "a template payload ran a shell command"


def open_payload_ledger(kind: str, tmp_path_factory: pytest.TempPathFactory
                        ) -> Iterator[PayloadLedger]:
    """Yield the payload ledger in a fresh store of ``kind`` (for a module fixture)."""
    canary = tmp_path_factory.mktemp("canary") / CANARY_NAME
    texts = payloads(canary)
    for store in make_store(kind, tmp_path_factory.mktemp("payloads")):
        seed_payloads(store, texts)
        yield PayloadLedger(store, texts, canary)
