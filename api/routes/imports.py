"""``POST /import``: upload a file into a layer, all rows or none.

The upload is streamed into a private temporary folder (mode 0700) under a
name Zonewatch chooses (only the suffix of the client's name is kept),
stopped with 413 as soon as it passes ``max_upload_bytes`` (see
:mod:`api.uploads`), read by :func:`geo.io.importer.import_file` and
removed afterwards.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import EditorDep, actor_of
from api.case_items import refuse_generic_write
from api.deps import SettingsDep, StoreDep
from api.responses import json_response
from api.schemas import UPLOAD_BODY, ImportRejection, answers, write_extra
from api.schemas import ImportReport as ImportReportDoc
from api.uploads import check_declared_size, save_upload, upload_folder
from geo.errors import InputError
from geo.io.importer import ImportReport, import_file

__all__ = ["router"]

router = APIRouter(tags=["Import"])


@router.post(
    "/import", summary="Import a file into a layer", response_class=Response,
    openapi_extra=write_extra(UPLOAD_BODY),
    responses=answers(ImportReportDoc, errors=(400, 401, 403, 404, 409, 411, 413,
                                               (422, ImportRejection))),
)
async def import_upload(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    token: EditorDep,
    layer: Annotated[str, Query(description="Target layer: sources, stations, inspections")],
    crs: Annotated[str | None, Query(description="Coordinate label of the file")] = None,
    mode: Annotated[Literal["append", "upsert", "replace"], Query()] = "append",
    dry_run: Annotated[bool, Query(description="Check everything, write nothing")] = False,
) -> Response:
    """Import CSV, GeoJSON, GeoPackage, zipped Shapefile, KML or XLSX (multipart field ``file``).

    Answers ``{accepted, rejected: [{row, reason}], ...}``; with rejected rows
    (and no ``dry_run``) nothing is written and the answer is 422. The token
    and the declared size are checked before the body is read (401/403,
    411 without Content-Length, 413 above ``max_upload_bytes``).
    """
    refuse_generic_write(layer)  # before the body is read: cases go through the case loop
    check_declared_size(request, settings.max_upload_bytes)
    with upload_folder() as folder:
        async with request.form(max_files=1, max_fields=0) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InputError("send the file as the multipart field 'file'")
            path = await run_in_threadpool(save_upload, upload, folder, settings.max_upload_bytes)
        report = await run_in_threadpool(
            partial(import_file, store, path, layer=layer, crs=crs, mode=mode, dry_run=dry_run,
                    actor=actor_of(token), max_unzipped_bytes=settings.max_unzipped_bytes))
    return json_response(_report_body(report))


def _report_body(report: ImportReport) -> dict[str, Any]:
    written = report.written
    return {
        "accepted": report.accepted,
        "rejected": [{"row": r.row, "reason": r.reason} for r in report.rejected],
        "dry_run": report.dry_run,
        "ignored_columns": report.ignored_columns,
        "notes": report.notes,
        "written": None if written is None else {
            "inserted": written.inserted, "updated": written.updated, "deleted": written.deleted},
    }
