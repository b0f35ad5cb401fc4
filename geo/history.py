"""Time travel: the ledger as it stood at the end of a given day.

Every change to a layer is in the store's append-only history, each entry
holding the feature's full state after the change. The state at the end of
day D is, for each feature, the ``after`` of its last entry at or before
23:59:59.999 UTC of D; a feature whose last entry is a delete did not exist.
Days are UTC days: the history is stamped in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo import radius as radius_engine
from geo.errors import InputError
from geo.ledger import get_layer
from geo.priority import join_derived, priority_order, split_closed
from geo.store.base import Query, Store

__all__ = [
    "end_of_day",
    "filter_frame",
    "flagged_as_of",
    "read_as_of",
]



def end_of_day(day: str) -> str:
    """Return the last millisecond of ``day`` (``YYYY-MM-DD``) as an ISO UTC stamp.

    Examples
    --------
    >>> end_of_day("2026-05-01")
    '2026-05-01T23:59:59.999Z'
    """
    try:
        parsed = dt.date.fromisoformat(str(day).strip())
    except ValueError:
        raise InputError(f"as_of {day!r} is not a date; expected YYYY-MM-DD") from None
    if len(str(day).strip()) != 10:
        raise InputError(f"as_of {day!r} is not a date; expected YYYY-MM-DD")
    return f"{parsed.isoformat()}T23:59:59.999Z"


def read_as_of(store: Store, layer: str, *, day: str) -> pd.DataFrame:
    """Return ``layer`` as it stood at the end of ``day``, in the store's frame format.

    Parameters
    ----------
    store : Store
        The ledger (its history is read, not its current tables).
    layer : str
        Layer name, e.g. ``"sources"``.
    day : str
        ``YYYY-MM-DD`` (UTC).

    Returns
    -------
    (Geo)DataFrame
        One row per feature alive at that moment, ordered by ``id``, with the
        layer's fields (and ``geometry`` for spatial layers).
    """
    target = get_layer(layer)
    entries = store.history_until(target.name, end_of_day(day))
    alive = [e for e in entries if e.after is not None]
    names = list(target.field_names)
    rows: list[dict[str, Any]] = [
        {"id": e.fid, **{n: e.after["properties"].get(n) for n in names if n != "id"}}
        for e in alive
        if e.after is not None
    ]
    frame = pd.DataFrame(rows, columns=names)
    if target.has_geometry:
        wkts = [e.after["geometry"] if e.after else None for e in alive]
        geometry = gpd.GeoSeries(shapely.from_wkt(wkts), crs="EPSG:4326")
        frame = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def filter_frame(frame: pd.DataFrame, query: Query) -> tuple[pd.DataFrame, int]:
    """Apply a :class:`Query` (filters, ids, bbox, paging) to a frame in memory.

    Returns the page and how many rows matched before paging.
    """
    keep = pd.Series(True, index=frame.index)
    for name, value in query.filters.items():
        if name not in frame.columns:
            raise InputError(f"cannot filter by unknown field {name!r}")
        values = list(value) if isinstance(value, list | tuple) else [value]
        keep &= frame[name].isin(values)
    if query.ids is not None:
        keep &= frame["id"].isin(query.ids)
    if query.bbox is not None and isinstance(frame, gpd.GeoDataFrame):
        keep &= frame.intersects(shapely.box(*query.bbox))
    matched = frame[keep]
    end = None if query.limit is None else query.offset + query.limit
    return matched.iloc[query.offset:end].reset_index(drop=True), len(matched)


def flagged_as_of(
    store: Store, *, day: str, radius_m: float | None = None, only_priority: bool = False,
    include_closed: bool = False,
) -> pd.DataFrame:
    """Return the sources of ``day`` with priority fields against that day's stations.

    Same shape as :func:`geo.priority.flagged_sources`, but from the history.
    """
    sources = read_as_of(store, "sources", day=day)
    stations = read_as_of(store, "stations", day=day)
    inside = radius_engine.flag_priority(sources, stations, radius_m=radius_m).to_frame()
    flags = split_closed(inside, sources["status"])
    if only_priority:
        flags = priority_order(flags, include_closed=include_closed)
    return join_derived(sources, flags)
