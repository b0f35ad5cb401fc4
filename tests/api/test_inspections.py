"""Inspections: recording one updates its source; campaign progress per community."""

from __future__ import annotations

import pytest
from shapely.geometry import Point

from geo import writes
from geo.ledger import Feature
from tests._support import ledger as ledger_support
from tests._support.ledger import FAR, Ledger

ledger = ledger_support.ledger  # the fixture (one small ledger per store kind)


def inspect(ledger: Ledger, fid: str, **props: object):
    body = {"date": "2026-05-01", "round": 1, "inspector": "李四", "result": "compliant", **props}
    return ledger.client.post(f"/collections/sources/items/{fid}/inspections", json=body,
                              headers=ledger.auth())


def test_an_inspection_moves_last_inspected_forward_only(ledger: Ledger) -> None:
    assert inspect(ledger, "S-near", date="2026-05-01").status_code == 201
    assert inspect(ledger, "S-near", date="2026-04-01", round=2).status_code == 201
    props = ledger.store.get("sources", "S-near").properties
    assert props["last_inspected"] == "2026-05-01"
    listed = ledger.client.get("/collections/sources/items/S-near/inspections").json()
    assert [i["date"] for i in listed["inspections"]] == ["2026-04-01", "2026-05-01"]


def test_closed_down_closes_the_source(ledger: Ledger) -> None:
    res = inspect(ledger, "S-far", result="closed_down", notes="夜查取缔")
    assert res.status_code == 201
    assert res.headers["etag"].startswith('"inspections-')
    props = ledger.store.get("sources", "S-far").properties
    assert (props["status"], props["last_inspected"]) == ("closed", "2026-05-01")
    actors = {e.actor for e in ledger.store.history("sources", "S-far")[1:]}
    assert actors == {next(f"{t.name}#{t.id}" for t in ledger.store.tokens.records()
                           if t.role == "editor")}


def test_inspections_through_the_collection_update_the_source_too(ledger: Ledger) -> None:
    body = {"type": "Feature", "geometry": None, "properties": {
        "source_id": "S-near", "date": "2026-06-01", "round": 1, "result": "closed_down"}}
    res = ledger.client.post("/collections/inspections/items", json=body, headers=ledger.auth())
    assert res.status_code == 201
    assert ledger.store.get("sources", "S-near").properties["status"] == "closed"


@pytest.mark.parametrize(
    ("props", "status", "field"),
    [({"result": "passed"}, 422, "result"), ({"date": "not a date"}, 422, "date"),
     ({"date": None}, 422, "date")],
    ids=["bad-result", "bad-date", "no-date"],
)
def test_bad_inspections_are_refused_and_nothing_changes(
    ledger: Ledger, props: dict, status: int, field: str
) -> None:
    res = inspect(ledger, "S-near", **props)
    assert res.status_code == status and res.json()["field"] == field
    assert ledger.store.count("inspections") == 0
    assert ledger.store.get("sources", "S-near").version == 1


def test_inspecting_an_unknown_source_is_404(ledger: Ledger) -> None:
    assert inspect(ledger, "S-none").status_code == 404
    assert ledger.store.count("inspections") == 0


def test_campaign_lists_checked_and_unchecked_per_community(ledger: Ledger) -> None:
    writes.create(ledger.store, "sources", Feature("S-second", {
        "name": "乙社区餐馆", "category": "catering", "community": "乙社区"},
        Point(*FAR)), actor="test")
    inspect(ledger, "S-near", round=3)
    inspect(ledger, "S-second", round=2)
    inspect(ledger, "S-far", round=3)  # a bbq spot: visited, but rounds check catering only
    body = ledger.client.get("/campaigns/3").json()
    assert (body["round"], body["checked"], body["unchecked"]) == (3, 1, 1)
    assert body["communities"] == [
        {"community": "乙社区", "checked": [], "unchecked": ["S-second"]},
        {"community": "甲社区", "checked": ["S-near"], "unchecked": []},
    ]  # sorted by name: 乙 (U+4E59) before 甲 (U+7532)
    assert ledger.client.get("/campaigns/0").status_code == 400


# -- sources follow inspection edits (M5) ------------------------------------------------------


def _last(ledger: Ledger, fid: str) -> str | None:
    return ledger.store.get("sources", fid).properties["last_inspected"]


def _change(ledger: Ledger, method: str, fid: str, version: int, body: dict | None = None):
    headers = ledger.auth(**{"If-Match": f'"inspections-{fid}-v{version}"',
                             "Content-Type": "application/json"})
    kwargs = {} if body is None else {"json": body}
    return ledger.client.request(method, f"/collections/inspections/items/{fid}",
                                 headers=headers, **kwargs)


def _two_inspections(ledger: Ledger) -> str:
    assert inspect(ledger, "S-near", id="I-1", date="2026-04-01").status_code == 201
    assert inspect(ledger, "S-near", id="I-2", date="2026-05-01").status_code == 201
    assert _last(ledger, "S-near") == "2026-05-01"
    return "I-2"


def test_patching_an_inspection_date_recomputes_last_inspected(ledger: Ledger) -> None:
    fid = _two_inspections(ledger)
    res = _change(ledger, "PATCH", fid, 1, {"properties": {"date": "2026-03-01"}})
    assert res.status_code == 200, res.text
    assert _last(ledger, "S-near") == "2026-04-01"


def test_putting_an_inspection_recomputes_last_inspected(ledger: Ledger) -> None:
    fid = _two_inspections(ledger)
    body = {"type": "Feature", "geometry": None, "properties": {
        "source_id": "S-near", "date": "2026-06-01", "round": 2, "result": "compliant"}}
    assert _change(ledger, "PUT", fid, 1, body).status_code == 200
    assert _last(ledger, "S-near") == "2026-06-01"


def test_deleting_an_inspection_recomputes_last_inspected(ledger: Ledger) -> None:
    fid = _two_inspections(ledger)
    assert _change(ledger, "DELETE", fid, 1).status_code == 204
    assert _last(ledger, "S-near") == "2026-04-01"
    assert _change(ledger, "DELETE", "I-1", 1).status_code == 204
    assert _last(ledger, "S-near") is None


def test_moving_an_inspection_to_another_source_recomputes_both(ledger: Ledger) -> None:
    fid = _two_inspections(ledger)
    res = _change(ledger, "PATCH", fid, 1, {"properties": {"source_id": "S-far"}})
    assert res.status_code == 200
    assert (_last(ledger, "S-near"), _last(ledger, "S-far")) == ("2026-04-01", "2026-05-01")


def test_moving_an_inspection_to_no_source_is_422_and_changes_nothing(ledger: Ledger) -> None:
    fid = _two_inspections(ledger)
    res = _change(ledger, "PATCH", fid, 1, {"properties": {"source_id": "S-none"}})
    assert res.status_code == 422 and res.json()["field"] == "source_id"
    assert ledger.store.get("inspections", fid).version == 1


@pytest.mark.parametrize("how", ["post", "patch"])
def test_an_inspection_dated_in_the_future_is_422(ledger: Ledger, how: str) -> None:
    if how == "post":
        res = inspect(ledger, "S-near", date="2099-05-02")
    else:
        fid = _two_inspections(ledger)
        res = _change(ledger, "PATCH", fid, 1, {"properties": {"date": "2099-05-02"}})
    assert res.status_code == 422 and res.json()["field"] == "date"
    assert _last(ledger, "S-near") in (None, "2026-05-01")


# -- rounds and NUL text (H4) ------------------------------------------------------------------


@pytest.mark.parametrize("round_no", [99999999999999999999, -3, 0, 1001],
                         ids=["huge", "negative", "zero", "above-1000"])
def test_round_out_of_range_is_422_naming_round(ledger: Ledger, round_no: int) -> None:
    res = inspect(ledger, "S-near", round=round_no)
    assert res.status_code == 422, res.text
    assert res.json()["field"] == "round" and "out of range" in res.json()["detail"]
    assert ledger.store.count("inspections") == 0


@pytest.mark.parametrize("round_no", ["99999999999999999999", "1001", "-3"])
def test_campaign_round_out_of_range_is_400_without_database_text(
    ledger: Ledger, round_no: str
) -> None:
    res = ledger.client.get(f"/campaigns/{round_no}")
    assert res.status_code == 400
    assert res.headers["content-type"].startswith("application/problem+json")
    detail = res.json()["detail"]
    assert "CONTEXT" not in detail and "bigint" not in detail and "round_no" in detail


def test_notes_with_a_nul_character_are_422_on_every_store(ledger: Ledger) -> None:
    res = inspect(ledger, "S-near", notes="夜查\u0000取缔")
    assert res.status_code == 422 and res.json()["field"] == "notes"
    assert ledger.store.count("inspections") == 0


# -- a deleted source's inspections (H6) ---------------------------------------------------------


def test_inspections_of_a_deleted_source_are_404_and_not_inherited(ledger: Ledger) -> None:
    assert inspect(ledger, "S-far", date="2026-04-01").status_code == 201
    res = ledger.client.delete("/collections/sources/items/S-far",
                               headers=ledger.auth(**{"If-Match": '"sources-S-far-v2"'}))
    assert res.status_code == 204
    assert ledger.client.get("/collections/sources/items/S-far/inspections").status_code == 404
    body = {"type": "Feature", "id": "S-far", "properties": {"name": "新店", "category": "bbq"},
            "geometry": {"type": "Point", "coordinates": [113.66, 34.75]}}
    res = ledger.client.post("/collections/sources/items", json=body, headers=ledger.auth())
    assert res.status_code == 409
    assert ledger.client.get("/collections/sources/items/S-far/inspections").status_code == 404
