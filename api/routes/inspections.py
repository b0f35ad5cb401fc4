"""Inspections of one source and the progress of an inspection round."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

import geo.writes
from api.auth import EditorDep, actor_of
from api.deps import StoreDep
from api.pages.record_pages import (
    PageFormat,
    answer_format,
    campaign_page,
    source_inspections_page,
)
from api.responses import json_response
from api.routes.edits import Body, feature_response
from api.schemas import (
    GEOJSON,
    JSON_BODY_TYPES,
    CampaignProgress,
    FeatureInput,
    InspectionInput,
    SourceInspections,
    answers,
    read_extra,
    request_body,
    write_extra,
)
from api.schemas import Feature as FeatureDoc
from geo.edits import feature_from_geojson
from geo.inspections import campaign_progress
from geo.ledger import MAX_ROUND, Feature
from geo.store import Query

__all__ = ["router"]

# Handlers answer Response objects; the media types documented are those each route declares.
router = APIRouter(tags=["Inspections"], default_response_class=Response)
_INSPECTION_BODY = request_body(
    InspectionInput, FeatureInput, media_types=JSON_BODY_TYPES,
    description="The inspection's fields, or a GeoJSON Feature without geometry holding them")

SourceId = Annotated[str, Path(description="Source id, e.g. S00001")]


@router.get("/collections/sources/items/{fid}/inspections", summary="Inspections of a source",
            openapi_extra=read_extra(),
            responses=answers(SourceInspections, html=True, errors=(400, 401, 403, 404)))
def source_inspections(
    request: Request, store: StoreDep, fid: SourceId, f: PageFormat = None
) -> Response:
    """Every inspection of one source, oldest first; 404 for an unknown or deleted source.

    A deleted source's inspections stay in the ledger (with its history) and
    come back when the source is restored, but are not listed under it meanwhile.
    A browser gets them as a page, newest first.
    """
    fmt = answer_format(request, f)
    source = store.get("sources", fid)
    frame = store.read("inspections", query=Query(filters={"source_id": fid}))
    if fmt == "html":
        return source_inspections_page(request, source=source, inspections=frame)
    records = json.loads(frame.sort_values(["date", "id"]).to_json(orient="records"))
    return json_response({"source_id": fid, "inspections": records})


@router.post(
    "/collections/sources/items/{fid}/inspections", status_code=201,
    summary="Record an inspection of a source", openapi_extra=write_extra(_INSPECTION_BODY),
    responses=answers(FeatureDoc, status=201, media_type=GEOJSON, headers=("ETag", "Location"),
                      errors=(400, 401, 403, 404, 409, 413, 415, 422)),
)
def add_inspection(
    request: Request, store: StoreDep, token: EditorDep, fid: SourceId, body: Body
) -> Response:
    """Record an inspection (date, round, inspector, result, notes) of this source.

    The body is a JSON object of those fields (or a GeoJSON Feature without
    geometry holding them). The source's ``last_inspected`` follows the
    latest inspection; ``closed_down`` sets its status to ``closed``.
    """
    if isinstance(body, dict) and body.get("type") != "Feature":
        body = {"type": "Feature", "properties": body, "geometry": None}
    feature = feature_from_geojson("inspections", body)
    props = {**feature.properties, "source_id": fid}
    stored = geo.writes.create(store, "inspections", Feature(feature.id, props),
                            actor=actor_of(token))
    return feature_response(request, store, "inspections", stored, status=201)


@router.get("/campaigns/{round_no}", summary="Progress of an inspection round",
            openapi_extra=read_extra(),
            responses=answers(CampaignProgress, html=True, errors=(400, 401, 403)))
def campaign(
    request: Request, store: StoreDep,
    round_no: Annotated[int, Path(ge=1, le=MAX_ROUND,
                                  description=f"Inspection round, 1 to {MAX_ROUND}")],
    f: PageFormat = None,
) -> Response:
    """For a round, per community, which sources were and were not inspected.

    A browser gets it as a page: the figures per community, the sources by
    name, links to each community's round sheet and to the other rounds.
    """
    fmt = answer_format(request, f)
    progress = campaign_progress(store, round_no=round_no)
    if fmt == "html":
        return campaign_page(request, store=store, progress=progress)
    return json_response(progress)

