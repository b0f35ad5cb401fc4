"""The monitoring stations' pages: the list, one station, its add and edit forms.

``/stations`` lists every station with the priority targets (sources not
closed) and the closed ones to re-check inside its radius, counted by
:func:`geo.overview.station_counts` so they are the home page's figures,
and links to its sources in the ledger, their Excel export and the map.
``/stations/{id}`` shows its fields, a sketch of its radius, those counts
and its history. The forms (:data:`STATION_FORM`) post ``name``,
``level``, ``radius_m``, ``address`` and the place typed or pasted in any
coordinate label, and share everything else with the source forms
(:mod:`api.pages.record_forms`): messages beside each field, stale edits
answered by the conflict page. Editors and admins edit; viewers read.

``/stations/{id}/sources``, ``/observations`` and the like are the JSON API's
(:mod:`api.routes.radius`); this module answers only the pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from shapely.geometry.base import BaseGeometry
from starlette.concurrency import run_in_threadpool

from api.auth import require_role
from api.deps import get_store
from api.html import render
from api.pages.record_forms import (
    RecordForm,
    create_record,
    edit_record,
    form_page,
    form_values,
    stored_values,
)
from api.sessions import checked_form
from geo.forms import STATION_FORM_FIELDS, station_from_form
from geo.ledger import DEFAULT_RADIUS_M, MAX_RADIUS_M, STATION_LEVELS, Feature
from geo.overview import StationCount, station_counts
from geo.timeline import timeline
from maps.sketch import location_sketch

__all__ = ["STATION_FORM", "router"]

router = APIRouter(include_in_schema=False)


def _parse(fields: Mapping[str, str],
           stored: Feature | None) -> tuple[dict[str, object], BaseGeometry | None]:
    return station_from_form(fields, stored=stored)


def _limits(_store: Any, _feature: Feature | None) -> dict[str, Any]:
    return {"max_radius_m": MAX_RADIUS_M}


#: How a station is edited: name, level, radius, address and its place.
STATION_FORM = RecordForm(
    layer="stations", fields=STATION_FORM_FIELDS, base="/stations",
    template="stations/form.html", parse=_parse, coded=("level",),
    options={"level": STATION_LEVELS}, context=_limits)


def _rows(request: Request) -> list[dict[str, Any]]:
    """Return each station's fields with its counts inside (the home page's figures)."""
    store = get_store(request)
    counts: dict[str, StationCount] = {c.id: c for c in station_counts(store)}
    rows = []
    for station in store.read("stations").to_dict("records"):
        count = counts[str(station["id"])]
        rows.append({**station, "priority": count.priority, "recheck": count.recheck})
    return rows


@router.get("/stations")
def stations_page(request: Request) -> Response:
    """List the stations with the sources inside each one's radius."""
    return render(request, "stations/list.html", stations=_rows(request))


@router.get("/stations/new")
def new_station_form(request: Request) -> Response:
    """Show the empty form for a new station (editors), radius 3000 m."""
    require_role(request, "editor")
    values = {"level": "other", "radius_m": f"{DEFAULT_RADIUS_M:.0f}"}
    return form_page(request, STATION_FORM, values, feature=None)


@router.post("/stations/new")
async def create_station(request: Request) -> Response:
    """Store the new station and go to its page; 422 with the form again when a field is wrong."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    return await run_in_threadpool(create_record, request, STATION_FORM, caller,
                                   form_values(STATION_FORM, form))


@router.get("/stations/{sid}")
def station_page(request: Request, sid: str) -> Response:
    """Show one station: fields, a sketch of its radius, the sources inside, its history."""
    store = get_store(request)
    feature = store.get("stations", sid)
    count = next(c for c in station_counts(store) if c.id == sid)
    stations = store.read("stations")
    return render(request, "stations/item.html", feature=feature, count=count,
                  sketch=location_sketch(feature.geometry, stations, sid),
                  steps=timeline(store.history("stations", sid)))


@router.get("/stations/{sid}/edit")
def edit_station_form(request: Request, sid: str) -> Response:
    """Show the edit form with the stored values and version (editors)."""
    require_role(request, "editor")
    feature = get_store(request).get("stations", sid)
    return form_page(request, STATION_FORM, stored_values(STATION_FORM, feature),
                     feature=feature)


@router.post("/stations/{sid}/edit")
async def edit_station(request: Request, sid: str) -> Response:
    """Save the edit made at the version sent; a newer stored version shows the conflict page."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    return await run_in_threadpool(edit_record, request, STATION_FORM, caller, sid,
                                   form_values(STATION_FORM, form))
