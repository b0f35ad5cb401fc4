"""The ledger as people read it: labelled columns, labelled codes, whole metres, local time.

:func:`labelled_table` turns the rows of a ledger selection
(:func:`geo.selection.select_sources`) into the table staff export to Excel
or CSV: headers and codes in the reader's language, lon/lat to 6 decimals
(about 0.1 m), the distance to the nearest station in whole metres, times
in China Standard Time, and no geometry column (WKT means nothing in Excel).
:func:`labelled_inspections` does the same for the inspection list
(:func:`geo.inspection_selection.select_inspections`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from geo.ledger import BUREAU_TZ
from geo.vocabulary import CODE_LABELS, code_label, field_label

__all__ = [
    "INSPECTION_TABLE_COLUMNS",
    "TABLE_COLUMNS",
    "labelled_inspections",
    "labelled_table",
    "local_time",
]

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


#: The columns of the exported inspection list, in order.
INSPECTION_TABLE_COLUMNS = (
    "id", "date", "round", "result", "fume_purifier", "inspector", "notes", "source_id",
    "source_name", "category", "source_status", "community", "grid", "photos", "updated_at",
)
#: Headers of the inspection list that differ from the ledger's field labels.
_INSPECTION_HEADERS = {
    "zh": {"id": "检查编号", "fume_purifier": "油烟净化器（现场所见）",
           "source_name": "污染源名称", "category": "污染源类别", "source_status": "污染源状态",
           "photos": "照片数"},
    "en": {"id": "Inspection ID", "fume_purifier": "Fume purifier (as seen)",
           "source_name": "Source name", "category": "Source category",
           "source_status": "Source status", "photos": "Photos"},
}


def _inspection_cell(column: str, value: Any, lang: str) -> Any:
    if _missing(value):
        return None
    if column == "source_status":
        return code_label("status", value, lang)
    if column in ("round", "photos"):
        return int(value)
    return _cell(column, value, lang)


def labelled_inspections(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Return the rows of an inspection selection as the exported inspection list.

    Parameters
    ----------
    frame : DataFrame
        Rows of :func:`geo.inspection_selection.select_inspections` (columns
        it lacks are left out).
    lang : {"zh", "en"}
        Language of the headers and of the code labels.

    Returns
    -------
    DataFrame
        One column per entry of :data:`INSPECTION_TABLE_COLUMNS` present in
        ``frame``, headed by its label; codes by their names, ``updated_at``
        in China Standard Time.

    Examples
    --------
    >>> rows = pd.DataFrame({"id": ["I1"], "result": ["violation"], "photos": [2]})
    >>> labelled_inspections(rows).to_dict("records")
    [{'检查编号': 'I1', '检查结果': '违规', '照片数': 2}]
    """
    lang = "en" if lang == "en" else "zh"
    columns = [c for c in INSPECTION_TABLE_COLUMNS if c in frame.columns]
    headers = {c: _INSPECTION_HEADERS[lang].get(c) or field_label(c, lang) for c in columns}
    table = pd.DataFrame(
        {headers[c]: [_inspection_cell(c, v, lang) for v in frame[c].tolist()]
         for c in columns},
        index=range(len(frame)))
    return table.astype(object)
