"""Priority means active: every figure of the demo agrees with ``/priority``.

DESIGN "Priority": a priority target is a source not ``closed`` inside some
station's radius; the closed ones inside form the re-check list, which
``/priority?include_closed=true`` adds (``recheck: true``) and the map,
reports and home page count apart. Run on both stores.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from typing import Any

from fastapi.testclient import TestClient

from geo.priority import flagged_sources
from geo.store import Store


def _features(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    res = client.get("/priority", params=params)
    assert res.status_code == 200, res.text
    doc = res.json()
    assert doc["numberMatched"] == len(doc["features"])
    return doc["features"]


def test_priority_leaves_out_closed_sources(client: TestClient, demo_store: Store) -> None:
    targets = _features(client)
    statuses = {f["properties"]["status"] for f in targets}
    assert "closed" not in statuses and targets
    assert all(f["properties"]["priority"] and not f["properties"]["recheck"] for f in targets)
    flagged = flagged_sources(demo_store)
    assert len(targets) == int(flagged["priority"].sum())
    inside = flagged["stations"].map(len) > 0
    closed = flagged["status"] == "closed"
    assert len(targets) == int((inside & ~closed).sum())


def test_include_closed_adds_the_recheck_list(client: TestClient) -> None:
    targets = _features(client)
    both = _features(client, include_closed="true")
    extra = [f for f in both if f["properties"]["recheck"]]
    assert extra and all(f["properties"]["status"] == "closed" for f in extra)
    assert all(f["properties"]["stations"] for f in extra)  # closed, but inside a radius
    assert len(both) == len(targets) + len(extra)
    assert {f["id"] for f in both} - {f["id"] for f in extra} == {f["id"] for f in targets}
    distances = [f["properties"]["distance_m"] for f in both]
    assert distances == sorted(distances)  # one list, nearest first
    res = client.get("/priority", params={"include_closed": "maybe"})
    assert res.status_code == 400 or res.status_code == 422
    assert res.headers["content-type"].startswith("application/problem+json")


def test_csv_of_the_recheck_list_says_which_rows_are_rechecks(client: TestClient) -> None:
    text = client.get("/priority", params={"include_closed": "true", "f": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    rechecks = [r for r in rows if r["recheck"].lower() == "true"]
    assert rechecks and all(r["status"] == "closed" for r in rechecks)


def test_reports_map_and_home_count_what_priority_lists(client: TestClient) -> None:
    targets, both = _features(client), _features(client, include_closed="true")
    recheck = len(both) - len(targets)
    report = client.get("/reports/summary", params={"by": "community", "f": "json"}).json()
    figures = {row["figure"]: row["value"] for row in report["views"][0]["rows"]}
    assert figures["重点管控污染源（半径内未关停）"] == len(targets)
    assert figures["待复查（半径内已关停）"] == recheck
    area = report["views"][1]["rows"]
    assert sum(r["priority"] for r in area) == len(targets)
    assert sum(r["recheck"] for r in area) == recheck
    res = client.get("/map/data.json", headers={"Accept-Encoding": "gzip"})
    body = res.content
    data = json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)
    assert sum(data["sources"]["priority"]) == len(targets)
    assert sum(data["sources"]["recheck"]) == recheck
    only = client.get("/map/data.json", params={"priority": "true"}).json()
    assert only["count"] == len(targets)
    items = client.get("/collections/sources/items",
                       params={"priority": "true", "limit": 1}).json()
    assert items["numberMatched"] == len(targets)
