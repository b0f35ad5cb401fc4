"""The cases HTTP API on both stores: report, the loop with If-Match, refusals, filters, the hole.

Cases change only through ``POST /cases`` and ``POST /cases/{id}/actions``;
the generic writes (OGC Part 4 items, ``POST /import``, the CLI import, the
import page) refuse them, while reading and exporting stay open.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, box
from typer.testing import CliRunner

from api.cli import app as cli_app
from geo import crs as crs_mod
from geo import writes
from geo.accounts import add_account
from geo.cases import act_on_case, report_case, save_types, type_table
from geo.ledger import Feature
from geo.store import Store
from geo.tokens import issue_token
from tests._support import ledger as ledger_support
from tests._support.ledger import NEAR, Ledger
from tests._support.signin import csrf_of, sign_in
from tests._support.stores import STORE_KINDS, make_store

PROBLEM = "application/problem+json"
HTML = {"accept": "text/html"}
HERE = (113.6253, 34.7466)  # inside the grid cell below
GRID = box(113.62, 34.74, 113.63, 34.75)
LONG_AGO = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)  # 09:00 Beijing time


@pytest.fixture(params=STORE_KINDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """The small test ledger with one grid cell and tokens of every role, dispatcher too."""
    for store in make_store(request.param, tmp_path):
        writes.create(store, "grids", Feature("G-1", {"name": "网格一", "community": "建设路社区",
                                                     "subdistrict": "林山寨街道"}, GRID),
                      actor="seed")
        built = ledger_support.build(store)
        built.tokens["dispatcher"], _ = issue_token(store, name="调度员", role="dispatcher")
        with built.client:
            yield built


def report(ledger: Ledger, role: str = "editor", **body: Any) -> Any:
    doc = {"event_type": "open_air_bbq", "lon": HERE[0], "lat": HERE[1], "channel": "patrol",
           "description": "路边烧烤", **body}
    return ledger.client.post("/cases", json=doc, headers=ledger.auth(role))


def act(ledger: Ledger, fid: str, etag: str | None, role: str, **step: Any) -> Any:
    headers = ledger.auth(role)
    if etag is not None:
        headers["If-Match"] = etag
    return ledger.client.post(f"/cases/{fid}/actions", json=step, headers=headers)


def problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith(PROBLEM)
    return res.json()


def stored(ledger: Ledger, fid: str) -> tuple[dict[str, Any], int]:
    """The case as stored and the length of its history: what a refusal must leave alone."""
    return ledger.store.get("cases", fid).properties, len(ledger.store.history("cases", fid))


# -- the loop ------------------------------------------------------------------------------


def test_a_case_goes_round_the_loop_over_http(ledger: Ledger) -> None:
    res = report(ledger)
    assert res.status_code == 201, res.text
    case = res.json()
    fid = case["id"]
    assert res.headers["location"].endswith(f"/collections/cases/items/{fid}")
    assert res.headers["etag"] == f'"cases-{fid}-v1"'
    assert case["properties"]["status"] == "reported" and case["allowed_actions"] == []
    etag = res.headers["etag"]
    loop = [("dispatcher", {"action": "file"}, "filed", ["dispatch"]),
            ("dispatcher", {"action": "dispatch", "unit": "林山寨街道中队"}, "dispatched",
             ["handle"]),
            ("editor", {"action": "handle", "notes": "已取缔"}, "handled", ["verify"]),
            ("editor", {"action": "verify", "passed": False, "notes": "复燃"}, "dispatched",
             ["handle"]),
            ("editor", {"action": "handle"}, "handled", ["verify"]),
            ("editor", {"action": "verify", "passed": True}, "verified", []),
            ("dispatcher", {"action": "close"}, "closed", [])]
    for version, (role, step, status, allowed) in enumerate(loop, start=2):
        res = act(ledger, fid, etag, role, **step)
        assert res.status_code == 200, (step, res.text)
        assert res.json()["properties"]["status"] == status
        assert res.json()["allowed_actions"] == allowed, step
        etag = res.headers["etag"]
        assert etag == f'"cases-{fid}-v{version}"'
    props = res.json()["properties"]
    assert (props["rework"], props["rework_count"], props["unit"]) == (1, 1, "林山寨街道中队")
    assert props["overdue"] is False and props["closed_at"] and props["deadline"]
    assert ledger.client.get(f"/collections/cases/items/{fid}").headers["etag"] == etag
    steps = ledger.client.get(f"/cases/{fid}/timeline").json()
    assert steps["status"] == "closed"
    assert [s["action"] for s in steps["timeline"]] == [
        "report", "file", "dispatch", "handle", "verify", "handle", "verify", "close"]
    fail = steps["timeline"][4]
    assert (fail["status"], fail["passed"], fail["notes"]) == ("dispatched", False, "复燃")
    assert steps["timeline"][2]["unit"] == "林山寨街道中队"
    assert all(s["at"].endswith("Z") for s in steps["timeline"])
    # the item and the last action's answer carry the same timeline (the contract's field)
    item = ledger.client.get(f"/collections/cases/items/{fid}").json()
    assert item["properties"]["timeline"] == steps["timeline"] == props["timeline"]


def test_a_report_takes_its_place_and_keeps_the_original_coordinates(ledger: Ledger) -> None:
    lon, lat = (float(v) for v in crs_mod.wgs84_to_gcj02(*HERE))
    res = report(ledger, lon=lon, lat=lat, crs="gcj02", address="中原路1号", source_id="S-near")
    assert res.status_code == 201, res.text
    case = res.json()
    props = case["properties"]
    assert (props["grid"], props["community"], props["subdistrict"]) == (
        "网格一", "建设路社区", "林山寨街道")
    assert props["orig_crs"] == "gcj02" and str(lon) in props["orig_wkt"]
    assert case["geometry"]["coordinates"] == pytest.approx(list(HERE), abs=1e-6)
    assert (props["source_id"], props["address"]) == ("S-near", "中原路1号")
    assert props["reported_by"].startswith("editor用户#")


def test_a_report_may_be_a_geojson_feature_with_crs_in_the_query(ledger: Ledger) -> None:
    lon, lat = (float(v) for v in crs_mod.wgs84_to_bd09(*HERE))
    body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"event_type": "fume_direct", "description": "<b>油烟</b> {{ 1+1 }}"}}
    res = ledger.client.post("/cases?crs=bd09", json=body, headers=ledger.auth("admin"))
    assert res.status_code == 201, res.text
    props = res.json()["properties"]
    assert props["orig_crs"] == "bd09" and props["description"] == "<b>油烟</b> {{ 1+1 }}"
    assert res.json()["geometry"]["coordinates"] == pytest.approx(list(HERE), abs=1e-6)
    assert res.json()["allowed_actions"] == ["file", "reject"]  # an admin may file it now


@pytest.mark.parametrize(
    ("body", "field"),
    [({"event_type": "noise"}, "event_type"),
     ({"event_type": None}, "event_type"),
     ({"lon": 200.0}, "geometry"),
     ({"lat": float("nan")}, None),  # not JSON: refused as a bad body (400)
     ({"lon": "113.6"}, "lon"),
     ({"lat": True}, "lat"),
     ({"crs": "mars"}, "geometry"),
     ({"source_id": "S-none"}, "source_id"),
     ({"source_id": 7}, "source_id"),
     ({"status": "closed"}, "status"),
     ({"deadline": "2030-01-01T00:00:00Z"}, "deadline"),
     ({"id": "C-mine"}, "id"),
     ({"channel": "pigeon"}, "channel")],
    ids=["unknown-type", "no-type", "lon-out-of-range", "nan", "lon-text", "lat-bool",
         "unknown-crs", "no-such-source", "source-number", "status", "deadline", "id",
         "channel"],
)
def test_a_bad_report_is_422_and_stores_nothing(ledger: Ledger, body: dict, field: str) -> None:
    if field is None:
        res = ledger.client.post("/cases", content=b'{"event_type": "other", "lon": NaN}',
                                 headers=ledger.auth(**{"Content-Type": "application/json"}))
        problem(res, 400)
    else:
        assert problem(report(ledger, **body), 422).get("field") == field
    assert ledger.store.count("cases") == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [({"type": "Feature", "properties": {"event_type": "other"},
       "geometry": {"type": "LineString", "coordinates": [[113.62, 34.74], [113.63, 34.75]]}},
      "geometry"),
     ({"type": "Feature", "properties": {"event_type": "other", "unit": "中队"},
       "geometry": {"type": "Point", "coordinates": list(HERE)}}, "unit"),
     ([1, 2], "body")],
    ids=["line", "unit-in-properties", "array"],
)
def test_a_bad_geojson_report_is_422(ledger: Ledger, body: Any, field: str) -> None:
    res = ledger.client.post("/cases", json=body, headers=ledger.auth())
    assert problem(res, 422)["field"] == field
    assert ledger.store.count("cases") == 0


def test_reporting_needs_an_editor(ledger: Ledger) -> None:
    problem(report(ledger, role="viewer"), 403)
    problem(ledger.client.post("/cases", json={"event_type": "other"}), 401)
    assert ledger.store.count("cases") == 0


# -- refused steps change nothing ---------------------------------------------------------


def _reported(ledger: Ledger) -> tuple[str, str]:
    res = report(ledger)
    assert res.status_code == 201, res.text
    return res.json()["id"], res.headers["etag"]


def test_a_step_needs_if_match_and_a_stale_one_is_412(ledger: Ledger) -> None:
    fid, etag = _reported(ledger)
    before = stored(ledger, fid)
    problem(act(ledger, fid, None, "dispatcher", action="file"), 428)
    problem(act(ledger, fid, '"cases-other-v1"', "dispatcher", action="file"), 412)
    assert stored(ledger, fid) == before
    fresh = act(ledger, fid, etag, "dispatcher", action="file")
    assert fresh.status_code == 200
    # the old ETag is stale now: 412 even for a step that the state would refuse (409)
    problem(act(ledger, fid, etag, "dispatcher", action="close"), 412)
    problem(act(ledger, fid, etag, "dispatcher", action="dispatch", unit="中队"), 412)
    assert stored(ledger, fid)[1] == before[1] + 1


def test_an_editor_may_not_file(ledger: Ledger) -> None:
    fid, etag = _reported(ledger)
    before = stored(ledger, fid)
    assert "may not file" in problem(act(ledger, fid, etag, "editor", action="file"), 403)[
        "detail"]
    problem(act(ledger, fid, etag, "viewer", action="handle"), 403)
    assert stored(ledger, fid) == before


@pytest.mark.parametrize(("action", "role"), [("close", "admin"), ("handle", "editor"),
                                              ("verify", "dispatcher")])
def test_a_step_from_the_wrong_state_is_409_and_changes_nothing(
    ledger: Ledger, action: str, role: str
) -> None:
    fid, etag = _reported(ledger)
    before = stored(ledger, fid)
    res = act(ledger, fid, etag, role, action=action, passed=True)
    assert "reported" in problem(res, 409)["detail"]
    assert stored(ledger, fid) == before
    assert before[0]["version"] == 1


@pytest.mark.parametrize(
    ("steps", "bad", "field"),
    [([], {"action": "reject"}, "notes"),
     ([], {"action": "reject", "notes": "   "}, "notes"),
     ([{"action": "file"}], {"action": "dispatch"}, "unit"),
     ([{"action": "file"}, {"action": "dispatch", "unit": "中队"}, {"action": "handle"}],
      {"action": "verify"}, "passed"),
     ([], {"action": "archive"}, "action"),
     ([], {"action": "file", "passed": "yes"}, "passed"),
     ([], {"action": 3}, "action"),
     ([], {"action": "file", "deadline": "2030-01-01"}, "deadline")],
    ids=["reject-no-reason", "reject-blank-reason", "dispatch-no-unit", "verify-no-passed",
         "unknown-action", "passed-text", "action-number", "extra-field"],
)
def test_a_step_missing_its_inputs_is_422_and_changes_nothing(
    ledger: Ledger, steps: list[dict], bad: dict, field: str
) -> None:
    fid, etag = _reported(ledger)
    for step in steps:
        res = act(ledger, fid, etag, "dispatcher", **step)
        assert res.status_code == 200, res.text
        etag = res.headers["etag"]
    before = stored(ledger, fid)
    assert problem(act(ledger, fid, etag, "dispatcher", **bad), 422)["field"] == field
    assert stored(ledger, fid) == before


def test_an_unknown_case_is_404(ledger: Ledger) -> None:
    problem(act(ledger, "C-none", '"cases-C-none-v1"', "admin", action="file"), 404)
    problem(ledger.client.get("/cases/C-none/timeline"), 404)


def test_a_signed_in_dispatcher_acts_with_the_csrf_token(ledger: Ledger) -> None:
    fid, etag = _reported(ledger)
    add_account(ledger.store, username="diaodu", role="dispatcher", password="correct horse 42")
    browser = TestClient(ledger.client.app, base_url="http://testserver")
    assert sign_in(browser, "diaodu").status_code == 303
    token = csrf_of(browser.get("/ledger/import", headers=HTML).text)
    url = f"/cases/{fid}/actions"
    problem(browser.post(url, json={"action": "file"}, headers={"If-Match": etag}), 403)
    res = browser.post(url, json={"action": "file"},
                       headers={"If-Match": etag, "X-CSRF-Token": token})
    assert res.status_code == 200, res.text
    assert res.json()["properties"]["last_actor"] == "diaodu"


# -- the event types -----------------------------------------------------------------------


def test_the_types_are_the_store_s_own_table(ledger: Ledger) -> None:
    codes = [t["code"] for t in ledger.client.get("/cases/types").json()["types"]]
    assert "open_air_bbq" in codes  # the defaults, until the district sets its own
    table = type_table([{"code": "bbq", "name_zh": "露天烧烤", "name_en": "BBQ",
                         "limit_h": "1.5"}])
    save_types(ledger.store, table, actor="t")
    assert ledger.client.get("/cases/types").json() == {"types": [
        {"code": "bbq", "name_zh": "露天烧烤", "name_en": "BBQ", "limit_h": 1.5}]}
    assert problem(report(ledger), 422)["field"] == "event_type"  # open_air_bbq is gone
    assert report(ledger, event_type="bbq").status_code == 201


# -- the collection: filters, derived fields, paging ----------------------------------------


def _seed_cases(store: Store) -> dict[str, str]:
    """Four cases: overdue, dispatched just now, closed late, only reported."""
    def reported(event_type: str, at: dt.datetime, point: tuple[float, float] = HERE) -> str:
        return str(report_case(store, event_type=event_type, point=Point(*point), actor="巡查员",
                               at=at, channel="patrol").id)

    def walk(fid: str, at: dt.datetime, *steps: tuple[str, dict]) -> None:
        for k, (action, kwargs) in enumerate(steps, start=1):
            act_on_case(store, fid, action, actor="中心", role="admin",
                        at=at + dt.timedelta(minutes=k), **kwargs)

    now = dt.datetime.now(dt.UTC)
    ids = {"overdue": reported("open_air_bbq", LONG_AGO),
           "fresh": reported("open_air_bbq", now - dt.timedelta(minutes=5)),
           "closed": reported("muck_spill", LONG_AGO + dt.timedelta(days=1)),
           "new": reported("other", now - dt.timedelta(minutes=5), point=NEAR)}
    walk(ids["overdue"], LONG_AGO, ("file", {}), ("dispatch", {"unit": "甲中队"}))
    walk(ids["fresh"], now - dt.timedelta(minutes=4), ("file", {}),
         ("dispatch", {"unit": "乙中队"}))
    walk(ids["closed"], LONG_AGO + dt.timedelta(days=1), ("file", {}),
         ("dispatch", {"unit": "甲中队"}), ("handle", {}), ("verify", {"passed": True}),
         ("close", {}))
    return ids


def _ids(ledger: Ledger, **params: Any) -> list[str]:
    res = ledger.client.get("/collections/cases/items", params=params)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["numberMatched"] == len(body["features"]) or "limit" in params
    return sorted(f["id"] for f in body["features"])


def test_the_items_filter_by_overdue_status_type_place_unit_and_time(ledger: Ledger) -> None:
    ids = _seed_cases(ledger.store)
    assert _ids(ledger, overdue="true") == [ids["overdue"]]
    assert _ids(ledger, overdue="false") == sorted(ids[k] for k in ("fresh", "closed", "new"))
    assert _ids(ledger, status="dispatched") == sorted([ids["overdue"], ids["fresh"]])
    assert _ids(ledger, status="dispatched", overdue="false") == [ids["fresh"]]
    assert _ids(ledger, event_type="muck_spill") == [ids["closed"]]
    assert _ids(ledger, type="muck_spill") == [ids["closed"]]
    assert _ids(ledger, unit="甲中队") == sorted([ids["overdue"], ids["closed"]])
    assert _ids(ledger, grid="网格一") == sorted(ids[k] for k in ("overdue", "fresh", "closed"))
    assert _ids(ledger, community="建设路社区", overdue="true") == [ids["overdue"]]
    assert _ids(ledger, datetime="2026-01-05") == [ids["overdue"]]  # the whole UTC day
    assert _ids(ledger, datetime="2026-01-01/2026-01-31") == sorted(
        [ids["overdue"], ids["closed"]])
    assert _ids(ledger, datetime="2026-01-05T01:00:00Z") == [ids["overdue"]]  # the instant
    assert _ids(ledger, datetime="2026-01-05T01:00:01Z") == []
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(ledger, datetime=f"{recent}/..") == sorted([ids["fresh"], ids["new"]])
    assert _ids(ledger, datetime="../2026-01-05", overdue="true") == [ids["overdue"]]


def test_each_case_carries_overdue_and_rework_count(ledger: Ledger) -> None:
    ids = _seed_cases(ledger.store)
    features = ledger.client.get("/collections/cases/items").json()["features"]
    flags = {f["id"]: (f["properties"]["overdue"], f["properties"]["rework_count"])
             for f in features}
    assert flags == {ids["overdue"]: (True, 0), ids["fresh"]: (False, 0),
                     ids["closed"]: (False, 0), ids["new"]: (False, 0)}
    one = ledger.client.get(f"/collections/cases/items/{ids['overdue']}").json()
    assert one["properties"]["overdue"] is True
    assert one["properties"]["deadline"] == "2026-01-05T03:02:00.000Z"  # dispatch + 2 h


def test_filtered_items_page_with_next_links(ledger: Ledger) -> None:
    ids = _seed_cases(ledger.store)
    res = ledger.client.get("/collections/cases/items",
                            params={"overdue": "false", "limit": 2}).json()
    assert (res["numberMatched"], res["numberReturned"]) == (3, 2)
    following = next(link["href"] for link in res["links"] if link["rel"] == "next")
    rest = ledger.client.get(following).json()
    assert rest["numberReturned"] == 1 and not any(lk["rel"] == "next" for lk in rest["links"])
    seen = {f["id"] for f in res["features"] + rest["features"]}
    assert seen == {ids["fresh"], ids["closed"], ids["new"]}


@pytest.mark.parametrize(
    ("cid", "params"),
    [("sources", {"overdue": "true"}), ("cases", {"priority": "true"}),
     ("cases", {"category": "bbq"}), ("cases", {"type": "bbq", "event_type": "other"}),
     ("cases", {"overdue": "maybe"}), ("cases", {"datetime": "2026-13-01"}),
     ("cases", {"datetime": "2026-02-01/2026-01-01"}),
     ("cases", {"as_of": "2026-01-01", "overdue": "true"})],
    ids=["overdue-on-sources", "priority", "category", "type-conflict", "overdue-word",
         "bad-date", "backwards", "as-of-overdue"],
)
def test_bad_case_filters_are_400(ledger: Ledger, cid: str, params: dict) -> None:
    problem(ledger.client.get(f"/collections/{cid}/items", params=params), 400)


# -- the hole: generic writes and imports refuse cases ---------------------------------------


def test_the_generic_writes_refuse_cases(ledger: Ledger) -> None:
    fid, etag = _reported(ledger)
    before = stored(ledger, fid)
    item = f"/collections/cases/items/{fid}"
    body = {"type": "Feature", "properties": {"event_type": "other", "status": "closed"},
            "geometry": {"type": "Point", "coordinates": list(HERE)}}
    auth = ledger.auth("admin", **{"If-Match": etag})
    for res in (ledger.client.post("/collections/cases/items", json=body, headers=auth),
                ledger.client.put(item, json=body, headers=auth),
                ledger.client.patch(item, json={"properties": {"status": "closed"}},
                                    headers=auth),
                ledger.client.delete(item, headers=auth),
                ledger.client.delete(item)):  # refused before any token is asked for
        assert "POST /cases/{id}/actions" in problem(res, 403)["detail"]
    assert stored(ledger, fid) == before
    export = ledger.client.get("/collections/cases/items", params={"f": "csv"})
    assert export.status_code == 200 and fid in export.text  # reading stays open


def _case_csv() -> bytes:
    return (f"id,event_type,status,lon,lat\nC-x,other,closed,{HERE[0]},{HERE[1]}\n").encode()


@pytest.mark.parametrize("layer", ["cases", "case_types"])
def test_post_import_refuses_cases(ledger: Ledger, layer: str) -> None:
    res = ledger.client.post(f"/import?layer={layer}", headers=ledger.auth("admin"),
                             files={"file": ("cases.csv", io.BytesIO(_case_csv()), "text/csv")})
    assert "only" in problem(res, 403)["detail"]
    assert ledger.store.count("cases") == 0 and ledger.store.count("case_types") == 0


def test_the_cli_import_refuses_cases(tmp_path: Path) -> None:
    path, ledger_file = tmp_path / "cases.csv", tmp_path / "ledger.gpkg"
    path.write_bytes(_case_csv())
    result = CliRunner().invoke(cli_app, ["import", str(path), "--layer", "cases",
                                          "--store", str(ledger_file)])
    assert result.exit_code == 1
    assert "POST /cases" in result.output
    assert not ledger_file.exists()  # refused before the store is opened (or created)


def test_the_import_page_offers_no_cases_layer(ledger: Ledger) -> None:
    add_account(ledger.store, username="luru", role="admin", password="correct horse 42")
    browser = TestClient(ledger.client.app, base_url="http://testserver")
    assert sign_in(browser, "luru").status_code == 303
    page = browser.get("/ledger/import", headers=HTML).text
    assert 'value="cases"' not in page
    res = browser.post("/ledger/import", headers=HTML,
                       data={"csrf_token": csrf_of(page), "layer": "cases", "crs": "",
                             "mode": "append"},
                       files={"file": ("cases.csv", _case_csv(), "text/csv")})
    assert res.status_code == 422
    assert ledger.store.count("cases") == 0
