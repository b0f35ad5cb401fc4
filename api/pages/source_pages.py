"""One source's pages: everything about it, the add and edit forms, close and reopen.

``/ledger/{id}`` shows the fields, a location sketch with the nearest
station's radius, the inspections and the history (who changed which field
from what to what). The forms post fields named after the ledger's
(:data:`geo.forms.FORM_FIELDS`) with the place typed or pasted in any
coordinate label; each problem is shown beside its field (422). An edit
carries the version it was opened at: when someone else saved in between,
the conflict page names them and shows both versions, and nothing is
overwritten unless the person chooses to apply theirs over the new one
(the form machinery every record shares is :mod:`api.pages.record_forms`).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from shapely.geometry.base import BaseGeometry
from starlette.concurrency import run_in_threadpool

from api.auth import require_role
from api.deps import get_store
from api.html import render
from api.pages.record_forms import (
    RecordForm,
    conflict_page,
    create_record,
    edit_record,
    form_page,
    form_values,
    parse_version,
    stored_values,
)
from api.sessions import checked_form
from geo import writes
from geo.errors import VersionMismatchError
from geo.forms import FORM_FIELDS, source_from_form
from geo.ledger import CATEGORIES, PURIFIER_STATES, STATUSES, Feature
from geo.store.base import Query
from geo.timeline import timeline
from maps.sketch import location_sketch

__all__ = ["SOURCE_FORM", "router"]

router = APIRouter(include_in_schema=False)


def _parse(fields: Mapping[str, str],
           stored: Feature | None) -> tuple[dict[str, object], BaseGeometry | None]:
    return source_from_form(fields, stored=stored)


#: How a source is edited: the ledger's fields, its place, its pages under /ledger.
SOURCE_FORM = RecordForm(
    layer="sources", fields=FORM_FIELDS, base="/ledger", template="ledger/form.html",
    parse=_parse, active="ledger", coded=("category", "status", "fume_purifier"),
    options={"category": CATEGORIES, "status": STATUSES, "fume_purifier": PURIFIER_STATES})


@router.get("/ledger/new")
def new_source_form(request: Request) -> Response:
    """Show the empty form for a new source (editors)."""
    require_role(request, "editor")
    return form_page(request, SOURCE_FORM, {"status": "operating"}, feature=None)


@router.post("/ledger/new")
async def create_source(request: Request) -> Response:
    """Store the new source and go to its page; 422 with the form again when a field is wrong."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    return await run_in_threadpool(create_record, request, SOURCE_FORM, caller,
                                   form_values(SOURCE_FORM, form))


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
    return form_page(request, SOURCE_FORM, stored_values(SOURCE_FORM, feature), feature=feature)


@router.post("/ledger/{fid}/edit")
async def edit_source(request: Request, fid: str) -> Response:
    """Save the edit made at the version sent; a newer stored version shows the conflict page."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    return await run_in_threadpool(edit_record, request, SOURCE_FORM, caller, fid,
                                   form_values(SOURCE_FORM, form))


async def _set_status(request: Request, fid: str, status: str) -> Response:
    form = await checked_form(request)
    caller = require_role(request, "editor")
    version = parse_version(str(form.get("version") or ""))

    def change() -> Response:
        store = get_store(request)
        try:
            writes.update(store, "sources", fid, {"status": status}, expected_version=version,
                          actor=caller.actor)
        except VersionMismatchError:
            mine = {**stored_values(SOURCE_FORM, store.get("sources", fid)), "status": status,
                    "version": str(version)}
            return conflict_page(request, SOURCE_FORM, store, fid, mine)
        return RedirectResponse(SOURCE_FORM.href(fid), status_code=303)

    return await run_in_threadpool(change)


@router.post("/ledger/{fid}/close")
async def close_source(request: Request, fid: str) -> Response:
    """Mark the source closed (关停/取缔); its history keeps who and when."""
    return await _set_status(request, fid, "closed")


@router.post("/ledger/{fid}/reopen")
async def reopen_source(request: Request, fid: str) -> Response:
    """Mark a closed source operating again."""
    return await _set_status(request, fid, "operating")
