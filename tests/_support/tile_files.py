"""Small basemap files for tests: MBTiles and PMTiles, raster and vector, drawn from data/.

Raster tiles are PNGs drawn with Pillow from the real district boundary
(``data/zhongyuan-boundary.geojson``): a pale fill inside and a 5 px pure-red
outline (:data:`OUTLINE_RGB`), so a browser test can check that the map's own
district overlay lands on the red line. ``datum="gcj02"`` draws the boundary
shifted to GCJ-02, as a map file made from Amap data would be.

Vector tiles are Mapbox Vector Tiles encoded here by hand (protobuf, spec 2.1):
layers ``district`` (the polygon), ``roads`` (two lines across it) and
``places`` (one named point). PMTiles files are written with the ``pmtiles``
package (the format authors' reference writer, not Zonewatch's reader);
MBTiles files with sqlite3.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from geo.crs import wgs84_to_gcj02

__all__ = ["BACKGROUND_RGB", "FILL_RGB", "OUTLINE_RGB", "Tiles", "district_bbox",
           "district_rings", "encode_mvt", "raster_tiles", "tile_range", "vector_tiles",
           "write_mbtiles", "write_pmtiles"]

BOUNDARY = Path(__file__).resolve().parents[2] / "data" / "zhongyuan-boundary.geojson"
OUTLINE_RGB = (255, 0, 0)
FILL_RGB = (253, 233, 201)
BACKGROUND_RGB = (236, 244, 236)
OUTLINE_PX = 5
Tiles = dict[tuple[int, int, int], bytes]  # (z, x, y) XYZ -> stored bytes
Ring = list[tuple[float, float]]


def district_rings(datum: str = "wgs84") -> list[Ring]:
    """Return the exterior rings of the district (lon, lat), in ``datum``."""
    geometry = json.loads(BOUNDARY.read_text(encoding="utf-8"))["features"][0]["geometry"]
    rings = [polygon[0] for polygon in geometry["coordinates"]]
    if datum == "gcj02":
        shifted = []
        for ring in rings:
            lon, lat = wgs84_to_gcj02(np.array([p[0] for p in ring]),
                                      np.array([p[1] for p in ring]))
            shifted.append(list(zip(lon.tolist(), lat.tolist(), strict=True)))
        return shifted
    return [[(p[0], p[1]) for p in ring] for ring in rings]


def district_bbox(rings: list[Ring]) -> tuple[float, float, float, float]:
    """Return west, south, east, north of ``rings``."""
    lons = [p[0] for ring in rings for p in ring]
    lats = [p[1] for ring in rings for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


def _world_px(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Web Mercator pixel of (lon, lat) at zoom ``z``, 256-px tiles, y down."""
    size = 256 * 2**z
    sin = math.sin(math.radians(lat))
    return ((lon + 180) / 360 * size,
            (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size)


def tile_range(bbox: tuple[float, float, float, float], z: int) -> Iterator[tuple[int, int]]:
    """Yield (x, y) of every tile of zoom ``z`` that ``bbox`` touches."""
    west, south, east, north = bbox
    x0, y0 = (int(v // 256) for v in _world_px(west, north, z))
    x1, y1 = (int(v // 256) for v in _world_px(east, south, z))
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield x, y


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def raster_tiles(rings: list[Ring], zooms: Iterable[int]) -> Tiles:
    """Draw one PNG per tile over the district's box at each zoom level."""
    tiles: Tiles = {}
    bbox = district_bbox(rings)
    for z in zooms:
        for x, y in tile_range(bbox, z):
            image = Image.new("RGB", (256, 256), BACKGROUND_RGB)
            draw = ImageDraw.Draw(image)
            for ring in rings:
                pts = [(px - 256 * x, py - 256 * y)
                       for px, py in (_world_px(lon, lat, z) for lon, lat in ring)]
                draw.polygon(pts, fill=FILL_RGB)
                draw.line(pts + pts[:1], fill=OUTLINE_RGB, width=OUTLINE_PX, joint="curve")
            tiles[(z, x, y)] = _png(image)
    return tiles


# --- Mapbox Vector Tiles, by hand -------------------------------------------------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes | int) -> bytes:
    """One protobuf field: a varint (wire type 0) or length-delimited bytes (type 2)."""
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 31)


def _geometry(kind: int, parts: list[list[tuple[int, int]]]) -> list[int]:
    """Encode point (1), line (2) or polygon (3) parts as MVT commands."""
    commands: list[int] = []
    cx = cy = 0
    for part in parts:
        for i, (x, y) in enumerate(part):
            if i == 0:
                commands.append(1 | 1 << 3)  # MoveTo, one point
            elif i == 1:
                commands.append(2 | (len(part) - 1) << 3)  # LineTo, the rest
            commands += [_zigzag(x - cx), _zigzag(y - cy)]
            cx, cy = x, y
        if kind == 3:
            commands.append(7 | 1 << 3)  # ClosePath
    return commands


def encode_mvt(layers: dict[str, list[tuple[int, list[list[tuple[int, int]]], dict[str, str]]]],
               extent: int = 4096) -> bytes:
    """Return an uncompressed MVT with ``layers``: name -> [(geom type, parts, properties)]."""
    tile = b""
    for name, features in layers.items():
        keys: list[str] = []
        values: list[str] = []
        body = _field(15, 2) + _field(1, name.encode())
        for fid, (kind, parts, props) in enumerate(features, start=1):
            tags = []
            for key, value in props.items():
                if key not in keys:
                    keys.append(key)
                if value not in values:
                    values.append(value)
                tags += [keys.index(key), values.index(value)]
            packed_tags = b"".join(_varint(t) for t in tags)
            packed_geom = b"".join(_varint(c) for c in _geometry(kind, parts))
            feature = (_field(1, fid) + _field(2, packed_tags) + _field(3, kind)
                       + _field(4, packed_geom))
            body += _field(2, feature)
        body += b"".join(_field(3, k.encode()) for k in keys)
        body += b"".join(_field(4, _field(1, v.encode())) for v in values)
        body += _field(5, extent)
        tile += _field(3, body)
    return tile


def vector_tiles(rings: list[Ring], zooms: Iterable[int], *, gzipped: bool = True) -> Tiles:
    """Encode the district, two roads and its name as one MVT per tile over its box."""
    tiles: Tiles = {}
    west, south, east, north = bbox = district_bbox(rings)
    mid_lon, mid_lat = (west + east) / 2, (south + north) / 2
    roads = [[(west, mid_lat), (east, mid_lat)], [(mid_lon, south), (mid_lon, north)]]
    for z in zooms:
        for x, y in tile_range(bbox, z):
            def local(points: Iterable[tuple[float, float]], z: int = z, x: int = x,
                      y: int = y) -> list[tuple[int, int]]:
                return [(round((px - 256 * x) * 16), round((py - 256 * y) * 16))
                        for px, py in (_world_px(lon, lat, z) for lon, lat in points)]
            layers = {
                "district": [(3, [local(ring[:-1]) for ring in rings], {"name": "中原区"})],
                "roads": [(2, [local(line)], {"name": "测试路"}) for line in roads],
                "places": [(1, [local([(mid_lon, mid_lat)])], {"name": "中原区"})],
            }
            data = encode_mvt(layers)
            tiles[(z, x, y)] = gzip.compress(data, mtime=0) if gzipped else data
    return tiles


# --- containers ---------------------------------------------------------------------------

def write_mbtiles(path: Path, tiles: Tiles, metadata: dict[str, str]) -> Path:
    """Write ``tiles`` (XYZ) into an MBTiles file with TMS rows and ``metadata``."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                   "tile_row INTEGER, tile_data BLOB)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                       [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()])
    return path


_TYPES = {"png": TileType.PNG, "jpg": TileType.JPEG, "webp": TileType.WEBP,
          "pbf": TileType.MVT}


def write_pmtiles(path: Path, tiles: Tiles, *, tile_format: str,
                  bounds: tuple[float, float, float, float], metadata: dict[str, object],
                  gzipped_tiles: bool = False) -> Path:
    """Write ``tiles`` into a PMTiles v3 file with the ``pmtiles`` reference writer."""
    west, south, east, north = bounds
    with path.open("wb") as f:
        writer = Writer(f)
        for (z, x, y), data in sorted(tiles.items(), key=lambda t: zxy_to_tileid(*t[0])):
            writer.write_tile(zxy_to_tileid(z, x, y), data)
        writer.finalize({
            "tile_type": _TYPES[tile_format],
            "tile_compression": Compression.GZIP if gzipped_tiles else Compression.NONE,
            "min_lon_e7": int(west * 1e7), "min_lat_e7": int(south * 1e7),
            "max_lon_e7": int(east * 1e7), "max_lat_e7": int(north * 1e7),
            "center_zoom": 0, "center_lon_e7": int((west + east) / 2 * 1e7),
            "center_lat_e7": int((south + north) / 2 * 1e7),
        }, metadata)
    return path
