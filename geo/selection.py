"""The selection behind the staff ledger (台账) table: filters, free-text search and sort.

:class:`LedgerSelection` is what the page's query string asks for (parsed by
:meth:`LedgerSelection.from_params`, given back by
:meth:`LedgerSelection.to_params` for links and exports of exactly the same
rows); :func:`select_sources` returns those rows with the columns the table
shows, and :func:`choices` the values its dropdowns offer.

The derived columns follow :mod:`geo.overview`, so the table and the home
page count alike: ``priority`` is a source not ``closed`` inside some
station's radius (DESIGN, "Priority"), ``recheck`` a closed one inside, and
``overdue`` a source due in the current round (:func:`geo.inspections.due_sources`)
and not yet inspected in it. Distances come from
:func:`geo.priority.flagged_sources`, never recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.errors import ValidationError
from geo.inspections.rounds import current_round, due_sources, round_visits
from geo.ledger import CATEGORIES, PURIFIER_STATES, STATUSES, get_layer
from geo.priority import flagged_sources
from geo.store.base import Store
from geo.table_query import (
    check_choice,
    matches,
    none_for_missing,
    parse_flag,
    sorted_by,
    text_or_none,
)

__all__ = [
    "CODE_FILTERS",
    "COLUMNS",
    "DERIVED_COLUMNS",
    "PARAMS",
    "SORT_COLUMNS",
    "LedgerSelection",
    "choices",
    "select_sources",
]

#: Filters whose values come from the ledger's code lists.
CODE_FILTERS: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "status": STATUSES,
    "fume_purifier": PURIFIER_STATES,
}
_TEXT_FILTERS = ("community", "grid", "station", "q")
_FLAG_FILTERS = ("priority", "recheck", "overdue")
#: Columns the table may be sorted by.
SORT_COLUMNS = ("id", "name", "category", "status", "fume_purifier", "community", "grid",
                "nearest_station", "distance_m", "updated_at")
_DEFAULT_SORT = "id"
#: Every query parameter :meth:`LedgerSelection.from_params` reads, in link order.
PARAMS = (*CODE_FILTERS, *_TEXT_FILTERS, *_FLAG_FILTERS, "sort", "descending")
_SEARCHED = ("id", "name", "address")
#: Columns added to the source fields, in table order (``geometry`` is kept last).
DERIVED_COLUMNS = ("lon", "lat", "nearest_station", "nearest_station_name", "distance_m",
                   "stations", "priority", "recheck", "overdue")
#: The table's columns: every source field (``last_inspected`` from the
#: inspections when there are any), then :data:`DERIVED_COLUMNS`.
COLUMNS = (*get_layer("sources").field_names, *DERIVED_COLUMNS)


@dataclass(frozen=True)
class LedgerSelection:
    """Which sources the ledger table lists, and in what order.

    Every filter is optional; None (or an empty string, as forms send) means
    "no filter". ``station`` keeps the sources inside that station's radius,
    closed ones included unless ``status`` says otherwise; ``priority``,
    ``recheck`` and ``overdue`` keep the sources that are (True) or are not
    (False) priority targets / closed ones inside a radius to re-check /
    overdue this round; ``q`` is a case-insensitive substring of
    ``id``, ``name`` or ``address``. ``sort`` is one of :data:`SORT_COLUMNS`
    (ties by ``id``, missing values last in either direction).

    Raises
    ------
    ValidationError
        An unknown code value or sort column, naming the parameter in ``field``.

    Examples
    --------
    >>> LedgerSelection(category="bbq", community="", sort="distance_m").to_params()
    {'category': 'bbq', 'sort': 'distance_m'}
    >>> LedgerSelection(status="open")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    geo.errors.ValidationError: status must be one of: operating, rectifying, closed; got 'open'
    """

    category: str | None = None
    status: str | None = None
    fume_purifier: str | None = None
    community: str | None = None
    grid: str | None = None
    station: str | None = None
    priority: bool | None = None
    recheck: bool | None = None
    overdue: bool | None = None
    q: str | None = None
    sort: str = _DEFAULT_SORT
    descending: bool = False

    def __post_init__(self) -> None:
        for name in (*CODE_FILTERS, *_TEXT_FILTERS):
            object.__setattr__(self, name, text_or_none(name, getattr(self, name)))
        for name, allowed in CODE_FILTERS.items():
            check_choice(name, getattr(self, name), allowed)
        sort = text_or_none("sort", self.sort) or _DEFAULT_SORT
        check_choice("sort", sort, SORT_COLUMNS)
        object.__setattr__(self, "sort", sort)
        for name in _FLAG_FILTERS:
            if getattr(self, name) is not None and not isinstance(getattr(self, name), bool):
                raise ValidationError(f"{name} must be true, false or unset", field=name)
        if not isinstance(self.descending, bool):
            raise ValidationError("descending must be true or false", field="descending")

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> LedgerSelection:
        """Build a selection from query parameters or form fields.

        Parameters
        ----------
        params : mapping of str to str
            The request's parameters; those not in :data:`PARAMS` (``f``,
            paging ...) are ignored. Booleans are ``true``/``1``/``on`` or
            ``false``/``0``/``off`` (any case); empty values mean "no filter".

        Raises
        ------
        ValidationError
            A value that is not allowed, naming the parameter in ``field``.

        Examples
        --------
        >>> LedgerSelection.from_params({"priority": "on", "q": "烧烤", "f": "csv"})
        ... # doctest: +NORMALIZE_WHITESPACE
        LedgerSelection(category=None, status=None, fume_purifier=None, community=None,
                        grid=None, station=None, priority=True, overdue=None, q='烧烤',
                        sort='id', descending=False)
        """
        values: dict[str, Any] = {
            name: params.get(name) for name in (*CODE_FILTERS, *_TEXT_FILTERS, "sort")}
        for name in _FLAG_FILTERS:
            values[name] = parse_flag(name, params.get(name))
        values["descending"] = bool(parse_flag("descending", params.get("descending")))
        return cls(**values)

    def to_params(self) -> dict[str, str]:
        """Return the parameters that rebuild this selection: only those that are set.

        ``LedgerSelection.from_params(s.to_params()) == s`` for every selection.

        Examples
        --------
        >>> LedgerSelection(priority=False, sort="name", descending=True).to_params()
        {'priority': 'false', 'sort': 'name', 'descending': 'true'}
        """
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "sort" and value == _DEFAULT_SORT):
                continue
            if isinstance(value, bool):
                if f.name == "descending" and not value:
                    continue
                value = "true" if value else "false"
            out[f.name] = value
        return out








def select_sources(store: Store, selection: LedgerSelection) -> pd.DataFrame:
    """Return the sources of ``selection``, sorted, with the ledger table's columns.

    Parameters
    ----------
    store : Store
        The ledger.
    selection : LedgerSelection
        Filters and order.

    Returns
    -------
    GeoDataFrame
        :data:`COLUMNS` plus ``geometry``: the source fields, ``lon``/``lat``
        (the point itself, or the representative point of a line or polygon),
        ``nearest_station`` with its ``nearest_station_name`` and geodesic
        ``distance_m``, ``stations`` (ids of the stations whose radius covers
        it), ``priority``, ``recheck``, ``overdue``, and ``last_inspected`` as
        the date of the source's latest inspection (the stored date without any).

    Raises
    ------
    ValidationError
        ``selection.station`` names no station (``field`` is ``"station"``).

    Examples
    --------
    >>> rows = select_sources(store, LedgerSelection(priority=True, sort="distance_m"))
    ... # doctest: +SKIP
    >>> bool(rows["priority"].all())  # doctest: +SKIP
    True
    """
    stations = store.read("stations")
    _check_station(selection.station, stations)
    table = _ledger_table(store, stations)
    kept = table[_kept(table, selection)]
    return sorted_by(kept, selection.sort, descending=selection.descending)


def _check_station(station: str | None, stations: pd.DataFrame) -> None:
    known = [str(i) for i in stations["id"]]
    if station is None or station in known:
        return
    shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
    raise ValidationError(
        f"station {station!r} is not a station id; expected one of: {shown or '(none)'}",
        field="station")


def _ledger_table(store: Store, stations: pd.DataFrame) -> pd.DataFrame:
    """Every source with the table's derived columns, in :data:`COLUMNS` order."""
    frame = flagged_sources(store)
    inspections = store.read("inspections")
    frame["lon"], frame["lat"] = _anchors(frame.geometry.to_numpy())
    names = dict(zip(stations["id"], stations["name"], strict=True))
    frame["nearest_station_name"] = none_for_missing(frame["nearest_station"].map(names))
    frame["overdue"] = _overdue(frame, inspections)
    # the latest recorded inspection; else the date the ledger itself holds (an imported one)
    latest = frame["id"].map(_latest_dates(inspections))
    frame["last_inspected"] = none_for_missing(latest.where(latest.notna(),
                                                             frame["last_inspected"]))
    return frame[[*COLUMNS, "geometry"]]


def _anchors(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon and lat of each geometry: points exactly, others at a point on them."""
    is_point = shapely.get_type_id(geoms) == 0
    anchors = np.where(is_point, geoms, shapely.point_on_surface(geoms))
    return shapely.get_x(anchors), shapely.get_y(anchors)


def _overdue(frame: pd.DataFrame, inspections: pd.DataFrame) -> np.ndarray:
    """Due in the current round and not yet inspected in it (as geo.overview counts)."""
    round_no = current_round(inspections)
    due = due_sources(frame[["id", "category", "status"]], inspections, round_no=round_no)
    visited = set(round_visits(inspections, round_no=round_no).get("source_id", []))
    ids = frame["id"]
    return (ids.isin(set(due["id"])) & ~ids.isin(visited)).to_numpy(dtype=bool)


def _latest_dates(inspections: pd.DataFrame) -> dict[str, str]:
    if not len(inspections):
        return {}
    dated = inspections.dropna(subset=["date"])
    # ISO 8601 dates (as both stores give them) sort as text.
    latest = dated.astype({"date": str}).groupby("source_id")["date"].max()
    return {str(k): str(v) for k, v in latest.items()}




def _kept(frame: pd.DataFrame, selection: LedgerSelection) -> np.ndarray:
    keep = np.ones(len(frame), dtype=bool)
    for name in ("category", "fume_purifier", "community", "grid"):
        value = getattr(selection, name)
        if value is not None:
            keep &= (frame[name] == value).to_numpy(dtype=bool)
    if selection.status is not None:
        # no status recorded counts as operating, as in geo.overview and geo.inspections
        keep &= (frame["status"].fillna("operating") == selection.status).to_numpy(dtype=bool)
    if selection.station is not None:
        keep &= np.fromiter((_covers(ids, selection.station) for ids in frame["stations"]),
                            dtype=bool, count=len(frame))
    for name in _FLAG_FILTERS:
        value = getattr(selection, name)
        if value is not None:
            keep &= frame[name].to_numpy(dtype=bool) == value
    if selection.q is not None:
        keep &= matches(frame, selection.q, _SEARCHED)
    return keep


def _covers(station_ids: object, station: str) -> bool:
    return isinstance(station_ids, list | tuple | np.ndarray) and station in list(station_ids)








def choices(store: Store) -> dict[str, list[str]]:
    """Return the distinct ``community`` and ``grid`` values of the sources, sorted.

    Examples
    --------
    >>> choices(store)["community"][:2]  # doctest: +SKIP
    ['中原西社区', '红松社区']
    """
    sources = store.read("sources")
    return {name: sorted({v for v in sources[name] if isinstance(v, str) and v.strip()})
            for name in ("community", "grid")}
