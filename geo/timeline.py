"""A feature's history as people read it: who, when, which fields went from what to what.

:class:`geo.store.base.HistoryEntry` holds whole states; a person wants the
difference. :func:`timeline` turns a feature's entries into steps listing
only the fields that changed (the system fields ``version`` and
``updated_at`` and the kept original coordinates left out; a moved
geometry shows as one ``geometry`` change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo.ledger import SYSTEM_FIELDS
from geo.store.base import HistoryEntry

__all__ = ["Change", "Step", "field_changes", "timeline"]

_QUIET = frozenset({*SYSTEM_FIELDS, "orig_wkt", "demo"})


@dataclass(frozen=True)
class Change:
    """One field of one step: its value before and after (None: not set)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Step:
    """One history entry: who did what when, and the fields it changed."""

    seq: int
    operation: str
    actor: str
    at: str
    changes: list[Change]


def _properties(state: dict[str, Any] | None) -> dict[str, Any]:
    props = (state or {}).get("properties") or {}
    return dict(props) if isinstance(props, dict) else {}


def field_changes(entry: HistoryEntry) -> list[Change]:
    """Return the fields ``entry`` changed, in field order (a create lists what it set).

    Examples
    --------
    >>> e = HistoryEntry(2, "sources", "S1", "update", "张三", "2026-12-03T06:02:00.000Z",
    ...                  {"properties": {"status": "operating", "version": 1}, "geometry": "P"},
    ...                  {"properties": {"status": "closed", "version": 2}, "geometry": "P"})
    >>> field_changes(e)
    [Change(field='status', before='operating', after='closed')]
    """
    before, after = _properties(entry.before), _properties(entry.after)
    changes = [Change(name, before.get(name), after.get(name))
               for name in dict.fromkeys([*before, *after])
               if name not in _QUIET and before.get(name) != after.get(name)
               and not (entry.operation == "create" and after.get(name) in (None, ""))]
    old_geom = (entry.before or {}).get("geometry")
    new_geom = (entry.after or {}).get("geometry")
    if old_geom != new_geom and entry.operation == "update":
        changes.append(Change("geometry", old_geom, new_geom))
    return changes


def timeline(entries: list[HistoryEntry]) -> list[Step]:
    """Return the steps of a feature's history, newest first."""
    steps = [Step(e.seq, e.operation, e.actor, e.at, field_changes(e)) for e in entries]
    return sorted(steps, key=lambda s: s.seq, reverse=True)
