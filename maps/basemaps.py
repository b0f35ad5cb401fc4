"""Basemaps: which tiles, in which datum, fetched upstream by the server.

The page never talks to a tile host itself: it asks Zonewatch
(``/map/tiles/{basemap}/{z}/{x}/{y}``) and the server fetches upstream, so
the browser only ever sees one origin and a Tianditu key stays on the server.
An office with no internet names a map file instead (``basemap_file``): an
MBTiles or PMTiles file whose tiles Zonewatch serves itself (``file``,
:mod:`maps.tilefiles`), raster or vector.

Every basemap has a datum: on a GCJ-02 one (Amap, or a file drawn from Amap
data) the page asks for its overlays in GCJ-02 so they line up, so switching
between basemaps of different datums reloads the page.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from typing import Any

from geo.errors import InputError, NotFoundError
from maps.tilefiles import Tile, TileFileInfo, open_tile_file

__all__ = ["FILE", "LOCAL", "Basemap", "basemap_choices", "choose_basemap", "fetch_tile",
           "file_tile", "switcher_config", "upstream_url"]

LOCAL = "local"  # the XYZ tile server configured in settings (tile_url)
FILE = "file"  # the MBTiles or PMTiles file configured in settings (basemap_file)


@dataclass(frozen=True)
class Basemap:
    """A tile source: upstream URL template and the datum its tiles are drawn in."""

    name: str
    url: str | None  # None: nothing upstream (no tiles, or tiles from a local file)
    datum: str  # "wgs84" or "gcj02"
    attribution: str = ""
    file: TileFileInfo | None = None  # set for basemap "file" only


_BUILTIN = {
    "none": Basemap("none", None, "wgs84"),
    "osm": Basemap("osm", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "wgs84",
                   "© OpenStreetMap contributors"),
    "tianditu": Basemap(
        "tianditu",
        "https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
        "wgs84", "© 天地图 Tianditu"),
    "amap": Basemap(
        "amap",
        "https://webrd01.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "gcj02", "© 高德地图 Amap"),
}


def choose_basemap(
    name: str | None, *, tile_url: str | None = None, tile_datum: str = "wgs84",
    tianditu_key: str | None = None, basemap_file: str | None = None,
    basemap_file_datum: str = "wgs84",
) -> Basemap:
    """Return the basemap called ``name``.

    The default is ``file`` if a basemap file is configured, else ``local``
    if a tile server is, else ``none``.

    Raises
    ------
    InputError
        An unknown name, or ``file``, ``local`` or ``tianditu`` without its setting.
    TileFileError
        ``file`` names a file that cannot be read as MBTiles or PMTiles.
    """
    if name is None:
        name = FILE if basemap_file else LOCAL if tile_url else "none"
    if name == FILE:
        if not basemap_file:
            raise InputError("basemap=file needs the basemap_file setting "
                             "(ZONEWATCH_BASEMAP_FILE)")
        info = open_tile_file(basemap_file).info
        return Basemap(FILE, None, basemap_file_datum, info.attribution, file=info)
    if name == LOCAL:
        if not tile_url:
            raise InputError("basemap=local needs the tile_url setting (ZONEWATCH_TILE_URL)")
        return Basemap(LOCAL, tile_url, tile_datum)
    if name not in _BUILTIN:
        raise InputError(
            f"basemap must be one of none, osm, tianditu, amap, {LOCAL}, {FILE}; got {name!r}")
    if name == "tianditu" and not tianditu_key:
        raise InputError("basemap=tianditu needs the tianditu_key setting")
    return _BUILTIN[name]


def basemap_choices(
    *, tile_url: str | None = None, tile_datum: str = "wgs84", tianditu_key: str | None = None,
    basemap_file: str | None = None, basemap_file_datum: str = "wgs84",
) -> list[tuple[str, str]]:
    """Return ``(name, datum)`` of every basemap the settings make available, in menu order.

    Examples
    --------
    >>> basemap_choices(basemap_file="office.pmtiles", basemap_file_datum="gcj02")
    [('none', 'wgs84'), ('file', 'gcj02'), ('amap', 'gcj02'), ('osm', 'wgs84')]
    """
    choices = [("none", "wgs84")]
    if basemap_file:
        choices.append((FILE, basemap_file_datum))
    if tile_url:
        choices.append((LOCAL, tile_datum))
    if tianditu_key:
        choices.append(("tianditu", _BUILTIN["tianditu"].datum))
    return choices + [(name, _BUILTIN[name].datum) for name in ("amap", "osm")]


def switcher_config(
    chosen: Basemap, choices: list[tuple[str, str]], *, tile_url: str,
) -> dict[str, Any]:
    """Return what the page's basemap switcher and file layer need (``zonewatch-basemaps.js``).

    ``tile_url`` is the template the browser asks tiles from (``/map/tiles/file/...``).
    """
    info = chosen.file
    return {
        "current": chosen.name,
        "datum": chosen.datum,
        "choices": [{"name": name, "datum": datum} for name, datum in choices],
        "file": None if info is None else {
            "url": tile_url, "vector": info.vector, "format": info.tile_format,
            "minZoom": info.min_zoom, "maxZoom": info.max_zoom,
            # Leaflet's order: [[south, west], [north, east]]
            "bounds": None if info.bounds is None else [
                [info.bounds[1], info.bounds[0]], [info.bounds[3], info.bounds[2]]],
            "name": info.name, "attribution": info.attribution,
            "layers": list(info.vector_layers)},
    }


def file_tile(basemap: Basemap, z: int, x: int, y: int) -> Tile:
    """Return tile ``z/x/y`` of the basemap's local file.

    Raises
    ------
    NotFoundError
        The basemap is not a file, or the file has no such tile.
    TileFileError
        The file cannot be read any more.
    """
    if basemap.file is None:
        raise NotFoundError(f"basemap {basemap.name!r} is not a local file")
    tile = open_tile_file(basemap.file.path).tile(z, x, y)
    if tile is None:
        raise NotFoundError(f"the basemap file has no tile z={z} x={x} y={y}")
    return tile


def upstream_url(basemap: Basemap, z: int, x: int, y: int, *, key: str | None = None) -> str:
    """Return the upstream URL of one tile (never shown to the browser).

    Raises
    ------
    NotFoundError
        The basemap has no tiles or the tile address is outside the pyramid.
    """
    if basemap.url is None:
        raise NotFoundError(f"basemap {basemap.name!r} has no tiles")
    if not (0 <= z <= 20 and 0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFoundError(f"no tile z={z} x={x} y={y}")
    return basemap.url.format(z=z, x=x, y=y, key=key or "")


def fetch_tile(url: str, *, timeout_s: float = 10.0) -> tuple[bytes, str]:
    """Fetch one tile upstream; return its bytes and content type."""
    request = urllib.request.Request(url, headers={"User-Agent": "Zonewatch tile proxy"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
        return response.read(), response.headers.get("Content-Type", "image/png")
