"""The night patrol: where the officer stands, and the sources around them, nearest first.

:func:`patrol_position` reads the position a patrol page is asked for
(``lon``/``lat`` from the phone's GPS, or typed or pasted ``coords`` in any
coordinate label) and converts it to stored lon/lat; :func:`sources_near`
lists the sources around it by geodesic distance with what an officer needs
on the spot: category, status, the last inspection, and whether the source
is an open priority target (not ``closed`` inside some station's radius, the
rule of :mod:`geo.overview` and :mod:`geo.selection`, DESIGN "Priority").

Recording what the patrol finds goes through :mod:`geo.writes` like any
other write: shutting a stall down is :func:`geo.writes.record_inspection`
with result ``closed_down``; a new stall is
:func:`geo.writes.create_with_inspection`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geo import crs as crs_mod
from geo.errors import CoordinateError, ValidationError
from geo.forms import FormErrors, parse_coords
from geo.geodesy import check_radius_m
from geo.ledger import MAX_RADIUS_M
from geo.store.base import Query, Store

__all__ = ["DEFAULT_LIMIT", "DEFAULT_RADIUS_M", "MAX_LIMIT", "NearbySource", "Nearby",
           "Position", "patrol_position", "sources_near"]

#: How far around the officer sources are looked for, by default (metres).
DEFAULT_RADIUS_M = 2000.0
#: How many sources a list shows by default, and at most.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Position:
    """Where the patrol stands: as typed (``x``, ``y`` in ``crs``) and as stored lon/lat."""

    x: float
    y: float
    crs: str
    lon: float
    lat: float

    def params(self) -> dict[str, str]:
        """Return the position as the page's query parameters (the typed values and label).

        Examples
        --------
        >>> Position(113.6654, 34.758, "wgs84", 113.6654, 34.758).params()
        {'lon': '113.6654', 'lat': '34.758', 'crs': 'wgs84'}
        """
        return {"lon": repr(self.x), "lat": repr(self.y), "crs": self.crs}


@dataclass(frozen=True)
class NearbySource:
    """One source around the patrol, as its list shows it.

    ``distance_m`` is geodesic (the minimum distance for lines and areas);
    ``last_date``/``last_result`` are the latest inspection's (the stored
    ``last_inspected`` without a result when none is recorded); ``priority``
    marks an open priority target and ``recheck`` a closed one inside a
    station's radius.
    """

    id: str
    name: str
    category: str | None
    status: str | None
    fume_purifier: str | None
    distance_m: float
    last_date: str | None
    last_result: str | None
    priority: bool
    recheck: bool

    @property
    def open(self) -> bool:
        """Whether the source is not closed (no status recorded counts as operating)."""
        return (self.status or "operating") != "closed"


@dataclass(frozen=True)
class Nearby:
    """The sources within ``radius_m`` of (``lon``, ``lat``): ``total``, the nearest listed."""

    lon: float
    lat: float
    radius_m: float
    total: int
    sources: list[NearbySource]


def patrol_position(fields: Mapping[str, Any]) -> Position | None:
    """Return the position a patrol form or link asks for (None when it gives none).

    ``coords`` (pasted, as :func:`geo.forms.parse_coords` reads it) wins over
    ``lon``/``lat``; ``crs`` is any coordinate label, ``wgs84`` (a phone's
    GPS) when blank.

    Raises
    ------
    FormErrors
        With the message beside its field: ``coords`` or ``lon`` for the
        numbers, ``crs`` for the label.

    Examples
    --------
    >>> patrol_position({"coords": "113.6654，34.7580"}).lon
    113.6654
    >>> patrol_position({"lon": "", "lat": ""}) is None
    True
    """
    coords = str(fields.get("coords") or "").strip()
    lon, lat = (str(fields.get(k) or "").strip() for k in ("lon", "lat"))
    if not (coords or lon or lat):
        return None
    where = "coords" if coords else "lon"
    try:
        label = crs_mod.normalize_label(str(fields.get("crs") or "").strip() or "wgs84")
    except CoordinateError as exc:
        raise FormErrors({"crs": str(exc)}) from None
    try:
        x, y = parse_coords(coords or f"{lon},{lat}")
        stored = crs_mod.to_lonlat(x, y, crs=label)
        crs_mod.check_lonlat(*stored)  # a projected pair may land off the globe
    except CoordinateError as exc:
        raise FormErrors({where: str(exc)}) from None
    return Position(x, y, label, float(stored[0]), float(stored[1]))


def sources_near(store: Store, lon: float, lat: float, *, limit: int = DEFAULT_LIMIT,
                 radius_m: float = DEFAULT_RADIUS_M) -> Nearby:
    """Return the sources within ``radius_m`` of (lon, lat), nearest first.

    Parameters
    ----------
    store : Store
        The ledger.
    lon, lat : float
        The position, stored lon/lat (WGS84 / CGCS2000).
    limit : int, default 50
        How many of the nearest to describe (1 to :data:`MAX_LIMIT`);
        ``total`` still counts all within the radius.
    radius_m : float, default 2000
        How far to look, metres (geodesic; at most :data:`geo.ledger.MAX_RADIUS_M`).

    Returns
    -------
    Nearby
        The sources, each a :class:`NearbySource`, ordered by distance (ties by id).

    Raises
    ------
    InputError
        A bad radius, limit or position.

    Examples
    --------
    >>> near = sources_near(store, 113.6654, 34.758, limit=5)  # doctest: +SKIP
    >>> [round(s.distance_m) for s in near.sources]  # doctest: +SKIP
    [12, 140, 388, 391, 960]
    """
    radius_m = check_radius_m(radius_m, max_m=MAX_RADIUS_M)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be a whole number from 1 to {MAX_LIMIT}, "
                              f"got {limit!r}", field="limit")
    crs_mod.check_lonlat(lon, lat, record="position")
    frame = store.within("sources", float(lon), float(lat), radius_m=radius_m)
    head = frame.iloc[:limit]
    ids = [str(i) for i in head["id"]] if len(head) else []
    flags = _flags(store, ids)
    latest = _latest_inspections(store, ids)
    listed = [_nearby(row, flags.get(str(row["id"]), (False, False)), latest.get(str(row["id"])))
              for row in head.to_dict("records")]
    return Nearby(float(lon), float(lat), radius_m, len(frame), listed)


def _flags(store: Store, ids: list[str]) -> dict[str, tuple[bool, bool]]:
    """Each source's ``(priority, recheck)``: the store's own flags."""
    if not ids:
        return {}
    flags = store.flag_priority(ids=ids)
    return {str(i): (bool(p), bool(r)) for i, p, r in
            zip(flags["id"], flags["priority"], flags["recheck"], strict=True)}


def _latest_inspections(store: Store, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Return the date and result of each source's latest inspection (by date, then id)."""
    if not ids:
        return {}
    visits = store.read("inspections", query=Query(filters={"source_id": ids}))
    visits = visits.dropna(subset=["date"]) if len(visits) else visits
    if not len(visits):
        return {}
    visits = visits.astype({"date": str}).sort_values(["date", "id"], kind="stable")
    last = visits.groupby("source_id").tail(1)
    return {str(s): (str(d), _text(r)) for s, d, r in
            zip(last["source_id"], last["date"], last["result"], strict=True)}


def _nearby(row: Mapping[str, Any], flags: tuple[bool, bool],
            latest: tuple[str, str | None] | None) -> NearbySource:
    status = _text(row.get("status"))
    date, result = latest if latest else (_text(row.get("last_inspected")), None)
    return NearbySource(
        id=str(row["id"]), name=_text(row.get("name")) or "", category=_text(row.get("category")),
        status=status, fume_purifier=_text(row.get("fume_purifier")),
        distance_m=float(row["distance_m"]), last_date=date, last_result=result,
        priority=flags[0], recheck=flags[1])


def _text(value: Any) -> str | None:
    """Return a stored value as text; None for a missing one (None, NaN, NaT)."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    return str(value)
