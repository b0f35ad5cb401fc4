"""OGC API – Features Part 4: create, replace, patch and delete single features.

Every change needs an editor token; replace, patch and delete need the
``If-Match`` ETag of the version they change (428 without, 412 when stale;
``*`` matches any version). Derived and system fields in a body are ignored
(see :mod:`geo.edits`). Everything that can refuse a write is checked before
it is committed, and the answer after a commit is always the success status.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from starlette.exceptions import HTTPException

from api.auth import EditorDep, actor_of
from api.collections import get_collection, with_derived
from api.deps import SettingsDep, StoreDep
from api.etags import etag_for, expected_version, header_id
from api.responses import GEOJSON, json_response
from geo.edits import (
    change_feature,
    create_feature,
    delete_feature,
    feature_from_geojson,
    patch_feature,
)
from geo.errors import InputError, ZonewatchError
from geo.io.writers import iter_features
from geo.ledger import SYSTEM_FIELDS, Feature, get_layer
from geo.priority import DERIVED_FIELDS
from geo.store import Store

__all__ = ["feature_response", "json_body", "router"]

router = APIRouter(tags=["Edits (OGC API – Features Part 4)"])
log = logging.getLogger("zonewatch.api")

EDITABLE = ("sources", "stations", "inspections")
_JSON_TYPES = ("application/json", "application/geo+json")
MERGE_PATCH = "application/merge-patch+json"

CollectionId = Annotated[str, Path(description="sources, stations or inspections")]
FeatureId = Annotated[str, Path(description="Feature id, e.g. S00001")]
CrsParam = Annotated[str, Query(
    description="Coordinate label of the body's geometry: wgs84, cgcs2000, gcj02, bd09, EPSG:n")]
IfMatch = Annotated[str | None, Header(
    description="The ETag of the version being changed, or * for any version")]


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
        return json.loads(raw, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"the body is not valid JSON ({exc})") from None


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which JSON (RFC 8259) has not: a NaN
    # would pass for "blank" and silently become a field's default.
    raise InputError(f"the body is not valid JSON: {name} is not a JSON number")


Body = Annotated[Any, Depends(json_body)]


def _editable(cid: str) -> str:
    collection = get_collection(cid)
    if cid not in EDITABLE:
        raise HTTPException(405, f"collection {collection.id!r} is read-only")
    return cid


def feature_response(
    request: Request, store: Store, cid: str, feature: Feature, *, status: int = 200
) -> Response:
    """Answer a feature just written, as GET would (derived fields included), with its ETag.

    The answer is built from the stored feature the write returned, not read
    again: once a change is committed, the answer must say so. Derived fields
    that cannot be computed (say a station the radius engine refuses) are
    null and logged; the write itself succeeded.
    """
    fid = str(feature.id)
    frame = _committed_frame(store, cid, feature)
    body = next(iter_features(frame))
    headers = {"ETag": etag_for(cid, fid, feature.version)}
    if status == 201:
        base = str(request.base_url).rstrip("/")
        headers["Location"] = f"{base}/collections/{cid}/items/{header_id(fid)}"
    response = json_response(body, media_type=GEOJSON, **headers)
    response.status_code = status
    return response


def _committed_frame(store: Store, cid: str, feature: Feature) -> pd.DataFrame:
    """One-row frame of ``feature`` in the layer's column order, derived fields added."""
    layer = get_layer(cid)
    row = {name: feature.properties.get(name) for name in layer.field_names}
    row["id"] = feature.id
    frame = pd.DataFrame([row], columns=list(layer.field_names), dtype=object)
    if layer.has_geometry:
        frame = gpd.GeoDataFrame(frame, geometry=[feature.geometry], crs="EPSG:4326")
    if cid != "sources":
        return frame
    try:
        return with_derived(store, frame)
    except ZonewatchError as exc:
        log.warning("derived fields of %s/%s not computed after a write: %s", cid, feature.id, exc)
        for column in DERIVED_FIELDS:
            frame[column] = None
        return frame


@router.post("/collections/{cid}/items", status_code=201, summary="Create a feature")
def create_item(
    request: Request, store: StoreDep, token: EditorDep, cid: CollectionId, body: Body,
    crs: CrsParam = "wgs84",
) -> Response:
    """Create a feature from a GeoJSON Feature; 201 with Location and ETag.

    The id of a deleted feature (whose history is kept) is refused with 409.
    """
    layer = _editable(cid)
    feature = feature_from_geojson(layer, body, crs=crs)
    stored = create_feature(store, layer, feature, actor=actor_of(token))
    return feature_response(request, store, cid, stored, status=201)


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
    current = store.get(layer, fid)
    stored = change_feature(store, layer, current, _all_fields(layer, feature.properties),
                            feature.geometry, expected_version=version, actor=actor_of(token))
    return feature_response(request, store, cid, stored)


@router.patch("/collections/{cid}/items/{fid}", summary="Patch a feature (JSON merge patch)")
def patch_item(
    request: Request, store: StoreDep, token: EditorDep, cid: CollectionId, fid: FeatureId,
    body: Body, if_match: IfMatch = None, crs: CrsParam = "wgs84",
) -> Response:
    """Apply an RFC 7396 merge patch of the GeoJSON feature (``properties``, ``geometry``).

    A patch that changes nothing keeps the version (and adds no history).
    """
    layer = _editable(cid)
    version = expected_version(if_match, cid=cid, fid=fid)
    current = store.get(layer, fid)
    properties, geometry = patch_feature(layer, current, body, crs=crs)
    stored = change_feature(store, layer, current, _all_fields(layer, properties), geometry,
                            expected_version=version, actor=actor_of(token))
    return feature_response(request, store, cid, stored)


@router.delete("/collections/{cid}/items/{fid}", status_code=204, summary="Delete a feature")
def delete_item(
    store: StoreDep, token: EditorDep, cid: CollectionId, fid: FeatureId,
    if_match: IfMatch = None,
) -> Response:
    """Delete a feature; its history stays (and its id is not given to a new feature)."""
    layer = _editable(cid)
    version = expected_version(if_match, cid=cid, fid=fid)
    delete_feature(store, layer, fid, expected_version=version, actor=actor_of(token))
    return Response(status_code=204)


def _all_fields(layer: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Every editable field of ``layer``: given values, None (the default) for the rest."""
    target = get_layer(layer)
    unknown = set(properties) - set(target.field_names)
    if unknown:
        # Let the ledger name the field: validation refuses unknown keys.
        return dict(properties)
    names = [n for n in target.field_names if n != "id" and n not in SYSTEM_FIELDS]
    return {n: properties.get(n) for n in names}
