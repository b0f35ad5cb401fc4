"""Recording an inspection from a source's page, with photos; the photos themselves.

``/ledger/{id}/inspect`` is the officer's form: the round (the current one
unless the round page sends another), the date (today, Beijing time), the
result, the purifier state seen, notes and up to five JPEG or PNG photos
(re-encoded without EXIF by :func:`geo.photos.clean_photo`). Photos are
checked before anything is written, and the inspection and its photos are
stored in one transaction, with the case a violation opens when the
inspector ticks "report a case" (then the answer is the case's page).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import Caller, require_role
from api.deps import get_settings, get_store
from api.html import render
from api.sessions import checked_form
from geo import writes
from geo.cases import case_at_source
from geo.errors import ValidationError
from geo.forms import INSPECTION_FORM_FIELDS, FormErrors, inspection_from_form
from geo.inspections.rounds import current_round
from geo.ledger import INSPECTION_RESULTS, PURIFIER_STATES, Feature, bureau_today
from geo.photos import MAX_PHOTOS, CleanPhoto, clean_photo
from geo.store.base import Store

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_OPTIONS = {"result": INSPECTION_RESULTS, "fume_purifier": PURIFIER_STATES}


def _form_page(request: Request, source: Feature, values: dict[str, str], *,
               errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "ledger/inspect.html", status_code=status_code, active="ledger",
                  source=source, values=values, errors=errors or {}, options=_OPTIONS,
                  max_photos=MAX_PHOTOS)


@router.get("/ledger/{fid}/inspect")
def inspection_form(request: Request, fid: str,
                    round: Annotated[int | None, Query(ge=1, le=1000)] = None) -> Response:
    """Show the inspection form for a source, filled with today's date and the round."""
    caller = require_role(request, "editor")
    store = get_store(request)
    source = store.get("sources", fid)
    round_no = round or current_round(store.read("inspections"))
    values = {"round": str(round_no), "date": bureau_today().isoformat(),
              "inspector": caller.name,
              "fume_purifier": str(source.properties.get("fume_purifier") or "")}
    return _form_page(request, source, values)


async def _photos(form: Any, limit_bytes: int) -> list[tuple[str, bytes]]:
    """Read the uploaded photos (empty file inputs skipped), each cut at ``limit_bytes + 1``."""
    uploads = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
    if len(uploads) > MAX_PHOTOS:
        raise FormErrors({"photos": f"at most {MAX_PHOTOS} photos; {len(uploads)} chosen"})
    return [(str(f.filename), await f.read(limit_bytes + 1)) for f in uploads]


@router.post("/ledger/{fid}/inspect")
async def record_inspection(request: Request, fid: str) -> Response:
    """Store the inspection and its photos; 422 with the form again when something is wrong."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    values = {name: str(form.get(name) or "") for name in (*INSPECTION_FORM_FIELDS, "open_case")}
    try:
        photos = await _photos(form, get_settings(request).photo_max_bytes)
    except FormErrors as exc:
        source = await run_in_threadpool(get_store(request).get, "sources", fid)
        return _form_page(request, source, values, errors=exc.errors, status_code=422)
    return await run_in_threadpool(_record, request, caller, fid, values, photos)


def _record(request: Request, caller: Caller, fid: str, values: dict[str, str],
            photos: list[tuple[str, bytes]]) -> Response:
    store, limit = get_store(request), get_settings(request).photo_max_bytes
    source = store.get("sources", fid)
    try:
        properties = inspection_from_form(values, source_id=fid)
        cleaned: list[CleanPhoto] = [clean_photo(data, name=name, max_bytes=limit)
                                     for name, data in photos]
        case = _violation_case(store, caller, source, properties, values)
        writes.record_inspection(store, Feature(None, properties), actor=caller.actor,
                                 photos=cleaned, also=[("cases", case)] if case else ())
    except FormErrors as exc:
        return _form_page(request, source, values, errors=exc.errors, status_code=422)
    except ValidationError as exc:
        return _form_page(request, source, values, status_code=422,
                          errors={exc.field or "notes": str(exc)})
    if case is not None:  # on to the case: the centre files it from there
        return RedirectResponse("/cases/" + quote(str(case.id), safe=""), status_code=303)
    return RedirectResponse("/ledger/" + quote(fid, safe="") + "#inspections", status_code=303)


def _violation_case(store: Store, caller: Caller, source: Feature, inspection: dict[str, Any],
                    values: dict[str, str]) -> Feature | None:
    """Return the case a violation opens when the inspector asked for one, else None."""
    if not values.get("open_case") or inspection.get("result") != "violation":
        return None
    seen = str(inspection.get("notes") or "").strip() or "检查发现违规"
    return case_at_source(store, source, actor=caller.actor, channel="inspection",
                          description=seen)


def _photo_response(request: Request, photo_id: str, *, thumbnail: bool) -> Response:
    record, data = get_store(request).photos.content(photo_id, thumbnail=thumbnail)
    media_type = "image/jpeg" if thumbnail else record.media_type
    # private: a photo is ledger data; its bytes never change under its id
    return Response(data, media_type=media_type, headers={
        "cache-control": "private, max-age=86400", "x-content-type-options": "nosniff"})


@router.get("/photos/{photo_id}")
def photo(request: Request, photo_id: str) -> Response:
    """Answer an inspection photo (JPEG or PNG, no EXIF)."""
    return _photo_response(request, photo_id, thumbnail=False)


@router.get("/photos/{photo_id}/thumb")
def photo_thumbnail(request: Request, photo_id: str) -> Response:
    """Answer a photo's thumbnail (JPEG, at most 320 px)."""
    return _photo_response(request, photo_id, thumbnail=True)
