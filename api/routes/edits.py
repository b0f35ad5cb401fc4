"""OGC API – Features Part 4: create, replace, patch and delete single features.

Every change needs an editor token; replace, patch and delete need the
``If-Match`` ETag of the version they change (428 without, 412 when stale;
``*`` is 428 too unless ``Settings.allow_if_match_any``). Derived and system
fields in a body are ignored (see :mod:`geo.edits`). Everything that can
refuse a write is checked before it is committed, and the answer after a
commit is always the success status.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Annotated, Any

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException

import geo.writes
from api.auth import EditorDep, actor_of
from api.case_items import refuse_generic_write
from api.collections import COLLECTIONS, get_collection, with_derived
from api.deps import SettingsDep, StoreDep
from api.etags import etag_for, expected_version, header_id
from api.responses import GEOJSON, json_response
from api.schemas import (
    JSON_BODY_TYPES,
    PATCH_BODY_TYPES,
    STORED_COLLECTION_IDS,
    FeatureInput,
    FeaturePatch,
    answers,
    enum_of,
    request_body,
    write_extra,
)
from api.schemas import Feature as FeatureDoc
from api.settings import Settings
from geo.edits import feature_from_geojson, patch_feature
from geo.errors import InputError, ZonewatchError
from geo.io.writers import iter_features
from geo.ledger import SYSTEM_FIELDS, Feature, get_layer
from geo.priority import DERIVED_FIELDS
from geo.store import Store

__all__ = ["MAX_BODY_DEPTH", "feature_response", "json_body", "parse_json", "router"]

# Handlers answer Response objects; the media types documented are those each route declares.
router = APIRouter(tags=["Edits (OGC API – Features Part 4)"], default_response_class=Response)
log = logging.getLogger("zonewatch.api")

#: Collections derived from others (the zones) take no writes; the stored ones do.
DERIVED = tuple(c.id for c in COLLECTIONS.values() if c.layer is None)
_JSON_TYPES = ("application/json", "application/geo+json")
MERGE_PATCH = "application/merge-patch+json"

CollectionId = Annotated[str, Path(description="sources, stations or inspections",
                                   json_schema_extra=enum_of(STORED_COLLECTION_IDS))]
FeatureId = Annotated[str, Path(description="Feature id, e.g. S00001")]
CrsParam = Annotated[str, Query(
    description="Coordinate label of the body's geometry: wgs84, cgcs2000, gcj02, bd09, EPSG:n")]
IfMatch = Annotated[str | None, Header(
    description="Needed for every change (428 without; 412 when stale): the ETag of the version "
                "being changed (* for any version only where the allow_if_match_any setting "
                "is on)")]


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
    return parse_json(raw)


#: GeoJSON needs about 7 levels (a FeatureCollection's MultiPolygon coordinates).
MAX_BODY_DEPTH = 32
_TOO_DEEP = f"the body is nested more than {MAX_BODY_DEPTH} levels deep"


def parse_json(raw: bytes) -> Any:
    """Parse a JSON request body, refusing NaN/Infinity and nesting beyond :data:`MAX_BODY_DEPTH`.

    Raises
    ------
    InputError
        Not JSON (RFC 8259), or nested too deeply (Python's parser, and the
        recursive code after it such as shapely, would exhaust the stack).
    """
    try:
        doc = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise InputError(_TOO_DEEP) from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, a number past 4300 digits
        raise InputError(f"the body is not valid JSON ({exc})") from None
    if _depth_over(doc, MAX_BODY_DEPTH):
        raise InputError(_TOO_DEEP)
    return doc


def _depth_over(doc: Any, limit: int) -> bool:
    """Whether arrays and objects in ``doc`` nest more than ``limit`` deep (no recursion)."""
    stack = [(doc, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Iterable[Any] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which JSON (RFC 8259) has not: a NaN
    # would pass for "blank" and silently become a field's default.
    raise InputError(f"the body is not valid JSON: {name} is not a JSON number")


Body = Annotated[Any, Depends(json_body)]


class _StoredCollection(Convertor[str]):
    """The ``{cid:stored}`` path segment: any collection id but a derived one.

    So no write route matches a path of the zones: a write there is a 405
    whose ``Allow``, computed from the routes (:mod:`api.errors`), names the
    reads only, as for any other path that takes no writes.
    """

    regex = "(?!(?:" + "|".join(re.escape(cid) for cid in DERIVED) + ")/)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("stored", _StoredCollection())


def _editable(cid: CollectionId) -> str:
    """Return ``cid`` when it names a collection that takes these writes.

    NotFoundError (404) for no such collection; NotPermittedError (403) for
    cases, which change only through the case loop (:mod:`api.routes.cases`).
    """
    target = get_collection(cid).id
    refuse_generic_write(target)
    return target


# Declared before the token and the body: an unknown collection is 404 whatever is sent.
Editable = Annotated[str, Depends(_editable)]


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


@router.post(
    "/collections/{cid:stored}/items", status_code=201, summary="Create a feature",
    openapi_extra=write_extra(request_body(FeatureInput, media_types=JSON_BODY_TYPES,
                                      description="The new feature as a GeoJSON Feature")),
    responses=answers(FeatureDoc, status=201, media_type=GEOJSON, headers=("ETag", "Location"),
                      errors=(400, 401, 403, 404, 409, 413, 415, 422)),
)
def create_item(
    request: Request, store: StoreDep, cid: Editable, token: EditorDep, body: Body,
    crs: CrsParam = "wgs84",
) -> Response:
    """Create a feature from a GeoJSON Feature; 201 with Location and ETag.

    The id of a deleted feature (whose history is kept) is refused with 409.
    """
    feature = feature_from_geojson(cid, body, crs=crs)
    stored = geo.writes.create(store, cid, feature, actor=actor_of(token))
    return feature_response(request, store, cid, stored, status=201)


@router.put(
    "/collections/{cid:stored}/items/{fid}", summary="Replace a feature",
    openapi_extra=write_extra(request_body(FeatureInput, media_types=JSON_BODY_TYPES,
                                      description="The whole feature as a GeoJSON Feature")),
    responses=answers(FeatureDoc, media_type=GEOJSON, headers=("ETag",),
                      errors=(400, 401, 403, 404, 412, 413, 415, 422, 428)),
)
def replace_item(
    request: Request, store: StoreDep, settings: SettingsDep, cid: Editable, token: EditorDep,
    fid: FeatureId, body: Body, if_match: IfMatch = None, crs: CrsParam = "wgs84",
) -> Response:
    """Replace every field and the geometry; fields left out take their defaults."""
    version = _version_to_change(if_match, settings, cid=cid, fid=fid)
    feature = feature_from_geojson(cid, body, crs=crs)
    if feature.id not in (None, fid):
        raise InputError(f"the body's id {feature.id!r} is not {fid!r}: ids never change")
    stored = geo.writes.update(store, cid, fid, _all_fields(cid, feature.properties),
                           feature.geometry, expected_version=version, actor=actor_of(token))
    return feature_response(request, store, cid, stored)


@router.patch(
    "/collections/{cid:stored}/items/{fid}", summary="Patch a feature (JSON merge patch)",
    openapi_extra=write_extra(request_body(FeaturePatch, media_types=PATCH_BODY_TYPES,
                                      description="RFC 7396 merge patch of the GeoJSON Feature")),
    responses=answers(FeatureDoc, media_type=GEOJSON, headers=("ETag",),
                      errors=(400, 401, 403, 404, 412, 413, 415, 422, 428)),
)
def patch_item(
    request: Request, store: StoreDep, settings: SettingsDep, cid: Editable, token: EditorDep,
    fid: FeatureId, body: Body, if_match: IfMatch = None, crs: CrsParam = "wgs84",
) -> Response:
    """Apply an RFC 7396 merge patch of the GeoJSON feature (``properties``, ``geometry``).

    A patch that changes nothing keeps the version (and adds no history).
    """
    version = _version_to_change(if_match, settings, cid=cid, fid=fid)
    current = store.get(cid, fid)
    properties, geometry = patch_feature(cid, current, body, crs=crs)
    stored = geo.writes.update(store, cid, fid, _all_fields(cid, properties), geometry,
                           expected_version=version, actor=actor_of(token))
    return feature_response(request, store, cid, stored)


@router.delete(
    "/collections/{cid:stored}/items/{fid}", status_code=204, summary="Delete a feature",
    openapi_extra=write_extra(),
    responses=answers(status=204, errors=(400, 401, 403, 404, 412, 428)),
)
def delete_item(
    store: StoreDep, settings: SettingsDep, cid: Editable, token: EditorDep, fid: FeatureId,
    if_match: IfMatch = None,
) -> Response:
    """Delete a feature; its history stays (and its id is not given to a new feature)."""
    version = _version_to_change(if_match, settings, cid=cid, fid=fid)
    geo.writes.delete(store, cid, fid, expected_version=version, actor=actor_of(token))
    return Response(status_code=204)


def _version_to_change(
    if_match: str | None, settings: Settings, *, cid: str, fid: str
) -> int | None:
    return expected_version(if_match, cid=cid, fid=fid, allow_any=settings.allow_if_match_any)


def _all_fields(layer: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Every editable field of ``layer``: given values, None (the default) for the rest."""
    target = get_layer(layer)
    unknown = set(properties) - set(target.field_names)
    if unknown:
        # Let the ledger name the field: validation refuses unknown keys.
        return dict(properties)
    names = [n for n in target.field_names if n != "id" and n not in SYSTEM_FIELDS]
    return {n: properties.get(n) for n in names}
