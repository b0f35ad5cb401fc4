"""Hourly air-quality readings over HTTP: file import, live feed, a station's hours.

``POST /observations/import`` takes a CSV or XLSX file (multipart field
``file``, uploaded as for ``POST /import``: see :mod:`api.uploads`);
``POST /stations/{sid}/observations`` takes a JSON list of readings for one
station. Both need an editor, check every row and write all or nothing
(422 naming the rejected rows); ``dry_run=true`` counts without writing.
``GET /stations/{sid}/observations?start=&end=`` answers the hours with
their AQI (json, csv or xlsx). Checking and storing live in
:mod:`geo.air.observations`.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import EditorDep
from api.deps import SettingsDep, StoreDep
from api.params import refuse_unknown_params
from api.responses import XLSX, json_response, pick_format
from api.routes.edits import Body
from api.schemas import (
    JSON,
    UPLOAD_BODY,
    ImportRejection,
    ObservationReport,
    StationObservations,
    answers,
    read_extra,
    write_extra,
)
from api.station_tables import plain_cell, table_file_response
from api.uploads import check_declared_size, save_upload, upload_folder
from geo.air.observations import (
    POLLUTANTS,
    ObservationImport,
    hourly_observations,
    import_observations,
    record_observations,
)
from geo.errors import InputError
from geo.store.observation_rows import READING_COLUMNS

__all__ = ["router"]

router = APIRouter(tags=["Air quality"])

Sid = Annotated[str, Path(description="The station's id")]
DryRun = Annotated[bool, Query(description="Check everything, write nothing")]
Start = Annotated[str | None, Query(description="From this date or time (inclusive; naive = "
                                                "Beijing time), e.g. 2026-11-03")]
End = Annotated[str | None, Query(description="Until this date or time (exclusive)")]
Format = Annotated[str | None, Query(description="json (default), csv or xlsx")]
_FORMATS = ("json", "csv", "xlsx")
_FEED_BODY = {
    "required": True,
    "description": "A JSON list of readings: each {time, pm25, pm10, so2, no2, o3 (µg/m³), "
                   "co (mg/m³), wd_deg, ws_ms}; naive times are Beijing time",
    "content": {JSON: {"schema": {"type": "array", "items": {"type": "object"}}}},
}


def _report(report: ObservationImport) -> dict[str, Any]:
    return {"rows": report.rows, "inserted": report.inserted, "updated": report.updated,
            "dry_run": report.dry_run, "stations": list(report.stations),
            "ignored_columns": list(report.ignored_columns)}


@router.post(
    "/observations/import", summary="Import hourly readings from a CSV or XLSX file",
    response_class=Response, openapi_extra=write_extra(UPLOAD_BODY),
    responses=answers(ObservationReport, errors=(400, 401, 403, 411, 413,
                                                 (422, ImportRejection))),
)
async def import_readings(
    request: Request, store: StoreDep, settings: SettingsDep, token: EditorDep,
    dry_run: DryRun = False,
) -> Response:
    """Import readings (multipart field ``file``), every row or none, upserting by station+hour."""
    check_declared_size(request, settings.max_upload_bytes)
    with upload_folder() as folder:
        async with request.form(max_files=1, max_fields=0) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InputError("send the file as the multipart field 'file'")
            path = await run_in_threadpool(save_upload, upload, folder, settings.max_upload_bytes)
        report = await run_in_threadpool(partial(
            import_observations, store, path, dry_run=dry_run,
            max_unzipped_bytes=settings.max_unzipped_bytes))
    return json_response(_report(report))


@router.post(
    "/stations/{sid}/observations", summary="Add a station's readings (live feed)",
    response_class=Response, openapi_extra=write_extra(_FEED_BODY),
    responses=answers(ObservationReport, errors=(400, 401, 403, 404, (422, ImportRejection))),
)
def feed_readings(
    store: StoreDep, token: EditorDep, sid: Sid, body: Body, dry_run: DryRun = False,
) -> Response:
    """Store a JSON list of readings for the station, every one or none (upsert by hour)."""
    if not isinstance(body, list):
        raise InputError("the body must be a JSON list of readings")
    return json_response(_report(record_observations(store, sid, body, dry_run=dry_run)))


def _responses() -> dict[int | str, dict[str, Any]]:
    return answers(StationObservations, files=("text/csv", XLSX), errors=(400, 401, 403, 404))


@router.get("/stations/{sid}/observations", summary="A station's hourly readings and AQI",
            openapi_extra=read_extra(), responses=_responses())
def station_readings(
    request: Request, store: StoreDep, sid: Sid, start: Start = None, end: End = None,
    f: Format = None,
) -> Response:
    """Return each hour's readings (UTC ISO 8601 times), sub-indices, AQI, primary, category."""
    refuse_unknown_params(request, {"start", "end", "f"})
    fmt = pick_format(request, f, allowed=_FORMATS)
    frame = hourly_observations(store, sid, start=start, end=end)
    if fmt in ("csv", "xlsx"):
        table = _flat(frame)
        return table_file_response(fmt, f"observations-{sid}", table, sheet="observations")
    return json_response({"station_id": sid, "start": start, "end": end,
                          "count": len(frame), "hours": _hours(frame)})


def _hours(frame: pd.DataFrame) -> list[dict[str, Any]]:
    hours = []
    for row in frame.to_dict("records"):
        hour = {"time": row["time"], **{c: plain_cell(row.get(c)) for c in READING_COLUMNS}}
        hour["iaqi"] = {p: plain_cell(row.get(f"iaqi_{p}")) for p in POLLUTANTS}
        hour["aqi"] = plain_cell(row.get("aqi"))
        hour["primary"] = list(row.get("primary") or ())
        hour["category"] = plain_cell(row.get("category"))
        hour["colour"] = plain_cell(row.get("colour"))
        hours.append(hour)
    return hours


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["station_id", "time", *READING_COLUMNS, *(f"iaqi_{p}" for p in POLLUTANTS),
               "aqi", "primary", "category"]
    table = frame.reindex(columns=columns).copy()
    table["primary"] = [",".join(p) if isinstance(p, tuple | list) else "" for p in
                        table["primary"]]
    return table.astype(object).where(table.notna(), None)
