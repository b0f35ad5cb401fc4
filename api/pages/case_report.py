"""Reporting a case (上报案件) from a form: the event type, the place typed or pasted, photos.

``GET /cases/new`` (editors and up) shows the form; ``?source=ID`` fills it
from that source of the ledger: its id, its place (WGS84), its address and
the event type its category suggests. ``POST /cases/new`` stores the case
through :func:`geo.cases.report_case` with the signed-in person as reporter
and goes to its page (303); every wrong field is shown beside it (422).
Coordinates come in any label the ledger's forms take (GCJ-02 from Amap,
BD-09 from Baidu, WGS84 from a GPS, CGCS2000) and are converted as theirs
are (:func:`geo.forms.record_from_form`), the typed ones kept. Up to
:data:`geo.photos.MAX_PHOTOS` photos are re-encoded without EXIF before
anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from shapely.geometry import Point
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import Caller, require_role
from api.deps import get_settings, get_store
from api.html import page_lang, render
from api.pages.case_words import words
from api.pages.record_forms import COORD_LABELS, PLACE_FIELDS
from api.sessions import checked_form
from geo.cases import EventType, report_case, stored_types
from geo.errors import NotFoundError, ValidationError
from geo.forms import FormErrors, record_from_form
from geo.ledger import CASE_CHANNELS, Feature
from geo.photos import MAX_PHOTOS, CleanPhoto, clean_photo
from geo.store.base import Store

__all__ = ["CASE_FORM_FIELDS", "read_photos", "router"]

router = APIRouter(include_in_schema=False)

#: The case fields the report form posts (the place comes as :data:`PLACE_FIELDS`).
CASE_FORM_FIELDS = ("event_type", "channel", "description", "source_id", "address")
#: The event type a source's category suggests (used only when the table has that code).
_TYPE_OF_CATEGORY = {"bbq": "open_air_bbq", "night_market": "open_air_bbq",
                     "catering": "fume_direct", "muck_route": "muck_spill",
                     "construction_site": "site_dust"}


def _form_page(request: Request, values: Mapping[str, str], *, types: Mapping[str, EventType],
               errors: Mapping[str, str] | None = None, source: Feature | None = None,
               status_code: int = 200) -> Response:
    return render(request, "case_form.html", status_code=status_code, active="cases",
                  w=words(page_lang(request)), values=dict(values), errors=dict(errors or {}),
                  types=types, source=source, max_photos=MAX_PHOTOS,
                  options={"channel": CASE_CHANNELS, "crs": COORD_LABELS})


def _source_values(source: Feature, types: Mapping[str, EventType]) -> dict[str, str]:
    """Return what a source gives a new case: its id, its place (WGS84), address, a type."""
    values = {"source_id": str(source.id), "address": str(source.properties.get("address") or "")}
    geom = source.geometry
    if geom is not None and not geom.is_empty:
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        values.update(lon=f"{point.x:.7f}", lat=f"{point.y:.7f}", crs="wgs84")
    suggested = _TYPE_OF_CATEGORY.get(str(source.properties.get("category")))
    if suggested in types:
        values["event_type"] = str(suggested)
    return values


@router.get("/cases/new")
def new_case_form(request: Request, source: str | None = None) -> Response:
    """Show the report form (editors and up), filled from ``?source=`` when given."""
    require_role(request, "editor")
    store = get_store(request)
    types = stored_types(store)
    values = {"channel": "patrol", "crs": "gcj02"}
    sid = (source or "").strip()
    if not sid:
        return _form_page(request, values, types=types)
    try:
        found = store.get("sources", sid)
    except NotFoundError:
        message = words(page_lang(request))["no_source"].format(id=source)
        return _form_page(request, {**values, "source_id": sid}, types=types,
                          errors={"source_id": message})
    return _form_page(request, {**values, **_source_values(found, types)}, types=types,
                      source=found)


async def read_photos(form: Any, limit_bytes: int) -> list[tuple[str, bytes]]:
    """Read a form's ``photos`` (empty inputs skipped), each cut at ``limit_bytes + 1`` bytes.

    Raises
    ------
    FormErrors
        More than :data:`geo.photos.MAX_PHOTOS` photos chosen.
    """
    uploads = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
    if len(uploads) > MAX_PHOTOS:
        raise FormErrors({"photos": f"at most {MAX_PHOTOS} photos; {len(uploads)} chosen"})
    return [(str(f.filename), await f.read(limit_bytes + 1)) for f in uploads]


@router.post("/cases/new")
async def create_case(request: Request) -> Response:
    """Store the reported case and go to its page; 422 with the form again when wrong."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    values = {name: str(form.get(name) or "") for name in (*CASE_FORM_FIELDS, *PLACE_FIELDS)}
    try:
        photos = await read_photos(form, get_settings(request).photo_max_bytes)
    except FormErrors as exc:
        types = await run_in_threadpool(stored_types, get_store(request))
        return _form_page(request, values, types=types, errors=exc.errors, status_code=422)
    return await run_in_threadpool(_report, request, caller, values, photos)


def _with_source_place(store: Store, values: dict[str, str], errors: dict[str, str],
                       lang: str) -> dict[str, str]:
    """Check the typed source; with no place typed, the case takes the source's place."""
    sid = values["source_id"].strip()
    if not sid:
        return values
    try:
        source = store.get("sources", sid)
    except NotFoundError:
        errors["source_id"] = words(lang)["no_source"].format(id=sid)
        return values
    if any(values[k].strip() for k in ("coords", "lon", "lat")):
        return values
    place = _source_values(source, {})
    return {**values, **{k: place[k] for k in ("lon", "lat", "crs") if k in place}}


def _checked(store: Store, values: dict[str, str], photos: list[tuple[str, bytes]], *,
             types: Mapping[str, EventType], lang: str,
             limit_bytes: int) -> tuple[dict[str, Any], Point, list[CleanPhoto]]:
    """Return the case's fields, its WGS84 point and its cleaned photos from the form.

    Raises
    ------
    FormErrors
        With a message for each field that is not right (every one at once).
    """
    errors: dict[str, str] = {}
    values = _with_source_place(store, values, errors, lang)
    properties: dict[str, object] = {}
    geometry = None
    try:
        properties, geometry = record_from_form("cases", values, CASE_FORM_FIELDS)
    except FormErrors as exc:
        errors = {**exc.errors, **errors}
    if values["event_type"].strip() not in types:
        errors["event_type"] = words(lang)["unknown_type"]
    cleaned: list[CleanPhoto] = []
    try:
        cleaned = [clean_photo(data, name=name, max_bytes=limit_bytes) for name, data in photos]
    except ValidationError as exc:
        errors["photos"] = str(exc)
    if not isinstance(geometry, Point) and not errors:
        errors["coords"] = "type or paste the place's coordinates"
    if errors:
        raise FormErrors(errors)
    assert isinstance(geometry, Point)
    fields = {k: v for k, v in properties.items() if k != "event_type" and v is not None}
    return fields, geometry, cleaned


def _report(request: Request, caller: Caller, values: dict[str, str],
            photos: list[tuple[str, bytes]]) -> Response:
    store, lang = get_store(request), page_lang(request)
    types = stored_types(store)
    try:
        fields, point, cleaned = _checked(store, values, photos, types=types, lang=lang,
                                          limit_bytes=get_settings(request).photo_max_bytes)
        case = report_case(store, event_type=values["event_type"].strip(), point=point,
                           actor=caller.actor, types=types, photos=cleaned, **fields)
    except FormErrors as exc:
        return _form_page(request, values, types=types, status_code=422, errors=exc.errors)
    except ValidationError as exc:
        field = exc.field if exc.field in CASE_FORM_FIELDS else "description"
        return _form_page(request, values, types=types, status_code=422,
                          errors={str(field): str(exc)})
    return RedirectResponse("/cases/" + quote(str(case.id), safe=""), status_code=303)
