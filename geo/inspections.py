"""Inspections of sources and inspection campaigns.

Recording an inspection is one transaction in the store
(:meth:`geo.store.base.Store.record_inspection`): the inspection is
inserted and its source updated together, or neither. The rule for the
source is :func:`inspection_effect`: ``last_inspected`` moves forward to the
inspection's date when that is not earlier, and a ``closed_down`` result
(from such an inspection) sets status ``closed``.

Editing, moving (``source_id``), deleting or importing inspections
recomputes each affected source with :func:`recomputed_effect`:
``last_inspected`` becomes the latest date of the inspections it still has
(None when it has none), and a ``closed_down`` inspection that is now the
latest closes it. The store has no single transaction for an inspection
change plus its sources, so everything that can refuse the change is checked
before it is committed, and the sources are brought up to date right after;
a failure there is logged, never reported as a failed change (it was
committed), and the next change of those sources' inspections repairs it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from geo.errors import NotFoundError, ValidationError, ZonewatchError
from geo.ledger import MAX_ROUND, SYSTEM_FIELDS, Feature, validate_record
from geo.rounds import due_sources
from geo.store.base import Query, Store

__all__ = [
    "campaign_progress",
    "change_inspection",
    "delete_inspection",
    "record_inspection",
    "recomputed_effect",
    "refresh_sources",
]

log = logging.getLogger("zonewatch.geo")
#: Above this many sources, read every inspection once rather than filter by a long id list.
_FILTER_IDS_MAX = 500


def record_inspection(store: Store, inspection: Feature, *, actor: str) -> Feature:
    """Store an inspection and bring its source up to date, in one transaction.

    Parameters
    ----------
    store : Store
        The ledger.
    inspection : Feature
        ``source_id``, ``date``, ``round``, ``inspector``, ``result``, ``notes``.
    actor : str
        Who records it, for the history.

    Returns
    -------
    Feature
        The stored inspection.

    Raises
    ------
    NotFoundError
        When ``source_id`` names no source.
    ValidationError
        When a field breaks the ledger model.
    """
    props, _, _ = validate_record("inspections", inspection.properties, None)
    return store.record_inspection(Feature(inspection.id, props), actor=actor)


def change_inspection(
    store: Store,
    current: Feature,
    properties: Mapping[str, Any],
    *,
    expected_version: int | None,
    actor: str,
) -> Feature:
    """Replace fields of a stored inspection and recompute its source(s).

    Parameters
    ----------
    store : Store
        The ledger.
    current : Feature
        The inspection as stored (its ``source_id`` is the source it leaves
        when ``properties`` moves it).
    properties : mapping
        The new field values (merged over the stored ones).
    expected_version : int or None
        The version the caller changes (None: any).
    actor : str
        Who changes it, for the history.

    Returns
    -------
    Feature
        The stored inspection.

    Raises
    ------
    ValidationError
        When a field breaks the ledger model or ``source_id`` names no
        source; nothing is written.
    VersionMismatchError
        When ``expected_version`` is stale; nothing is written.
    """
    base = {k: v for k, v in current.properties.items() if k not in SYSTEM_FIELDS}
    props, _, _ = validate_record("inspections", {**base, **properties}, None)
    _check_source(store, str(props["source_id"]))
    stored = store.update("inspections", str(current.id), properties,
                          expected_version=expected_version, actor=actor)
    moved_from = str(current.properties.get("source_id"))
    refresh_sources(store, {moved_from, str(stored.properties["source_id"])}, actor=actor,
                    changed=stored.properties)
    return stored


def delete_inspection(
    store: Store, fid: str, *, expected_version: int | None, actor: str
) -> None:
    """Delete an inspection (its history stays) and recompute its source.

    Raises NotFoundError for an unknown id and VersionMismatchError when
    ``expected_version`` is stale.
    """
    current = store.get("inspections", fid)
    store.delete("inspections", fid, expected_version=expected_version, actor=actor)
    refresh_sources(store, {str(current.properties.get("source_id"))}, actor=actor)


def refresh_sources(
    store: Store,
    source_ids: Iterable[str],
    *,
    actor: str,
    changed: Mapping[str, Any] | None = None,
) -> None:
    """Bring sources up to date with their inspections, after those were committed.

    Each source's fields follow :func:`recomputed_effect`; a deleted source
    is skipped (its history is kept). Failures are logged, not raised: the
    inspection change they follow is already committed, and recomputing is
    idempotent, so the next change repairs a source left behind.

    Parameters
    ----------
    changed : mapping, optional
        The inspection just written, whose ``closed_down`` may close its source.
    """
    wanted = sorted({str(sid) for sid in source_ids})
    try:
        sources = store.read("sources", query=Query(ids=tuple(wanted)))
        visits = _inspections_of(store, wanted)
    except ZonewatchError as exc:
        log.warning("sources %s not brought up to date with their inspections: %s", wanted, exc)
        return
    for source in sources.drop(columns="geometry", errors="ignore").to_dict("records"):
        own = visits.get(source["id"], [])
        latest = changed if changed and changed.get("source_id") == source["id"] else None
        changes = recomputed_effect(source, own, changed=latest)
        if not changes:
            continue
        try:
            store.update("sources", source["id"], changes, expected_version=None, actor=actor)
        except ZonewatchError as exc:
            log.warning("source %r not brought up to date (%s): %s", source["id"], changes, exc)


def recomputed_effect(
    source: Mapping[str, Any],
    inspections: Sequence[Mapping[str, Any]],
    *,
    changed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the source fields its inspections now imply (empty: none change).

    ``last_inspected`` is the latest inspection date (None without any); a
    ``closed_down`` ``changed`` inspection that is the latest closes the source.
    A source's status is never reopened: closing is an act, not a derived field.

    Examples
    --------
    >>> visits = [{"date": "2026-04-01"}, {"date": "2026-03-01"}]
    >>> recomputed_effect({"last_inspected": "2026-05-01"}, visits)
    {'last_inspected': '2026-04-01'}
    >>> recomputed_effect({"last_inspected": "2026-05-01"}, [])
    {'last_inspected': None}
    >>> recomputed_effect({"last_inspected": "2026-04-01", "status": "operating"}, visits,
    ...                   changed={"date": "2026-04-01", "result": "closed_down"})
    {'status': 'closed'}
    """
    dates = [str(i["date"]) for i in inspections if i.get("date")]
    latest = max(dates) if dates else None
    changes: dict[str, Any] = {}
    if source.get("last_inspected") != latest:
        changes["last_inspected"] = latest
    if changed is None or changed.get("result") != "closed_down":
        return changes
    if str(changed["date"]) == latest and source.get("status") != "closed":
        changes["status"] = "closed"
    return changes


def _check_source(store: Store, source_id: str) -> None:
    """Refuse, before anything is committed, an inspection of a source that cannot take it."""
    try:
        source = store.get("sources", source_id)
    except NotFoundError:
        raise ValidationError(
            f"field 'source_id': no source {source_id!r} to inspect", field="source_id"
        ) from None
    # The source is rewritten after the change: refuse now if the model would refuse it then.
    props = {k: v for k, v in source.properties.items() if k not in SYSTEM_FIELDS}
    validate_record("sources", props, source.geometry)


def _inspections_of(store: Store, source_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each source's inspections (as records), read in one query."""
    if len(source_ids) > _FILTER_IDS_MAX:
        frame = store.read("inspections")
        frame = frame[frame["source_id"].isin(source_ids)]
    else:
        frame = store.read("inspections", query=Query(filters={"source_id": source_ids}))
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in frame.to_dict("records"):
        grouped.setdefault(str(record["source_id"]), []).append(record)
    return grouped


def inspection_effect(source: dict[str, Any], inspection: dict[str, Any]) -> dict[str, Any]:
    """Return the source fields an inspection changes (empty: none).

    Examples
    --------
    >>> inspection_effect({"last_inspected": "2026-04-01"},
    ...                   {"date": "2026-05-01", "result": "closed_down"})
    {'last_inspected': '2026-05-01', 'status': 'closed'}
    >>> inspection_effect({"last_inspected": "2026-06-01"},
    ...                   {"date": "2026-05-01", "result": "closed_down"})
    {}
    """
    changes: dict[str, Any] = {}
    last = source.get("last_inspected")
    if last is None or str(inspection["date"]) >= str(last):
        changes["last_inspected"] = inspection["date"]
        if inspection["result"] == "closed_down":
            changes["status"] = "closed"
    return changes


def campaign_progress(store: Store, *, round_no: int) -> dict[str, Any]:
    """Return, per community, which sources were and were not inspected in a round.

    Returns
    -------
    dict
        ``{"round", "checked", "unchecked", "communities": [{"community",
        "checked": [ids], "unchecked": [ids]}]}`` with communities sorted by
        name (``None`` last, for sources without a community).

    Examples
    --------
    >>> from geo.store.gpkg import GeoPackageStore  # doctest: +SKIP
    >>> campaign_progress(store, round_no=1)["checked"]  # doctest: +SKIP
    812
    """
    bad = isinstance(round_no, bool) or not isinstance(round_no, int)
    if bad or not 1 <= round_no <= MAX_ROUND:
        raise ValidationError(
            f"round {round_no!r} must be a whole number from 1 to {MAX_ROUND}", field="round"
        )
    inspections = store.read("inspections", query=Query(filters={"round": round_no}))
    sources = due_sources(store.read("sources"), inspections, round_no=round_no)
    seen = set(inspections["source_id"]) if len(inspections) else set()
    sources["checked"] = sources["id"].isin(seen)
    communities = []
    grouped = sources.groupby(sources["community"].fillna("\uffff"), sort=True)
    for key, group in grouped:
        communities.append({
            "community": None if key == "\uffff" else key,
            "checked": group.loc[group["checked"], "id"].tolist(),
            "unchecked": group.loc[~group["checked"], "id"].tolist(),
        })
    return {
        "round": round_no,
        "checked": int(sources["checked"].sum()),
        "unchecked": int((~sources["checked"]).sum()),
        "communities": communities,
    }
