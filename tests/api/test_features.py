"""OGC API – Features core and GeoJSON behaviour, on both stores."""

import json

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape

GEOD = Geod(ellps="WGS84")
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


def rels(doc):
    return {link["rel"]: link for link in doc["links"]}


def test_landing_links(client):
    doc = client.get("/").json()
    for rel in ("self", "service-desc", "service-doc", "conformance", "data"):
        assert rel in rels(doc), rel


def test_landing_html_for_browsers(client):
    res = client.get("/", headers={"accept": "text/html"})
    assert res.headers["content-type"].startswith("text/html")
    assert "Zonewatch" in res.text


def test_conformance(client):
    assert CORE in client.get("/conformance").json()["conformsTo"]


def test_collections_have_extent_and_items_links(client):
    doc = client.get("/collections").json()
    ids = [c["id"] for c in doc["collections"]]
    assert ids == ["sources", "stations", "inspections", "cases", "zones"]
    sources = doc["collections"][0]
    minx, miny, maxx, maxy = sources["extent"]["spatial"]["bbox"][0]
    assert 113.3 < minx < maxx < 113.8 and 34.6 < miny < maxy < 34.9
    assert sources["itemType"] == "feature"
    assert any(link["rel"] == "items" for link in sources["links"])


def test_items_geojson_paging(client):
    first = client.get("/collections/sources/items", params={"limit": 10})
    assert first.headers["content-type"] == "application/geo+json"
    doc = first.json()
    assert doc["numberReturned"] == 10 and doc["numberMatched"] > 2000
    assert "timeStamp" in doc
    nxt = rels(doc)["next"]["href"]
    second = client.get(nxt).json()
    assert "prev" in rels(second)
    ids1 = [f["id"] for f in doc["features"]]
    ids2 = [f["id"] for f in second["features"]]
    assert not set(ids1) & set(ids2) and ids1 + ids2 == sorted(ids1 + ids2)


def test_default_limit_and_last_page_has_no_next(client):
    doc = client.get("/collections/stations/items").json()
    assert doc["numberReturned"] == doc["numberMatched"] <= 100
    assert "next" not in rels(doc)


def test_items_rfc7946_geometry(client):
    doc = client.get("/collections/sources/items",
                     params={"category": "night_market", "limit": 50}).json()
    assert doc["numberReturned"] == 10
    for feature in doc["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert shapely.LinearRing(ring).is_ccw
        for lon, lat in ring:
            assert round(lon, 7) == lon and round(lat, 7) == lat
    assert "crs" not in doc


def test_bbox_filter_matches_geometry(client):
    bbox = (113.60, 34.74, 113.63, 34.76)
    doc = client.get("/collections/sources/items",
                     params={"bbox": ",".join(map(str, bbox)), "limit": 10000}).json()
    box = shapely.box(*bbox)
    assert doc["numberReturned"] == doc["numberMatched"] > 0
    assert all(shape(f["geometry"]).intersects(box) for f in doc["features"])


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"category": "bbq"}, lambda p: p["category"] == "bbq" and p["status"] == "closed"),
        ({"status": "closed", "category": "bbq"}, lambda p: p["status"] == "closed"),
        ({"priority": "true"}, lambda p: p["priority"] is True and p["distance_m"] <= 3000),
        ({"priority": "false"}, lambda p: p["priority"] is False
         and (p["distance_m"] > 3000 or (p["status"] == "closed" and p["recheck"] is True))),
    ],
    ids=["category", "status", "priority", "not-priority"],
)
def test_attribute_filters(client, params, check):
    doc = client.get("/collections/sources/items", params={**params, "limit": 10000}).json()
    assert doc["numberReturned"] > 0
    assert all(check(f["properties"]) for f in doc["features"])
    assert doc["numberMatched"] == doc["numberReturned"]


def test_priority_counts_add_up(client):
    total = client.get("/collections/sources/items", params={"limit": 1}).json()["numberMatched"]
    yes = client.get("/collections/sources/items",
                     params={"priority": "true", "limit": 1}).json()["numberMatched"]
    no = client.get("/collections/sources/items",
                    params={"priority": "false", "limit": 1}).json()["numberMatched"]
    assert yes + no == total


def test_item_with_etag_and_derived_fields(client):
    res = client.get("/collections/sources/items/S00001")
    assert res.status_code == 200
    assert res.headers["etag"].startswith('"')
    feature = res.json()
    assert feature["id"] == "S00001"
    props = feature["properties"]
    station = client.get(f"/collections/stations/items/{props['nearest_station']}").json()
    lon, lat = feature["geometry"]["coordinates"]
    slon, slat = station["geometry"]["coordinates"]
    _, _, dist = GEOD.inv(slon, slat, lon, lat)
    # coordinates in the response are rounded to 7 decimals (~1 cm)
    assert abs(props["distance_m"] - dist) < 0.05


def test_zones_are_circles_of_the_radius(client):
    doc = client.get("/collections/zones/items").json()
    stations = client.get("/collections/stations/items").json()["features"]
    assert doc["numberMatched"] == len(stations)
    zone = doc["features"][0]
    station = next(s for s in stations if s["id"] == zone["id"])
    slon, slat = station["geometry"]["coordinates"]
    ring = zone["geometry"]["coordinates"][0]
    dists = [GEOD.inv(slon, slat, lon, lat)[2] for lon, lat in ring]
    assert max(abs(d - zone["properties"]["radius_m"]) for d in dists) < 0.1


def test_inspections_have_no_geometry(client):
    doc = client.get("/collections/inspections/items", params={"limit": 3}).json()
    assert all(f["geometry"] is None for f in doc["features"])
    assert all("source_id" in f["properties"] for f in doc["features"])


def test_html_items_escape_text(client):
    res = client.get("/collections/sources/items", params={"f": "html", "limit": 5})
    assert res.status_code == 200 and "<table>" in res.text


def test_openapi_documents_parameters_with_units(client):
    spec = client.get("/api").json()
    params = spec["paths"]["/sources/within"]["get"]["parameters"]
    radius = next(p for p in params if p["name"] == "radius_m")
    assert "metres" in radius["description"]
    items = spec["paths"]["/collections/{cid}/items"]["get"]["parameters"]
    assert all(p.get("description") for p in items)


def test_docs_page_uses_local_assets_only(client):
    page = client.get("/docs").text
    assert "cdn" not in page.lower() and "https://" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        res = client.get(f"/assets/swagger-ui/{asset}")
        assert res.status_code == 200 and len(res.content) > 1000


def test_json_is_valid_utf8_chinese(client):
    raw = client.get("/collections/stations/items").content
    assert "监测" in json.loads(raw.decode("utf-8"))["features"][2]["properties"]["name"]
