"""The ledger as people read it: labelled columns, labelled codes, whole metres, local time.

:func:`labelled_table` turns the rows of a ledger selection
(:func:`geo.selection.select_sources`) into the table staff export to Excel
or CSV: headers and codes in the reader's language, lon/lat to 6 decimals
(about 0.1 m), the distance to the nearest station in whole metres, times
in China Standard Time, and no geometry column (WKT means nothing in Excel).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from geo.ledger import BUREAU_TZ
from geo.vocabulary import CODE_LABELS, code_label, field_label

__all__ = ["TABLE_COLUMNS", "labelled_table", "local_time"]

#: The columns of the ledger table, in order.
TABLE_COLUMNS = (
    "id", "name", "category", "status", "fume_purifier", "address", "subdistrict",
    "community", "grid", "lon", "lat", "nearest_station_name", "nearest_station",
    "distance_m", "priority", "overdue", "last_inspected", "updated_at", "notes",
)
_YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}


def local_time(value: Any) -> str:
    """Return an ISO 8601 UTC time as ``YYYY-MM-DD HH:MM`` in China Standard Time.

    Examples
    --------
    >>> local_time("2026-12-03T22:05:00.000Z")
    '2026-12-04 06:05'
    >>> local_time(None)
    ''
    """
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M")


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _cell(column: str, value: Any, lang: str) -> Any:
    if _missing(value):
        return None
    if column in CODE_LABELS["zh"]:
        return code_label(column, value, lang)
    if column in ("lon", "lat"):
        return round(float(value), 6)
    if column == "distance_m":
        return int(round(float(value)))
    if column in ("priority", "overdue"):
        yes, no = _YES_NO["en" if lang == "en" else "zh"]
        return yes if bool(value) else no
    if column == "updated_at":
        return local_time(value)
    return value


def labelled_table(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Return the selection's rows as the exported ledger table.

    Parameters
    ----------
    frame : DataFrame
        Rows of :func:`geo.selection.select_sources` (columns it lacks are left out).
    lang : {"zh", "en"}
        Language of the headers and of the code labels.

    Returns
    -------
    DataFrame
        One column per entry of :data:`TABLE_COLUMNS` present in ``frame``,
        headed by its label, values as people read them; no geometry.
    """
    columns = [c for c in TABLE_COLUMNS if c in frame.columns]
    table = pd.DataFrame(
        {field_label(c, lang): [_cell(c, v, lang) for v in frame[c].tolist()] for c in columns},
        index=range(len(frame)))
    return table.astype(object)
