"""The working map: ``GET /map``, its data, its local assets and a tile proxy.

The page only ever talks to this service: scripts and styles come from
``/assets/map/``, data from ``/map/data.json``, tiles from ``/map/tiles/``.
"""

from __future__ import annotations

import urllib.error
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from api.deps import SettingsDep, StoreDep
from api.errors import problem_response
from api.params import refuse_unknown_params
from api.schemas import MapData, answers, read_extra
from api.settings import Settings
from geo.errors import InputError
from geo.store.base import Store
from maps.assets import resolve_asset
from maps.basemaps import Basemap, choose_basemap, fetch_tile, upstream_url
from maps.cache import MapDataCache
from maps.data import MapFilter
from maps.i18n import normalize_lang
from maps.render import MapPage, render_map

# Handlers answer Response objects; the media types documented are those each route declares.
router = APIRouter(tags=["Maps"], default_response_class=Response)

Station = Annotated[str | None, Query(description="Only sources inside this station's radius")]
Category = Annotated[str | None, Query(description="Only sources of this category")]
Priority = Annotated[bool, Query(description="Only priority sources (inside some radius)")]
Community = Annotated[str | None, Query(description="Only sources of this community (社区)")]
_FILTERS = {"station", "category", "priority", "community"}


def _basemap(name: str | None, settings: Settings) -> Basemap:
    return choose_basemap(name, tile_url=settings.tile_url, tile_datum=settings.tile_datum,
                          tianditu_key=settings.tianditu_key)


@router.get("/map", summary="Interactive map of the ledger", openapi_extra=read_extra(),
            responses=answers(html=True, errors=(400, 401, 403, 404)))
def get_map(
    request: Request, store: StoreDep, settings: SettingsDep,
    station: Station = None, category: Category = None, priority: Priority = False,
    community: Community = None,
    lang: Annotated[str, Query(description="zh (default) or en")] = "zh",
    basemap: Annotated[str | None, Query(
        description="none, osm, tianditu, amap or local (the configured tile_url)")] = None,
) -> HTMLResponse:
    """Return the map page; its data is loaded from ``/map/data.json``."""
    refuse_unknown_params(request, _FILTERS | {"lang", "basemap"})
    lang = normalize_lang(lang)
    flt = MapFilter(station=station, category=category, priority=priority, community=community)
    if station is not None:
        store.get("stations", station)
    chosen = _basemap(basemap, settings)
    params = {**flt.as_params(), "datum": chosen.datum}
    page = MapPage(
        lang=lang, basemap=chosen, data_url=f"/map/data.json?{urlencode(params)}",
        tile_url=f"/map/tiles/{chosen.name}/{{z}}/{{x}}/{{y}}",
    )
    return HTMLResponse(render_map(page))


@router.get("/map/data.json", summary="Compact data of the map (column arrays)",
            openapi_extra=read_extra(),
            responses=answers(MapData, not_modified=True, errors=(400, 401, 403, 404)))
def get_map_data(
    request: Request, store: StoreDep,
    station: Station = None, category: Category = None, priority: Priority = False,
    community: Community = None,
    datum: Annotated[str, Query(description="wgs84 (default) or gcj02 (for Amap)")] = "wgs84",
) -> Response:
    """Return sources, stations and backdrop for the map, gzip-compressed when accepted.

    The answer is kept while the ledger is unchanged (``maps.cache``); its
    ``ETag`` lets a browser that has it already get a 304 instead.
    """
    refuse_unknown_params(request, _FILTERS | {"datum"})
    if datum not in ("wgs84", "gcj02"):
        raise InputError(f"datum must be wgs84 or gcj02; got {datum!r}")
    flt = MapFilter(station=station, category=category, priority=priority, community=community)
    body = _data_cache(request, store).body(flt, datum=datum)
    headers = {"Vary": "Accept-Encoding", "Cache-Control": "no-cache", "ETag": body.etag}
    if body.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" not in request.headers.get("accept-encoding", ""):
        return Response(body.plain(), media_type="application/json", headers=headers)
    headers["Content-Encoding"] = "gzip"
    return Response(body.gzipped, media_type="application/json", headers=headers)


def _data_cache(request: Request, store: Store) -> MapDataCache:
    """Return the app's cache of map data, made on first use (one per app and store)."""
    cache = getattr(request.app.state, "map_data_cache", None)
    if cache is None or cache.store is not store:
        cache = request.app.state.map_data_cache = MapDataCache(store)
    return cache


@router.get("/map/tiles/{basemap}/{z}/{x}/{y}", summary="Basemap tile, fetched upstream",
            openapi_extra=read_extra(),
            responses=answers(files=("image/*",), errors=(400, 401, 403, 404, 502)))
def get_tile(
    request: Request, settings: SettingsDep, basemap: str,
    z: Annotated[int, Path(ge=0, le=20)], x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
) -> Response:
    """Proxy one tile so the page talks to one origin and keys stay server-side."""
    url = upstream_url(_basemap(basemap, settings), z, x, y, key=settings.tianditu_key)
    try:
        content, media_type = fetch_tile(url)
    except (urllib.error.URLError, OSError) as exc:  # the tile host, not our data
        return problem_response(request, 502, "Tile server unavailable",
                                f"basemap {basemap!r}: {type(exc).__name__}")
    return Response(content, media_type=media_type,
                    headers={"Cache-Control": "public, max-age=86400"})


@router.get("/assets/map/{path:path}", include_in_schema=False)
def get_asset(path: str) -> FileResponse:
    """Serve a vendored script, stylesheet or image of the map."""
    return FileResponse(resolve_asset(path), headers={"Cache-Control": "public, max-age=3600"})
