"""What each route answers and accepts, declared where the route is.

The pydantic models below describe the bodies of the HTTP API: GeoJSON
(RFC 7946), the OGC API – Features documents, problem details (RFC 9457)
and Zonewatch's own JSON answers. They document; handlers still build
their answers themselves (most are negotiated by ``f=`` or streamed, see
:mod:`api.responses`). Route decorators use :func:`answers` for
``responses=`` and :func:`read_extra` or :func:`write_extra` for ``openapi_extra=``,
so a route carries its documentation wherever its path goes;
:func:`component_schemas` gives the document its ``components``.

Examples
--------
>>> responses = answers(FeatureCollection, media_type=GEOJSON, errors=(400, 404))
>>> sorted(responses), responses[200]["content"][GEOJSON]["schema"]
([200, 400, 404], {'$ref': '#/components/schemas/FeatureCollection'})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from api.collections import COLLECTIONS
from api.errors import PROBLEM_MEDIA_TYPE
from api.responses import FEATURE_FORMATS, GEOJSON, PAGE_FORMATS
from geo.cases.machine import ACTIONS
from geo.io.writers import EXPORT_FORMATS
from geo.ledger import CASE_CHANNELS, CASE_STATUSES, INSPECTION_RESULTS, MAX_ROUND

__all__ = [
    "BBOX",
    "BEARER",
    "COLLECTION_IDS",
    "EXPORT_MEDIA_TYPES",
    "GEOJSON",
    "JSON",
    "JSON_BODY_TYPES",
    "PATCH_BODY_TYPES",
    "STORED_COLLECTION_IDS",
    "UPLOAD_BODY",
    "XLSX",
    "answers",
    "component_schemas",
    "documented_as",
    "enum_of",
    "read_extra",
    "ref",
    "request_body",
    "write_extra",
]

JSON = "application/json"
HTML = "text/html"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MERGE_PATCH = "application/merge-patch+json"
#: Bodies of POST and PUT (api.routes.edits.json_body); PATCH also takes a merge patch.
JSON_BODY_TYPES = (GEOJSON, JSON)
PATCH_BODY_TYPES = (MERGE_PATCH, GEOJSON, JSON)
#: Name of the bearer-token security scheme in ``components.securitySchemes``.
BEARER = "bearerAuth"
_REF = "#/components/schemas/"

#: Media types of the ``f=`` exports of feature results (csv, gpkg, shp zip, kml, fgb, xlsx).
EXPORT_MEDIA_TYPES = tuple(
    EXPORT_FORMATS[fmt][1].split(";")[0] for fmt in FEATURE_FORMATS if fmt not in PAGE_FORMATS
)
COLLECTION_IDS = tuple(COLLECTIONS)
#: Collections with a stored layer: the ones that take writes and keep history.
STORED_COLLECTION_IDS = tuple(c.id for c in COLLECTIONS.values() if c.layer is not None)
#: ``bbox``: minLon,minLat,maxLon,maxLat (or 6 numbers with heights), comma-separated.
BBOX: dict[str, Any] = {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}
GEOMETRY_TYPES = ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                  "MultiPolygon", "GeometryCollection")


class _Open(BaseModel):
    """A JSON object that may carry members beyond the documented ones."""

    model_config = ConfigDict(extra="allow")


# -- GeoJSON and OGC API – Features documents ------------------------------------------


class Link(_Open):
    """A web link (OGC API – Features, RFC 8288)."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class Geometry(_Open):
    """GeoJSON geometry in lon/lat (CRS84), or null."""

    # Nullable here, not where it is used: OpenAPI 3.0 ignores siblings of a $ref.
    model_config = ConfigDict(json_schema_extra={"nullable": True})

    type: str = Field(json_schema_extra={"enum": list(GEOMETRY_TYPES)})
    coordinates: list[Any] | None = None
    geometries: list[dict[str, Any]] | None = None


class Feature(_Open):
    """A GeoJSON Feature; its properties hold the ledger fields (and derived ones)."""

    type: Literal["Feature"]
    id: str | int | None = None
    geometry: Geometry | None
    properties: dict[str, Any] | None
    links: list[Link] | None = None


class FeatureCollection(_Open):
    """A GeoJSON FeatureCollection with the OGC paging members."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
    links: list[Link] | None = None
    timeStamp: datetime | None = None  # camelCase: the OGC member name
    numberMatched: int | None = Field(default=None, ge=0)
    numberReturned: int | None = Field(default=None, ge=0)


class RadiusQuery(BaseModel):
    """The point and radius a /sources/within answer is about (lon/lat, metres)."""

    lon: float
    lat: float
    radius_m: float


class RadiusFeatureCollection(FeatureCollection):
    """Sources nearest first, each with distance_m (and the derived fields of priority)."""

    query: RadiusQuery | None = None
    station: str | None = None
    radius_m: float | None = Field(
        default=None, description="Radius in metres; null: each station's own radius_m")


class LandingPage(_Open):
    """The landing page: links to the API definition, conformance and data."""

    title: str | None = None
    description: str | None = None
    links: list[Link]


class ConfClasses(BaseModel):
    """The conformance classes the service implements."""

    conformsTo: list[str]  # camelCase: the OGC member name


class SpatialExtent(BaseModel):
    """Bounding boxes in lon/lat and their CRS."""

    bbox: list[list[float]] = Field(
        min_length=1, json_schema_extra={"items": {
            "type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}})
    crs: str | None = None


class Extent(_Open):
    """The extent of a collection (spatial only: ledger features have no time)."""

    spatial: SpatialExtent | None = None


class Collection(_Open):
    """One collection: id, titles, extent, links to its items."""

    id: str
    title: str | None = None
    description: str | None = None
    itemType: str | None = None  # camelCase: the OGC member name
    crs: list[str] | None = None
    extent: Extent | None = None
    links: list[Link]


class Collections(_Open):
    """Every collection the service offers."""

    links: list[Link]
    collections: list[Collection]


class Health(_Open):
    """Liveness: the store answers."""

    status: str
    sources: int | None = None


# -- problems ---------------------------------------------------------------------------


class Problem(_Open):
    """Problem details (RFC 9457)."""

    type: str
    title: str
    status: int = Field(ge=400, le=599)
    detail: str | None = None
    instance: str | None = None
    field: str | None = Field(default=None, description="The field of a rejected record")


class RejectedRow(BaseModel):
    """One refused row of an import: its 1-based number and why."""

    row: int
    reason: str


class ImportRejection(Problem):
    """An import refused because of bad rows; nothing was written."""

    rejected: list[RejectedRow]


# -- Zonewatch's own answers ------------------------------------------------------------


class WriteCounts(BaseModel):
    """How many features an import inserted, updated and deleted."""

    inserted: int
    updated: int
    deleted: int


class ImportReport(_Open):
    """What an import did, or for a dry run would do."""

    accepted: int
    rejected: list[RejectedRow]
    dry_run: bool
    ignored_columns: list[str] = []
    notes: list[str] = []
    written: WriteCounts | None = None


class HistoryEntry(_Open):
    """One change to a feature; before and after hold the properties and the WKT geometry."""

    seq: int
    operation: Literal["create", "update", "delete"]
    actor: str
    at: str = Field(description="When, UTC (RFC 3339)")
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class FeatureHistory(_Open):
    """Every change to one feature, oldest first."""

    collection: str
    id: str
    changes: list[HistoryEntry]


class InspectionRecord(_Open):
    """One inspection as stored."""

    id: str
    source_id: str
    date: str | None = None
    round: int | None = None
    inspector: str | None = None
    result: str | None = None
    notes: str | None = None


class SourceInspections(_Open):
    """Every inspection of one source, oldest first."""

    source_id: str
    inspections: list[InspectionRecord]


class CommunityProgress(BaseModel):
    """Sources of one community checked and not yet checked in a round."""

    community: str | None
    checked: list[str]
    unchecked: list[str]


class CampaignProgress(_Open):
    """Progress of one inspection round, per community."""

    round: int
    checked: int
    unchecked: int
    communities: list[CommunityProgress]


class ReportColumn(BaseModel):
    """One column of a report view: its key in the rows and its (Chinese) label."""

    key: str
    label: str


class ReportView(_Open):
    """One table of a report."""

    name: str
    title: str
    period: str = Field("", description="What the view covers: the moment, or the months")
    columns: list[ReportColumn]
    rows: list[dict[str, Any]]


class Report(_Open):
    """The roll-ups of /reports/summary."""

    by: str
    station: dict[str, Any] | None = None
    generated_at: str
    unit: str = Field("", description="Reporting unit (填报单位, ZONEWATCH_REPORT_UNIT)")
    period: str = Field("", description="When the figures stand, in words (截至 …, Beijing time)")
    views: list[ReportView]
    links: list[Link] = []


class MapData(_Open):
    """The map page's data: column arrays of sources, the stations and the backdrop."""

    count: int
    station: str | None = None
    datum: Literal["wgs84", "gcj02"]
    sources: dict[str, Any]
    stations: list[dict[str, Any]]
    districts: dict[str, Any] | None = None
    grids: dict[str, Any] | None = None


class MapCases(_Open):
    """The open cases the map draws: each with its place, time left and band, and the counts."""

    datum: Literal["wgs84", "gcj02"]
    now: str
    count: int
    counts: dict[str, int]
    cases: list[dict[str, Any]]


# -- request bodies ---------------------------------------------------------------------


class FeatureInput(_Open):
    """A GeoJSON Feature to create or replace; derived and system fields are ignored."""

    type: Literal["Feature"]
    id: str | int | None = Field(
        default=None, description="Optional on create (assigned when absent); never changes")
    geometry: Geometry | None = Field(
        default=None, description="In the crs= of the request (wgs84 by default)")
    properties: dict[str, Any] | None = None


class FeaturePatch(_Open):
    """A JSON merge patch (RFC 7396) of a GeoJSON Feature: null removes a field."""

    id: str | int | None = None
    geometry: Geometry | None = None
    properties: dict[str, Any] | None = None


class InspectionInput(_Open):
    """An inspection of the source named in the path."""

    id: str | None = None
    date: str = Field(description="YYYY-MM-DD, not in the future")
    round: int | None = Field(default=None, ge=1, le=MAX_ROUND)
    inspector: str | None = None
    result: str = Field(json_schema_extra={"enum": list(INSPECTION_RESULTS)})
    notes: str | None = None


# -- cases (api.routes.cases) -------------------------------------------------------------


class CaseInput(BaseModel):
    """A case to report: its event type, where (lon, lat in ``crs``) and what was seen."""

    model_config = ConfigDict(extra="forbid")  # status, unit, deadline...: the loop sets them

    event_type: str = Field(description="An event type code (GET /cases/types)")
    lon: float
    lat: float
    crs: str | None = Field(default=None, description="wgs84 (default), cgcs2000, gcj02, "
                                                      "bd09 or EPSG:n")
    channel: str | None = Field(default=None, json_schema_extra={"enum": list(CASE_CHANNELS)})
    description: str | None = None
    source_id: str | None = Field(default=None, description="The ledger source it is about")
    address: str | None = None


class CaseAction(BaseModel):
    """One step of the case loop; the caller's role decides whether it may take it."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(json_schema_extra={"enum": list(ACTIONS)})
    unit: str | None = Field(default=None, description="The responsible unit (dispatch)")
    passed: bool | None = Field(default=None, description="The check's outcome (verify)")
    notes: str | None = Field(default=None, description="Free text; the reason of a reject")


class CaseFeature(Feature):
    """A case as GeoJSON, with the actions the caller may take on it now."""

    allowed_actions: list[str]


class CaseStep(_Open):
    """One step of a case's timeline (``at``: ISO 8601 UTC)."""

    action: str
    status: str = Field(json_schema_extra={"enum": list(CASE_STATUSES)})
    actor: str
    at: str
    notes: str | None = None
    unit: str | None = None
    passed: bool | None = None
    photos: list[str] = Field(default_factory=list, description="The step's photo links")


class CaseTimeline(_Open):
    """Every step of one case, oldest first."""

    id: str
    status: str
    timeline: list[CaseStep]


class EventTypeRecord(BaseModel):
    """One event type and its time limit in hours, counted from dispatch."""

    code: str
    name_zh: str
    name_en: str
    limit_h: float


class EventTypes(_Open):
    """The event type table in force."""

    types: list[EventTypeRecord]


# -- air quality (api.routes.observations) ------------------------------------------------


class ObservationReport(_Open):
    """What a readings import or feed did, or for a dry run would do."""

    rows: int = Field(description="Readings checked (one per station and hour)")
    inserted: int
    updated: int = Field(description="Hours already stored, overwritten")
    dry_run: bool
    stations: list[str]
    ignored_columns: list[str] = []


class ObservationHour(_Open):
    """One hour at a station: readings (µg/m³, CO mg/m³), sub-indices and AQI (HJ 633-2012)."""

    time: str = Field(description="The hour's label (its end, as the national platform "
                                  "labels hours), UTC ISO 8601")
    pm25: float | None = None
    pm10: float | None = None
    so2: float | None = None
    no2: float | None = None
    o3: float | None = None
    co: float | None = None
    wd_deg: float | None = Field(default=None, description="Where the wind comes from, "
                                                           "degrees clockwise from north")
    ws_ms: float | None = None
    iaqi: dict[str, int | None]
    aqi: int | None = None
    primary: list[str] = []
    category: str | None = None
    colour: str | None = None


class StationObservations(_Open):
    """A station's hours in the asked window, oldest first."""

    station_id: str
    start: str | None = None
    end: str | None = None
    count: int
    hours: list[ObservationHour]


# -- air quality (api.routes.air) ---------------------------------------------------------


class AirDay(_Open):
    """One Beijing day at a station: daily values (GB 3095-2012), AQI (HJ 633-2012), limits."""

    date: str = Field(description="The Beijing day, YYYY-MM-DD (readings labelled 01:00 … 24:00)")
    pm25: float | None = Field(default=None, description="24-h mean, µg/m³; null under 20 "
                                                          "valid hours")
    pm10: float | None = None
    so2: float | None = None
    no2: float | None = None
    co: float | None = Field(default=None, description="24-h mean, mg/m³")
    o3_8h: float | None = Field(default=None, description="Maximum 8-h moving mean of O3")
    o3_1h: float | None = Field(default=None, description="Maximum 1-h O3")
    hours: dict[str, int] = Field(description="Valid hours per pollutant")
    iaqi: dict[str, int | None]
    aqi: int | None = None
    primary: list[str] = []
    category: str | None = None
    colour: str | None = None
    exceeds: list[str] = Field(default=[], description="Pollutants over the Grade II 24-h limit")
    short: list[str] = Field(default=[], description="Pollutants with under 20 valid hours")
    note: str | None = None


class StationDaily(_Open):
    """A station's days in the asked window, oldest first."""

    station_id: str
    start: str | None = None
    end: str | None = None
    count: int
    days: list[AirDay]
    note: str | None = None


class RoseSector(_Open):
    """One wind sector: hours outside calm, their mean and the CPF (null under min_hours)."""

    index: int
    centre_deg: float
    hours: int
    mean: float | None = None
    cpf: float | None = None


class StationRose(_Open):
    """A station's pollution rose over the window (wind directions: where it comes from)."""

    station_id: str
    pollutant: str
    unit: str
    start: str | None = None
    end: str | None = None
    percentile: float
    threshold: float | None = Field(default=None, description="The percentile concentration")
    calm_ms: float
    min_hours: int
    valid_hours: int
    calm_hours: int
    sector_width_deg: float
    sectors: list[RoseSector]
    worst: RoseSector | None = Field(default=None, description="The sector of highest CPF")
    cbpf: dict[str, Any] | None = None
    note: str | None = None


class SourceAttribution(_Open):
    """A source within the radius: where it lies from the station and its score."""

    rank: int
    id: str
    name: str | None = None
    category: str
    status: str
    bearing_deg: float = Field(description="Geodesic bearing from the station, 0–360")
    distance_m: float
    sector: int
    cpf: float | None = None
    weight: float = Field(description="Category weight × status weight")
    score: float = Field(description="CPF × weight")


class RoseSummary(_Open):
    """The rose an attribution used."""

    percentile: float
    threshold: float | None = None
    valid_hours: int
    calm_hours: int
    sectors: int
    min_hours: int
    worst: RoseSector | None = None


class StationAttribution(_Open):
    """The sources within a station's radius, highest score first."""

    station_id: str
    pollutant: str
    start: str | None = None
    end: str | None = None
    radius_m: float
    count: int
    sources: list[SourceAttribution]
    rose: RoseSummary
    note: str | None = None


class CaseHint(_Open):
    """How to open a case from an alert: the report page, or a body for POST /cases."""

    page: str
    body: dict[str, Any]


class AirAlert(_Open):
    """One exceedance day of one pollutant at one station, with its upwind sources."""

    station_id: str
    station_name: str | None = None
    date: str
    pollutant: str
    value: float = Field(description="The daily value (O3: its 8-h maximum)")
    limit: float
    unit: str
    aqi: int | None = None
    category: str | None = None
    colour: str | None = None
    sources: list[SourceAttribution]
    attribution: str = Field(description="The attribution URL these sources come from")
    case: CaseHint


class AirAlerts(_Open):
    """Every exceedance day in the window, oldest first."""

    start: str | None = None
    end: str | None = None
    count: int
    alerts: list[AirAlert]
    rose: dict[str, Any]
    note: str | None = None


#: Every model the document names, as ``#/components/schemas/<class name>``.
MODELS: tuple[type[BaseModel], ...] = (
    ObservationReport, ObservationHour, StationObservations,
    AirDay, StationDaily, RoseSector, StationRose, SourceAttribution, RoseSummary,
    StationAttribution, CaseHint, AirAlert, AirAlerts,
    MapCases,
    Link, Geometry, Feature, FeatureCollection, RadiusQuery, RadiusFeatureCollection,
    LandingPage, ConfClasses, SpatialExtent, Extent, Collection, Collections, Health,
    Problem, RejectedRow, ImportRejection, WriteCounts, ImportReport, HistoryEntry,
    FeatureHistory, InspectionRecord, SourceInspections, CommunityProgress,
    CampaignProgress, ReportColumn, ReportView, Report, MapData, FeatureInput, FeaturePatch,
    InspectionInput, CaseInput, CaseAction, CaseFeature, CaseStep, CaseTimeline,
    EventTypeRecord, EventTypes,
)


def component_schemas() -> dict[str, dict[str, Any]]:
    """Return the JSON schemas of :data:`MODELS`, keyed by component name.

    The schemas are JSON Schema 2020-12 as pydantic writes them;
    :func:`api.openapi.to_openapi_30` rewrites them for OpenAPI 3.0.
    """
    _, top = models_json_schema([(m, "validation") for m in MODELS], ref_template=_REF + "{model}")
    schemas: dict[str, dict[str, Any]] = top["$defs"]
    return schemas


def ref(model: type[BaseModel]) -> dict[str, str]:
    """Return a ``$ref`` to the component of ``model`` (which must be one of :data:`MODELS`)."""
    if model not in MODELS:
        raise ValueError(f"{model.__name__} is not a component of the document (MODELS)")
    return {"$ref": _REF + model.__name__}


_BINARY = {"type": "string", "format": "binary"}
_TEXT = {"type": "string"}

#: What each error status means here; the problem's ``detail`` names the particular cause.
_ERRORS: dict[int, str] = {
    400: "Bad request: a malformed, unknown or out-of-range parameter or body",
    401: "No valid bearer token (a missing, unknown or revoked one)",
    403: "The token's role may not do this",
    404: "Unknown collection, feature or record",
    409: "Conflict: the id is taken, or belonged to a deleted feature; or the case is not "
         "in the state the action needs",
    411: "Length required: an upload needs a Content-Length header",
    412: "Precondition failed: If-Match is not the ETag of the stored version",
    413: "The body is larger than the max_upload_bytes setting",
    415: "Unsupported media type of the body",
    422: "The record was rejected; the problem names the field",
    428: "Precondition required: send If-Match with the feature's ETag",
    502: "The upstream tile server did not answer",
    503: "The configured basemap file cannot be read (the server log says why)",
}
_HEADERS: dict[str, str] = {
    "ETag": "The stored version of the feature, for If-Match",
    "Location": "URL of the new feature",
    "WWW-Authenticate": "Bearer",
}

#: An error status, or a status with the problem model it answers (e.g. 422 ImportRejection).
ErrorSpec = int | tuple[int, type[Problem]]


def answers(
    ok: type[BaseModel] | None = None,
    *,
    status: int = 200,
    media_type: str = JSON,
    html: bool = False,
    files: Iterable[str] = (),
    headers: Iterable[str] = (),
    errors: Iterable[ErrorSpec] = (),
    not_modified: bool = False,
) -> dict[int | str, dict[str, Any]]:
    """Return the ``responses=`` of a route decorator: the success and every problem.

    Parameters
    ----------
    ok : pydantic model, optional
        The success body in ``media_type``; None when there is no JSON body.
    status : int, default 200
        The success status (201 for a create, 204 for a delete: no body).
    media_type : str, default "application/json"
        Media type of ``ok``.
    html : bool
        Whether the route also answers a ``text/html`` page (``f=html`` or Accept).
    files : iterable of str
        Media types of file answers (downloads, tiles), e.g. :data:`EXPORT_MEDIA_TYPES`.
    headers : iterable of str
        Response headers of the success, e.g. ``ETag``, ``Location``.
    errors : iterable of int or (int, Problem subclass)
        Every error status the route answers; each is ``application/problem+json``
        (an HTML page for a browser).
    not_modified : bool
        Whether a conditional GET may answer 304 (If-None-Match).

    Returns
    -------
    dict
        Status -> OpenAPI response object.
    """
    content: dict[str, Any] = {}
    if ok is not None:
        content[media_type] = {"schema": ref(ok)}
    if html:
        content[HTML] = {"schema": dict(_TEXT)}
    for kind in files:
        content[kind] = {"schema": dict(_BINARY)}
    success: dict[str, Any] = {"description": "Success"}
    if content:
        success["content"] = content
    if headers:
        success["headers"] = _headers(headers)
    responses: dict[int | str, dict[str, Any]] = {status: success}
    if not_modified:
        responses[304] = {"description": "Not modified: the If-None-Match ETag is current"}
    for spec in errors:
        code, model = spec if isinstance(spec, tuple) else (spec, Problem)
        responses[code] = _problem(code, model)
    return responses


def _headers(names: Iterable[str]) -> dict[str, Any]:
    return {name: {"description": _HEADERS[name], "schema": dict(_TEXT)} for name in names}


def _problem(status: int, model: type[Problem]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _ERRORS[status],
        # a browser (Accept: text/html, or f=html) gets the same answer as a page
        "content": {PROBLEM_MEDIA_TYPE: {"schema": ref(model)}, HTML: {"schema": dict(_TEXT)}},
    }
    if status == 401:
        response["headers"] = _headers(["WWW-Authenticate"])
    return response


def read_extra() -> dict[str, Any]:
    """Return the ``openapi_extra=`` of a read: a bearer token is optional.

    Reads are open by default; the ``read_requires_token`` setting makes them
    need a ``viewer`` token (then 401/403).
    """
    return {"security": [{}, {BEARER: []}]}


def write_extra(body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the ``openapi_extra=`` of a write: its request body and the bearer token it needs.

    Parameters
    ----------
    body : mapping, optional
        The OpenAPI request body (:func:`request_body`, :data:`UPLOAD_BODY`); None for DELETE.
    """
    extra: dict[str, Any] = {"security": [{BEARER: []}]}
    if body is not None:
        extra["requestBody"] = dict(body)
    return extra


def request_body(
    *models: type[BaseModel], media_types: Iterable[str], description: str
) -> dict[str, Any]:
    """Return a required JSON request body: one of ``models``, in each of ``media_types``."""
    schema = ref(models[0]) if len(models) == 1 else {"anyOf": [ref(m) for m in models]}
    return {
        "required": True,
        "description": description,
        "content": {kind: {"schema": schema} for kind in media_types},
    }


#: ``POST /import``: the file in the multipart field ``file``.
UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "description": "CSV (lon/lat or WKT columns), GeoJSON, GeoPackage, zipped Shapefile, KML "
                   "or XLSX; the name's suffix says which",
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": dict(_BINARY)},
    }}},
}

#: ``securitySchemes`` of the document: Swagger UI's "Authorize" asks for the token.
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (zonewatch token create); writes need an editor or admin "
                       "token, reads a viewer token when read_requires_token is set",
    },
}


def enum_of(values: Iterable[str]) -> dict[str, Any]:
    """Return ``json_schema_extra`` documenting the values a parameter takes.

    Documentation only: the handler checks the value and names a bad one (400).
    """
    return {"enum": list(values)}


def documented_as(schema: Mapping[str, Any]) -> Callable[[dict[str, Any]], None]:
    """Return ``json_schema_extra`` documenting a parameter with ``schema`` instead.

    For a parameter received as text and parsed by the handler, such as
    ``bbox`` (comma-separated numbers); its description is kept.
    """

    def replace(field_schema: dict[str, Any]) -> None:
        kept: dict[str, Any] = {
            k: field_schema[k] for k in ("title", "description") if k in field_schema}
        field_schema.clear()
        field_schema.update(kept)
        field_schema.update(schema)

    return replace
