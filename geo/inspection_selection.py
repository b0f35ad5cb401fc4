"""The selection behind the staff inspection list (检查记录): filters, free-text search and sort.

:class:`InspectionSelection` is what the ``/inspections`` page's query string
asks for (parsed by :meth:`InspectionSelection.from_params`, given back by
:meth:`InspectionSelection.to_params` for links and exports of exactly the
same rows); :func:`select_inspections` returns those rows, each inspection
with the name, category, status, community and grid of the source it
inspected and its photo count; :func:`inspection_choices` gives the values
the filter form offers.

The shape follows :mod:`geo.selection` (the ledger table's selection): every
filter optional, empty values meaning "no filter", a bad value a
:class:`~geo.errors.ValidationError` naming the parameter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import ValidationError
from geo.ledger import INSPECTION_RESULTS, MAX_ROUND
from geo.store.base import Store
from geo.table_query import (
    check_choice,
    folded,
    matches,
    none_for_missing,
    parse_flag,
    sorted_by,
    text_or_none,
)

__all__ = [
    "COLUMNS",
    "PARAMS",
    "SORT_COLUMNS",
    "InspectionSelection",
    "inspection_choices",
    "select_inspections",
]

_TEXT_FILTERS = ("source_id", "community", "grid", "inspector", "q")
_DATE_FILTERS = ("date_from", "date_to")
#: Columns the list may be sorted by.
SORT_COLUMNS = ("id", "date", "round", "result", "source_name", "inspector")
_DEFAULT_SORT = "date"
#: Every query parameter :meth:`InspectionSelection.from_params` reads, in link order.
PARAMS = ("round", "result", *_TEXT_FILTERS, *_DATE_FILTERS, "sort", "descending")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SEARCHED = ("source_name", "source_id", "id", "notes", "inspector")
#: Fields of the inspected source carried on each row: source column -> row column.
SOURCE_COLUMNS = {"name": "source_name", "category": "category", "status": "source_status",
                  "community": "community", "grid": "grid"}
#: The list's columns: the inspection's fields, its source's, and the photo count.
COLUMNS = ("id", "date", "round", "result", "fume_purifier", "inspector", "notes",
           "source_id", *SOURCE_COLUMNS.values(), "photos", "updated_at")
#: Photo ids asked of the store at once (SQLite binds a limited number of values).
_PHOTO_BATCH = 500


@dataclass(frozen=True)
class InspectionSelection:
    """Which inspections the list shows, and in what order.

    Every filter is optional; None (or an empty string, as forms send) means
    "no filter". ``community`` and ``grid`` are those of the inspected
    source; ``inspector`` matches the whole name (case and full-width forms
    aside); ``date_from`` and ``date_to`` are inclusive; ``q`` is a
    case-insensitive substring of the source's name or id, the inspection's
    id, its notes or its inspector. ``sort`` is one of :data:`SORT_COLUMNS`
    (ties by ``id``, missing values last); ``descending`` left unset means
    newest first for ``date`` and ascending for every other column.

    Raises
    ------
    ValidationError
        A value that is not allowed, naming the parameter in ``field``.

    Examples
    --------
    >>> InspectionSelection(result="violation", round=2).to_params()
    {'round': '2', 'result': 'violation'}
    >>> InspectionSelection().descending, InspectionSelection(sort="inspector").descending
    (True, False)
    >>> InspectionSelection(result="passed")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    geo.errors.ValidationError: result must be one of: compliant, ...; got 'passed'
    """

    round: int | None = None
    result: str | None = None
    source_id: str | None = None
    community: str | None = None
    grid: str | None = None
    inspector: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str | None = None
    sort: str = _DEFAULT_SORT
    descending: bool | None = None

    def __post_init__(self) -> None:
        for name in ("result", *_TEXT_FILTERS):
            object.__setattr__(self, name, text_or_none(name, getattr(self, name)))
        check_choice("result", self.result, INSPECTION_RESULTS)
        _check_round(self.round)
        _check_dates(self.date_from, self.date_to)
        sort = text_or_none("sort", self.sort) or _DEFAULT_SORT
        check_choice("sort", sort, SORT_COLUMNS)
        object.__setattr__(self, "sort", sort)
        if self.descending is None:
            object.__setattr__(self, "descending", sort == _DEFAULT_SORT)
        elif not isinstance(self.descending, bool):
            raise ValidationError("descending must be true or false", field="descending")

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> InspectionSelection:
        """Build a selection from query parameters or form fields.

        Parameters
        ----------
        params : mapping of str to str
            The request's parameters; those not in :data:`PARAMS` (``f``,
            paging ...) are ignored. ``round`` is a whole number, the dates
            ``YYYY-MM-DD``, ``descending`` ``true``/``1``/``on`` or
            ``false``/``0``/``off``; empty values mean "no filter".

        Raises
        ------
        ValidationError
            A value that is not allowed, naming the parameter in ``field``.

        Examples
        --------
        >>> s = InspectionSelection.from_params({"date_from": "2026-03-01", "f": "csv"})
        >>> s.date_from, s.sort, s.descending
        (datetime.date(2026, 3, 1), 'date', True)
        """
        values: dict[str, Any] = {name: params.get(name)
                                  for name in ("result", *_TEXT_FILTERS, "sort")}
        values["round"] = _parse_round(params.get("round"))
        for name in _DATE_FILTERS:
            values[name] = _parse_date(name, params.get(name))
        values["descending"] = parse_flag("descending", params.get("descending"))
        return cls(**values)

    def to_params(self) -> dict[str, str]:
        """Return the parameters that rebuild this selection: only those that are set.

        ``InspectionSelection.from_params(s.to_params()) == s`` for every selection.

        Examples
        --------
        >>> InspectionSelection(sort="date", descending=False).to_params()
        {'descending': 'false'}
        >>> InspectionSelection(date_to=dt.date(2026, 3, 31), sort="inspector").to_params()
        {'date_to': '2026-03-31', 'sort': 'inspector'}
        """
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "sort" and value == _DEFAULT_SORT):
                continue
            if f.name == "descending":
                if value != (self.sort == _DEFAULT_SORT):
                    out[f.name] = "true" if value else "false"
                continue
            out[f.name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out






def _check_round(value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROUND:
        raise ValidationError(
            f"round must be a whole number from 1 to {MAX_ROUND}; got {value!r}", field="round")


def _check_dates(date_from: object, date_to: object) -> None:
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if value is not None and (not isinstance(value, dt.date)
                                  or isinstance(value, dt.datetime)):
            raise ValidationError(f"{name} must be a date; got {value!r}", field=name)
    if isinstance(date_from, dt.date) and isinstance(date_to, dt.date) and date_from > date_to:
        raise ValidationError(
            f"date_to ({date_to.isoformat()}) is before date_from ({date_from.isoformat()})",
            field="date_to")


def _parse_round(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise ValidationError(
            f"round must be a whole number from 1 to {MAX_ROUND}; got {value!r}", field="round")
    return int(text)


def _parse_date(name: str, value: str | None) -> dt.date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{name} must be a date as YYYY-MM-DD; got {value!r}", field=name) from None




def select_inspections(store: Store, selection: InspectionSelection) -> pd.DataFrame:
    """Return the inspections of ``selection``, sorted, with the list's columns.

    Parameters
    ----------
    store : Store
        The ledger.
    selection : InspectionSelection
        Filters and order.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`: the inspection's fields (``date`` as ``YYYY-MM-DD``
        text, ``round`` an int or None), its source's ``source_name``,
        ``category``, ``source_status``, ``community`` and ``grid`` (None
        when the source is deleted), and ``photos``, how many it has.

    Examples
    --------
    >>> rows = select_inspections(store, InspectionSelection(result="violation"))
    ... # doctest: +SKIP
    >>> set(rows["result"])  # doctest: +SKIP
    {'violation'}
    """
    table = _inspection_table(store)
    kept = table[_kept(table, selection)]
    ordered = sorted_by(kept, selection.sort, descending=bool(selection.descending))
    ordered["photos"] = _photo_counts(store, [str(i) for i in ordered["id"]])
    return ordered[list(COLUMNS)]


def _inspection_table(store: Store) -> pd.DataFrame:
    """Every inspection joined with the fields of its source (photos not yet counted)."""
    visits = pd.DataFrame(store.read("inspections"))
    sources = pd.DataFrame(store.read("sources"))
    wanted = ["id", *SOURCE_COLUMNS]
    if len(sources):
        looked_up = sources[wanted].rename(columns={"id": "source_id", **SOURCE_COLUMNS})
    else:
        looked_up = pd.DataFrame(columns=["source_id", *SOURCE_COLUMNS.values()])
    looked_up = looked_up.astype({"source_id": object})
    visits = visits.astype({"source_id": object}) if len(visits) else pd.DataFrame(
        columns=[c for c in COLUMNS if c not in SOURCE_COLUMNS.values()])
    table = visits.merge(looked_up, on="source_id", how="left", validate="many_to_one")
    table["date"] = pd.Series([_date_text(v) for v in table["date"]], index=table.index,
                              dtype=object)
    # object dtype: a missing round stays None, not a float NaN beside the ints
    table["round"] = pd.Series([_round_or_none(v) for v in table["round"]], index=table.index,
                               dtype=object)
    for column in (*SOURCE_COLUMNS.values(), "inspector", "notes", "fume_purifier"):
        table[column] = none_for_missing(table[column])
    return table.reset_index(drop=True)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and value != value)


def _date_text(value: object) -> str | None:
    # both stores give ISO dates (text or date); the first ten characters are the day
    return None if _missing(value) else str(value)[:10]


def _round_or_none(value: object) -> int | None:
    return None if _missing(value) else int(value)  # type: ignore[call-overload]






def _kept(frame: pd.DataFrame, selection: InspectionSelection) -> np.ndarray:
    keep = np.ones(len(frame), dtype=bool)
    if selection.round is not None:
        keep &= np.array([r == selection.round for r in frame["round"]], dtype=bool)
    for name in ("result", "source_id", "community", "grid"):
        value = getattr(selection, name)
        if value is not None:
            keep &= (frame[name] == value).to_numpy(dtype=bool)
    if selection.inspector is not None:
        wanted = folded(selection.inspector)
        keep &= np.array([isinstance(v, str) and folded(v.strip()) == wanted
                          for v in frame["inspector"]], dtype=bool)
    days = frame["date"]
    if selection.date_from is not None:
        start = selection.date_from.isoformat()
        keep &= np.array([d is not None and d >= start for d in days], dtype=bool)
    if selection.date_to is not None:
        end = selection.date_to.isoformat()
        keep &= np.array([d is not None and d <= end for d in days], dtype=bool)
    if selection.q is not None:
        keep &= matches(frame, selection.q, _SEARCHED)
    return keep






def _photo_counts(store: Store, inspection_ids: list[str]) -> list[int]:
    """How many photos each inspection has, asked in batches."""
    counts: dict[str, int] = {}
    for start in range(0, len(inspection_ids), _PHOTO_BATCH):
        found = store.photos.of_inspections(inspection_ids[start:start + _PHOTO_BATCH])
        counts.update({key: len(photos) for key, photos in found.items()})
    return [counts.get(i, 0) for i in inspection_ids]


def inspection_choices(store: Store) -> dict[str, list[Any]]:
    """Return what the filter form offers: rounds, inspectors, communities and grids present.

    Examples
    --------
    >>> inspection_choices(store)["round"]  # doctest: +SKIP
    [1, 2, 3]
    """
    visits = pd.DataFrame(store.read("inspections"))
    sources = pd.DataFrame(store.read("sources"))

    def present(frame: pd.DataFrame, column: str) -> list[str]:
        if column not in frame.columns:
            return []
        return sorted({v.strip() for v in frame[column] if isinstance(v, str) and v.strip()})

    rounds = sorted({r for r in (_round_or_none(v) for v in visits.get("round", []))
                     if r is not None})
    return {"round": rounds, "inspector": present(visits, "inspector"),
            "community": present(sources, "community"), "grid": present(sources, "grid")}
