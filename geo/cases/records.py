"""Cases kept in a store: report one, take an action on it, read its timeline.

A case is a feature of the ``cases`` layer (Point). Every action is one
update through :func:`geo.writes.update` with the version read, so of two
officers acting on the same case at once exactly one wins and the other
gets a version conflict; the case's history is its timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from shapely.geometry import Point

from geo import writes
from geo.cases.machine import CaseState, Step, apply_action, new_case
from geo.cases.type_book import stored_types
from geo.cases.types import EventType, event_type_of
from geo.errors import InputError
from geo.ledger import CASES, Feature
from geo.photos import CleanPhoto
from geo.store.base import Store
from geo.store.records import new_id

__all__ = ["act_on_case", "case_at_source", "case_feature", "case_state", "place_of",
           "report_case", "timeline"]


def place_of(store: Store, point: Point) -> dict[str, str | None]:
    """Return the grid, community and subdistrict whose grid cell covers ``point``."""
    grids = store.read("grids")
    if len(grids):
        hits = grids[shapely.covers(grids.geometry.to_numpy(), point)]
        if len(hits):
            row = hits.sort_values("id").iloc[0]
            return {"grid": _text(row.get("name")), "community": _text(row.get("community")),
                    "subdistrict": _text(row.get("subdistrict"))}
    return {"grid": None, "community": None, "subdistrict": None}


def case_feature(
    store: Store, *, event_type: str, point: Point, actor: str,
    at: dt.datetime | None = None, types: Mapping[str, EventType] | None = None,
    **fields: Any,
) -> Feature:
    """Return a newly reported case at ``point`` (WGS84), not yet stored.

    For a case stored with something else in one transaction (a failed
    inspection, a patrol's new stall: ``also=`` of :func:`geo.writes.create`);
    :func:`report_case` stores one alone. ``fields`` are further case fields
    (``channel``, ``description``, ``source_id``, ``address``, ``id``,
    ``orig_crs``, ``orig_wkt``); grid, community and subdistrict come from
    the location unless given.

    Raises
    ------
    InputError
        An event type not in ``types`` (default: the store's own,
        :func:`geo.cases.type_book.stored_types`).
    """
    _event_type(event_type, types or stored_types(store))
    state = new_case(actor=actor, at=at or dt.datetime.now(dt.UTC))
    first = state.timeline[-1]
    props = {**place_of(store, point), **fields, "event_type": event_type,
             "status": state.status, "reported_by": actor, "reported_at": first.at,
             **_last(first)}
    fid = props.pop("id", None)
    return Feature(fid, props, point)


def case_at_source(
    store: Store, source: Feature, *, actor: str, channel: str, description: str,
    at: dt.datetime | None = None,
) -> Feature:
    """Return a new case about ``source`` at its place, not yet stored.

    The event type follows the source's category in the store's table
    (:func:`geo.cases.types.event_type_of`); an area or a route is placed at
    a point inside it. ``source.id`` must be set (a new source gets its id
    before both are stored together).
    """
    if source.id is None or source.geometry is None:
        raise InputError("a case about a source needs the source's id and place")
    point = source.geometry
    if point.geom_type != "Point":
        point = point.representative_point()
    types = stored_types(store)
    return case_feature(store, event_type=event_type_of(source.properties.get("category"), types),
                        point=point, actor=actor, at=at, types=types, channel=channel,
                        source_id=source.id, description=description,
                        address=source.properties.get("address"), id=new_id(CASES))


def report_case(
    store: Store, *, event_type: str, point: Point, actor: str,
    at: dt.datetime | None = None, types: Mapping[str, EventType] | None = None,
    photos: Sequence[CleanPhoto] = (), **fields: Any,
) -> Feature:
    """Store a newly reported case at ``point`` (WGS84) and return it.

    Takes what :func:`case_feature` takes, and ``photos``
    (:func:`geo.photos.clean_photo`) stored with the report.

    Raises
    ------
    InputError
        An event type not in ``types`` (default: the store's own).
    """
    case = case_feature(store, event_type=event_type, point=point, actor=actor, at=at,
                        types=types, **fields)
    return writes.create(store, "cases", case, actor=actor, photos=photos)


def act_on_case(
    store: Store, fid: str, action: str, *, actor: str, role: str,
    expected_version: int | None = None, at: dt.datetime | None = None,
    types: Mapping[str, EventType] | None = None, unit: str | None = None,
    passed: bool | None = None, notes: str | None = None,
    photos: Sequence[CleanPhoto] = (),
) -> Feature:
    """Take ``action`` on case ``fid`` and return the case as stored after it.

    ``expected_version`` is the version the caller saw (If-Match); without
    one, the version just read is required, so a racing action still loses.
    ``photos`` are the step's (a handled site, a failed re-check).

    Raises
    ------
    NotFoundError, VersionMismatchError
        No such case; another change came first.
    TransitionError, NotAllowedError, InputError
        As :func:`geo.cases.machine.apply_action` refuses.
    """
    feature = store.get("cases", fid)
    kind = _event_type(str(feature.properties.get("event_type")), types or stored_types(store))
    before = case_state(feature)
    after = apply_action(before, action, actor=actor, role=role,
                         at=at or dt.datetime.now(dt.UTC), unit=unit, limit_h=kind.limit_h,
                         passed=passed, notes=notes)
    version = expected_version if expected_version is not None else feature.properties["version"]
    return writes.update(store, "cases", fid, _changes(after), expected_version=version,
                         actor=actor, photos=photos)


def case_state(feature: Feature) -> CaseState:
    """Return the machine's view of a stored case (its last step stands for the timeline)."""
    p = feature.properties
    last = Step(str(p.get("last_action") or "report"), str(p["status"]),
                str(p.get("last_actor") or ""), _when(p.get("last_at") or p.get("reported_at")))
    return CaseState(str(p["status"]), (last,), unit=_text(p.get("unit")),
                     deadline=_when(p["deadline"]) if p.get("deadline") else None,
                     rework=int(p.get("rework") or 0))


def timeline(store: Store, fid: str) -> list[Step]:
    """Return every step of case ``fid``, oldest first, from its history."""
    steps: list[Step] = []
    for entry in store.history("cases", fid):
        p = (entry.after or {}).get("properties") or {}
        if entry.operation == "delete":  # a case deleted and made again starts afresh
            steps.clear()
        if entry.operation == "delete" or not p.get("last_action"):
            continue
        steps.append(Step(str(p["last_action"]), str(p.get("status")),
                          str(p.get("last_actor") or entry.actor),
                          _when(p.get("last_at") or entry.at), _text(p.get("last_notes")),
                          _text(p.get("unit")) if p["last_action"] == "dispatch" else None,
                          p.get("last_passed"), _text(p.get("last_photos"))))
    return steps


def _changes(state: CaseState) -> dict[str, Any]:
    step = state.timeline[-1]
    changes: dict[str, Any] = {"status": state.status, "rework": state.rework, **_last(step)}
    if step.action == "dispatch":
        changes.update(unit=state.unit, deadline=state.deadline, dispatched_at=step.at)
    if state.status == "closed":
        changes["closed_at"] = step.at
    return changes


def _last(step: Step) -> dict[str, Any]:
    return {"last_action": step.action, "last_actor": step.actor, "last_at": step.at,
            "last_notes": step.notes, "last_passed": step.passed}


def _event_type(code: str, table: Mapping[str, EventType]) -> EventType:
    if code not in table:
        raise InputError(f"event_type must be one of {', '.join(table)}; got {code!r}")
    return table[code]


def _when(value: Any) -> dt.datetime:
    stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(
        str(value).replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)
