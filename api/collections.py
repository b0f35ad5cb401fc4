"""The OGC API collections Zonewatch serves and how to read each one.

``sources``, ``stations``, ``inspections`` and ``cases`` are stored layers
(cases read-only here: :mod:`api.case_items`); ``zones`` is derived (each
station's radius circle) and read-only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from api.case_items import CASE_FILTERS, with_case_fields
from geo.errors import NotFoundError
from geo.ledger import CATEGORIES, STATUSES
from geo.priority import join_derived
from geo.store import Query, Store
from geo.zones import station_zones

__all__ = ["COLLECTIONS", "Collection", "get_collection", "page_frame"]


@dataclass(frozen=True)
class Collection:
    """One collection: id, titles (zh, en), description, the stored layer."""

    id: str
    title_zh: str
    title_en: str
    description: str
    layer: str | None
    filters: tuple[str, ...] = ()


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "sources", "污染源", "Pollution sources",
            "Ledger of pollution sources: catering premises, barbecue spots, night markets, "
            f"construction sites, muck-truck routes. Categories: {', '.join(CATEGORIES)}; "
            f"statuses: {', '.join(STATUSES)}. Each feature carries the derived priority "
            "(not closed and inside a station's radius), recheck (closed and inside: the "
            "re-check list), nearest_station, distance_m (geodesic metres) and stations.",
            "sources",
            ("category", "status", "community", "grid", "subdistrict", "priority"),
        ),
        Collection(
            "stations", "监测点", "Monitoring points",
            "Air-quality monitoring points with their priority radius in metres (radius_m).",
            "stations",
            ("level",),
        ),
        Collection(
            "inspections", "检查记录", "Inspections",
            "Inspection rounds of sources: date, round, inspector, result. No geometry.",
            "inspections",
            ("source_id", "result", "round"),
        ),
        Collection(
            "cases", "案件", "Cases",
            "Cases of the case loop (reported, filed, dispatched, handled, verified, closed; "
            "or rejected): event_type, channel, status, the responsible unit, deadline, "
            "rework. Each carries the derived overdue (open and past its deadline now) and "
            "rework_count. Read-only here: cases change only through POST /cases and "
            "POST /cases/{id}/actions.",
            "cases",
            (*CASE_FILTERS, "overdue"),
        ),
        Collection(
            "zones", "监测点半径范围", "Radius zones",
            "Each monitoring point's radius as a geodesic circle polygon (display only).",
            None,
        ),
    )
}


def get_collection(cid: str) -> Collection:
    """Return the collection called ``cid``; NotFoundError if there is none."""
    try:
        return COLLECTIONS[cid]
    except KeyError:
        raise NotFoundError(
            f"no collection {cid!r}; collections are: {', '.join(COLLECTIONS)}"
        ) from None


def with_derived(store: Store, sources: pd.DataFrame) -> pd.DataFrame:
    """Add priority, recheck, nearest_station, distance_m, stations to a page of sources.

    The fields come from the store's own :meth:`~geo.store.base.Store.flag_priority`
    for just these ids: kept from request to request by the GeoPackage store,
    measured in the database by PostGIS, and so the same as ``/priority`` says.
    """
    return join_derived(sources, store.flag_priority(ids=sources["id"].tolist()))


def page_frame(
    store: Store, collection: Collection, query: Query, *, priority: bool | None
) -> tuple[pd.DataFrame, int]:
    """Return one page of a collection and how many features match in all."""
    if collection.layer is None:
        return _zones_page(store, query)
    if priority is not None:
        query = _priority_query(store, query, priority)
    frame = store.read(collection.layer, query=query)
    matched = store.count(collection.layer, query=Query(
        bbox=query.bbox, filters=query.filters, ids=query.ids))
    if collection.id == "sources" and len(frame):
        frame = with_derived(store, frame)
    if collection.id == "cases":
        frame = with_case_fields(frame, now=dt.datetime.now(dt.UTC))
    return frame, matched


def _priority_query(store: Store, query: Query, priority: bool) -> Query:
    flags = store.flag_priority()
    ids = flags.loc[flags["priority"].astype(bool) == priority, "id"]
    if query.ids is not None:
        ids = ids[ids.isin(query.ids)]
    return Query(bbox=query.bbox, filters=query.filters, ids=tuple(ids),
                 limit=query.limit, offset=query.offset)


def _zones_page(store: Store, query: Query) -> tuple[pd.DataFrame, int]:
    zones = station_zones(store.read("stations"))
    if query.bbox is not None:
        zones = zones[zones.intersects(_box(query.bbox))]
    if query.ids is not None:
        zones = zones[zones["id"].isin(query.ids)]
    matched = len(zones)
    end = None if query.limit is None else query.offset + query.limit
    return zones.iloc[query.offset:end].reset_index(drop=True), matched


def _box(bbox: tuple[float, float, float, float]) -> object:
    import shapely

    return shapely.box(*bbox)
