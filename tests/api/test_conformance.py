"""OGC API – Features Part 1 abstract tests (Annex A), ported to pytest.

The OGC executable test suite (ETS ogcapi-features10) needs Maven, so its
Core, GeoJSON, OpenAPI 3.0 and HTML abstract tests are written here against
the requirements: each test names the abstract test it covers.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import shapely
from openapi_spec_validator import validate
from shapely.geometry import shape

CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CLASSES = ["core", "geojson", "html", "oas30"]
GEOJSON = "application/geo+json"
PROBLEM = "application/problem+json"
GEOMETRY_TYPES = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                  "MultiPolygon", "GeometryCollection"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
ITEMS = "/collections/sources/items"


def links_by_rel(doc, rel):
    return [link for link in doc["links"] if link["rel"] == rel]


def only_link(doc, rel, media_type=None):
    found = [link for link in links_by_rel(doc, rel)
             if media_type is None or link.get("type") == media_type]
    assert found, f"no {rel} link ({media_type})"
    return found[0]


def path_of(client, href):
    """Follow an absolute link of the service through the test client."""
    base = str(client.base_url).rstrip("/")
    assert href.startswith(base), href
    return href[len(base):] or "/"


@pytest.fixture(scope="module")
def landing(client):
    return client.get("/", params={"f": "json"}).json()


@pytest.fixture(scope="module")
def collections(client):
    return client.get("/collections").json()


# --- /ats/core/root-op, root-success -------------------------------------------------


def test_root_op_and_success(client, landing):
    res = client.get("/")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/json")
    for rel in ("service-desc", "conformance", "data"):
        assert links_by_rel(landing, rel), rel
    for link in landing["links"]:
        assert link["href"].startswith("http") and link["rel"]


# --- /ats/core/api-definition-op, api-definition-success, /ats/oas30/* --------------


def test_api_definition_follows_service_desc(client, landing):
    link = only_link(landing, "service-desc")
    res = client.get(path_of(client, link["href"]))
    assert res.status_code == 200
    assert res.headers["content-type"] == link["type"]
    spec = res.json()
    assert spec["openapi"].startswith("3.0.")
    validate(spec)  # raises on any OpenAPI 3.0 schema violation


def test_oas30_documents_every_ogc_path(client):
    spec = client.get("/api").json()
    for path in ("/", "/conformance", "/collections", "/collections/{cid}",
                 "/collections/{cid}/items", "/collections/{cid}/items/{fid}"):
        responses = spec["paths"][path]["get"]["responses"]
        assert "200" in responses and "400" in responses, path
        assert "422" not in responses, path  # validation errors answer 400


def _schema_nodes(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schema_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_nodes(value)


def test_oas30_no_31_constructs(client):
    spec = client.get("/api").json()
    assert "summary" not in spec["info"]  # info.summary is OpenAPI 3.1 only
    for node in _schema_nodes(spec):
        assert node.get("type") != "null" and not isinstance(node.get("type"), list), node
        assert "const" not in node, node
        for bound in ("exclusiveMinimum", "exclusiveMaximum"):
            assert isinstance(node.get(bound, True), bool), node


# --- /ats/core/conformance-op, conformance-success -----------------------------------


def test_conformance_lists_classes(client, landing):
    link = only_link(landing, "conformance")
    res = client.get(path_of(client, link["href"]))
    assert res.status_code == 200
    conforms = res.json()["conformsTo"]
    for name in CLASSES:
        assert CONF + name in conforms


# --- /ats/core/http --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/conformance", "/collections", ITEMS],
                         ids=["root", "conformance", "collections", "items"])
def test_http_unknown_method_is_a_problem(client, path):
    res = client.delete(path)
    assert res.status_code == 405
    assert res.headers["content-type"] == PROBLEM


# --- /ats/core/fc-md-op, fc-md-success, fc-md-links, fc-md-items, fc-md-extent -------


def test_collections_follow_data_link(client, landing, collections):
    res = client.get(path_of(client, only_link(landing, "data")["href"]))
    assert res.status_code == 200
    assert [c["id"] for c in res.json()["collections"]] == [
        c["id"] for c in collections["collections"]]
    assert links_by_rel(collections, "self")


@pytest.mark.parametrize("cid", ["sources", "stations", "inspections", "zones"])
def test_collection_metadata_links_and_extent(client, collections, cid):
    entry = next(c for c in collections["collections"] if c["id"] == cid)
    items = only_link(entry, "items", GEOJSON)
    assert path_of(client, items["href"]) == f"/collections/{cid}/items"
    if cid == "inspections":
        assert "extent" not in entry  # no geometry, no spatial extent
        return
    spatial = entry["extent"]["spatial"]
    assert spatial["crs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    min_lon, min_lat, max_lon, max_lat = spatial["bbox"][0]
    assert -180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90
    # every feature lies inside the advertised extent
    doc = client.get(f"/collections/{cid}/items", params={"limit": 10000}).json()
    box = shapely.box(min_lon, min_lat, max_lon, max_lat).buffer(1e-7)
    assert all(box.contains(shape(f["geometry"])) for f in doc["features"])


# --- /ats/core/sfc-md-op, sfc-md-success ---------------------------------------------


@pytest.mark.parametrize("cid", ["sources", "stations", "inspections", "zones"])
def test_single_collection_matches_the_list(client, collections, cid):
    res = client.get(f"/collections/{cid}")
    assert res.status_code == 200
    entry = next(c for c in collections["collections"] if c["id"] == cid)
    assert res.json() == entry


# --- /ats/core/fc-op, fc-response, fc-links, fc-timeStamp, fc-numberMatched/Returned --


def test_items_response(client):
    res = client.get(ITEMS, params={"limit": 7})
    assert res.status_code == 200 and res.headers["content-type"] == GEOJSON
    doc = res.json()
    assert doc["type"] == "FeatureCollection"
    assert doc["numberReturned"] == len(doc["features"]) == 7
    stamp = doc["timeStamp"]
    assert RFC3339.fullmatch(stamp)
    age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert dt.timedelta(0) <= age < dt.timedelta(minutes=1)
    assert only_link(doc, "self", GEOJSON) and only_link(doc, "alternate", "text/html")


def test_number_matched_counts_every_page(client):
    first = client.get(ITEMS, params={"limit": 1000, "category": "catering"}).json()
    seen, doc = [], first
    while True:
        seen += [f["id"] for f in doc["features"]]
        nxt = links_by_rel(doc, "next")
        if not nxt:
            break
        doc = client.get(path_of(client, nxt[0]["href"])).json()
    assert first["numberMatched"] == len(seen) == len(set(seen))


def test_next_and_prev_walk_the_same_pages(client):
    page1 = client.get(ITEMS, params={"limit": 5}).json()
    page2 = client.get(path_of(client, only_link(page1, "next")["href"])).json()
    back = client.get(path_of(client, only_link(page2, "prev")["href"])).json()
    assert [f["id"] for f in back["features"]] == [f["id"] for f in page1["features"]]
    assert not links_by_rel(page1, "prev")


def test_last_page_has_no_next(client):
    matched = client.get(ITEMS, params={"limit": 1}).json()["numberMatched"]
    last = client.get(ITEMS, params={"limit": 10, "offset": matched - 3}).json()
    assert last["numberReturned"] == 3 and not links_by_rel(last, "next")
    beyond = client.get(ITEMS, params={"offset": matched + 5}).json()
    assert beyond["numberReturned"] == 0 and beyond["numberMatched"] == matched


# --- /ats/core/fc-limit-definition, fc-limit-response --------------------------------


def _param(client, path, name):
    spec = client.get("/api").json()
    return next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name)


def test_limit_definition(client):
    param = _param(client, "/collections/{cid}/items", "limit")
    assert param["in"] == "query" and not param.get("required", False)
    schema = param["schema"]
    assert schema["type"] == "integer"
    assert schema["minimum"] == 1 and schema["maximum"] == 10000 and schema["default"] == 100


@pytest.mark.parametrize("limit", [1, 2, 99, 10000], ids=str)
def test_limit_response(client, limit):
    doc = client.get(ITEMS, params={"limit": limit}).json()
    assert doc["numberReturned"] == min(limit, doc["numberMatched"])


def test_limit_default_is_100(client):
    assert client.get(ITEMS).json()["numberReturned"] == 100


# --- /ats/core/fc-bbox-definition, fc-bbox-response ----------------------------------


def test_bbox_definition(client):
    param = _param(client, "/collections/{cid}/items", "bbox")
    assert param["in"] == "query" and not param.get("required", False)
    assert param["style"] == "form" and param["explode"] is False
    schema = param["schema"]
    assert schema["type"] == "array" and schema["items"]["type"] == "number"
    assert schema["minItems"] == 4 and schema["maxItems"] == 6


@pytest.mark.parametrize(
    "bbox",
    ["113.60,34.74,113.63,34.76", "113.60,34.74,0,113.63,34.76,100", "0,0,1,1"],
    ids=["4-numbers", "6-numbers", "elsewhere"],
)
def test_bbox_response(client, bbox):
    doc = client.get(ITEMS, params={"bbox": bbox, "limit": 10000}).json()
    values = [float(v) for v in bbox.split(",")]
    box = shapely.box(*(values if len(values) == 4 else values[:2] + values[3:5]))
    assert all(shape(f["geometry"]).intersects(box) for f in doc["features"])
    everything = client.get(ITEMS, params={"limit": 10000}).json()["features"]
    expected = {f["id"] for f in everything if shape(f["geometry"]).intersects(box)}
    # geometry in answers is rounded to 7 decimals: allow boundary touches only
    assert {f["id"] for f in doc["features"]} ^ expected <= {
        f["id"] for f in everything if shape(f["geometry"]).distance(box.boundary) < 1e-6}


# --- /ats/core/fc-time-definition, fc-time-response ----------------------------------


def test_datetime_definition(client):
    param = _param(client, "/collections/{cid}/items", "datetime")
    assert param["in"] == "query" and not param.get("required", False)
    assert param["schema"]["type"] == "string"


@pytest.mark.parametrize(
    "value",
    ["2024-05-01T08:00:00Z", "2024-05-01", "2024-01-01T00:00:00Z/2024-12-31T00:00:00Z",
     "../2024-12-31", "2024-01-01/.."],
    ids=["instant", "date", "interval", "open-start", "open-end"],
)
def test_datetime_response(client, value):
    # Ledger features carry no temporal geometry: a valid datetime selects them all.
    all_count = client.get(ITEMS, params={"limit": 1}).json()["numberMatched"]
    res = client.get(ITEMS, params={"datetime": value, "limit": 1})
    assert res.status_code == 200 and res.json()["numberMatched"] == all_count


# --- /ats/core/query-param-unknown, query-param-invalid ------------------------------


@pytest.mark.parametrize(
    "params",
    [{"colour": "red"}, {"limit": "abc"}, {"limit": "0"}, {"bbox": "1,2,3"},
     {"bbox": "10,10,5,5"}, {"datetime": "yesterday"}, {"datetime": "2024-02-01/2024-01-01"},
     {"offset": "-1"}, {"f": "pdf"}, {"priority": "maybe"}],
    ids=["unknown", "limit-text", "limit-zero", "bbox-3", "bbox-order", "datetime-text",
         "datetime-reversed", "offset-negative", "f-unknown", "priority-not-bool"],
)
def test_bad_parameters_are_400(client, params):
    res = client.get(ITEMS, params=params)
    assert res.status_code == 400
    assert res.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("path", ["/", "/conformance", "/collections", "/collections/sources",
                                  "/collections/sources/items/S00001"])
def test_unknown_parameter_everywhere(client, path):
    assert client.get(path, params={"foo": "1"}).status_code == 400


# --- /ats/core/f-op, f-success ---------------------------------------------------------


def test_feature_from_collection(client):
    page = client.get(ITEMS, params={"limit": 3}).json()
    for feature in page["features"]:
        res = client.get(f"{ITEMS}/{feature['id']}")
        assert res.status_code == 200 and res.headers["content-type"] == GEOJSON
        one = res.json()
        assert one["id"] == feature["id"] and one["geometry"] == feature["geometry"]
        assert path_of(client, only_link(one, "self", GEOJSON)["href"]) == (
            f"{ITEMS}/{feature['id']}")
        assert path_of(client, only_link(one, "collection")["href"]) == "/collections/sources"


@pytest.mark.parametrize("path", ["/collections/nope", "/collections/nope/items",
                                  f"{ITEMS}/NOPE"], ids=["collection", "items", "feature"])
def test_not_found_is_404(client, path):
    res = client.get(path)
    assert res.status_code == 404 and res.headers["content-type"] == PROBLEM


# --- /ats/geojson/content, definition --------------------------------------------------


@pytest.mark.parametrize("cid", ["sources", "stations", "zones", "inspections"])
def test_geojson_content(client, cid):
    doc = client.get(f"/collections/{cid}/items", params={"limit": 50}).json()
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    for feature in doc["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["id"], str)
        assert isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        if cid == "inspections":
            assert geometry is None
            continue
        assert geometry["type"] in GEOMETRY_TYPES
        assert shape(geometry).is_valid or geometry["type"] == "LineString"


def test_geojson_definition_in_api(client):
    spec = client.get("/api").json()
    ok = spec["paths"]["/collections/{cid}/items"]["get"]["responses"]["200"]["content"]
    assert ok[GEOJSON]["schema"]["$ref"].endswith("/FeatureCollection")
    one = spec["paths"]["/collections/{cid}/items/{fid}"]["get"]["responses"]["200"]["content"]
    assert one[GEOJSON]["schema"]["$ref"].endswith("/Feature")
    feature = spec["components"]["schemas"]["Feature"]
    assert {"type", "geometry", "properties"} <= set(feature["required"])


# --- /ats/html/definition, content -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/", "Zonewatch"), ("/conformance", "conf/core"), ("/collections", "污染源"),
     ("/collections/sources", "污染源"), (ITEMS, "S00001"), (f"{ITEMS}/S00001", "S00001")],
    ids=["root", "conformance", "collections", "collection", "items", "item"],
)
def test_html_pages(client, path, expected):
    for res in (client.get(path, params={"f": "html"}),
                client.get(path, headers={"accept": "text/html"})):
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/html")
        assert "<html" in res.text and expected in res.text
        assert "http://" not in res.text.split("<body>")[0].replace(
            str(client.base_url), "")  # no external assets in the head


def test_html_alternate_links(client, landing):
    href = only_link(landing, "alternate", "text/html")["href"]
    res = client.get(path_of(client, href))
    assert res.headers["content-type"].startswith("text/html")


def test_http_1_1_on_the_live_server(live_url):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(live_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/conformance")
        res = conn.getresponse()
        assert res.version == 11 and res.status == 200
        res.read()
        conn.request("HEAD", "/conformance")  # same connection: HTTP/1.1 keep-alive
        assert conn.getresponse().status in (200, 405)
    finally:
        conn.close()
