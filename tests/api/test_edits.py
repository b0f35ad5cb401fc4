"""OGC API – Features Part 4 edits: create, replace, patch, delete with ETag/If-Match."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod

from geo import crs as crs_mod
from tests._support import ledger as ledger_support
from tests._support.ledger import FAR, NEAR, STATION, Ledger
from tests._support.stores import STORE_KINDS, make_store

MERGE = "application/merge-patch+json"
PROBLEM = "application/problem+json"
GEOD = Geod(ellps="WGS84")

ledger = ledger_support.ledger  # the fixture (one small ledger per store kind)


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
    return next(t.id for t in ledger.store.tokens.records() if t.role == role)


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


# -- station radius (H1) ------------------------------------------------------------------------


def station(radius_m: Any = 3000.0, **props: Any) -> dict:
    return {"type": "Feature", "properties": {"name": "新站", "radius_m": radius_m, **props},
            "geometry": {"type": "Point", "coordinates": list(STATION)}}


BAD_RADII = [-5.0, 0, 1e308, 50_000.01, "Infinity"]
BAD_RADII_IDS = ["negative", "zero", "1e308", "above-50km", "inf-text"]


@pytest.mark.parametrize("radius_m", BAD_RADII, ids=BAD_RADII_IDS)
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_station_radius_out_of_range_is_422_and_reads_keep_working(
    ledger: Ledger, method: str, radius_m: Any
) -> None:
    if method == "post":
        res = ledger.client.post("/collections/stations/items", json=station(radius_m, id="M-2"),
                                 headers=ledger.auth())
    elif method == "put":
        res = ledger.client.put("/collections/stations/items/M-1", json=station(radius_m),
                                headers=ledger.auth(**{"If-Match": '"stations-M-1-v1"'}))
    else:
        res = patch(ledger, "M-1", {"properties": {"radius_m": radius_m}}, '"stations-M-1-v1"',
                    cid="stations")
    assert res.status_code == 422, res.text
    assert res.json()["field"] == "radius_m"
    assert ledger.store.count("stations") == 1
    assert ledger.store.get("stations", "M-1").version == 1
    for url in ("/collections/sources/items", "/priority", "/reports/summary?by=station"):
        assert ledger.client.get(url).status_code == 200, url


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_not_numbers(ledger: Ledger, token: str) -> None:
    body = json.dumps(station(id="M-2")).replace("3000.0", token)
    res = ledger.client.post("/collections/stations/items", content=body,
                             headers=ledger.auth(**{"Content-Type": "application/json"}))
    assert res.status_code == 400 and token in res.json()["detail"]
    assert ledger.store.count("stations") == 1


def test_station_import_with_a_bad_radius_is_rejected(ledger: Ledger) -> None:
    data = "id,name,radius_m,lon,lat\nM-2,好站,2500,113.6,34.7\nM-3,坏站,-5,113.6,34.7\n"
    res = ledger.client.post("/import?layer=stations", files={"file": ("m.csv", data.encode())},
                             headers=ledger.auth())
    assert res.status_code == 422
    [rejected] = res.json()["rejected"]
    assert rejected["row"] == 3 and "radius_m" in rejected["reason"]
    assert ledger.store.count("stations") == 1


# -- a committed write answers success (H2) --------------------------------------------------


def test_a_committed_create_answers_201_even_when_derived_fields_fail(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo.errors import ValidationError

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ValidationError("station 'M-x' has radius_m -5.0", field="radius_m")

    monkeypatch.setattr(ledger.store, "flag_priority", refuse)
    res = ledger.client.post("/collections/sources/items", json=feature(id="S-new"),
                             headers=ledger.auth())
    assert res.status_code == 201, res.text
    assert res.headers["etag"] == '"sources-S-new-v1"'
    props = res.json()["properties"]
    assert props["name"] == "新店" and props["priority"] is None
    res = patch(ledger, "S-new", {"properties": {"name": "改名"}}, '"sources-S-new-v1"')
    assert res.status_code == 200 and res.headers["etag"] == '"sources-S-new-v2"'
    monkeypatch.undo()
    assert ledger.store.get("sources", "S-new").properties["name"] == "改名"


def test_the_answer_to_a_write_is_what_get_answers(ledger: Ledger) -> None:
    def got(url: str) -> dict:
        body = ledger.client.get(url).json()
        body.pop("links")  # GET adds navigation links; a write answers the feature
        return body

    created = ledger.client.post("/collections/sources/items", json=feature(id="S-new"),
                                 headers=ledger.auth())
    assert created.json() == got("/collections/sources/items/S-new")
    changed = patch(ledger, "M-1", {"properties": {"radius_m": 2500}}, '"stations-M-1-v1"',
                    cid="stations")
    assert changed.json() == got("/collections/stations/items/M-1")


# -- ids of deleted features (H6) -----------------------------------------------------------------


def _delete_far(ledger: Ledger) -> None:
    res = ledger.client.delete("/collections/sources/items/S-far",
                               headers=ledger.auth(**{"If-Match": '"sources-S-far-v1"'}))
    assert res.status_code == 204


def test_post_with_the_id_of_a_deleted_source_is_409(ledger: Ledger) -> None:
    _delete_far(ledger)
    res = ledger.client.post("/collections/sources/items", json=feature(id="S-far"),
                             headers=ledger.auth())
    assert res.status_code == 409
    assert res.headers["content-type"].startswith("application/problem+json")
    assert "belonged to deleted" in res.json()["detail"]
    assert ledger.client.get("/collections/sources/items/S-far").status_code == 404
    changes = ledger.client.get("/collections/sources/items/S-far/history").json()["changes"]
    assert [c["operation"] for c in changes] == ["create", "delete"]


def _import_far(ledger: Ledger, mode: str):
    data = f"id,name,category,lon,lat\nS-far,远处烧烤,bbq,{FAR[0]},{FAR[1]}\n"
    return ledger.client.post(f"/import?layer=sources&mode={mode}",
                              files={"file": ("s.csv", data.encode())}, headers=ledger.auth())


def test_append_import_with_the_id_of_a_deleted_source_is_409(ledger: Ledger) -> None:
    _delete_far(ledger)
    res = _import_far(ledger, "append")
    assert res.status_code == 409 and "belonged to deleted" in res.json()["detail"]
    assert ledger.store.count("sources") == 1


@pytest.mark.parametrize("mode", ["upsert", "replace"])
def test_upsert_or_replace_import_restores_a_deleted_source(ledger: Ledger, mode: str) -> None:
    _delete_far(ledger)
    res = _import_far(ledger, mode)
    assert res.status_code == 200, res.text
    assert ledger.client.get("/collections/sources/items/S-far").status_code == 200


# -- ids (M12) ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fid", ["a/b?c#d", "x" * 5000, 5, "S far", "..", "\u0000"],
    ids=["url-chars", "5000-chars", "integer", "space", "dotdot", "nul"])
def test_ids_must_be_safe_text(ledger: Ledger, fid: Any) -> None:
    before = ledger.store.count("sources")
    res = ledger.client.post("/collections/sources/items", json=feature(id=fid),
                             headers=ledger.auth())
    assert res.status_code == 422 and res.json()["field"] == "id"
    assert ledger.store.count("sources") == before


def test_cjk_ids_are_fine_can_be_fetched_and_changed(ledger: Ledger) -> None:
    from urllib.parse import quote

    fid = "中原-餐饮_1.2"
    res = ledger.client.post("/collections/sources/items", json=feature(id=fid),
                             headers=ledger.auth())
    assert res.status_code == 201, res.text
    assert res.headers["location"].endswith(f"/collections/sources/items/{quote(fid)}")
    got = ledger.client.get(res.headers["location"])
    assert got.json()["id"] == fid and got.headers["etag"] == res.headers["etag"]
    assert res.headers["etag"].isascii()
    res = patch(ledger, fid, {"properties": {"name": "改"}}, res.headers["etag"])
    assert res.status_code == 200 and res.headers["etag"].endswith('-v2"')


def test_import_rows_with_bad_ids_say_which_row_and_why(ledger: Ledger) -> None:
    data = (f"id,name,category,lon,lat\nS-ok,好,bbq,{NEAR[0]},{NEAR[1]}\n"
            f"a/b?c,坏,bbq,{NEAR[0]},{NEAR[1]}\n{'x' * 65},长,bbq,{NEAR[0]},{NEAR[1]}\n")
    res = ledger.client.post("/import?layer=sources", files={"file": ("s.csv", data.encode())},
                             headers=ledger.auth())
    assert res.status_code == 422
    rejected = res.json()["rejected"]
    assert [r["row"] for r in rejected] == [3, 4]
    assert all("not a valid id" in r["reason"] for r in rejected)
    assert ledger.store.count("sources") == 2


# -- If-Match *, no-op patches, text caps, NUL (low) -----------------------------------------


@pytest.fixture(params=STORE_KINDS)
def star_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """The small ledger served with ``allow_if_match_any`` on."""
    for store in make_store(request.param, tmp_path):
        built = ledger_support.build(store, allow_if_match_any=True)
        with built.client:
            yield built


def _star(ledger: Ledger, method: str):
    kwargs: dict[str, Any] = {
        "headers": ledger.auth(**{"Content-Type": "application/json", "If-Match": "*"})}
    if method != "delete":
        kwargs["content"] = json.dumps(feature(name="第三版"))
    return ledger.client.request(method.upper(), "/collections/sources/items/S-near", **kwargs)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_if_match_star_is_428_and_changes_nothing(ledger: Ledger, method: str) -> None:
    res = _star(ledger, method)
    assert res.status_code == 428, res.text
    assert res.headers["content-type"] == PROBLEM
    assert "If-Match: *" in res.json()["detail"]
    assert ledger.store.get("sources", "S-near").version == 1
    assert len(ledger.store.history("sources", "S-near")) == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_if_match_star_matches_any_version_when_allowed(star_ledger: Ledger, method: str) -> None:
    assert patch(star_ledger, "S-near", {"properties": {"name": "第二版"}},
                 '"sources-S-near-v1"').status_code == 200
    res = _star(star_ledger, method)
    assert res.status_code == (204 if method == "delete" else 200), res.text
    if method != "delete":
        assert res.headers["etag"] == '"sources-S-near-v3"'


def test_the_if_match_star_setting_reads_its_environment_variable(monkeypatch) -> None:
    from api.settings import Settings

    monkeypatch.delenv("ZONEWATCH_ALLOW_IF_MATCH_ANY", raising=False)
    assert Settings().allow_if_match_any is False
    monkeypatch.setenv("ZONEWATCH_ALLOW_IF_MATCH_ANY", "true")
    assert Settings().allow_if_match_any is True


def test_a_patch_that_changes_nothing_keeps_version_and_history(ledger: Ledger) -> None:
    for body in ({"properties": {"name": "近处餐馆"}}, {"properties": {}}, {},
                 {"properties": {"priority": False, "version": 7}}):
        res = patch(ledger, "S-near", body, '"sources-S-near-v1"')
        assert res.status_code == 200 and res.headers["etag"] == '"sources-S-near-v1"'
    assert len(ledger.store.history("sources", "S-near")) == 1
    stale = patch(ledger, "S-near", {}, '"sources-S-near-v9"')
    assert stale.status_code == 412


@pytest.mark.parametrize(
    ("field", "length"), [("name", 201), ("address", 501), ("notes", 2001)])
def test_overlong_text_is_422_naming_the_field(ledger: Ledger, field: str, length: int) -> None:
    res = patch(ledger, "S-near", {"properties": {field: "字" * length}}, '"sources-S-near-v1"')
    assert res.status_code == 422 and res.json()["field"] == field
    assert ledger.store.get("sources", "S-near").version == 1


@pytest.mark.parametrize("field", ["name", "address", "notes"])
def test_text_with_a_nul_character_is_422_on_every_store(ledger: Ledger, field: str) -> None:
    body = feature(id="S-nul", **{field: "中原\u0000路"}) if field != "name" else \
        feature(id="S-nul", name="中原\u0000店")
    res = ledger.client.post("/collections/sources/items", json=body, headers=ledger.auth())
    assert res.status_code == 422 and res.json()["field"] == field
    assert "NUL" in res.json()["detail"]
    assert ledger.client.get("/collections/sources/items/S-nul").status_code == 404


def test_an_import_reason_names_its_row_once(ledger: Ledger) -> None:
    data = "id,name,category,lon,lat\nS-1,好,bbq,113.6,34.7\nS-2,坏,bbq,113.6,95\n"
    res = ledger.client.post("/import?layer=sources", files={"file": ("s.csv", data.encode())},
                             headers=ledger.auth())
    assert res.status_code == 422
    [rejected] = res.json()["rejected"]
    assert rejected["row"] == 3 and "latitude" in rejected["reason"]
    assert "row" not in rejected["reason"]
    assert res.json()["detail"].count("row 3") == 1


# -- request bodies nested too deeply; NUL in ids (issue 10) -----------------------------------


def _state(ledger: Ledger) -> tuple:
    """Everything a refused write must leave as it was."""
    sources = ledger.store.read("sources")
    return (sorted(zip(sources["id"], sources["version"], strict=True)),
            ledger.store.count("inspections"), ledger.store.count("stations"),
            len(ledger.store.history("sources", "S-near")))


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


DEEP_BODIES = {
    "bare-100000": _nested(100_000),
    "property-100000": json.dumps(feature(name="x")).replace('"x"', _nested(100_000)),
    "object-100000": json.dumps(feature(name="x")).replace('"x"', '{"a":' * 100_000 + "1"
                                                            + "}" * 100_000),
    # parses, but recursive code after parsing (shapely, merge patch) would overflow
    "coordinates-500": json.dumps(feature()).replace("[113.666, 34.758]", _nested(500)),
    "property-40": json.dumps(feature(name="x")).replace('"x"', _nested(40)),
}
WRITES = [("POST", "/collections/sources/items"), ("PUT", "/collections/sources/items/S-near"),
          ("PATCH", "/collections/sources/items/S-near"),
          ("POST", "/collections/sources/items/S-near/inspections")]


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
@pytest.mark.parametrize(("method", "url"), WRITES, ids=["post", "put", "patch", "inspection"])
def test_deeply_nested_bodies_are_400_and_write_nothing(
    ledger: Ledger, method: str, url: str, body: str
) -> None:
    before = _state(ledger)
    res = ledger.client.request(method, url, content=body, headers=ledger.auth(**{
        "Content-Type": "application/json", "If-Match": '"sources-S-near-v1"'}))
    assert res.status_code == 400, res.text
    assert res.headers["content-type"] == PROBLEM
    assert "nested more than 32 levels" in res.json()["detail"]
    assert _state(ledger) == before


def test_a_body_nested_as_deep_as_geojson_needs_is_fine(ledger: Ledger) -> None:
    ring = [[113.666, 34.758], [113.667, 34.758], [113.667, 34.759], [113.666, 34.758]]
    body = {"type": "Feature", "properties": {"name": "工地", "category": "construction_site"},
            "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]}}
    res = ledger.client.post("/collections/sources/items", json=body, headers=ledger.auth())
    assert res.status_code == 201, res.text


def test_the_depth_limit_is_32_levels() -> None:
    from api.routes.edits import MAX_BODY_DEPTH, parse_json
    from geo.errors import InputError

    assert MAX_BODY_DEPTH == 32
    assert parse_json(_nested(32).encode()) is not None
    assert parse_json(b'{"a": [' + _nested(30).encode() + b"]}")["a"]
    with pytest.raises(InputError, match="nested more than 32"):
        parse_json(_nested(33).encode())
    with pytest.raises(InputError, match="nested more than 32"):
        parse_json(('{"a":' * 33 + "1" + "}" * 33).encode())


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
def test_a_nul_in_a_path_id_is_400_on_every_store_and_writes_nothing(
    ledger: Ledger, method: str
) -> None:
    before = _state(ledger)
    url = "/collections/sources/items/S-near%00"
    if method == "POST":
        url += "/inspections"
    res = ledger.client.request(method, url, content=json.dumps(feature()), headers=ledger.auth(
        **{"Content-Type": "application/json", "If-Match": '"sources-S-near%00-v1"'}))
    assert res.status_code == 400, res.text
    assert res.json()["detail"] == "path parameter(s) 'fid' hold a NUL character"
    assert _state(ledger) == before


@pytest.mark.parametrize(("method", "url"), WRITES, ids=["post", "put", "patch", "inspection"])
def test_a_number_past_pythons_digit_limit_is_400_and_writes_nothing(
    ledger: Ledger, method: str, url: str
) -> None:
    body = json.dumps(feature()).replace("34.758", "3" * 5000)
    before = _state(ledger)
    res = ledger.client.request(method, url, content=body, headers=ledger.auth(**{
        "Content-Type": "application/json", "If-Match": '"sources-S-near-v1"'}))
    assert res.status_code == 400, res.text
    assert res.headers["content-type"] == PROBLEM
    assert "not valid JSON" in res.json()["detail"]
    assert _state(ledger) == before
