"""Radius queries and priority targets, nearest first, with exact distances."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Query, Request, Response

from api import html
from api.collections import get_collection
from api.deps import SettingsDep, StoreDep
from api.params import refuse_unknown_params
from api.responses import (
    FEATURE_FORMATS,
    PAGE_FORMATS,
    export_response,
    stream_feature_collection,
)
from api.responses import pick_format as _pick
from api.schemas import (
    EXPORT_MEDIA_TYPES,
    GEOJSON,
    RadiusFeatureCollection,
    answers,
    enum_of,
    read_extra,
)
from api.settings import Settings
from geo import crs as crs_mod
from geo.geodesy import check_radius_m
from geo.history import flagged_as_of
from geo.io.writers import STREAMED_FORMATS, iter_features, pages_of
from geo.priority import PAGE_SIZE, FlaggedPages, flagged_pages

# Handlers answer Response objects; the media types documented are those each route declares.
router = APIRouter(tags=["Radius and priority"], default_response_class=Response)

RadiusRequired = Annotated[float, Query(description="Radius in metres (geodesic), > 0")]
RadiusOptional = Annotated[float | None, Query(
    description="Radius in metres (geodesic), > 0; default: each station's own radius_m")]
Format = Annotated[str | None, Query(
    description="json (GeoJSON), html, csv, gpkg, shp (zip), kml, fgb, xlsx",
    json_schema_extra=enum_of(FEATURE_FORMATS))]


def _checked_format(
    request: Request, f: str | None, radius_m: float | None, settings: Settings, params: set[str]
) -> str:
    """Check what every radius route checks first; return the response format."""
    refuse_unknown_params(request, params)
    fmt = _pick(request, f, allowed=FEATURE_FORMATS)
    _check_radius(radius_m, settings)
    return fmt


def _check_radius(radius_m: float | None, settings: Settings) -> None:
    if radius_m is not None:
        check_radius_m(radius_m, max_m=settings.max_radius_m)


def _answer(
    request: Request,
    frame: pd.DataFrame | FlaggedPages,
    fmt: str,
    name: str,
    *,
    title: str,
    **extra: Any,
) -> Response:
    """Shape radius and priority results; pages are read as the answer is written."""
    if fmt not in PAGE_FORMATS:
        return export_response(frame, fmt=fmt, name=name)
    counts = {"numberMatched": len(frame), "numberReturned": len(frame)}
    if fmt == "html":
        features = [f for page in pages_of(frame) for f in iter_features(page)]
        body = {"type": "FeatureCollection", **extra, **counts, "links": [], "features": features}
        return html.render(request, "items.html", doc=body, collection=get_collection("sources"),
                           title=title)
    return stream_feature_collection(frame, **extra, **counts)


@router.get(
    "/sources/within", summary="Sources within a radius of a point", openapi_extra=read_extra(),
    responses=answers(RadiusFeatureCollection, media_type=GEOJSON, html=True,
                      files=EXPORT_MEDIA_TYPES, errors=(400, 401, 403)),
)
def sources_within(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    lon: Annotated[float, Query(description="Longitude (or easting for a projected crs)")],
    lat: Annotated[float, Query(description="Latitude (or northing for a projected crs)")],
    radius_m: RadiusRequired,
    crs: Annotated[str, Query(
        description="Coordinate label of lon/lat: wgs84, cgcs2000, gcj02, bd09 or EPSG:n")
    ] = "wgs84",
    f: Format = None,
) -> Response:
    """Return sources whose geodesic distance to the point is <= radius_m, nearest first."""
    fmt = _checked_format(request, f, radius_m, settings, {"lon", "lat", "radius_m", "crs", "f"})
    label = crs_mod.normalize_label(crs)
    x, y = crs_mod.to_lonlat(lon, lat, crs=label, record="query point")
    crs_mod.check_lonlat(x, y, record="query point")
    frame = store.within("sources", float(x), float(y), radius_m=radius_m)
    centre = {"lon": round(float(x), 7), "lat": round(float(y), 7), "radius_m": radius_m}
    return _answer(request, frame, fmt, "within", title="半径范围内污染源", query=centre)


@router.get(
    "/stations/{sid}/sources", summary="Sources within a station's radius",
    openapi_extra=read_extra(),
    responses=answers(RadiusFeatureCollection, media_type=GEOJSON, html=True,
                      files=EXPORT_MEDIA_TYPES, errors=(400, 401, 403, 404)),
)
def station_sources(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    sid: Annotated[str, Path(description="Station id, e.g. M001")],
    radius_m: RadiusOptional = None,
    f: Format = None,
) -> Response:
    """Return sources inside one monitoring point's radius (its own unless given)."""
    fmt = _checked_format(request, f, radius_m, settings, {"radius_m", "f"})
    station = store.get("stations", sid)
    radius = radius_m if radius_m is not None else float(station.properties["radius_m"])
    point = station.geometry
    assert point is not None  # every stored station has a Point (geo.ledger.validate_record)
    frame = store.within("sources", point.x, point.y, radius_m=radius)
    return _answer(request, frame, fmt, f"station-{sid}", title=f"监测点 {sid} 半径范围内污染源",
                   station=sid, radius_m=radius)


@router.get(
    "/priority", summary="Priority targets", openapi_extra=read_extra(),
    responses=answers(RadiusFeatureCollection, media_type=GEOJSON, html=True,
                      files=EXPORT_MEDIA_TYPES, errors=(400, 401, 403)),
)
def priority(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    radius_m: RadiusOptional = None,
    as_of: Annotated[str | None, Query(
        description="YYYY-MM-DD: priority targets as the ledger stood that day (UTC)")] = None,
    include_closed: Annotated[bool, Query(
        description="Add the re-check list: closed sources inside a radius (recheck: true)",
    )] = False,
    f: Format = None,
) -> Response:
    """Return the sources not closed inside some station's radius, nearest first.

    With ``include_closed`` the closed ones inside a radius (``recheck``) come too.
    """
    fmt = _checked_format(request, f, radius_m, settings,
                          {"radius_m", "f", "as_of", "include_closed"})
    title = "重点污染源及复查名单" if include_closed else "重点污染源"
    answered: dict[str, Any] = {"radius_m": radius_m}
    if include_closed:
        answered["include_closed"] = True
    if as_of is not None:
        frame = flagged_as_of(store, day=as_of, radius_m=radius_m, only_priority=True,
                              include_closed=include_closed)
        return _answer(request, frame, fmt, "priority", title=title, **answered)
    # formats that cannot be written page by page get one page: the rows are read once
    page_size = PAGE_SIZE if fmt in (*PAGE_FORMATS, *STREAMED_FORMATS) else None
    pages = flagged_pages(store, radius_m=radius_m, only_priority=True,
                          include_closed=include_closed, page_size=page_size)
    return _answer(request, pages, fmt, "priority", title=title, **answered)
