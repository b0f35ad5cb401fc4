"""Real OGC API clients read the live service: GDAL's OAPIF driver and OWSLib."""

import pyogrio
import pytest


@pytest.fixture(scope="module")
def expected(client):
    doc = client.get("/collections/sources/items", params={"limit": 10000}).json()
    return {f["id"]: f for f in doc["features"]}


def test_gdal_oapif_reads_every_source(live_url, expected):
    layers = {str(name) for name in pyogrio.list_layers(f"OAPIF:{live_url}")[:, 0]}
    assert {"sources", "stations", "zones"} <= layers
    frame = pyogrio.read_dataframe(f"OAPIF:{live_url}", layer="sources")
    assert len(frame) == len(expected)
    by_id = frame.set_index("id")
    for fid in list(expected)[:: max(1, len(expected) // 50)]:
        want = expected[fid]
        row = by_id.loc[fid]
        assert row["name"] == want["properties"]["name"]
        assert row["category"] == want["properties"]["category"]
        lon, lat = row.geometry.representative_point().coords[0]
        assert -180 <= lon <= 180 and 30 < lat < 40


def test_gdal_oapif_stations_geometry(live_url, client):
    frame = pyogrio.read_dataframe(f"OAPIF:{live_url}", layer="stations")
    doc = client.get("/collections/stations/items").json()
    coords = {f["id"]: tuple(f["geometry"]["coordinates"]) for f in doc["features"]}
    for fid, geom in zip(frame["id"], frame.geometry, strict=True):
        assert geom.coords[0] == pytest.approx(coords[fid], abs=1e-9)


def test_owslib_reads_collections_and_items(live_url, expected):
    from owslib.ogcapi.features import Features

    api = Features(live_url)
    ids = [c["id"] for c in api.collections()["collections"]]
    assert "sources" in ids
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()[
        "conformsTo"
    ]
    page = api.collection_items("sources", limit=25, category="catering")
    assert page["numberReturned"] == 25
    assert all(f["properties"]["category"] == "catering" for f in page["features"])
    one = api.collection_item("sources", page["features"][0]["id"])
    assert one["id"] == page["features"][0]["id"]
