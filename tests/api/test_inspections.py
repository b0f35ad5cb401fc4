"""Inspections: recording one updates its source; campaign progress per community."""

from __future__ import annotations

import pytest

from tests.api import ledger_fixtures
from tests.api.ledger_fixtures import Ledger

ledger = ledger_fixtures.ledger  # the fixture (one small ledger per store kind)


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
    assert actors == {next(f"{t.name}#{t.id}" for t in ledger.store.list_tokens()
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
    inspect(ledger, "S-near", round=3)
    inspect(ledger, "S-far", round=2)
    body = ledger.client.get("/campaigns/3").json()
    assert (body["round"], body["checked"], body["unchecked"]) == (3, 1, 1)
    assert body["communities"] == [
        {"community": "乙社区", "checked": [], "unchecked": ["S-far"]},
        {"community": "甲社区", "checked": ["S-near"], "unchecked": []},
    ]  # sorted by name: 乙 (U+4E59) before 甲 (U+7532)
    assert ledger.client.get("/campaigns/0").status_code == 400
