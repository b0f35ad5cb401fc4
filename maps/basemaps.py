"""Basemaps: which tiles, in which datum, fetched upstream by the server.

The page never talks to a tile host itself: it asks Zonewatch
(``/map/tiles/{basemap}/{z}/{x}/{y}``) and the server fetches upstream, so
the browser only ever sees one origin and a Tianditu key stays on the server.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass

from geo.errors import InputError, NotFoundError

__all__ = ["Basemap", "choose_basemap", "fetch_tile", "upstream_url"]

LOCAL = "local"  # the XYZ tile server configured in settings (tile_url)


@dataclass(frozen=True)
class Basemap:
    """A tile source: upstream URL template and the datum its tiles are drawn in."""

    name: str
    url: str | None  # None: no tiles, vector boundaries only
    datum: str  # "wgs84" or "gcj02"
    attribution: str = ""


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
    tianditu_key: str | None = None,
) -> Basemap:
    """Return the basemap called ``name`` (default: ``local`` if configured, else ``none``).

    Raises
    ------
    InputError
        An unknown name, ``local`` without a configured ``tile_url`` or
        ``tianditu`` without a key.
    """
    if name is None:
        name = LOCAL if tile_url else "none"
    if name == LOCAL:
        if not tile_url:
            raise InputError("basemap=local needs the tile_url setting (ZONEWATCH_TILE_URL)")
        return Basemap(LOCAL, tile_url, tile_datum)
    if name not in _BUILTIN:
        raise InputError(
            f"basemap must be one of none, osm, tianditu, amap, {LOCAL}; got {name!r}")
    if name == "tianditu" and not tianditu_key:
        raise InputError("basemap=tianditu needs the tianditu_key setting")
    return _BUILTIN[name]


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
