"""The event type table a district keeps in its store (the ``case_types`` layer).

An empty layer means the district has not set its own table:
:data:`geo.cases.types.DEFAULT_TYPES` serve. Loading a table replaces the
whole layer in one transaction (its history says who changed which limit).
A type still named by a stored case cannot be dropped: that case could
then neither be dispatched nor reported on.
"""

from __future__ import annotations

import pandas as pd

from geo import writes
from geo.cases.types import DEFAULT_TYPES, EventType
from geo.errors import InputError
from geo.store.base import Store

__all__ = ["save_types", "stored_types"]


def stored_types(store: Store) -> dict[str, EventType]:
    """Return the store's event types by code, or the defaults when it keeps none."""
    frame = store.read("case_types")
    if not len(frame):
        return {t.code: t for t in DEFAULT_TYPES}
    rows = frame.sort_values("id")
    return {str(r.id): EventType(str(r.id), str(r.name_zh), _text(r.name_en) or str(r.name_zh),
                                 float(r.limit_h)) for r in rows.itertuples()}


def save_types(store: Store, table: dict[str, EventType], *, actor: str) -> int:
    """Make ``table`` (from :func:`geo.cases.types.type_table`) the store's event types.

    Returns
    -------
    int
        How many types the store now keeps.

    Raises
    ------
    InputError
        When the table drops a type that a stored case is of (naming it and
        how many cases).
    """
    used = store.read("cases")
    if len(used):
        counts = used["event_type"].astype(str).value_counts()
        dropped = [f"{code} ({n})" for code, n in counts.items() if code not in table]
        if dropped:
            raise InputError("the table drops event types that stored cases are of: "
                             + ", ".join(sorted(dropped)) + "; keep them (a longer or "
                             "shorter limit is fine) or the cases cannot be handled")
    frame = pd.DataFrame([{"id": t.code, "name_zh": t.name_zh, "name_en": t.name_en,
                           "limit_h": t.limit_h} for t in table.values()])
    writes.write_frame(store, "case_types", frame, mode="replace", actor=actor)
    return len(table)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)
