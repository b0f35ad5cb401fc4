"""The working map: ``GET /map``, its data, its local assets and a tile proxy.

The page only ever talks to this service: scripts and styles come from
``/assets/map/``, data from ``/map/data.json``, tiles from ``/map/tiles/``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import urllib.error
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from api.deps import SettingsDep, StoreDep
from api.errors import problem_response
from api.map_editing import editing_for
from api.params import refuse_unknown_params
from api.schemas import MapCases, MapData, answers, read_extra
from api.settings import Settings
from geo.errors import InputError, NotFoundError
from geo.store.base import Store
from maps.assets import resolve_asset
from maps.basemaps import (
    Basemap,
    basemap_choices,
    choose_basemap,
    fetch_tile,
    file_tile,
    switcher_config,
    upstream_url,
)
from maps.cache import MapDataCache
from maps.cases_layer import open_cases
from maps.data import MapFilter
from maps.i18n import normalize_lang
from maps.render import MapPage, render_map
from maps.tilefiles import Tile, TileFileError

log = logging.getLogger("zonewatch.api")
# Handlers answer Response objects; the media types documented are those each route declares.
router = APIRouter(tags=["Maps"], default_response_class=Response)

Station = Annotated[str | None, Query(description="Only sources inside this station's radius")]
Category = Annotated[str | None, Query(description="Only sources of this category")]
Priority = Annotated[bool, Query(description="Only priority sources (inside some radius)")]
Community = Annotated[str | None, Query(description="Only sources of this community (社区)")]
_FILTERS = {"station", "category", "priority", "community"}


def _basemap_settings(settings: Settings) -> dict[str, Any]:
    return {"tile_url": settings.tile_url, "tile_datum": settings.tile_datum,
            "tianditu_key": settings.tianditu_key, "basemap_file": settings.basemap_file,
            "basemap_file_datum": settings.basemap_file_datum}


def _basemap(name: str | None, settings: Settings) -> Basemap:
    return choose_basemap(name, **_basemap_settings(settings))


def _switcher(chosen: Basemap, settings: Settings) -> dict[str, Any]:
    """Return the basemap switcher's config: every configured basemap, the file's tiles."""
    return switcher_config(chosen, basemap_choices(**_basemap_settings(settings)),
                           tile_url=f"/map/tiles/{chosen.name}/{{z}}/{{x}}/{{y}}")


@router.get("/map", summary="Interactive map of the ledger", openapi_extra=read_extra(),
            responses=answers(html=True, errors=(400, 401, 403, 404)))
def get_map(
    request: Request, store: StoreDep, settings: SettingsDep,
    station: Station = None, category: Category = None, priority: Priority = False,
    community: Community = None,
    lang: Annotated[str, Query(description="zh (default) or en")] = "zh",
    basemap: Annotated[str | None, Query(
        description="none, osm, tianditu, amap, local (the configured tile_url) or file "
        "(the configured basemap_file, the default when set)")] = None,
    focus: Annotated[str | None, Query(
        description="A source or an open case to go to and open on arrival, e.g. S0001")] = None,
) -> HTMLResponse:
    """Return the map page; its data is loaded from ``/map/data.json``."""
    refuse_unknown_params(request, _FILTERS | {"lang", "basemap", "focus"})
    if focus is not None:
        _check_focus(store, focus)
    lang = normalize_lang(lang)
    flt = MapFilter(station=station, category=category, priority=priority, community=community)
    if station is not None:
        store.get("stations", station)
    chosen = _basemap(basemap, settings)
    params = {**flt.as_params(), "datum": chosen.datum}
    page = MapPage(
        lang=lang, basemap=chosen, data_url=f"/map/data.json?{urlencode(params)}",
        tile_url=f"/map/tiles/{chosen.name}/{{z}}/{{x}}/{{y}}", edit=editing_for(request),
        basemaps=_switcher(chosen, settings), cases_url="/map/cases.json", focus=focus,
    )
    # an editor's page holds the session's CSRF token: never kept by any cache
    headers = {"Cache-Control": "no-store"} if page.edit else {}
    return HTMLResponse(render_map(page), headers=headers)


def _check_focus(store: Store, fid: str) -> None:
    """404 unless ``fid`` is a source or a case (the page would have nothing to open)."""
    try:
        store.get("sources", fid)
    except NotFoundError:
        store.get("cases", fid)


@router.get("/map/cases.json", summary="Open cases of the map, by time left",
            openapi_extra=read_extra(), responses=answers(MapCases, errors=(400, 401, 403)))
def get_map_cases(
    request: Request, store: StoreDep,
    datum: Annotated[str, Query(description="wgs84 (default) or gcj02 (for Amap)")] = "wgs84",
) -> JSONResponse:
    """Return the open cases, each with its time left and band (``maps.cases_layer``).

    Worked out per request, at the request's moment: never stale after a case action.
    """
    refuse_unknown_params(request, {"datum"})
    body = open_cases(store, now=dt.datetime.now(dt.UTC), datum=datum)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


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
            responses=answers(files=("image/*", "application/vnd.mapbox-vector-tile"),
                              errors=(400, 401, 403, 404, 502, 503)))
def get_tile(
    request: Request, settings: SettingsDep, basemap: str,
    z: Annotated[int, Path(ge=0, le=20)], x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
) -> Response:
    """Proxy one tile so the page talks to one origin and keys stay server-side.

    Basemap ``file`` answers from the configured MBTiles or PMTiles file, with no upstream.
    """
    try:
        chosen = _basemap(basemap, settings)
        if chosen.file is not None:
            return _file_tile_response(request, file_tile(chosen, z, x, y))
    except TileFileError as exc:  # replaced or damaged since start: say so, keep paths private
        log.error("basemap file unusable on %s: %s", request.url.path, exc)
        return problem_response(request, 503, "Basemap file unavailable",
                                "the basemap file (ZONEWATCH_BASEMAP_FILE) cannot be read; "
                                "the server log says why")
    url = upstream_url(chosen, z, x, y, key=settings.tianditu_key)
    try:
        content, media_type = fetch_tile(url)
    except (urllib.error.URLError, OSError) as exc:  # the tile host, not our data
        return problem_response(request, 502, "Tile server unavailable",
                                f"basemap {basemap!r}: {type(exc).__name__}")
    return Response(content, media_type=media_type,
                    headers={"Cache-Control": "public, max-age=86400"})


def _file_tile_response(request: Request, tile: Tile) -> Response:
    """Answer a tile of the local file; a gzipped vector tile goes as stored if accepted."""
    headers = {"Cache-Control": "public, max-age=3600", "Vary": "Accept-Encoding"}
    content = tile.data
    if tile.encoding == "gzip":
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
        else:
            content = gzip.decompress(content)
    return Response(content, media_type=tile.media_type, headers=headers)


@router.get("/assets/map/{path:path}", include_in_schema=False)
def get_asset(path: str) -> FileResponse:
    """Serve a vendored script, stylesheet or image of the map."""
    return FileResponse(resolve_asset(path), headers={"Cache-Control": "public, max-age=3600"})
