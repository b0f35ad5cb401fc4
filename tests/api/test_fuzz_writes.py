"""Fuzz every text field of every write route: no 5xx, and what is accepted reads back as sent.

Issue 10, "Done when": hypothesis text (any code point, lone surrogates and
NUL included), template syntax, HTML, spreadsheet formula prefixes, words
that readers like to turn into missing values, and strings up to 10 kB go
into each text field of ``POST``/``PUT``/``PATCH`` on the three editable
collections, ``POST .../inspections`` and ``POST /import`` (CSV and
GeoJSON). Every answer is below 500; an accepted write reads back with each
text field exactly as the ledger keeps text (:func:`kept_as`); a refused one
is problem+json and leaves the store as it was.

The budget is :data:`EXAMPLES` examples a route and store, derandomized so
a run is repeatable (a few seconds a route).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.io.cells import csv_text
from geo.ledger import LAYERS
from tests._support import ledger as ledger_support
from tests._support.ledger import NEAR, Ledger
from tests._support.stores import STORE_KINDS, make_store

PROBLEM = "application/problem+json"
EXAMPLES = 80
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])

# Free text of each layer, from the ledger model: str fields without a fixed
# vocabulary, but ids and the original-coordinate fields Zonewatch fills itself.
_NOT_FREE = {"id", "source_id", "orig_crs", "orig_wkt"}
TEXT_FIELDS = {
    layer: tuple(f.name for f in LAYERS[layer].fields
                 if f.kind == "str" and f.choices is None and f.name not in _NOT_FREE)
    for layer in ("sources", "stations", "inspections")
}
REQUIRED_TEXT = {layer: tuple(n for n in names if LAYERS[layer].field(n).required)
                 for layer, names in TEXT_FIELDS.items()}
#: The other fields a valid feature of each layer needs.
BASE = {
    "sources": {"category": "catering"},
    "stations": {},
    "inspections": {"source_id": "S-near", "date": "2025-04-02", "result": "compliant"},
}
EXISTING = {"sources": "S-far", "stations": "M-1", "inspections": "I-fuzz"}

HOSTILE = [
    "{{ 7*7 }}", "{{ config.items() }}", "{% if 1 %}x{% endif %}", "{# comment", "${7*7}",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</textarea><b>", "&amp;&lt;",
    "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"http://example.com\")",
    "'=1+1", "' OR 1=1 --", "'; DROP TABLE sources; --", "nan", "NaN", "null", "None", "NA",
    "N/A", "#N/A", "TRUE", "0001", "1e5", "\u202eevil", "\ufeffBOM", "中原区 建设路", "%00",
    "\\u0000", "  padded  ", "line\nbreak", "cr\r\nlf", "\"quoted\"", "\ud800", "a\udfffb",
    "\x00", "\x1b[31m",
]
# Any code point, lone surrogates (category Cs) and NUL included.
ANY_CHAR = st.characters(exclude_categories=())
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(ANY_CHAR, max_size=60),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), st.text(ANY_CHAR, max_size=20)),
    st.builds(lambda unit, n: (unit * n)[:10_240], st.text(ANY_CHAR, min_size=1, max_size=4),
              st.integers(1, 10_240)),
)
# A file holds bytes: text a UTF-8 file can carry (no lone surrogates).
FILE_TEXT = TEXT.filter(lambda s: not any("\ud800" <= c <= "\udfff" for c in s))


def kept_as(sent: str) -> str | None:
    """The ledger's one rule for text: surrounding whitespace trimmed, blank is no value.

    (``geo.ledger``: ``_to_str`` strips, ``_is_blank`` maps blank to the default.)
    Anything else that differs on read-back is a changed byte.
    """
    return sent.strip() or None


def texts(layer: str, *, allowed: st.SearchStrategy[str] = TEXT) -> st.SearchStrategy:
    """Fuzzed values for the text fields of ``layer`` (required ones always present)."""
    required = {n: allowed for n in REQUIRED_TEXT[layer]}
    optional = {n: allowed for n in TEXT_FIELDS[layer] if n not in required}
    return st.fixed_dictionaries(required, optional=optional)


# -- fixture and helpers --------------------------------------------------------------------


@pytest.fixture(scope="module", params=STORE_KINDS)
def ledger(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Ledger]:
    """One small ledger per store kind for the whole module (hypothesis reuses it)."""
    for store in make_store(request.param, tmp_path_factory.mktemp("fuzz")):
        built = ledger_support.build(store)
        with built.client:
            body = {"type": "Feature", "id": EXISTING["inspections"],
                    "properties": dict(BASE["inspections"]), "geometry": None}
            res = built.client.post("/collections/inspections/items", json=body,
                                    headers=built.auth())
            assert res.status_code == 201, res.text
            yield built


_ids = itertools.count()


def _new_id(prefix: str) -> str:
    return f"{prefix}-fuzz-{next(_ids)}"


def _state(ledger: Ledger) -> object:
    """What a refusal must keep: the store's change token moves with every commit."""
    return ledger.store.change_token()


def _feature(layer: str, props: dict[str, Any], fid: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "Feature", "properties": {**BASE[layer], **props},
                            "geometry": None}
    if LAYERS[layer].has_geometry:
        body["geometry"] = {"type": "Point", "coordinates": list(NEAR)}
    if fid is not None:
        body["id"] = fid
    return body


def _send(ledger: Ledger, method: str, url: str, body: Any, **headers: str):
    # ensure_ascii: lone surrogates travel as \\ud800 escapes, as a JSON client would send them
    content = json.dumps(body, ensure_ascii=True)
    return ledger.client.request(method, url, content=content, headers=ledger.auth(
        **{"Content-Type": "application/json", **headers}))


def _check(
    ledger: Ledger, res, before: object, cid: str, fid: str | None, sent: dict[str, str]
) -> None:
    """No 5xx; accepted: each text reads back as kept; refused: problem+json, nothing written."""
    assert res.status_code < 500, res.text
    if res.status_code >= 300:
        assert res.headers["content-type"] == PROBLEM, res.text
        assert _state(ledger) == before
        return
    got = ledger.client.get(f"/collections/{cid}/items/{fid}")
    assert got.status_code == 200, got.text
    props = got.json()["properties"]
    for name, value in sent.items():
        assert props[name] == kept_as(value), (name, value, props[name])


def _etag(ledger: Ledger, cid: str, fid: str) -> str:
    return ledger.client.get(f"/collections/{cid}/items/{fid}").headers["etag"]


# -- single-feature writes -------------------------------------------------------------------

LAYER_IDS = list(TEXT_FIELDS)


@pytest.mark.parametrize("cid", LAYER_IDS)
def test_fuzz_create(ledger: Ledger, cid: str) -> None:
    @FUZZ
    @given(props=texts(cid))
    def run(props: dict[str, str]) -> None:
        before, fid = _state(ledger), _new_id(cid[0].upper())
        res = _send(ledger, "POST", f"/collections/{cid}/items", _feature(cid, props, fid))
        _check(ledger, res, before, cid, fid, props)

    run()


@pytest.mark.parametrize("cid", LAYER_IDS)
def test_fuzz_replace(ledger: Ledger, cid: str) -> None:
    fid = EXISTING[cid]

    @FUZZ
    @given(props=texts(cid))
    def run(props: dict[str, str]) -> None:
        before = _state(ledger)
        res = _send(ledger, "PUT", f"/collections/{cid}/items/{fid}", _feature(cid, props),
                    **{"If-Match": _etag(ledger, cid, fid)})
        _check(ledger, res, before, cid, fid, props)

    run()


@pytest.mark.parametrize("cid", LAYER_IDS)
def test_fuzz_patch(ledger: Ledger, cid: str) -> None:
    fid = EXISTING[cid]

    @FUZZ
    @given(props=st.dictionaries(st.sampled_from(TEXT_FIELDS[cid]), TEXT, min_size=1))
    def run(props: dict[str, str]) -> None:
        before = _state(ledger)
        res = _send(ledger, "PATCH", f"/collections/{cid}/items/{fid}", {"properties": props},
                    **{"If-Match": _etag(ledger, cid, fid)})
        _check(ledger, res, before, cid, fid, props)

    run()


def test_fuzz_inspection_of_a_source(ledger: Ledger) -> None:
    @FUZZ
    @given(props=texts("inspections"))
    def run(props: dict[str, str]) -> None:
        before, fid = _state(ledger), _new_id("I")
        body = {"id": fid, "date": "2025-04-03", "result": "compliant", **props}
        res = _send(ledger, "POST", "/collections/sources/items/S-near/inspections", body)
        _check(ledger, res, before, "inspections", fid, props)

    run()


# -- imports ----------------------------------------------------------------------------------


def _import(ledger: Ledger, name: str, data: bytes):
    return ledger.client.post("/import", params={"layer": "sources"},
                              files={"file": (name, data)}, headers=ledger.auth())


def _check_import(ledger: Ledger, res, before: object, fid: str, sent: dict) -> None:
    assert res.status_code < 500, res.text
    if res.status_code == 200:
        assert res.json()["accepted"] == 1, res.text
    elif res.status_code == 422:
        assert all(r["row"] >= 1 and r["reason"] for r in res.json()["rejected"]), res.text
    _check(ledger, res, before, "sources", fid, sent)


def test_fuzz_import_csv(ledger: Ledger) -> None:
    @FUZZ
    @given(props=texts("sources", allowed=FILE_TEXT))
    def run(props: dict[str, str]) -> None:
        before, fid = _state(ledger), _new_id("S")
        # written as Zonewatch's own export writes text cells: formula prefixes escaped
        cells = {name: csv_text(value) for name, value in props.items()}
        row = {"id": fid, "category": "catering", "lon": NEAR[0], "lat": NEAR[1], **cells}
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
        res = _import(ledger, "fuzz.csv", out.getvalue().encode("utf-8"))
        _check_import(ledger, res, before, fid, props)

    run()


def test_fuzz_import_geojson(ledger: Ledger) -> None:
    @FUZZ
    @given(props=texts("sources"))
    def run(props: dict[str, str]) -> None:
        before, fid = _state(ledger), _new_id("S")
        feature = _feature("sources", {"id": fid, **props}, fid)
        doc = {"type": "FeatureCollection", "features": [feature]}
        res = _import(ledger, "fuzz.geojson", json.dumps(doc, ensure_ascii=True).encode())
        _check_import(ledger, res, before, fid, props)

    run()
