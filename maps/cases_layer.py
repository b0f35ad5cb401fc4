"""Open cases as a map layer: where each one is and how its deadline stands (issue 14).

Pure over one store read, no web: :func:`open_cases` answers the map's
``/map/cases.json``, which ``assets/zonewatch-cases.js`` draws. It is worked
out at the moment asked (``now``), never kept: a case dispatched or closed a
second ago shows as it stands now.

Each open case (neither closed nor rejected) falls in one band of
:data:`BANDS`:

- ``overdue``: past its deadline (as :meth:`geo.cases.machine.CaseState.is_overdue`);
- ``due_soon``: less than a quarter of its time limit left, or less than an hour;
- ``on_time``: more left than that;
- ``not_dispatched``: reported or filed, so no deadline runs yet.

The time limit is the one the case was given at dispatch (``deadline`` less
``dispatched_at``: the event type's ``limit_h`` then), so a district that
changes a limit later does not move cases already running; a case without a
dispatch time falls back on its type's present limit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import shapely

from geo.cases.machine import OPEN_STATES, CaseState
from geo.cases.records import case_state
from geo.cases.type_book import stored_types
from geo.cases.types import EventType
from geo.crs import from_lonlat
from geo.errors import InputError
from geo.ledger import Feature
from geo.store.base import Query, Store

__all__ = ["BANDS", "DATUMS", "open_cases", "time_band"]

#: The bands of time left, most urgent first (the order of the legend and the data).
BANDS = ("overdue", "due_soon", "on_time", "not_dispatched")
#: The datums the layer is drawn in: that of the page's basemap.
DATUMS = ("wgs84", "gcj02")
_SOON_SHARE = 0.25  # a quarter of the limit left: time to chase the unit
_SOON_FLOOR_S = 3600.0  # and never less than an hour's warning, even on a 2-h limit
_DECIMALS = 6  # as maps.data: ~0.1 m
_TEXTS = ("event_type", "status", "unit", "description", "address", "community", "grid")


def time_band(seconds_left: float | None, limit_s: float | None) -> str:
    """Return the band of a case with ``seconds_left`` to its deadline, of a ``limit_s`` limit.

    ``seconds_left`` is None before dispatch, negative once past the deadline.
    Due soon means less than a quarter of the limit, or less than an hour, is left.

    Examples
    --------
    >>> time_band(None, None), time_band(-1, 7200), time_band(0, 7200)
    ('not_dispatched', 'overdue', 'due_soon')
    >>> time_band(3599, 7200), time_band(3600, 7200), time_band(11 * 3600, 48 * 3600)
    ('due_soon', 'on_time', 'due_soon')
    """
    if seconds_left is None:
        return "not_dispatched"
    if seconds_left < 0:
        return "overdue"
    soon_s = max(_SOON_SHARE * (limit_s or 0.0), _SOON_FLOOR_S)
    return "due_soon" if seconds_left < soon_s else "on_time"


def open_cases(store: Store, *, now: dt.datetime, datum: str = "wgs84") -> dict[str, Any]:
    """Return the open cases of ``store`` as they stand at ``now``, placed in ``datum``.

    Parameters
    ----------
    store : Store
        The ledger.
    now : datetime
        The moment the deadlines are measured from (timezone-aware).
    datum : {"wgs84", "gcj02"}
        The datum of the page's basemap: ``gcj02`` shifts every case as
        :func:`maps.data.map_data` shifts the sources.

    Returns
    -------
    dict
        ``datum``, ``now`` (ISO 8601 UTC), ``count``, ``counts`` (cases per
        band of :data:`BANDS`) and ``cases``: most urgent first, each with ``id``,
        ``lon``, ``lat``, ``event_type``, ``type_zh``, ``type_en``,
        ``status``, ``unit``, ``reported_at``, ``deadline`` (ISO 8601 UTC or
        None), ``seconds_left`` (negative when overdue, None before
        dispatch), ``limit_s``, ``band``, ``rework``, ``description``,
        ``address``, ``community`` and ``grid``.

    Raises
    ------
    InputError
        ``datum`` is not one of :data:`DATUMS`, or ``now`` is naive.
    """
    if datum not in DATUMS:
        raise InputError(f"datum must be one of {', '.join(DATUMS)}; got {datum!r}")
    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise InputError(f"now must be a timezone-aware datetime; got {now!r}")
    frame = store.read("cases", query=Query(filters={"status": sorted(OPEN_STATES)}))
    rows = _rows(frame, now, stored_types(store), datum)  # the layer requires a point
    rows.sort(key=_urgency)
    counts = {band: sum(1 for r in rows if r["band"] == band) for band in BANDS}
    return {"datum": datum, "now": _iso(now), "count": len(rows), "counts": counts,
            "cases": rows}


def _rows(frame: pd.DataFrame, now: dt.datetime, types: Mapping[str, EventType],
          datum: str) -> list[dict[str, Any]]:
    if not len(frame):
        return []
    geoms = frame.geometry.to_numpy()
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    if datum != "wgs84":
        lon, lat = from_lonlat(lon, lat, crs=datum)
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    return [_row(_plain(r), float(x), float(y), now, types)
            for r, x, y in zip(records, lon, lat, strict=True)]


def _row(props: dict[str, Any], lon: float, lat: float, now: dt.datetime,
         types: Mapping[str, EventType]) -> dict[str, Any]:
    """One case as the layer draws it."""
    state = case_state(Feature(props["id"], props, None))
    kind = types.get(str(props.get("event_type")))
    limit_s = _limit_s(state, props, kind)
    left = _seconds_left(state, now)
    row: dict[str, Any] = {"id": str(props["id"]), "lon": round(lon, _DECIMALS),
                           "lat": round(lat, _DECIMALS)}
    row.update({name: _text(props.get(name)) for name in _TEXTS})
    row.update(type_zh=kind.name_zh if kind else row["event_type"],
               type_en=kind.name_en if kind else row["event_type"],
               reported_at=_iso(props.get("reported_at")), deadline=_iso(state.deadline),
               seconds_left=left, limit_s=limit_s, band=time_band(left, limit_s),
               rework=state.rework)
    return row


def _seconds_left(state: CaseState, now: dt.datetime) -> int | None:
    """Whole seconds to the deadline, rounded down: any time past it is negative."""
    if state.deadline is None:
        return None
    left = math.floor((state.deadline - now).total_seconds())
    # the machine's word on overdue stands: now strictly after the deadline
    return min(left, -1) if state.is_overdue(now) else max(left, 0)


def _limit_s(state: CaseState, props: Mapping[str, Any], kind: EventType | None) -> float | None:
    """Return the limit the case was given at dispatch; else its type's limit now."""
    dispatched = _moment(props.get("dispatched_at"))
    if state.deadline is not None and dispatched is not None:
        span_s = (state.deadline - dispatched).total_seconds()
        if span_s > 0:
            return span_s
    return kind.limit_h * 3600.0 if kind else None


def _urgency(row: Mapping[str, Any]) -> tuple[int, float, str]:
    left = row["seconds_left"]
    return BANDS.index(row["band"]), math.inf if left is None else float(left), row["id"]


def _plain(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return a stored row with NaN and NaT as None (what the case machine reads)."""
    return {k: None if _missing(v) else v for k, v in record.items()}


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _moment(value: Any) -> dt.datetime | None:
    if _missing(value) or value == "":
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(
        str(value).replace("Z", "+00:00"))
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp


def _iso(value: Any) -> str | None:
    """Return a time as ISO 8601 UTC to the second (``2026-11-03T12:00:05Z``), or None."""
    moment = _moment(value)
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value)
