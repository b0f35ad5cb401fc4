"""Inspections of sources and inspection campaigns.

Recording an inspection is one transaction in the store
(:meth:`geo.store.base.Store.record_inspection`): the inspection is
inserted and its source updated together, or neither. The rule for the
source is :func:`inspection_effect`: ``last_inspected`` moves forward to the
inspection's date when that is not earlier, and a ``closed_down`` result
(from such an inspection) sets status ``closed``. Editing or deleting an
inspection later does not rewrite its source.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.errors import ValidationError
from geo.ledger import Feature, validate_record
from geo.store.base import Query, Store

__all__ = ["campaign_progress", "record_inspection"]


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
    if isinstance(round_no, bool) or not isinstance(round_no, int) or round_no < 1:
        raise ValidationError(f"round {round_no!r} must be a whole number >= 1", field="round")
    inspections = store.read("inspections", query=Query(filters={"round": round_no}))
    sources = pd.DataFrame(store.read("sources"))[["id", "community"]]
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
