"""The ``cases`` collection: the filters a store cannot apply, the fields derived per case.

Stores filter by equality (:class:`geo.store.Query`). Whether a case is
overdue depends on the clock, and ``datetime`` is a range of
``reported_at``, so both are applied here to the cases the equality
filters select, and the page is then read by id (as the ``priority``
filter does for sources). Every case answered also carries ``overdue``
(open and past its deadline now) and ``rework_count`` (failed
verifications so far): computed, never stored.

Cases change only through the case loop (``POST /cases``,
``POST /cases/{id}/actions``), which checks state, role and deadline at
every step; :func:`refuse_generic_write` keeps the generic writes (OGC
Part 4 items, imports) away from them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from api.params import parse_datetime
from geo.cases.frames import case_times, overdue_mask
from geo.cases.records import timeline
from geo.errors import InputError, NotPermittedError
from geo.store import Query, Store

__all__ = [
    "CASE_FILTERS",
    "DERIVED_CASE_FIELDS",
    "GENERIC_WRITES_REFUSED",
    "event_type_filter",
    "narrow_cases",
    "overdue_mask",
    "refuse_generic_write",
    "timeline_doc",
    "with_case_fields",
]

#: Equality filters of the cases items (``overdue`` and ``datetime`` are applied here).
CASE_FILTERS = ("status", "event_type", "channel", "grid", "community", "subdistrict", "unit",
                "source_id")
DERIVED_CASE_FIELDS = ("overdue", "rework_count")
#: Layers that change only through their own routes, and why.
GENERIC_WRITES_REFUSED = {
    "cases": "cases change only through POST /cases and POST /cases/{id}/actions "
             "(案件只能经上报与办理流程修改): each step is checked against the case's state, the "
             "caller's role and its deadline. Reading and exporting cases stay open.",
    "case_types": "event types change only as a whole table, checked row by row: zonewatch "
                  "case types --load FILE (a type a stored case is of cannot be dropped)",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def refuse_generic_write(layer: str) -> None:
    """Raise NotPermittedError (403, CLI exit 1) when ``layer`` takes no generic write or import.

    Examples
    --------
    >>> refuse_generic_write("sources")  # sources take them: nothing raised
    """
    reason = GENERIC_WRITES_REFUSED.get(layer)
    if reason is not None:
        raise NotPermittedError(reason)


def event_type_filter(event_type: str | None, alias: str | None) -> str | None:
    """Return the event type asked for as ``event_type=`` or its alias ``type=``.

    Raises
    ------
    InputError
        Both given, with different values.
    """
    if event_type is not None and alias is not None and event_type != alias:
        raise InputError(f"type is an alias of event_type; got event_type={event_type!r} "
                         f"and type={alias!r}")
    return event_type if event_type is not None else alias


def narrow_cases(
    store: Store, cid: str, query: Query, *, overdue: bool | None, datetime_text: str | None,
    now: dt.datetime,
) -> Query:
    """Return ``query`` narrowed to the cases ``overdue`` and ``datetime`` select.

    For another collection ``datetime`` is only checked (its features have no
    time) and ``overdue`` is refused.

    Parameters
    ----------
    store : Store
        The ledger.
    cid : str
        The collection asked for.
    query : Query
        bbox, equality filters and paging, as parsed.
    overdue : bool, optional
        Only cases open and past their deadline at ``now`` (true), or the others (false).
    datetime_text : str, optional
        The OGC ``datetime`` parameter, matched against ``reported_at``; a bare
        date covers its whole (UTC) day.
    now : datetime
        The clock the deadlines are compared with (timezone-aware).

    Raises
    ------
    InputError
        A bad ``datetime``, or ``overdue`` on a collection other than cases.
    """
    window = _reported_window(datetime_text)
    if cid != "cases":
        if overdue is not None:
            raise InputError(f"collection {cid!r} cannot be filtered by overdue")
        return query
    if overdue is None and window is None:
        return query
    frame = store.read("cases", query=Query(bbox=query.bbox, filters=query.filters,
                                            ids=query.ids))
    keep = pd.Series(True, index=frame.index)
    if overdue is not None:
        keep &= overdue_mask(frame, now) == overdue
    if window is not None:
        keep &= _reported_in(frame, *window)
    return Query(bbox=query.bbox, filters=query.filters, ids=tuple(frame.loc[keep, "id"]),
                 limit=query.limit, offset=query.offset)


def with_case_fields(frame: pd.DataFrame, *, now: dt.datetime) -> pd.DataFrame:
    """Return ``frame`` (cases) with ``overdue`` and ``rework_count`` added."""
    out = frame.copy()
    out["overdue"] = overdue_mask(frame, now).tolist()
    rework = pd.to_numeric(frame["rework"], errors="coerce").fillna(0)
    out["rework_count"] = [int(v) for v in rework]
    return out


def _reported_window(text: str | None) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """Return ``[start, end)`` of the ``datetime`` parameter (end made exclusive), or None."""
    bounds = parse_datetime(text)
    if bounds is None or text is None:
        return None
    start, end = bounds
    if end is not None:  # a date ends with its day; a date-time is an instant, kept
        whole_day = _DATE.fullmatch(text.split("/")[-1])
        end += dt.timedelta(days=1) if whole_day else dt.timedelta(microseconds=1)
    return start, end


def _reported_in(
    frame: pd.DataFrame, start: dt.datetime | None, end: dt.datetime | None
) -> pd.Series:
    reported = case_times(frame["reported_at"])
    keep = reported.notna()
    if start is not None:
        keep &= reported >= pd.Timestamp(start)
    if end is not None:
        keep &= reported < pd.Timestamp(end)
    return keep.astype(bool)




def timeline_doc(store: Store, fid: str) -> list[dict[str, Any]]:
    """Return every step of case ``fid`` as JSON: who moved it where, when (UTC), why, photos.

    ``photos`` are the step's photo links (``/photos/{id}``), empty for a step without.
    """
    steps = timeline(store, fid)
    keys = [s.photos for s in steps if s.photos]
    photos = store.photos.of_inspections(keys) if keys else {}
    return [{"action": s.action, "status": s.status, "actor": s.actor, "at": _utc_text(s.at),
             "notes": s.notes, "unit": s.unit, "passed": s.passed,
             "photos": [f"/photos/{p.id}" for p in photos.get(s.photos or "", [])]}
            for s in steps]


def _utc_text(at: dt.datetime) -> str:
    # as the store writes times: ISO 8601, UTC, milliseconds, "Z"
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
