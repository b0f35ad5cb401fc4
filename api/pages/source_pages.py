"""One source's pages: everything about it, the add and edit forms, close and reopen.

``/ledger/{id}`` shows the fields, a location sketch with the nearest
station's radius, the inspections and the history (who changed which field
from what to what). The forms post fields named after the ledger's
(:data:`geo.forms.FORM_FIELDS`) with the place typed or pasted in any
coordinate label; each problem is shown beside its field (422). An edit
carries the version it was opened at: when someone else saved in between,
the conflict page names them and shows both versions, and nothing is
overwritten unless the person chooses to apply theirs over the new one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, require_role
from api.deps import get_store
from api.html import render
from api.sessions import checked_form
from geo import writes
from geo.errors import ValidationError, VersionMismatchError
from geo.forms import FORM_FIELDS, FormErrors, source_from_form
from geo.ledger import CATEGORIES, PURIFIER_STATES, STATUSES, Feature
from geo.store.base import Query, Store
from geo.timeline import timeline
from maps.sketch import location_sketch

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Coordinate labels offered by the forms, most used first (staff copy from Amap).
COORD_LABELS = ("gcj02", "bd09", "wgs84", "cgcs2000")
_OPTIONS = {"category": CATEGORIES, "status": STATUSES, "fume_purifier": PURIFIER_STATES,
            "crs": COORD_LABELS}


def _href(fid: str) -> str:
    return "/ledger/" + quote(fid, safe="")


def _form_values(form: Any) -> dict[str, str]:
    names = (*FORM_FIELDS, "coords", "lon", "lat", "crs", "version")
    return {name: str(form.get(name) or "") for name in names}


def _stored_values(feature: Feature) -> dict[str, str]:
    values = {name: "" if feature.properties.get(name) is None else
              str(feature.properties[name]) for name in FORM_FIELDS}
    geom = feature.geometry
    if geom is not None and geom.geom_type == "Point":
        values.update(lon=f"{geom.x:.7f}", lat=f"{geom.y:.7f}", crs="wgs84")
    values["version"] = str(feature.version or "")
    return values


def _form_page(request: Request, values: dict[str, str], *, feature: Feature | None,
               errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "ledger/form.html", status_code=status_code, active="ledger",
                  feature=feature, values=values, errors=errors or {}, options=_OPTIONS,
                  point_editable=feature is None or feature.geometry is None
                  or feature.geometry.geom_type == "Point")


@router.get("/ledger/new")
def new_source_form(request: Request) -> Response:
    """Show the empty form for a new source (editors)."""
    require_role(request, "editor")
    return _form_page(request, {"status": "operating"}, feature=None)


@router.post("/ledger/new")
async def create_source(request: Request) -> Response:
    """Store the new source and go to its page; 422 with the form again when a field is wrong."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    return await run_in_threadpool(_create, request, caller, _form_values(form))


def _create(request: Request, caller: Caller, values: dict[str, str]) -> Response:
    try:
        properties, geometry = source_from_form(values)
        stored = writes.create(get_store(request), "sources",
                               Feature(None, properties, geometry), actor=caller.actor)
    except FormErrors as exc:
        return _form_page(request, values, feature=None, errors=exc.errors, status_code=422)
    except ValidationError as exc:
        return _form_page(request, values, feature=None, status_code=422,
                          errors={exc.field or "name": str(exc)})
    return RedirectResponse(_href(str(stored.id)), status_code=303)


@router.get("/ledger/{fid}")
def source_page(request: Request, fid: str) -> Response:
    """Show everything about one source: fields, place, inspections, history."""
    store = get_store(request)
    feature = store.get("sources", fid)
    flags = store.flag_priority(ids=[fid])
    derived = flags.iloc[0].to_dict() if len(flags) else {}
    stations = store.read("stations")
    inspections = store.read("inspections", query=Query(filters={"source_id": fid}))
    visits = inspections.sort_values(["date", "id"], ascending=False).to_dict("records") \
        if len(inspections) else []
    photos = store.photos.of_inspections([str(i["id"]) for i in visits])
    return render(
        request, "ledger/item.html", active="ledger", feature=feature, derived=derived,
        photos=photos,
        station_names=dict(zip(stations["id"], stations["name"], strict=True)),
        sketch=location_sketch(feature.geometry, stations, derived.get("nearest_station")),
        inspections=visits, steps=timeline(store.history("sources", fid)))


@router.get("/ledger/{fid}/edit")
def edit_source_form(request: Request, fid: str) -> Response:
    """Show the edit form with the stored values and version (editors)."""
    require_role(request, "editor")
    feature = get_store(request).get("sources", fid)
    return _form_page(request, _stored_values(feature), feature=feature)


@router.post("/ledger/{fid}/edit")
async def edit_source(request: Request, fid: str) -> Response:
    """Save the edit made at the version sent; a newer stored version shows the conflict page."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    return await run_in_threadpool(_edit, request, caller, fid, _form_values(form))


def _version(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def _edit(request: Request, caller: Caller, fid: str, values: dict[str, str]) -> Response:
    store = get_store(request)
    feature = store.get("sources", fid)
    try:
        properties, geometry = source_from_form(values, stored=feature)
        writes.update(store, "sources", fid, properties, geometry,
                      expected_version=_version(values["version"]), actor=caller.actor)
    except FormErrors as exc:
        return _form_page(request, values, feature=feature, errors=exc.errors, status_code=422)
    except VersionMismatchError:
        return _conflict(request, store, fid, values)
    except ValidationError as exc:
        return _form_page(request, values, feature=feature, status_code=422,
                          errors={exc.field or "name": str(exc)})
    return RedirectResponse(_href(fid), status_code=303)


def _conflict(request: Request, store: Store, fid: str, mine: dict[str, str]) -> Response:
    """Answer the 409 page: who saved since, when, and both versions side by side."""
    current = store.get("sources", fid)
    last = store.history("sources", fid)[-1]
    theirs = _stored_values(current)
    differing = [name for name in (*FORM_FIELDS, "lon", "lat")
                 if (mine.get(name) or "") != (theirs.get(name) or "")]
    return render(request, "ledger/conflict.html", status_code=409, active="ledger",
                  feature=current, last=last, mine=mine, theirs=theirs, differing=differing,
                  fields=(*FORM_FIELDS, "lon", "lat"))


async def _set_status(request: Request, fid: str, status: str) -> Response:
    form = await checked_form(request)
    caller = require_role(request, "editor")
    version = _version(str(form.get("version") or ""))

    def change() -> Response:
        store = get_store(request)
        try:
            writes.update(store, "sources", fid, {"status": status}, expected_version=version,
                          actor=caller.actor)
        except VersionMismatchError:
            return _conflict(request, store, fid, {**_stored_values(
                store.get("sources", fid)), "status": status, "version": str(version)})
        return RedirectResponse(_href(fid), status_code=303)

    return await run_in_threadpool(change)


@router.post("/ledger/{fid}/close")
async def close_source(request: Request, fid: str) -> Response:
    """Mark the source closed (关停/取缔); its history keeps who and when."""
    return await _set_status(request, fid, "closed")


@router.post("/ledger/{fid}/reopen")
async def reopen_source(request: Request, fid: str) -> Response:
    """Mark a closed source operating again."""
    return await _set_status(request, fid, "operating")
