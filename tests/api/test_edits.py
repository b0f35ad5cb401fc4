"""OGC API – Features Part 4 edits: create, replace, patch, delete with ETag/If-Match."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pyproj import Geod

from geo import crs as crs_mod
from tests.api import ledger_fixtures
from tests.api.ledger_fixtures import FAR, NEAR, STATION, Ledger

MERGE = "application/merge-patch+json"
GEOD = Geod(ellps="WGS84")

ledger = ledger_fixtures.ledger  # the fixture (one small ledger per store kind)


def feature(name: str = "新店", category: str = "catering", lonlat=NEAR, **props: Any) -> dict:
    return {
        "type": "Feature",
        "properties": {"name": name, "category": category, **props},
        "geometry": {"type": "Point", "coordinates": list(lonlat)},
    }


def etag_of(ledger: Ledger, cid: str, fid: str) -> str:
    res = ledger.client.get(f"/collections/{cid}/items/{fid}")
    assert res.status_code == 200
    return res.headers["etag"]


def patch(ledger: Ledger, fid: str, body: dict, etag: str | None, cid: str = "sources"):
    headers = ledger.auth(**{"Content-Type": MERGE})
    if etag is not None:
        headers["If-Match"] = etag
    return ledger.client.patch(f"/collections/{cid}/items/{fid}", content=json.dumps(body),
                               headers=headers)


# -- create -------------------------------------------------------------------------------


def test_post_creates_with_location_etag_and_derived_fields(ledger: Ledger) -> None:
    res = ledger.client.post("/collections/sources/items", json=feature(id="S-new"),
                             headers=ledger.auth())
    assert res.status_code == 201
    assert res.headers["location"].endswith("/collections/sources/items/S-new")
    assert res.headers["etag"] == '"sources-S-new-v1"'
    props = res.json()["properties"]
    assert props["priority"] is True and props["nearest_station"] == "M-1"
    assert props["distance_m"] == pytest.approx(GEOD.inv(*STATION, *NEAR)[2], abs=0.01)
    assert ledger.client.get("/collections/sources/items/S-new").status_code == 200


def test_derived_and_system_fields_from_the_client_are_ignored(ledger: Ledger) -> None:
    body = feature(id="S-x", lonlat=FAR, priority=True, distance_m=1.0, stations=["M-1"],
                   nearest_station="M-1", version=99, updated_at="2000-01-01T00:00:00Z")
    props = ledger.client.post("/collections/sources/items", json=body,
                               headers=ledger.auth()).json()["properties"]
    assert props["priority"] is False and props["stations"] == []
    assert props["version"] == 1 and props["updated_at"] != "2000-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (feature(category="cafe"), "category"),
        (feature(status="open"), "status"),
        (feature(colour="red"), "colour"),
        ({**feature(), "geometry": {"type": "Point", "coordinates": [200, 34]}}, "geometry"),
        ({**feature(), "geometry": None}, "geometry"),
        ({"type": "FeatureCollection", "features": []}, "type"),
        (feature(category="muck_route"), "geometry"),
    ],
    ids=["bad-category", "bad-status", "unknown-field", "lon-out-of-range", "no-geometry",
         "not-a-feature", "point-for-a-route"],
)
def test_invalid_features_are_422_naming_the_field(ledger: Ledger, body: dict, field: str) -> None:
    before = ledger.store.count("sources")
    res = ledger.client.post("/collections/sources/items", json=body, headers=ledger.auth())
    assert res.status_code == 422
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["field"] == field
    assert ledger.store.count("sources") == before


def test_geometry_in_gcj02_is_stored_as_wgs84_with_the_original_kept(ledger: Ledger) -> None:
    gcj = crs_mod.wgs84_to_gcj02(*NEAR)
    body = feature(id="S-gcj", lonlat=(float(gcj[0]), float(gcj[1])))
    res = ledger.client.post("/collections/sources/items?crs=gcj02", json=body,
                             headers=ledger.auth())
    assert res.status_code == 201
    stored = ledger.store.get("sources", "S-gcj")
    assert GEOD.inv(stored.geometry.x, stored.geometry.y, *NEAR)[2] < 0.01
    assert stored.properties["orig_crs"] == "gcj02"
    assert stored.properties["orig_wkt"].startswith("POINT (113.67")


def test_duplicate_id_is_409(ledger: Ledger) -> None:
    res = ledger.client.post("/collections/sources/items", json=feature(id="S-near"),
                             headers=ledger.auth())
    assert res.status_code == 409


def test_zones_are_read_only(ledger: Ledger) -> None:
    res = ledger.client.post("/collections/zones/items", json=feature(), headers=ledger.auth())
    assert res.status_code == 405


# -- If-Match -----------------------------------------------------------------------------


def test_patch_merges_and_bumps_the_etag(ledger: Ledger) -> None:
    etag = etag_of(ledger, "sources", "S-near")
    res = patch(ledger, "S-near", {"properties": {"status": "rectifying", "community": None}},
                etag)
    assert res.status_code == 200
    assert res.headers["etag"] == '"sources-S-near-v2"'
    props = ledger.store.get("sources", "S-near").properties
    assert (props["status"], props["community"], props["name"]) == ("rectifying", None, "近处餐馆")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_missing_if_match_is_428_and_changes_nothing(ledger: Ledger, method: str) -> None:
    kwargs: dict[str, Any] = {"headers": ledger.auth(**{"Content-Type": "application/json"})}
    if method != "delete":
        kwargs["content"] = json.dumps(feature(name="改"))
    res = ledger.client.request(method.upper(), "/collections/sources/items/S-near", **kwargs)
    assert res.status_code == 428
    assert ledger.store.get("sources", "S-near").properties["version"] == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_stale_if_match_is_412_and_changes_nothing(ledger: Ledger, method: str) -> None:
    stale = etag_of(ledger, "sources", "S-near")
    assert patch(ledger, "S-near", {"properties": {"name": "第二版"}}, stale).status_code == 200
    kwargs: dict[str, Any] = {
        "headers": ledger.auth(**{"Content-Type": "application/json", "If-Match": stale})
    }
    if method != "delete":
        kwargs["content"] = json.dumps(feature(name="覆盖"))
    res = ledger.client.request(method.upper(), "/collections/sources/items/S-near", **kwargs)
    assert res.status_code == 412
    stored = ledger.store.get("sources", "S-near").properties
    assert (stored["name"], stored["version"]) == ("第二版", 2)


def test_etag_of_another_feature_is_412(ledger: Ledger) -> None:
    other = etag_of(ledger, "sources", "S-far")
    assert patch(ledger, "S-near", {"properties": {"name": "x"}}, other).status_code == 412


def test_put_replaces_every_field(ledger: Ledger) -> None:
    assert patch(ledger, "S-near", {"properties": {"address": "中原路1号"}},
                 etag_of(ledger, "sources", "S-near")).status_code == 200
    res = ledger.client.put(
        "/collections/sources/items/S-near", json=feature(name="换新", category="bbq"),
        headers=ledger.auth(**{"If-Match": '"sources-S-near-v2"'}))
    assert res.status_code == 200
    props = ledger.store.get("sources", "S-near").properties
    assert (props["name"], props["category"], props["address"]) == ("换新", "bbq", None)


def test_delete_keeps_history(ledger: Ledger) -> None:
    res = ledger.client.delete("/collections/sources/items/S-far",
                               headers=ledger.auth(**{"If-Match": '"sources-S-far-v1"'}))
    assert res.status_code == 204
    assert ledger.client.get("/collections/sources/items/S-far").status_code == 404
    changes = ledger.client.get("/collections/sources/items/S-far/history").json()["changes"]
    assert [c["operation"] for c in changes] == ["create", "delete"]


def test_patch_with_a_plain_text_body_is_415(ledger: Ledger) -> None:
    res = ledger.client.patch("/collections/sources/items/S-near", content="status=closed",
                              headers=ledger.auth(**{"Content-Type": "text/plain",
                                                     "If-Match": '"sources-S-near-v1"'}))
    assert res.status_code == 415


# -- stations and derived flags -------------------------------------------------------------


def test_moving_a_station_changes_the_flags_of_sources_around_it(ledger: Ledger) -> None:
    assert ledger.client.get("/collections/sources/items/S-near").json()["properties"]["priority"]
    body = {"geometry": {"type": "Point", "coordinates": list(FAR)}}
    assert patch(ledger, "M-1", body, '"stations-M-1-v1"', cid="stations").status_code == 200
    near = ledger.client.get("/collections/sources/items/S-near").json()["properties"]
    far = ledger.client.get("/collections/sources/items/S-far").json()["properties"]
    assert near["priority"] is False and far["priority"] is True
    assert far["distance_m"] == pytest.approx(0.0, abs=0.01)


def test_shrinking_a_station_radius_unflags_a_source(ledger: Ledger) -> None:
    d_m = GEOD.inv(*STATION, *NEAR)[2]
    body = {"properties": {"radius_m": d_m - 0.01}}
    assert patch(ledger, "M-1", body, '"stations-M-1-v1"', cid="stations").status_code == 200
    near = ledger.client.get("/collections/sources/items/S-near").json()["properties"]
    assert near["priority"] is False


# -- history and as_of --------------------------------------------------------------------------


def test_history_names_who_changed_what(ledger: Ledger) -> None:
    patch(ledger, "S-near", {"properties": {"status": "closed"}}, '"sources-S-near-v1"')
    changes = ledger.client.get("/collections/sources/items/S-near/history").json()["changes"]
    assert [(c["operation"], c["actor"]) for c in changes] == [
        ("create", "seed"), ("update", f"editor用户#{_token_id(ledger, 'editor')}")]
    assert changes[1]["before"]["properties"]["status"] == "operating"
    assert changes[1]["after"]["properties"]["status"] == "closed"


def _token_id(ledger: Ledger, role: str) -> int:
    return next(t.id for t in ledger.store.list_tokens() if t.role == role)


def test_history_of_an_unknown_feature_is_404(ledger: Ledger) -> None:
    assert ledger.client.get("/collections/sources/items/S-none/history").status_code == 404


@pytest.mark.parametrize(("day", "ids"), [("2000-01-01", []), ("9999-12-31", ["S-far", "S-near"])],
                         ids=["before-anything", "far-future"])
def test_as_of_items(ledger: Ledger, day: str, ids: list[str]) -> None:
    res = ledger.client.get(f"/collections/sources/items?as_of={day}")
    assert res.status_code == 200
    assert [f["id"] for f in res.json()["features"]] == ids


def test_as_of_today_shows_a_deleted_source_but_not_a_later_edit(ledger: Ledger) -> None:
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date()
    ledger.client.delete("/collections/sources/items/S-far",
                         headers=ledger.auth(**{"If-Match": '"sources-S-far-v1"'}))
    now_ids = [f["id"] for f in ledger.client.get(
        f"/collections/sources/items?as_of={today}").json()["features"]]
    assert now_ids == ["S-near"]
    yesterday = today - dt.timedelta(days=1)
    assert ledger.client.get(
        f"/collections/sources/items?as_of={yesterday}").json()["numberMatched"] == 0


def test_as_of_priority_and_filters(ledger: Ledger) -> None:
    res = ledger.client.get("/priority?as_of=9999-12-31")
    assert [f["id"] for f in res.json()["features"]] == ["S-near"]
    res = ledger.client.get("/collections/stations/items?as_of=9999-12-31")
    assert [f["id"] for f in res.json()["features"]] == ["M-1"]
    assert ledger.client.get("/collections/zones/items?as_of=9999-12-31").status_code == 400
    res = ledger.client.get("/collections/sources/items?as_of=9999-12-31&category=bbq")
    assert [f["id"] for f in res.json()["features"]] == ["S-far"]


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "2026-1-1"])
def test_as_of_must_be_a_date(ledger: Ledger, day: str) -> None:
    res = ledger.client.get(f"/collections/sources/items?as_of={day}")
    assert res.status_code == 400
    assert "YYYY-MM-DD" in res.json()["detail"]


# -- user text stays text ---------------------------------------------------------------------


PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>`${1}`'


def test_html_payloads_are_stored_as_given_and_shown_as_text(ledger: Ledger) -> None:
    res = ledger.client.post("/collections/sources/items",
                             json=feature(id="S-xss", name=PAYLOAD, notes=PAYLOAD),
                             headers=ledger.auth())
    assert res.status_code == 201
    assert ledger.store.get("sources", "S-xss").properties["name"] == PAYLOAD
    assert ledger.client.get("/collections/sources/items/S-xss").json()["properties"]["name"] \
        == PAYLOAD
    for url in ("/collections/sources/items/S-xss?f=html", "/collections/sources/items?f=html"):
        page = ledger.client.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page
    csv_text = ledger.client.get("/collections/sources/items?f=csv").content.decode("utf-8-sig")
    assert PAYLOAD.replace('"', '""') in csv_text
    kml = ledger.client.get("/collections/sources/items?f=kml").text
    assert "<script>" not in kml and "&lt;script&gt;" in kml
    geojson = ledger.client.get("/collections/sources/items?f=json").json()
    assert PAYLOAD in [f["properties"]["name"] for f in geojson["features"]]
