"""OGC API – Features Part 4: create, replace, patch and delete single features.

Every change needs an editor token; replace, patch and delete need the
``If-Match`` ETag of the version they change (428 without, 412 when stale).
Derived and system fields in a body are ignored (see :mod:`geo.edits`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from starlette.exceptions import HTTPException

from api.auth import EditorDep, actor_of
from api.collections import get_collection, page_frame
from api.deps import SettingsDep, StoreDep
from api.etags import etag_for, expected_version
from api.responses import GEOJSON, json_response
from geo.edits import feature_from_geojson, patch_feature
from geo.errors import InputError, NotFoundError
from geo.inspections import record_inspection
from geo.io.writers import iter_features
from geo.store import Query as StoreQuery
from geo.store import Store

__all__ = ["feature_response", "json_body", "router"]

router = APIRouter(tags=["Edits (OGC API – Features Part 4)"])

EDITABLE = ("sources", "stations", "inspections")
_JSON_TYPES = ("application/json", "application/geo+json")
MERGE_PATCH = "application/merge-patch+json"

CollectionId = Annotated[str, Path(description="sources, stations or inspections")]
FeatureId = Annotated[str, Path(description="Feature id, e.g. S00001")]
CrsParam = Annotated[str, Query(
    description="Coordinate label of the body's geometry: wgs84, cgcs2000, gcj02, bd09, EPSG:n")]
IfMatch = Annotated[str | None, Header(description="The ETag of the version being changed")]


async def json_body(request: Request, settings: SettingsDep) -> Any:
    """Return the parsed JSON body; 415 for another media type, 413 when too large."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    allowed = (*_JSON_TYPES, MERGE_PATCH) if request.method == "PATCH" else _JSON_TYPES
    if media not in allowed:
        raise HTTPException(415, f"send the body as {' or '.join(allowed)}, not {media!r}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_upload_bytes:
        raise HTTPException(413, f"body is larger than {settings.max_upload_bytes} bytes")
    raw = await request.body()
    if len(raw) > settings.max_upload_bytes:
        raise HTTPException(413, f"body is larger than {settings.max_upload_bytes} bytes")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"the body is not valid JSON ({exc})") from None


Body = Annotated[Any, Depends(json_body)]


def _editable(cid: str) -> str:
    collection = get_collection(cid)
    if cid not in EDITABLE:
        raise HTTPException(405, f"collection {collection.id!r} is read-only")
    return cid


def feature_response(
    request: Request, store: Store, cid: str, fid: str, *, status: int = 200
) -> Response:
    """Answer one feature as GET would (derived fields included) with its ETag."""
    frame, _ = page_frame(store, get_collection(cid), StoreQuery(ids=(fid,)), priority=None)
    if not len(frame):
        raise NotFoundError(f"no feature {fid!r} in collection {cid!r}")
    feature = next(iter_features(frame))
    headers = {"ETag": etag_for(cid, fid, feature["properties"].get("version"))}
    if status == 201:
        headers["Location"] = f"{str(request.base_url).rstrip('/')}/collections/{cid}/items/{fid}"
    response = json_response(feature, media_type=GEOJSON, **headers)
    response.status_code = status
    return response


@router.post("/collections/{cid}/items", status_code=201, summary="Create a feature")
def create_item(
    request: Request, store: StoreDep, token: EditorDep, cid: CollectionId, body: Body,
    crs: CrsParam = "wgs84",
) -> Response:
    """Create a feature from a GeoJSON Feature; 201 with Location and ETag."""
    layer = _editable(cid)
    feature = feature_from_geojson(layer, body, crs=crs)
    if layer == "inspections":
        stored = record_inspection(store, feature, actor=actor_of(token))
    else:
        stored = store.create(layer, feature, actor=actor_of(token))
    return feature_response(request, store, cid, str(stored.id), status=201)


@router.put("/collections/{cid}/items/{fid}", summary="Replace a feature")
def replace_item(
    request: Request, store: StoreDep, token: EditorDep, cid: CollectionId, fid: FeatureId,
    body: Body, if_match: IfMatch = None, crs: CrsParam = "wgs84",
) -> Response:
    """Replace every field and the geometry; fields left out take their defaults."""
    layer = _editable(cid)
    version = expected_version(if_match, cid=cid, fid=fid)
    feature = feature_from_geojson(layer, body, crs=crs)
    if feature.id not in (None, fid):
        raise InputError(f"the body's id {feature.id!r} is not {fid!r}: ids never change")
    full = _all_fields(layer, feature.properties)
    store.update(layer, fid, full, feature.geometry, expected_version=version,
                 actor=actor_of(token))
    return feature_response(request, store, cid, fid)


@router.patch("/collections/{cid}/items/{fid}", summary="Patch a feature (JSON merge patch)")
def patch_item(
    request: Request, store: StoreDep, token: EditorDep, cid: CollectionId, fid: FeatureId,
    body: Body, if_match: IfMatch = None, crs: CrsParam = "wgs84",
) -> Response:
    """Apply an RFC 7396 merge patch of the GeoJSON feature (``properties``, ``geometry``)."""
    layer = _editable(cid)
    version = expected_version(if_match, cid=cid, fid=fid)
    current = store.get(layer, fid)
    properties, geometry = patch_feature(layer, current, body, crs=crs)
    store.update(layer, fid, _all_fields(layer, properties), geometry,
                 expected_version=version, actor=actor_of(token))
    return feature_response(request, store, cid, fid)


@router.delete("/collections/{cid}/items/{fid}", status_code=204, summary="Delete a feature")
def delete_item(
    store: StoreDep, token: EditorDep, cid: CollectionId, fid: FeatureId,
    if_match: IfMatch = None,
) -> Response:
    """Delete a feature; its history stays."""
    layer = _editable(cid)
    version = expected_version(if_match, cid=cid, fid=fid)
    store.delete(layer, fid, expected_version=version, actor=actor_of(token))
    return Response(status_code=204)


def _all_fields(layer: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Every editable field of ``layer``: given values, None (the default) for the rest."""
    from geo.ledger import SYSTEM_FIELDS, get_layer

    target = get_layer(layer)
    unknown = set(properties) - set(target.field_names)
    if unknown:
        # Let the ledger name the field: validation refuses unknown keys.
        return dict(properties)
    names = [n for n in target.field_names if n != "id" and n not in SYSTEM_FIELDS]
    return {n: properties.get(n) for n in names}
