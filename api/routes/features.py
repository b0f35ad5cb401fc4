"""OGC API – Features Part 1: landing page, conformance, collections, items."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from api import html
from api.case_items import event_type_filter, narrow_cases, timeline_doc
from api.collections import COLLECTIONS, Collection, get_collection, page_frame, with_derived
from api.deps import StoreDep
from api.pages.home import home_page
from api.params import parse_bbox, refuse_unknown_params
from api.responses import FEATURE_FORMATS, GEOJSON, PAGE_FORMATS, export_response, json_response
from api.responses import pick_format as _pick
from api.routes.history import as_of_page
from api.schemas import (
    BBOX,
    COLLECTION_IDS,
    EXPORT_MEDIA_TYPES,
    Collections,
    ConfClasses,
    Feature,
    FeatureCollection,
    Health,
    LandingPage,
    answers,
    documented_as,
    enum_of,
    read_extra,
)
from api.schemas import Collection as CollectionDoc
from geo.errors import InputError
from geo.io.writers import iter_features
from geo.ledger import MAX_ROUND
from geo.store import Query as StoreQuery
from geo.store import Store
from geo.store.base import MAX_STORE_INT

# Handlers answer Response objects; the media types documented are those each route declares.
router = APIRouter(tags=["OGC API – Features"], default_response_class=Response)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

FormatPage = Annotated[str | None, Query(description="Response format: json or html.",
                                         json_schema_extra=enum_of(PAGE_FORMATS))]
FormatFeatures = Annotated[
    str | None,
    Query(description="Response format: json (GeoJSON), html, csv, gpkg, shp (zip), kml, fgb, "
          "xlsx.", json_schema_extra=enum_of(FEATURE_FORMATS)),
]
CollectionId = Annotated[str, Path(description="Collection id: sources, stations, inspections, "
                                   "cases, zones.", json_schema_extra=enum_of(COLLECTION_IDS))]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _self_links(url: str, fmt: str, *, json_type: str = "application/json") -> list[dict]:
    here = "application/json" if fmt == "json" else "text/html"
    other = "html" if fmt == "json" else "json"
    return [
        _link(f"{url}?f={fmt}", "self", json_type if fmt == "json" else here, "this document"),
        _link(f"{url}?f={other}", "alternate",
              "text/html" if other == "html" else json_type, f"this document as {other}"),
    ]


@router.get("/", summary="Landing page", openapi_extra=read_extra(),
            responses=answers(LandingPage, html=True, errors=(400, 401, 403)))
def landing(request: Request, f: FormatPage = None) -> Response:
    """Landing page with links to the API definition, conformance and collections."""
    refuse_unknown_params(request, {"f"})
    fmt = _pick(request, f, allowed=PAGE_FORMATS)
    if fmt == "html" and f is None:  # a person's browser: the workspace, not the API index
        return home_page(request)
    base = _base(request)
    body = {
        "title": "Zonewatch",
        "description": "污染源台账与监测点半径范围 — pollution sources within the radius of "
                       "air-quality monitoring points (OGC API – Features).",
        "links": [
            *_self_links(f"{base}/", fmt),
            _link(f"{base}/api", "service-desc",
                  "application/vnd.oai.openapi+json;version=3.0", "API definition"),
            _link(f"{base}/docs", "service-doc", "text/html", "API documentation"),
            _link(f"{base}/conformance", "conformance", "application/json", "Conformance"),
            _link(f"{base}/collections", "data", "application/json", "Collections"),
            _link(f"{base}/map", "related", "text/html", "地图 Map of sources and stations"),
            _link(f"{base}/reports/summary?f=html", "related", "text/html", "报表 Reports"),
            _link(f"{base}/priority", "related", "application/geo+json",
                  "重点污染源 Priority targets (within each station's radius)"),
        ],
    }
    if fmt == "html":
        return html.render(request, "landing.html", doc=body)
    return json_response(body)


@router.get("/healthz", summary="Health check",  # open: no ledger data (api.auth)
            responses=answers(Health, errors=(400,)))
def healthz(store: StoreDep) -> Response:
    """Answer 200 when the store can be read."""
    return json_response({"status": "ok", "sources": store.count("sources")})


@router.get("/conformance", summary="Conformance classes", openapi_extra=read_extra(),
            responses=answers(ConfClasses, html=True, errors=(400, 401, 403)))
def conformance(request: Request, f: FormatPage = None) -> Response:
    """List the OGC conformance classes this service implements."""
    refuse_unknown_params(request, {"f"})
    fmt = _pick(request, f, allowed=PAGE_FORMATS)
    body = {"conformsTo": CONFORMANCE}
    if fmt == "html":
        return html.render(request, "conformance.html", doc=body)
    return json_response(body)


def _extent(store: Store, collection: Collection) -> dict[str, Any] | None:
    layer = collection.layer or "stations"
    if layer == "inspections":
        return None  # no geometry, so no spatial extent
    frame = store.read(layer)
    bbox = [73.0, 3.0, 136.0, 54.0]
    if len(frame):
        if collection.layer is None:
            from geo.zones import station_zones

            frame = station_zones(frame)
        bbox = [round(float(v), 7) for v in frame.total_bounds]
    return {"spatial": {"bbox": [bbox], "crs": CRS84}}


def _collection_doc(base: str, store: Store, collection: Collection) -> dict[str, Any]:
    url = f"{base}/collections/{collection.id}"
    doc = {
        "id": collection.id,
        "title": f"{collection.title_zh} {collection.title_en}",
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": _extent(store, collection),
        "links": [
            _link(url, "self", "application/json", "this collection"),
            _link(f"{url}?f=html", "alternate", "text/html", "this collection as HTML"),
            _link(f"{url}/items", "items", GEOJSON, "features as GeoJSON"),
            _link(f"{url}/items?f=html", "items", "text/html", "features as HTML"),
        ],
    }
    if doc["extent"] is None:
        del doc["extent"]
    return doc


@router.get("/collections", summary="Collections", openapi_extra=read_extra(),
            responses=answers(Collections, html=True, errors=(400, 401, 403)))
def collections(request: Request, store: StoreDep, f: FormatPage = None) -> Response:
    """Every collection with its extent and links to its items."""
    refuse_unknown_params(request, {"f"})
    fmt = _pick(request, f, allowed=PAGE_FORMATS)
    base = _base(request)
    body = {
        "links": _self_links(f"{base}/collections", fmt),
        "collections": [_collection_doc(base, store, c) for c in COLLECTIONS.values()],
    }
    if fmt == "html":
        return html.render(request, "collections.html", doc=body)
    return json_response(body)


@router.get("/collections/{cid}", summary="One collection", openapi_extra=read_extra(),
            responses=answers(CollectionDoc, html=True, errors=(400, 401, 403, 404)))
def collection(
    request: Request, store: StoreDep, cid: CollectionId, f: FormatPage = None
) -> Response:
    """Describe one collection: extent, item type, links."""
    refuse_unknown_params(request, {"f"})
    fmt = _pick(request, f, allowed=PAGE_FORMATS)
    body = _collection_doc(_base(request), store, get_collection(cid))
    if fmt == "html":
        return html.render(request, "collection.html", doc=body)
    return json_response(body)


_ITEM_PARAMS = {"f", "bbox", "limit", "offset", "datetime", "category", "status", "community",
                "grid", "subdistrict", "priority", "level", "source_id", "result", "round",
                "as_of", "event_type", "type", "channel", "unit", "overdue"}


@router.get(
    "/collections/{cid}/items", summary="Features of a collection", openapi_extra=read_extra(),
    responses=answers(FeatureCollection, media_type=GEOJSON, html=True, files=EXPORT_MEDIA_TYPES,
                      errors=(400, 401, 403, 404)),
)
def items(
    request: Request,
    store: StoreDep,
    cid: CollectionId,
    bbox: Annotated[str | None, Query(
        description="minLon,minLat,maxLon,maxLat in degrees (WGS84 / CRS84)",
        json_schema_extra=documented_as(BBOX))] = None,
    limit: Annotated[int, Query(ge=1, le=10000, description="Features per page (1–10000)")] = 100,
    offset: Annotated[int, Query(
        ge=0, le=MAX_STORE_INT, description="Features to skip (paging); past the end: no features"
    )] = 0,
    datetime: Annotated[str | None, Query(
        description="RFC 3339 date-time or interval (start/end, '..' for open). Cases: "
                    "reported_at in it (a bare date: that whole UTC day); elsewhere checked, "
                    "but selects every feature: ledger features have no temporal geometry")
    ] = None,
    category: Annotated[str | None, Query(description="Source category, e.g. catering")] = None,
    status: Annotated[str | None, Query(
        description="Sources: operating, rectifying or closed; cases: reported, filed, "
                    "dispatched, handled, verified, closed or rejected")] = None,
    community: Annotated[str | None, Query(description="Community (社区) name")] = None,
    grid: Annotated[str | None, Query(description="Grid cell (网格) name")] = None,
    subdistrict: Annotated[str | None, Query(description="Subdistrict (街道) name")] = None,
    priority: Annotated[bool | None, Query(
        description="Only sources inside (true) or outside (false) every station radius")] = None,
    level: Annotated[str | None, Query(description="Station level, e.g. national")] = None,
    source_id: Annotated[str | None, Query(description="Inspections of this source id")] = None,
    result: Annotated[str | None, Query(description="Inspection result")] = None,
    round: Annotated[int | None, Query(
        ge=1, le=MAX_ROUND, description=f"Inspection round, 1 to {MAX_ROUND}")] = None,
    as_of: Annotated[str | None, Query(
        description="YYYY-MM-DD: the ledger as it stood at the end of that day (UTC)")] = None,
    event_type: Annotated[str | None, Query(description="Case event type code")] = None,
    type_: Annotated[str | None, Query(alias="type", description="Alias of event_type")] = None,
    channel: Annotated[str | None, Query(description="Case channel, e.g. patrol")] = None,
    unit: Annotated[str | None, Query(description="Responsible unit of a case")] = None,
    overdue: Annotated[bool | None, Query(
        description="Only cases open and past their deadline now (true), or the others")] = None,
    f: FormatFeatures = None,
) -> Response:
    """Features of a collection, filtered and paged, with next/prev links."""
    refuse_unknown_params(request, _ITEM_PARAMS)
    fmt = _pick(request, f, allowed=FEATURE_FORMATS)
    target = get_collection(cid)
    given = {"category": category, "status": status, "community": community, "grid": grid,
             "subdistrict": subdistrict, "level": level, "source_id": source_id,
             "result": result, "round": round, "channel": channel, "unit": unit,
             "event_type": event_type_filter(event_type, type_)}
    filters = _collection_filters(target, given, priority)
    query = StoreQuery(bbox=parse_bbox(bbox), filters=filters, limit=limit, offset=offset)
    if as_of is not None and target.id == "cases" and (overdue, datetime) != (None, None):
        raise InputError("as_of cannot be combined with overdue or datetime on cases")
    query = narrow_cases(store, target.id, query, overdue=overdue, datetime_text=datetime,
                         now=dt.datetime.now(dt.UTC))
    frame, matched = (page_frame(store, target, query, priority=priority) if as_of is None
                      else as_of_page(store, target, query, priority=priority, as_of=as_of))
    if fmt not in PAGE_FORMATS:
        return export_response(frame, fmt=fmt, name=cid)
    body = _feature_collection(request, frame, matched=matched, limit=limit, offset=offset)
    if fmt == "html":
        return html.render(request, "items.html", doc=body, collection=target)
    return json_response(body, media_type=GEOJSON)


def _collection_filters(
    target: Collection, given: dict[str, Any], priority: bool | None
) -> dict[str, Any]:
    from geo.errors import InputError

    filters = {k: v for k, v in given.items() if v is not None}
    not_here = [k for k in filters if k not in target.filters]
    if priority is not None and "priority" not in target.filters:
        not_here.append("priority")
    if not_here:
        raise InputError(
            f"collection {target.id!r} cannot be filtered by {', '.join(sorted(not_here))}"
        )
    return filters


def _page_url(request: Request, offset: int, fmt: str = "json") -> str:
    params = dict(request.query_params)
    params["offset"] = str(offset)
    params["f"] = fmt
    return str(request.url.replace_query_params(**params))


def _feature_collection(
    request: Request, frame: Any, *, matched: int, limit: int, offset: int
) -> dict[str, Any]:
    links = [
        _link(_page_url(request, offset), "self", GEOJSON, "this page"),
        _link(_page_url(request, offset, "html"), "alternate", "text/html", "this page as HTML"),
    ]
    if offset + len(frame) < matched:
        links.append(_link(_page_url(request, offset + limit), "next", GEOJSON, "next page"))
    if offset > 0:
        links.append(_link(_page_url(request, max(0, offset - limit)), "prev", GEOJSON,
                           "previous page"))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "type": "FeatureCollection",
        "timeStamp": stamp,
        "numberMatched": matched,
        "numberReturned": len(frame),
        "links": links,
        "features": list(iter_features(frame)),
    }


@router.get(
    "/collections/{cid}/items/{fid}", summary="One feature", openapi_extra=read_extra(),
    responses=answers(Feature, media_type=GEOJSON, html=True, headers=("ETag",),
                      errors=(400, 401, 403, 404)),
)
def item(
    request: Request,
    store: StoreDep,
    cid: CollectionId,
    fid: Annotated[str, Path(description="Feature id, e.g. S00001")],
    f: FormatPage = None,
) -> Response:
    """One feature as GeoJSON (or HTML), with an ETag of its stored version."""
    refuse_unknown_params(request, {"f"})
    fmt = _pick(request, f, allowed=PAGE_FORMATS)
    target = get_collection(cid)
    frame, _ = page_frame(store, target, StoreQuery(ids=(fid,)), priority=None)
    if not len(frame):
        from geo.errors import NotFoundError

        raise NotFoundError(f"no feature {fid!r} in collection {cid!r}")
    feature = next(iter_features(frame))
    base = f"{_base(request)}/collections/{cid}"
    feature["links"] = [
        _link(f"{base}/items/{fid}", "self", GEOJSON, "this feature"),
        _link(f"{base}/items/{fid}?f=html", "alternate", "text/html", "this feature as HTML"),
        _link(base, "collection", "application/json", "the collection"),
    ]
    if cid == "cases":  # a case carries its timeline (the list does not: one read per case)
        feature["properties"]["timeline"] = timeline_doc(store, fid)
    etag = _etag(cid, fid, feature)
    if fmt == "html":
        return html.render(request, "item.html", doc=feature, collection=target)
    return json_response(feature, media_type=GEOJSON, ETag=etag)


def _etag(cid: str, fid: str, feature: dict[str, Any]) -> str:
    version = feature["properties"].get("version")
    if version is not None:
        from api.etags import etag_for  # ASCII header even for a Chinese id

        return etag_for(cid, fid, version)
    digest = hashlib.sha256(repr(feature).encode()).hexdigest()[:16]
    return f'"{digest}"'


__all__ = ["router", "with_derived"]
