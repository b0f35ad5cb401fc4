"""Edits with values of the wrong type or invalid Unicode: 422 naming the field, nothing written.

Issue 10: a lone surrogate (``"\\ud800"``, legal as a JSON escape) in a text
field was a 500 from the store's driver, and ``{"a": 1}``, ``["a"]``,
``false`` or ``12`` for a text field were stored as Python reprs. The rule
lives in the ledger model, so POST, PUT and PATCH of every editable
collection (and the inspection route of a source) get it; both stores.
"""

from __future__ import annotations

import json

import pytest

from tests._support import ledger as ledger_support
from tests._support.ledger import NEAR, Ledger

ledger = ledger_support.ledger  # the fixture (one small ledger per store kind)

MERGE = "application/merge-patch+json"
_SLOT = '"@@bad@@"'

#: A bad value as raw JSON text (a lone surrogate cannot be encoded by a client
#: library, so bodies are written by hand), and what the answer must say.
BAD_VALUES = {
    "lone-surrogate": ('"ab\\ud800c"', "is not valid Unicode"),
    "object": ('{"a": 1}', "expected a string, got an object"),
    "array": ('["a"]', "expected a string, got an array"),
    "false": ("false", "expected a string, got the boolean false"),
    "number": ("12", 'expected a string such as "12", got the number 12'),
}

#: Per collection: the feature the test changes, a valid body of it and the text field.
COLLECTIONS = {
    "sources": ("S-near", {"name": "近处餐馆", "category": "catering", "grid": "一网格"}, "grid"),
    "stations": ("M-1", {"name": "监测点一", "radius_m": 3000.0}, "name"),
    "inspections": ("I-1", {"source_id": "S-near", "date": "2026-05-01", "result": "compliant",
                            "inspector": "李四"}, "inspector"),
}


def _body(cid: str, props: dict, field: str, raw_value: str, *, patch: bool) -> bytes:
    props = {field: "@@bad@@"} if patch else {**props, field: "@@bad@@"}
    doc: dict = {"properties": props}
    if not patch:
        doc = {"type": "Feature", **doc, "geometry": None if cid == "inspections" else
               {"type": "Point", "coordinates": list(NEAR)}}
    return json.dumps(doc).replace(_SLOT, raw_value).encode()


def _state(ledger: Ledger, cid: str) -> tuple:
    fid = COLLECTIONS[cid][0]
    stored = ledger.store.get(cid, fid)
    return ledger.store.count(cid), stored.version, stored.properties


def _prepare(ledger: Ledger, cid: str) -> None:
    if cid == "inspections":
        fid, props, _ = COLLECTIONS[cid]
        body = {"type": "Feature", "id": fid, "properties": props, "geometry": None}
        res = ledger.client.post("/collections/inspections/items", json=body,
                                 headers=ledger.auth())
        assert res.status_code == 201, res.text


def _send(ledger: Ledger, method: str, cid: str, body: bytes):
    fid = COLLECTIONS[cid][0]
    if method == "POST":
        return ledger.client.post(f"/collections/{cid}/items", content=body,
                                  headers=ledger.auth(**{"Content-Type": "application/json"}))
    version = ledger.store.get(cid, fid).version
    kind = MERGE if method == "PATCH" else "application/geo+json"
    headers = ledger.auth(**{"Content-Type": kind, "If-Match": f'"{cid}-{fid}-v{version}"'})
    return ledger.client.request(method, f"/collections/{cid}/items/{fid}", content=body,
                                 headers=headers)


@pytest.mark.parametrize("cid", list(COLLECTIONS))
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_bad_text_value_is_422_naming_the_field_and_writes_nothing(
    ledger: Ledger, method: str, cid: str
) -> None:
    _prepare(ledger, cid)
    _, props, field = COLLECTIONS[cid]
    for case, (raw_value, words) in BAD_VALUES.items():
        before = _state(ledger, cid)
        body = _body(cid, props, field, raw_value, patch=method == "PATCH")
        res = _send(ledger, method, cid, body)
        assert res.status_code == 422, (case, res.status_code, res.text)
        assert res.headers["content-type"].startswith("application/problem+json"), case
        problem = res.json()
        assert problem["field"] == field, case
        assert problem["detail"].startswith(f"field {field!r}: {words}"), (case, problem)
        assert _state(ledger, cid) == before, case


def test_an_inspection_of_a_source_with_a_lone_surrogate_is_422(ledger: Ledger) -> None:
    body = b'{"date": "2026-05-01", "result": "compliant", "inspector": "\\udfff"}'
    before = (ledger.store.count("inspections"), ledger.store.get("sources", "S-near").version)
    res = ledger.client.post("/collections/sources/items/S-near/inspections", content=body,
                             headers=ledger.auth(**{"Content-Type": "application/json"}))
    assert res.status_code == 422, res.text
    assert res.json()["field"] == "inspector"
    assert (ledger.store.count("inspections"),
            ledger.store.get("sources", "S-near").version) == before


def test_a_field_name_that_is_not_valid_unicode_is_422_escaped(ledger: Ledger) -> None:
    body = _body("sources", COLLECTIONS["sources"][1], "grid", '"x"', patch=False)
    body = body.replace(b'"grid"', b'"\\ud800"')
    res = ledger.client.post("/collections/sources/items", content=body,
                             headers=ledger.auth(**{"Content-Type": "application/json"}))
    assert res.status_code == 422, res.text
    assert res.json()["field"] == "\\ud800"
    assert ledger.store.count("sources") == 2


def test_numbers_stay_accepted_for_number_fields(ledger: Ledger) -> None:
    etag = '"stations-M-1-v1"'
    res = ledger.client.patch("/collections/stations/items/M-1",
                              content=b'{"properties": {"radius_m": 2500}}',
                              headers=ledger.auth(**{"Content-Type": MERGE, "If-Match": etag}))
    assert res.status_code == 200, res.text
    assert ledger.store.get("stations", "M-1").properties["radius_m"] == 2500.0
