"""Correcting a recorded inspection: ``/inspections/{id}/edit``.

The form posts the inspection's ``round``, ``date``, ``result``,
``fume_purifier``, ``inspector`` and ``notes`` with the version it was
opened at; the source inspected stays. The edit is written by
:func:`geo.writes.update` on layer ``inspections``, so its source is
recomputed in the same transaction (``last_inspected``, and the purifier
state and closing of its latest visit). Wrong fields come back with their
messages (422) and a stale version answers the conflict page, as for
sources (:mod:`api.pages.record_forms`). After saving the officer goes to
the inspection's page, ``/inspections/{id}``.
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
from api.pages.record_forms import (
    RecordForm,
    edit_record,
    form_page,
    form_values,
    stored_values,
)
from api.sessions import checked_form
from geo.errors import NotFoundError
from geo.forms import INSPECTION_FORM_FIELDS, inspection_from_form
from geo.ledger import INSPECTION_RESULTS, PURIFIER_STATES, Feature
from geo.store.base import Store

__all__ = ["INSPECTION_FORM", "router"]

router = APIRouter(include_in_schema=False)


def _parse(fields: Mapping[str, str],
           stored: Feature | None) -> tuple[dict[str, object], BaseGeometry | None]:
    source_id = str(stored.properties["source_id"]) if stored else str(fields.get("source_id"))
    return inspection_from_form(fields, source_id=source_id, stored=stored), None


def _source(store: Store, feature: Feature | None) -> dict[str, Any]:
    """Return the inspected source for the form's heading (None once it is deleted)."""
    if feature is None:
        return {"source": None}
    try:
        return {"source": store.get("sources", str(feature.properties["source_id"]))}
    except NotFoundError:
        return {"source": None}


#: How an inspection is corrected: its own fields; the source inspected stays.
INSPECTION_FORM = RecordForm(
    layer="inspections", fields=INSPECTION_FORM_FIELDS, base="/inspections",
    template="inspections/form.html", parse=_parse, active="inspections", point=False,
    coded=("result", "fume_purifier"),
    options={"result": INSPECTION_RESULTS, "fume_purifier": PURIFIER_STATES}, context=_source)


@router.get("/inspections/{iid}/edit")
def edit_inspection_form(request: Request, iid: str) -> Response:
    """Show the inspection's edit form with its stored values and version (editors)."""
    require_role(request, "editor")
    feature = get_store(request).get("inspections", iid)
    return form_page(request, INSPECTION_FORM, stored_values(INSPECTION_FORM, feature),
                     feature=feature)


@router.post("/inspections/{iid}/edit")
async def edit_inspection(request: Request, iid: str) -> Response:
    """Save the correction made at the version sent and go to the inspection's page."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    return await run_in_threadpool(edit_record, request, INSPECTION_FORM, caller, iid,
                                   form_values(INSPECTION_FORM, form))
