"""What an inspection does to its source: the two rules geo.writes applies.

Recording an inspection changes its source by :func:`inspection_effect`:
``last_inspected`` moves forward to the inspection's date when that is not
earlier, and such an inspection's ``closed_down`` result sets status
``closed`` and the purifier state it saw (``fume_purifier``) becomes the
source's. Editing, moving (``source_id``), deleting or importing
inspections recomputes each affected source with :func:`recomputed_effect`:
``last_inspected`` becomes the latest date of the inspections it still has
(None when it has none), and the inspection just changed, when it is now the
latest, brings its source the purifier state it saw and, if ``closed_down``,
closes it. :mod:`geo.writes` applies both rules in the same
transaction as the inspection change, so a source is never left behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["inspection_effect", "recomputed_effect"]


def recomputed_effect(
    source: Mapping[str, Any],
    inspections: Sequence[Mapping[str, Any]],
    *,
    changed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the source fields its inspections now imply (empty: none change).

    ``last_inspected`` is the latest inspection date (None without any); a
    ``changed`` inspection that is the latest sets the purifier state it saw
    and, when ``closed_down``, closes the source.
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
    >>> recomputed_effect({"last_inspected": "2026-04-01", "fume_purifier": "none"}, visits,
    ...                   changed={"date": "2026-04-01", "fume_purifier": "in_use"})
    {'fume_purifier': 'in_use'}
    """
    dates = [str(i["date"]) for i in inspections if i.get("date")]
    latest = max(dates) if dates else None
    changes: dict[str, Any] = {}
    if source.get("last_inspected") != latest:
        changes["last_inspected"] = latest
    if changed is None or str(changed.get("date")) != latest:
        return changes
    seen = changed.get("fume_purifier")
    if seen is not None and seen != source.get("fume_purifier"):
        changes["fume_purifier"] = seen  # a corrected latest visit corrects what it saw
    if changed.get("result") == "closed_down" and source.get("status") != "closed":
        changes["status"] = "closed"
    return changes


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
    >>> inspection_effect({"fume_purifier": "installed"},
    ...                   {"date": "2026-05-01", "result": "compliant", "fume_purifier": "in_use"})
    {'last_inspected': '2026-05-01', 'fume_purifier': 'in_use'}
    """
    changes: dict[str, Any] = {}
    last = source.get("last_inspected")
    if last is None or str(inspection["date"]) >= str(last):
        changes["last_inspected"] = inspection["date"]
        if inspection["result"] == "closed_down":
            changes["status"] = "closed"
        seen = inspection.get("fume_purifier")
        if seen is not None and seen != source.get("fume_purifier"):
            changes["fume_purifier"] = seen
    return changes
