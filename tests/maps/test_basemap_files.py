"""The offline basemap: MBTiles and PMTiles files read by ``maps.tilefiles``, served by the app.

Every file is built here from the district boundary (``tests/_support/tile_files.py``):
PMTiles by the ``pmtiles`` reference writer, MBTiles with sqlite3, vector tiles
encoded by hand. The app runs over the map ledger on both stores.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import zxy_to_tileid

from api.app import create_app
from api.settings import Settings
from geo.store import Store
from maps.tilefiles import TileFileError, open_tile_file, tile_id
from tests._support.tile_files import (
    Tiles,
    district_bbox,
    district_rings,
    raster_tiles,
    vector_tiles,
    write_mbtiles,
    write_pmtiles,
)

RASTER_ZOOMS = range(10, 15)
VECTOR_ZOOMS = range(8, 15)
LAYERS = [{"id": "district"}, {"id": "roads"}, {"id": "places"}]


@dataclass(frozen=True)
class TileFileCase:
    """One basemap file and the tiles written into it."""

    path: Path
    tiles: Tiles
    media_type: str
    gzipped: bool = False


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TileFileCase]:
    """A raster and a vector file of each container, made once for the module."""
    folder = tmp_path_factory.mktemp("basemaps")
    rings = district_rings()
    bbox = district_bbox(rings)
    bounds = ",".join(str(v) for v in bbox)
    raster = raster_tiles(rings, RASTER_ZOOMS)
    vector = vector_tiles(rings, VECTOR_ZOOMS)
    vector_meta = {"name": "矢量测试", "attribution": "© test", "vector_layers": LAYERS}
    return {
        "mbtiles-raster": TileFileCase(write_mbtiles(folder / "raster.mbtiles", raster, {
            "name": "栅格测试", "format": "png", "bounds": bounds, "minzoom": "10",
            "maxzoom": "14", "attribution": "© 中原区"}), raster, "image/png"),
        "pmtiles-raster": TileFileCase(write_pmtiles(
            folder / "raster.pmtiles", raster, tile_format="png", bounds=bbox,
            metadata={"name": "栅格测试", "attribution": "© 中原区"}), raster, "image/png"),
        "pmtiles-vector": TileFileCase(write_pmtiles(
            folder / "vector.pmtiles", vector, tile_format="pbf", bounds=bbox,
            metadata=vector_meta, gzipped_tiles=True),
            vector, "application/vnd.mapbox-vector-tile", gzipped=True),
        "mbtiles-vector": TileFileCase(write_mbtiles(folder / "vector.mbtiles", vector, {
            "name": "矢量测试", "format": "pbf", "bounds": bounds,
            "json": json.dumps({"vector_layers": LAYERS})}),
            vector, "application/vnd.mapbox-vector-tile", gzipped=True),
    }


@pytest.fixture
def serve_file(map_store: Store) -> Iterator[Any]:
    """Return a function giving a TestClient of the app with ``basemap_file`` set."""
    clients: list[TestClient] = []

    def client(path: Path | None, datum: str = "wgs84", **extra: Any) -> TestClient:
        settings = Settings(store=map_store.url, seed_demo=False, basemap_file=path and str(path),
                            basemap_file_datum=datum, **extra)
        clients.append(TestClient(create_app(settings, store=map_store)).__enter__())
        return clients[-1]

    yield client
    for c in clients:
        c.__exit__(None, None, None)


def _config(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="zonewatch-config">(.*?)</script>',
                      html, re.S)
    assert match
    return json.loads(match.group(1))


# --- the reader -------------------------------------------------------------------------

def test_tile_id_follows_the_reference_hilbert_curve():
    assert [tile_id(1, x, y) for x, y in [(0, 0), (0, 1), (1, 1), (1, 0)]] == [1, 2, 3, 4]
    mismatched = [(z, x, y) for z in range(8) for x in range(2**z) for y in range(2**z)
                  if tile_id(z, x, y) != zxy_to_tileid(z, x, y)]
    assert mismatched == []
    assert tile_id(19, 429_000, 208_000) == zxy_to_tileid(19, 429_000, 208_000)


@pytest.mark.parametrize("kind", ["mbtiles-raster", "pmtiles-raster", "pmtiles-vector",
                                  "mbtiles-vector"])
def test_reader_gives_back_every_tile_and_the_metadata(built, kind):
    case = built[kind]
    opened = open_tile_file(case.path)
    assert {k: opened.tile(*k).data for k in case.tiles} == case.tiles
    info = opened.info
    assert info.container == kind.split("-")[0]
    assert info.vector is kind.endswith("vector")
    assert (info.min_zoom, info.max_zoom) == (min(_zooms(kind)), max(_zooms(kind)))
    west, south, east, north = district_bbox(district_rings())
    assert info.bounds == pytest.approx((west, south, east, north), abs=1e-6)
    assert info.name in ("栅格测试", "矢量测试")
    if info.vector:
        assert info.vector_layers == ("district", "roads", "places")
    assert opened.tile(5, 0, 0) is None  # inside the pyramid, not in the file
    assert opened.tile(3, 8, 0) is None and opened.tile(3, 0, -1) is None  # outside it


def _zooms(kind: str) -> range:
    return VECTOR_ZOOMS if kind.endswith("vector") else RASTER_ZOOMS


def test_pmtiles_leaf_directories_and_runs(tmp_path):
    # ~15,000 tiles whose contents repeat at random (so directory offsets do not compress)
    # overflow the 16 kB root directory into leaf directories; a Hilbert-aligned block of
    # identical tiles is stored once, as one entry with a run length
    rng = random.Random(7)
    pool = [rng.randbytes(rng.randint(1, 100)) for _ in range(500)]
    tiles = {(z, x, y): rng.choice(pool) for z in range(8)
             for x in range(2**z) for y in range(2**z) if rng.random() < 0.7}
    same = b"the same sea"
    tiles.update({(8, x, y): same for x in range(16) for y in range(16)})
    path = write_pmtiles(tmp_path / "many.pmtiles", tiles, tile_format="png",
                         bounds=(-180, -85, 180, 85), metadata={})
    with path.open("rb") as f:
        header = Reader(MmapSource(f)).header()
    assert header["leaf_directory_length"] > 0 and header["tile_entries_count"] < len(tiles)
    opened = open_tile_file(path)
    assert all(opened.tile(*k).data == v for k, v in tiles.items())
    missing = [(z, x, y) for z in range(8) for x in range(2**z) for y in range(2**z)
               if (z, x, y) not in tiles]
    assert missing and all(opened.tile(*k) is None for k in missing)
    assert opened.tile(8, 16, 0) is None and opened.tile(9, 0, 0) is None


def test_an_open_file_is_kept_until_it_changes(tmp_path):
    tiles = raster_tiles(district_rings(), [10])
    path = write_mbtiles(tmp_path / "a.mbtiles", tiles, {"format": "png"})
    first = open_tile_file(path)
    assert open_tile_file(str(path)) is first
    key = next(iter(tiles))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE tiles SET tile_data = ?", (b"\x89PNG new",))
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 10**9))
    again = open_tile_file(path)
    assert again is not first and again.tile(*key).data == b"\x89PNG new"


@pytest.mark.parametrize("name", ["地图 #1 ?x%20.mbtiles", "no-suffix"], ids=["odd", "bare"])
def test_a_file_is_known_by_its_bytes_whatever_its_name(tmp_path, built, name):
    path = tmp_path / name
    path.write_bytes(built["mbtiles-raster"].path.read_bytes())
    assert open_tile_file(path).info.container == "mbtiles"
    assert len(open_tile_file(path).info.name) > 0


def _pmtiles_bytes(built) -> bytes:
    return built["pmtiles-raster"].path.read_bytes()


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot be read"),
    (b"just some text, no map\n", "neither an MBTiles nor a PMTiles"),
    (b"PM\x02\x00" + bytes(200), "PMTiles version 2"),
    ("sqlite-no-tiles", "not a readable MBTiles"),
    ("sqlite-empty-tiles", "holds no tiles"),
    ("truncated", "damaged PMTiles"),
    ("brotli", "compression is not supported"),
    ("jpeg2000", "format 'jp2'"),
], ids=["missing", "text", "pmtiles-v2", "sqlite-not-mbtiles", "no-tiles", "truncated",
        "brotli", "unknown-format"])
def test_unusable_files_are_refused_at_start(tmp_path, built, content, message):
    path = tmp_path / "office.mbtiles"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content in ("sqlite-no-tiles", "sqlite-empty-tiles", "jpeg2000"):
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
            if content != "sqlite-no-tiles":
                db.execute("CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)")
            if content == "jpeg2000":
                db.execute("INSERT INTO metadata VALUES ('format', 'jp2')")
                db.execute("INSERT INTO tiles VALUES (0, 0, 0, x'00')")
    elif content == "truncated":
        path.write_bytes(_pmtiles_bytes(built)[:140])
    elif content == "brotli":
        data = bytearray(_pmtiles_bytes(built))
        data[97] = 3  # internal compression: brotli
        path.write_bytes(bytes(data))
    with pytest.raises(TileFileError, match=message):
        Settings(basemap_file=str(path))


def test_settings_read_the_datum_under_either_name(monkeypatch):
    monkeypatch.setenv("ZONEWATCH_BASEMAP_DATUM", "gcj02")
    assert Settings().basemap_file_datum == "gcj02"
    monkeypatch.delenv("ZONEWATCH_BASEMAP_DATUM")
    monkeypatch.setenv("ZONEWATCH_BASEMAP_FILE_DATUM", "gcj02")
    assert Settings().basemap_file_datum == "gcj02"
    with pytest.raises(ValueError, match="basemap_file_datum"):
        Settings(basemap_file_datum="bd09")


# --- served over HTTP ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["mbtiles-raster", "pmtiles-raster", "pmtiles-vector",
                                  "mbtiles-vector"])
def test_tiles_are_served_byte_identical(built, serve_file, kind):
    case = built[kind]
    client = serve_file(case.path)
    for (z, x, y), stored in case.tiles.items():
        with client.stream("GET", f"/map/tiles/file/{z}/{x}/{y}",
                           headers={"Accept-Encoding": "gzip"}) as res:
            raw = b"".join(res.iter_raw())  # the body as sent, before any gzip decoding
        assert res.status_code == 200
        assert res.headers["content-type"] == case.media_type
        assert res.headers.get("content-encoding") == ("gzip" if case.gzipped else None)
        assert raw == stored
    if case.gzipped:  # a client that takes no gzip gets the tile unpacked
        (z, x, y), stored = next(iter(case.tiles.items()))
        plain = client.get(f"/map/tiles/file/{z}/{x}/{y}", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == gzip.decompress(stored)


@pytest.mark.parametrize(("tile", "status"), [
    ("12/0/0", 404), ("9/421/204", 404), ("12/4096/0", 404), ("12/0/4096", 404),
    ("21/0/0", 400), ("12/-1/0", 400), ("12/a/0", 400), ("12/0/1.5", 400),
], ids=["outside-file", "below-min-zoom", "x-outside-pyramid", "y-outside-pyramid",
        "zoom-too-deep", "negative", "not-a-number", "fraction"])
def test_missing_and_bad_tiles_are_problems(built, serve_file, tile, status):
    client = serve_file(built["mbtiles-raster"].path)
    res = client.get(f"/map/tiles/file/{tile}")
    assert res.status_code == status
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["status"] == status


def test_map_opens_on_the_file_and_lists_the_basemaps(built, serve_file):
    case = built["mbtiles-raster"]
    client = serve_file(case.path, tianditu_key="tk-test")
    config = _config(client.get("/map").text)
    assert config["tiles"] is None  # not the proxy: zonewatch-basemaps.js draws the file
    basemaps = config["basemaps"]
    assert basemaps["current"] == "file" and basemaps["datum"] == "wgs84"
    assert [c["name"] for c in basemaps["choices"]] == ["none", "file", "tianditu", "amap",
                                                         "osm"]
    file = basemaps["file"]
    assert file["url"] == "/map/tiles/file/{z}/{x}/{y}" and file["vector"] is False
    assert (file["minZoom"], file["maxZoom"], file["name"]) == (10, 14, "栅格测试")
    west, south, east, north = district_bbox(district_rings())
    assert file["bounds"][0] + file["bounds"][1] == pytest.approx([south, west, north, east])
    assert "datum=wgs84" in config["dataUrl"]
    # leaving the file: the other basemaps still work, in their own datum
    amap = _config(client.get("/map", params={"basemap": "amap"}).text)
    assert amap["basemaps"]["file"] is None and "datum=gcj02" in amap["dataUrl"]
    assert amap["tiles"]["url"] == "/map/tiles/amap/{z}/{x}/{y}"


def test_a_gcj02_file_asks_for_gcj02_data(built, serve_file):
    client = serve_file(built["pmtiles-vector"].path, datum="gcj02", tile_url="http://t/{z}/{x}/{y}")
    config = _config(client.get("/map", params={"category": "catering"}).text)
    assert "datum=gcj02" in config["dataUrl"] and "category=catering" in config["dataUrl"]
    choices = {c["name"]: c["datum"] for c in config["basemaps"]["choices"]}
    assert choices == {"none": "wgs84", "file": "gcj02", "local": "wgs84", "amap": "gcj02",
                       "osm": "wgs84"}
    assert config["basemaps"]["file"]["vector"] is True
    assert config["basemaps"]["file"]["layers"] == ["district", "roads", "places"]
    data = client.get(config["dataUrl"]).json()
    assert data["datum"] == "gcj02"


def test_without_the_setting_there_is_no_file_basemap(serve_file):
    client = serve_file(None)
    assert client.get("/map", params={"basemap": "file"}).status_code == 400
    assert client.get("/map/tiles/file/12/0/0").status_code == 400
    config = _config(client.get("/map").text)
    assert config["basemaps"]["current"] == "none"
    assert [c["name"] for c in config["basemaps"]["choices"]] == ["none", "amap", "osm"]


def test_a_file_that_goes_away_is_a_problem_not_a_crash(tmp_path, built, serve_file):
    path = tmp_path / "moved.pmtiles"
    path.write_bytes(built["pmtiles-raster"].path.read_bytes())
    client = serve_file(path)
    (z, x, y) = next(iter(built["pmtiles-raster"].tiles))
    assert client.get(f"/map/tiles/file/{z}/{x}/{y}").status_code == 200
    path.write_bytes(b"overwritten by something else")
    res = client.get(f"/map/tiles/file/{z}/{x}/{y}")
    assert res.status_code == 503 and res.json()["title"] == "Basemap file unavailable"
    assert str(tmp_path) not in res.text  # the server's paths stay in its log

