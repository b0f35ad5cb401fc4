"""The case loop over HTTP: report a case, act on it, read its timeline and the event types.

``POST /cases`` reports a case (editor or higher). ``POST /cases/{id}/actions``
takes one step of the loop and needs the ``If-Match`` ETag of the version
the caller saw (428 without, 412 when stale). Whether the step may be
taken is the machine's word (:mod:`geo.cases.machine`): the caller's role
(403), the case's state (409), the step's own inputs (422). Both answer
the case as GeoJSON with its new ETag and the actions the caller may take
next (``allowed_actions``).

The collection ``cases`` (items, filters, exports) is served by the OGC
routes (:mod:`api.routes.features`, :mod:`api.case_items`); the generic
writes refuse it, so every change to a case goes through here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Path, Query, Request, Response

from api.auth import Caller, EditorDep, actor_of
from api.case_items import timeline_doc, with_case_fields
from api.deps import SettingsDep, StoreDep
from api.etags import etag_for, expected_version, header_id
from api.params import refuse_unknown_params
from api.responses import GEOJSON, json_response
from api.routes.edits import Body, IfMatch
from api.schemas import (
    JSON_BODY_TYPES,
    CaseAction,
    CaseFeature,
    CaseInput,
    CaseTimeline,
    EventTypes,
    FeatureInput,
    answers,
    read_extra,
    request_body,
    write_extra,
)
from geo.cases import act_on_case, allowed_actions, case_state, report_case, stored_types
from geo.cases.types import EventType
from geo.edits import IGNORED_FIELDS, feature_from_geojson
from geo.errors import InputError, ValidationError, VersionMismatchError
from geo.io.writers import iter_features
from geo.ledger import CASES, Feature
from geo.store import Query as StoreQuery
from geo.store import Store

__all__ = ["REPORT_FIELDS", "router"]

# Handlers answer Response objects; the media types documented are those each route declares.
router = APIRouter(tags=["Cases"], default_response_class=Response)

CaseId = Annotated[str, Path(description="Case id, e.g. C00001")]
CrsQuery = Annotated[str | None, Query(
    description="Coordinate label of the body's coordinates: wgs84 (default), cgcs2000, gcj02, "
                "bd09, EPSG:n (a flat body may say it as crs instead)")]

#: What a report may say; status, unit, deadline and the rest are the loop's to set.
REPORT_FIELDS = ("event_type", "channel", "description", "source_id", "address")
_FLAT_PLACE = ("lon", "lat", "crs")
_STEP_FIELDS = ("action", "unit", "passed", "notes")
#: The body field a step's own refusal is about (the machine's InputError names it).
_STEP_FIELD = {"dispatch": "unit", "verify": "passed", "reject": "notes"}
_REPORT_BODY = request_body(
    CaseInput, FeatureInput, media_types=JSON_BODY_TYPES,
    description="The report as fields with lon, lat (and crs), or as a GeoJSON Feature whose "
                "properties hold them and whose geometry is a Point (crs= of the request)")
_ACTION_BODY = request_body(CaseAction, media_types=JSON_BODY_TYPES,
                            description="The step: action, and unit / passed / notes as it needs")


@router.get("/cases/types", summary="Event types of cases", openapi_extra=read_extra(),
            responses=answers(EventTypes, errors=(400, 401, 403)))
def case_types(request: Request, store: StoreDep) -> Response:
    """List the event types in force: code, Chinese and English name, time limit in hours."""
    refuse_unknown_params(request, ())
    table = stored_types(store)
    return json_response({"types": [dataclasses.asdict(t) for t in table.values()]})


@router.post(
    "/cases", status_code=201, summary="Report a case", openapi_extra=write_extra(_REPORT_BODY),
    responses=answers(CaseFeature, status=201, media_type=GEOJSON, headers=("ETag", "Location"),
                      errors=(400, 401, 403, 413, 415, 422)),
)
def report(
    request: Request, store: StoreDep, caller: EditorDep, body: Body, crs: CrsQuery = None
) -> Response:
    """Report a case (status ``reported``): where, its event type, what was seen.

    Grid, community and subdistrict follow from the place. An unknown
    event type, unusable coordinates, a source_id naming no source, or a
    field the loop sets itself (status, unit, deadline...) is 422.
    """
    feature = _reported(body, crs=crs)
    types = stored_types(store)
    props = dict(feature.properties)
    event_type = _known_type(props.pop("event_type", None), types)
    _check_source(store, props.get("source_id"))
    stored = report_case(store, event_type=event_type, point=feature.geometry,
                         actor=actor_of(caller), types=types, **props)
    return _case_answer(request, store, stored, caller, status=201)


@router.post(
    "/cases/{fid}/actions", summary="Take a step of the case loop",
    openapi_extra=write_extra(_ACTION_BODY),
    responses=answers(CaseFeature, media_type=GEOJSON, headers=("ETag",),
                      errors=(400, 401, 403, 404, 409, 412, 413, 415, 422, 428)),
)
def act(
    request: Request, store: StoreDep, settings: SettingsDep, caller: EditorDep, fid: CaseId,
    body: Body, if_match: IfMatch = None,
) -> Response:
    """File, reject, dispatch, handle, verify or close a case, as the caller's role may.

    A refused step changes nothing: 403 (role), 409 (state), 422 (a missing
    unit, passed or reason), 412 (a stale If-Match, checked first).
    """
    version = expected_version(if_match, cid="cases", fid=fid,
                               allow_any=settings.allow_if_match_any)
    step = _step(body)
    _check_version(store, fid, version)
    action = step.pop("action")
    with _refused_as(_STEP_FIELD.get(action, "action")):
        stored = act_on_case(store, fid, action, actor=actor_of(caller), role=caller.role,
                             expected_version=version, types=stored_types(store), **step)
    return _case_answer(request, store, stored, caller)


@router.get("/cases/{fid}/timeline", summary="Timeline of a case", openapi_extra=read_extra(),
            responses=answers(CaseTimeline, errors=(400, 401, 403, 404)))
def case_timeline(request: Request, store: StoreDep, fid: CaseId) -> Response:
    """Every step of a case, oldest first: action, status after it, who, when (UTC), notes."""
    refuse_unknown_params(request, ())
    case = store.get("cases", fid)
    return json_response({"id": fid, "status": case.properties.get("status"),
                          "timeline": timeline_doc(store, fid)})


# -- the report's body ------------------------------------------------------------------


def _reported(body: Any, *, crs: str | None) -> Feature:
    """Return the report in ``body`` (flat fields, or a GeoJSON Feature) as a lon/lat Feature."""
    if not isinstance(body, Mapping):
        raise ValidationError("the body must be a JSON object: the report's fields with lon "
                              "and lat, or a GeoJSON Feature", field="body")
    if body.get("type") == "Feature":
        doc, label = body, crs
        given = body.get("properties")
        names = list(given) if isinstance(given, Mapping) else []
        _refuse_fields([k for k in names if k not in IGNORED_FIELDS], REPORT_FIELDS)
    else:
        _refuse_fields(list(body), (*REPORT_FIELDS, *_FLAT_PLACE))
        label = _label(body.get("crs"), crs)
        point = {"type": "Point", "coordinates": [_number(body, "lon"), _number(body, "lat")]}
        doc = {"type": "Feature", "geometry": point,
               "properties": {k: v for k, v in body.items() if k in REPORT_FIELDS}}
    feature = feature_from_geojson("cases", doc, crs=label or "wgs84")
    if feature.id is not None:
        raise ValidationError("a case's id is assigned when it is reported; send none",
                              field="id")
    if feature.geometry is None or feature.geometry.geom_type != "Point":
        raise ValidationError("a case is a Point: where the problem was seen", field="geometry")
    return feature


def _refuse_fields(given: list[str], allowed: tuple[str, ...]) -> None:
    unknown = sorted(str(k) for k in given if k not in allowed)
    if unknown:
        raise ValidationError(
            f"a report takes only {', '.join(allowed)}; got {', '.join(unknown)} (status, unit, "
            "deadline and the rest follow from the case loop's actions)", field=unknown[0])


def _number(body: Mapping[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{name} must be a number; got {value!r}", field=name)
    return float(value)


def _label(in_body: Any, in_query: str | None) -> str | None:
    if in_body is not None and not isinstance(in_body, str):
        raise ValidationError(f"crs must be a coordinate label such as gcj02; got {in_body!r}",
                              field="crs")
    if in_body and in_query and in_body.strip().lower() != in_query.strip().lower():
        raise ValidationError(f"the body says crs {in_body!r} and the request crs={in_query!r}",
                              field="crs")
    return in_body or in_query


def _known_type(code: Any, types: Mapping[str, EventType]) -> str:
    if not isinstance(code, str) or code not in types:
        raise ValidationError(f"event_type must be one of {', '.join(types)}; got {code!r}",
                              field="event_type")
    return code


def _check_source(store: Store, source_id: Any) -> None:
    """Refuse a ``source_id`` that names no source of the ledger (a deleted one included)."""
    if source_id is None or (isinstance(source_id, str) and not source_id.strip()):
        return
    if not isinstance(source_id, str):
        raise ValidationError(f"source_id must be a source's id (text); got {source_id!r}",
                              field="source_id")
    if not store.count("sources", query=StoreQuery(ids=(source_id,))):
        raise ValidationError(f"source_id {source_id!r} names no source in the ledger",
                              field="source_id")


# -- a step's body ----------------------------------------------------------------------


def _step(body: Any) -> dict[str, Any]:
    """Return the step in ``body``: action, unit, passed, notes (each type checked)."""
    if not isinstance(body, Mapping):
        raise ValidationError("the body must be a JSON object with action", field="body")
    unknown = sorted(str(k) for k in body if k not in _STEP_FIELDS)
    if unknown:
        raise ValidationError(f"a step takes only {', '.join(_STEP_FIELDS)}; "
                              f"got {', '.join(unknown)}", field=unknown[0])
    for name, kinds in (("action", (str,)), ("unit", (str, type(None))),
                        ("notes", (str, type(None))), ("passed", (bool, type(None)))):
        if not isinstance(body.get(name), kinds):
            expected = "true or false" if name == "passed" else "text"
            raise ValidationError(f"{name} must be {expected}; got {body.get(name)!r}",
                                  field=name)
    return {name: body.get(name) for name in _STEP_FIELDS}


def _check_version(store: Store, fid: str, version: int | None) -> None:
    """404 for no such case; 412 for a stale If-Match, before the machine's 409 or 403."""
    current = store.get("cases", fid).version
    if version is not None and current != version:
        raise VersionMismatchError(f"case {fid!r} is at version {current}, not {version}",
                                   current_version=current)


@contextmanager
def _refused_as(field: str) -> Iterator[None]:
    """Answer the machine's refusal of a step's inputs as a 422 naming ``field``."""
    try:
        yield
    except ValidationError:
        raise
    except InputError as exc:  # the body is well-formed but the step cannot take it
        raise ValidationError(str(exc), field=field) from None


# -- the answers ------------------------------------------------------------------------


def _case_answer(request: Request, store: Store, case: Feature, caller: Caller, *,
                 status: int = 200) -> Response:
    """Answer a case just written (built from what the write returned), with its ETag."""
    fid = str(case.id)
    body = next(iter_features(with_case_fields(_case_frame(case), now=dt.datetime.now(dt.UTC))))
    body["allowed_actions"] = allowed_actions(case_state(case), caller.role)
    body["properties"]["timeline"] = timeline_doc(store, fid)
    base = str(request.base_url).rstrip("/")
    item = f"{base}/collections/cases/items/{header_id(fid)}"
    body["links"] = [
        {"href": item, "rel": "self", "type": GEOJSON, "title": "this case"},
        {"href": f"{base}/cases/{header_id(fid)}/timeline", "rel": "related",
         "type": "application/json", "title": "its timeline"},
    ]
    headers = {"ETag": etag_for("cases", fid, case.version)}
    if status == 201:
        headers["Location"] = item
    response = json_response(body, media_type=GEOJSON, **headers)
    response.status_code = status
    return response


def _case_frame(case: Feature) -> gpd.GeoDataFrame:
    row = {name: case.properties.get(name) for name in CASES.field_names}
    row["id"] = case.id
    frame = pd.DataFrame([row], columns=list(CASES.field_names), dtype=object)
    return gpd.GeoDataFrame(frame, geometry=[case.geometry], crs="EPSG:4326")


