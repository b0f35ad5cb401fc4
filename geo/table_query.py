"""What every staff table's selection shares: reading query values, free-text search, sorting.

The ledger table (:mod:`geo.selection`) and the inspection list
(:mod:`geo.inspection_selection`) read their filters from a query string
the same way: text trimmed (stored text is trimmed, geo.ledger), a blank
value meaning "no filter", codes checked against their list, yes/no flags
as a checkbox or a link sends them. They search and sort alike too, so a
person who learnt one table knows the other.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo.errors import ValidationError

__all__ = ["check_choice", "folded", "matches", "none_for_missing", "parse_flag",
           "sorted_by", "text_or_none"]

#: What a checkbox or a link may send for yes and no (an empty value: no filter).
_TRUE = frozenset({"true", "1", "on"})
_FALSE = frozenset({"false", "0", "off"})


def text_or_none(name: str, value: object) -> str | None:
    """Return ``value`` trimmed, None when blank; refuse anything but text.

    Examples
    --------
    >>> text_or_none("grid", "  12 "), text_or_none("grid", "   ")
    ('12', None)
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text; got {type(value).__name__}", field=name)
    # Stored text is trimmed (geo.ledger), so a pasted value with blanks still matches.
    return value.strip() or None


def check_choice(name: str, value: str | None, allowed: Sequence[str]) -> None:
    """Refuse a ``value`` that is not one of ``allowed`` (None passes: no filter)."""
    if value is not None and value not in allowed:
        raise ValidationError(
            f"{name} must be one of: {', '.join(allowed)}; got {value!r}", field=name)


def parse_flag(name: str, value: str | None) -> bool | None:
    """Read a yes/no filter: true/1/on, false/0/off, blank for no filter.

    Examples
    --------
    >>> parse_flag("priority", "on"), parse_flag("priority", "0"), parse_flag("priority", "")
    (True, False, None)
    """
    text = (value or "").strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(
        f"{name} must be one of: true, 1, on, false, 0, off; got {value!r}", field=name)


def none_for_missing(values: pd.Series) -> pd.Series:
    """Return ``values`` as objects with None where a value is missing (NaN, NA, NaT)."""
    return values.astype(object).where(values.notna(), None)


def folded(text: str) -> str:
    """Return ``text`` as searched: NFKC (full-width letters and digits as ASCII), casefolded."""
    return unicodedata.normalize("NFKC", text).casefold()


def matches(frame: pd.DataFrame, q: str, columns: Sequence[str]) -> np.ndarray:
    """Return which rows hold ``q`` (folded) inside any of the text ``columns``."""
    needle = folded(q)
    hit = np.zeros(len(frame), dtype=bool)
    for column in columns:
        hit |= np.fromiter(
            (isinstance(v, str) and needle in folded(v) for v in frame[column]),
            dtype=bool, count=len(frame))
    return hit


def sorted_by(frame: pd.DataFrame, column: str, *, descending: bool) -> pd.DataFrame:
    """Sort by ``column`` (missing values last either way), ties by ``id`` ascending."""
    by = [column] if column == "id" else [column, "id"]
    ascending = [not descending] if column == "id" else [not descending, True]
    ordered = frame.sort_values(by, ascending=ascending, na_position="last", kind="stable")
    return ordered.reset_index(drop=True)
