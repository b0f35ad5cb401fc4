"""Air-quality answers over HTTP: daily AQI, the pollution rose, upwind sources, alerts.

``GET /stations/{sid}/daily`` (json, csv, xlsx), ``GET /stations/{sid}/rose``,
``GET /stations/{sid}/attribution`` and ``GET /alerts`` read the stored
hourly readings (:mod:`geo.air.observations`) and answer what
:mod:`geo.air.aqi`, :mod:`geo.air.rose` and :mod:`geo.air.attribution`
compute from them. Reads are open like every GET.

The window
----------
``start`` and ``end`` are dates or dates and times (naive = Beijing time),
as for ``GET /stations/{sid}/observations``; either may be left out, and
without them the whole record is read. Here they bound the hour *periods*:
an hour is in the window when the period it averages begins at or after
``start`` and before ``end``. Since the national platform labels an hour by
its end, that is the readings labelled from ``start + 1 h`` up to
``end + 1 h``, so ``start=2026-11-03&end=2026-11-04`` is exactly Beijing
day 3 November (readings labelled 01:00 … 24:00), as :mod:`geo.air.aqi`
counts a day. A window without readings answers 200 with no days or no
sectors and a ``note`` saying so.

Alerts
------
Each day of the window on which a station's daily value of a pollutant is
over its GB 3095-2012 Grade II 24-h limit (``exceeds`` of
:func:`geo.air.aqi.daily_frame`; O3 on its 8-h maximum) is one alert. Its
sources are the attribution over that Beijing day's hours for that
pollutant. One day has only 24 hours, so the day's rose uses
:data:`ALERT_SECTORS` sectors of 45° and rates sectors with at least
:data:`ALERT_MIN_HOURS` hours; the alert's ``attribution`` link asks for the
same rose. ``case`` gives the page that opens a case about the first
source and a body for ``POST /cases``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

import pandas as pd
from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import StoreDep
from api.params import refuse_unknown_params
from api.responses import XLSX, json_response, pick_format
from api.schemas import (
    AirAlerts,
    StationAttribution,
    StationDaily,
    StationRose,
    answers,
    read_extra,
)
from api.station_tables import plain_cell, table_file_response
from geo.air.aqi import DAILY_KEYS, daily_frame, daily_values
from geo.air.attribution import Attribution, attribute
from geo.air.limits import DAILY_MIN_HOURS, GRADE_II_24H, POLLUTANTS
from geo.air.observations import parse_bound
from geo.air.rose import Rose, cbpf, pollution_rose
from geo.cases import event_type_of, stored_types
from geo.errors import InputError
from geo.ledger import DEFAULT_RADIUS_M, Feature
from geo.store.base import Store

__all__ = ["ALERT_MIN_HOURS", "ALERT_SECTORS", "router"]

router = APIRouter(tags=["Air quality"])

#: Sectors and the fewest hours a sector needs for a CPF, in an alert's one-day rose.
ALERT_SECTORS = 8
ALERT_MIN_HOURS = 2

_HOUR = dt.timedelta(hours=1)
_BEIJING = dt.timedelta(hours=8)
_FORMATS = ("json", "csv", "xlsx")
_WINDOW = ("start", "end")
_ROSE_PARAMS = ("pollutant", *_WINDOW, "sectors", "percentile", "min_hours")
_UNITS = {p: "mg/m³" if p == "co" else "µg/m³" for p in POLLUTANTS}

PollutantName = Literal["pm25", "pm10", "so2", "no2", "o3", "co"]
Sid = Annotated[str, Path(description="The station's id")]
Start = Annotated[str | None, Query(description="From this date or time (inclusive; naive = "
                                                "Beijing time): hours whose period begins "
                                                "then or later, e.g. 2026-11-03")]
End = Annotated[str | None, Query(description="Until this date or time (exclusive): hours "
                                              "whose period begins before it")]
Format = Annotated[str | None, Query(description="json (default), csv or xlsx")]
Pollutant = Annotated[PollutantName, Query(description="The pollutant rated (CO in mg/m³, "
                                                       "the others µg/m³)")]
Sectors = Annotated[int, Query(ge=4, le=36, description="Equal wind sectors; sector i is "
                                                        "centred on i·360/sectors degrees")]
Percentile = Annotated[float, Query(ge=50, le=99, description="The CPF threshold: this "
                                                              "percentile of the window's "
                                                              "valid hours")]
MinHours = Annotated[int, Query(ge=1, le=100, description="Sectors with fewer hours get "
                                                          "cpf null")]
WithCbpf = Annotated[bool, Query(alias="cbpf", description="Add the CBPF (sector × wind-speed "
                                                           "bin, Uria-Tellaetxe & Carslaw 2014)")]
Top = Annotated[int, Query(ge=1, le=20, description="Sources listed per alert")]


# -- the window and the readings ----------------------------------------------------------


def _label_bound(text: str | None, what: str) -> str | None:
    """Return the UTC label bound of a period bound: one hour later (labels name the end)."""
    if text is None or text == "":
        return None
    utc = dt.datetime.fromisoformat(parse_bound(text, what=what).replace("Z", "+00:00"))
    return (utc + _HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")


def label_window(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    """Return the UTC ISO label bounds ``[low, high)`` of the hours whose period is in the window.

    Raises
    ------
    InputError
        For an unreadable bound (named), or ``end`` before ``start``.

    Examples
    --------
    >>> label_window("2026-11-03", "2026-11-04")
    ('2026-11-02T17:00:00Z', '2026-11-03T17:00:00Z')
    """
    low, high = _label_bound(start, "start"), _label_bound(end, "end")
    if low is not None and high is not None and high < low:
        raise InputError(f"end {end} is before start {start}")
    return low, high


def _readings(store: Store, sid: str, start: str | None,
              end: str | None) -> tuple[Feature, pd.DataFrame]:
    station = store.get("stations", sid)  # NotFoundError: 404 before any bound is read
    low, high = label_window(start, end)
    return station, store.observations.read(str(station.id), start=low, end=high)


# -- daily ----------------------------------------------------------------------------------


def daily_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return :func:`geo.air.aqi.daily_frame` of a station's hours (empty for no hours)."""
    if frame.empty:
        return pd.DataFrame()
    return daily_frame(daily_values(frame))


def _short_note(short: list[str]) -> str | None:
    if not short:
        return None
    return (f"{', '.join(short)}: fewer than {DAILY_MIN_HOURS} valid hours, no daily value "
            "(GB 3095-2012)")


def _day(row: Mapping[str, Any]) -> dict[str, Any]:
    hours = {p: int(row[f"hours_{p}"]) for p in POLLUTANTS}
    short = [p for p in POLLUTANTS if hours[p] < DAILY_MIN_HOURS]
    day: dict[str, Any] = {"date": row["date"].isoformat()}
    day.update({k: plain_cell(row[k]) for k in DAILY_KEYS})
    day.update(hours=hours, iaqi={k: plain_cell(row[f"iaqi_{k}"]) for k in DAILY_KEYS},
               aqi=plain_cell(row["aqi"]), primary=list(row["primary"] or ()),
               category=plain_cell(row["category"]), colour=plain_cell(row["colour"]),
               exceeds=list(row["exceeds"]), short=short, note=_short_note(short))
    return day


@router.get("/stations/{sid}/daily", summary="A station's daily values, AQI and exceedances",
            openapi_extra=read_extra(),
            responses=answers(StationDaily, files=("text/csv", XLSX),
                              errors=(400, 401, 403, 404)))
def station_daily(
    request: Request, store: StoreDep, sid: Sid, start: Start = None, end: End = None,
    f: Format = None,
) -> Response:
    """Return per Beijing day the 24-h means, O3 maxima, AQI, category and exceeded limits.

    A pollutant with fewer than 20 valid hours that day has no value (null)
    and is listed in ``short``.
    """
    refuse_unknown_params(request, {*_WINDOW, "f"})
    fmt = pick_format(request, f, allowed=_FORMATS)
    _station, frame = _readings(store, sid, start, end)
    table = daily_table(frame)
    if fmt in ("csv", "xlsx"):
        flat = _flat_days(table)
        return table_file_response(fmt, f"daily-{sid}", flat, sheet="daily")
    days = [_day(row) for row in table.to_dict("records")]
    note = None if days else "no readings in this window"
    return json_response({"station_id": sid, "start": start, "end": end, "count": len(days),
                          "days": days, "note": note})


def _flat_days(table: pd.DataFrame) -> pd.DataFrame:
    columns = ["station_id", "date", *DAILY_KEYS, *(f"hours_{p}" for p in POLLUTANTS),
               *(f"iaqi_{k}" for k in DAILY_KEYS), "aqi", "primary", "category", "colour",
               "exceeds"]
    flat = table.reindex(columns=columns).copy()
    for name in ("primary", "exceeds"):
        flat[name] = [",".join(v) if isinstance(v, tuple | list) else "" for v in flat[name]]
    flat["date"] = [d.isoformat() if isinstance(d, dt.date) else d for d in flat["date"]]
    return flat.astype(object).where(flat.notna(), None)


# -- rose -----------------------------------------------------------------------------------


def _no_hours_note(pollutant: str) -> str:
    return (f"no hour in this window has {pollutant}, wind direction and wind speed "
            "together: the rose is empty")


def rose_body(rose: Rose) -> dict[str, Any]:
    """Return a rose as the ``/rose`` answer's body: its sectors, calm hours, worst sector."""
    body = rose.to_dict()
    worst = rose.worst()
    body.update(sector_width_deg=360.0 / len(rose.sectors),
                worst=worst.to_dict() if worst is not None else None, note=None)
    if rose.valid_hours == 0:
        body.update(sectors=[], note=_no_hours_note(rose.pollutant))
    return body


@router.get("/stations/{sid}/rose", summary="A station's pollution rose with CPF",
            openapi_extra=read_extra(),
            responses=answers(StationRose, errors=(400, 401, 403, 404)))
def station_rose(
    request: Request, store: StoreDep, sid: Sid, pollutant: Pollutant = "pm25",
    start: Start = None, end: End = None, sectors: Sectors = 16, percentile: Percentile = 75,
    min_hours: MinHours = 3, with_cbpf: WithCbpf = False,
) -> Response:
    """Return per wind sector the hours, mean and CPF; calm hours (< 0.5 m/s) apart.

    CPF = the sector's hours at or above the window's ``percentile``-th
    percentile ÷ its hours (null under ``min_hours`` hours).
    """
    refuse_unknown_params(request, {*_ROSE_PARAMS, "cbpf"})
    _station, frame = _readings(store, sid, start, end)
    rose = pollution_rose(frame, pollutant=pollutant, sectors=sectors, percentile=percentile,
                          min_hours=min_hours)
    body = {"station_id": sid, "start": start, "end": end, "unit": _UNITS[pollutant],
            **rose_body(rose), "cbpf": None}
    if with_cbpf and rose.valid_hours:
        body["cbpf"] = cbpf(frame, pollutant=pollutant, sectors=sectors, percentile=percentile,
                            min_hours=min_hours).to_dict()
    return json_response(body)


# -- attribution ----------------------------------------------------------------------------


def _place(station: Feature) -> tuple[float, float, float]:
    """Return the station's lon, lat and radius (m)."""
    geom = station.geometry
    if geom is None or geom.is_empty:
        raise InputError(f"station {station.id} has no position")
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    radius = station.properties.get("radius_m")
    return float(point.x), float(point.y), DEFAULT_RADIUS_M if radius is None else float(radius)


def _ranked(found: Iterable[Attribution]) -> list[dict[str, Any]]:
    return [{"rank": i, **a.to_dict()} for i, a in enumerate(found, start=1)]


def _rose_summary(rose: Rose) -> dict[str, Any]:
    worst = rose.worst()
    return {"percentile": rose.percentile, "threshold": rose.threshold,
            "valid_hours": rose.valid_hours, "calm_hours": rose.calm_hours,
            "sectors": len(rose.sectors), "min_hours": rose.min_hours,
            "worst": worst.to_dict() if worst is not None else None}


def _attribution_note(rose: Rose, count: int) -> str | None:
    if rose.valid_hours == 0:
        return _no_hours_note(rose.pollutant) + "; every source has cpf null and score 0"
    return None if count else "no source lies within the station's radius"


@router.get("/stations/{sid}/attribution",
            summary="The sources within a station's radius, ranked by how upwind they lie",
            openapi_extra=read_extra(),
            responses=answers(StationAttribution, errors=(400, 401, 403, 404)))
def station_attribution(
    request: Request, store: StoreDep, sid: Sid, pollutant: Pollutant = "pm25",
    start: Start = None, end: End = None, sectors: Sectors = 16, percentile: Percentile = 75,
    min_hours: MinHours = 3,
) -> Response:
    """Return each source within the radius with its bearing, distance, sector, CPF and score.

    ``score`` = the CPF of the sector the source lies in (seen from the
    station) × its category's weight for the pollutant × its status weight
    (operating 1, rectifying 0.5, closed 0); equal scores go nearer first
    (:mod:`geo.air.attribution`).
    """
    refuse_unknown_params(request, set(_ROSE_PARAMS))
    station, frame = _readings(store, sid, start, end)
    lon, lat, radius_m = _place(station)
    rose = pollution_rose(frame, pollutant=pollutant, sectors=sectors, percentile=percentile,
                          min_hours=min_hours)
    found = attribute(store.within("sources", lon, lat, radius_m=radius_m), lon, lat,
                      radius_m, rose)
    return json_response({"station_id": sid, "pollutant": pollutant, "start": start,
                          "end": end, "radius_m": radius_m, "count": len(found),
                          "sources": _ranked(found), "rose": _rose_summary(rose),
                          "note": _attribution_note(rose, len(found))})


# -- alerts ---------------------------------------------------------------------------------


def period_dates(frame: pd.DataFrame) -> pd.Series:
    """Return the Beijing day (datetime.date) each hour's period falls in (labels name the end)."""
    times = pd.to_datetime(frame["time"], utc=True, format="ISO8601").dt.tz_convert(None)
    return (times - _HOUR + _BEIJING).dt.date


def _attribution_link(sid: str, pollutant: str, day: dt.date) -> str:
    query = urlencode({"pollutant": pollutant, "start": day.isoformat(),
                       "end": (day + dt.timedelta(days=1)).isoformat(),
                       "sectors": ALERT_SECTORS, "min_hours": ALERT_MIN_HOURS})
    return f"/stations/{quote(sid, safe='')}/attribution?{query}"


class _StationAlerts:
    """Everything one station's alerts share: its place, its sources, its hours by day."""

    def __init__(self, store: Store, station: Feature, frame: pd.DataFrame) -> None:
        self.sid = str(station.id)
        self.name = plain_cell(station.properties.get("name"))
        self.lon, self.lat, self.radius_m = _place(station)
        self.sources = store.within("sources", self.lon, self.lat, radius_m=self.radius_m)
        self.frame = frame
        self.dates = period_dates(frame).to_numpy()

    def upwind(self, day: dt.date, pollutant: str) -> list[Attribution]:
        """Return the sources ranked over the day's hours for the pollutant."""
        hours = self.frame[self.dates == day]
        rose = pollution_rose(hours, pollutant=pollutant, sectors=ALERT_SECTORS,
                              min_hours=ALERT_MIN_HOURS)
        return attribute(self.sources, self.lon, self.lat, self.radius_m, rose)


def _case_hint(here: _StationAlerts, alert: Mapping[str, Any], first: Attribution | None,
               types: Mapping[str, Any]) -> dict[str, Any]:
    what = (f"{alert['station_id']} {alert['date']}: {alert['pollutant']} "
            f"{alert['value']:.1f} {alert['unit']} over the Grade II 24-h limit "
            f"{alert['limit']:g}")
    if first is None:
        return {"page": "/cases/new", "body": {"event_type": event_type_of(None, types),
                                               "lon": here.lon, "lat": here.lat,
                                               "description": what}}
    point = here.sources.set_index(here.sources["id"].astype(str)).geometry[first.id]
    point = point if point.geom_type == "Point" else point.representative_point()
    return {"page": f"/cases/new?source={quote(first.id, safe='')}",
            "body": {"event_type": event_type_of(first.category, types), "lon": point.x,
                     "lat": point.y, "source_id": first.id,
                     "description": f"{what}; upwind: {first.name or first.id}"}}


def _alert(here: _StationAlerts, row: Mapping[str, Any], pollutant: str, top: int,
           types: Mapping[str, Any]) -> dict[str, Any]:
    day: dt.date = row["date"]
    value = float(row["o3_8h" if pollutant == "o3" else pollutant])
    found = here.upwind(day, pollutant)
    alert = {"station_id": here.sid, "station_name": here.name, "date": day.isoformat(),
             "pollutant": pollutant, "value": value, "limit": float(GRADE_II_24H[pollutant]),
             "unit": _UNITS[pollutant], "aqi": plain_cell(row["aqi"]),
             "category": plain_cell(row["category"]), "colour": plain_cell(row["colour"]),
             "sources": _ranked(found[:top]),
             "attribution": _attribution_link(here.sid, pollutant, day)}
    alert["case"] = _case_hint(here, alert, found[0] if found else None, types)
    return alert


def station_alerts(store: Store, station: Feature, frame: pd.DataFrame, *, top: int,
                   types: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return one station's alerts: each exceedance day and pollutant with its upwind sources."""
    table = daily_table(frame)
    if table.empty or not any(table["exceeds"].map(len)):
        return []
    here = _StationAlerts(store, station, frame)
    return [_alert(here, row, p, top, types) for row in table.to_dict("records")
            for p in row["exceeds"]]


@router.get("/alerts", summary="Exceedance days per station and pollutant, with upwind sources",
            openapi_extra=read_extra(), responses=answers(AirAlerts, errors=(400, 401, 403)))
def alerts(
    request: Request, store: StoreDep, start: Start = None, end: End = None, top: Top = 3,
) -> Response:
    """Return every day a station's daily value broke its GB 3095-2012 Grade II 24-h limit.

    Each alert lists the ``top`` sources ranked over that day's hours, the
    attribution link that gives them, and how to open a case about the first.
    """
    refuse_unknown_params(request, {*_WINDOW, "top"})
    low, high = label_window(start, end)
    types = stored_types(store)
    found: list[dict[str, Any]] = []
    for sid in store.read("stations")["id"].astype(str):
        frame = store.observations.read(sid, start=low, end=high)
        if not frame.empty:
            found += station_alerts(store, store.get("stations", sid), frame, top=top,
                                    types=types)
    found.sort(key=lambda a: (a["date"], a["station_id"], POLLUTANTS.index(a["pollutant"])))
    return json_response({"start": start, "end": end, "count": len(found), "alerts": found,
                          "rose": {"sectors": ALERT_SECTORS, "min_hours": ALERT_MIN_HOURS,
                                   "percentile": 75.0},
                          "note": None if found else "no exceedance day in this window"})
