"""Map the column headers people actually use onto ledger field names.

Bureau staff keep ledgers with Chinese headers (名称, 经度 ...) and GIS tools
export English ones in many spellings; both are folded onto the ledger's
field names here so the readers see one vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from geo.ledger import LAYERS

__all__ = [
    "CRS_COLUMNS",
    "KNOWN_COLUMNS",
    "LAT_COLUMNS",
    "LON_COLUMNS",
    "VALUE_ALIASES",
    "WKT_COLUMNS",
    "canonical_columns",
    "canonical_frame",
    "canonical_value",
    "count_known",
    "crs_labels_as_text",
]

LON_COLUMNS = ("lon", "lng", "long", "longitude", "x")
LAT_COLUMNS = ("lat", "latitude", "y")
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom")
CRS_COLUMNS = ("crs", "coord_label", "coordinates")

_ALIASES = {
    "名称": "name",
    "单位名称": "name",
    "类别": "category",
    "类型": "category",
    "状态": "status",
    "油烟净化器": "fume_purifier",
    "油烟净化装置": "fume_purifier",
    "地址": "address",
    "街道": "subdistrict",
    "办事处": "subdistrict",
    "社区": "community",
    "网格": "grid",
    "最近检查": "last_inspected",
    "最近检查日期": "last_inspected",
    "备注": "notes",
    "经度": "lon",
    "纬度": "lat",
    "坐标系": "crs",
    "编号": "id",
    "级别": "level",
    "半径": "radius_m",
    "半径_米": "radius_m",
    "半径（米）": "radius_m",
    "半径(米)": "radius_m",
    "污染源编号": "source_id",
    "检查日期": "date",
    "日期": "date",
    "轮次": "round",
    "检查人": "inspector",
    "检查结果": "result",
    "结果": "result",
    "fid_": "id",
}
# Shapefile field names hold 10 characters: the exports cut longer ledger
# names to their first 10 (fume_purifier -> fume_purif), read back here.
_ALIASES.update(
    {name[:10]: name for layer in LAYERS.values() for name in layer.field_names if len(name) > 10}
)

#: Every canonical header an import understands: ledger fields, coordinates, labels.
KNOWN_COLUMNS = frozenset(
    {name for layer in LAYERS.values() for name in layer.field_names}
    | {*LON_COLUMNS, *LAT_COLUMNS, *WKT_COLUMNS, *CRS_COLUMNS}
)


def canonical_columns(columns: Iterable[str]) -> dict[str, str]:
    """Return a mapping from given headers to canonical names.

    Headers are stripped and lower-cased; known Chinese headers map onto the
    ledger's field names; everything else keeps its lower-cased name.

    Examples
    --------
    >>> canonical_columns(["名称", " Lon ", "Category"])
    {'名称': 'name', ' Lon ': 'lon', 'Category': 'category'}
    """
    mapping = {}
    for column in columns:
        key = str(column).strip()
        mapping[column] = _ALIASES.get(key, _ALIASES.get(key.lower(), key.lower()))
    return mapping


def count_known(headers: Iterable[object]) -> int:
    """Return how many distinct known fields ``headers`` name (see :data:`KNOWN_COLUMNS`).

    Used to tell a table's header row from the title rows above it.

    Examples
    --------
    >>> count_known(["中原区餐饮油烟治理台账（2026年）", None])
    0
    >>> count_known(["名称", "经度", "纬度", "备注"])
    4
    """
    texts = [str(h) for h in headers if h is not None and str(h).strip()]
    return len(set(canonical_columns(texts).values()) & KNOWN_COLUMNS)


def crs_labels_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with numeric coordinate labels (``4547``) written as text.

    GIS files and JSON keep a bare EPSG code in a ``crs``/``坐标系`` column as a
    number; coordinate labels are text (:func:`geo.crs.normalize_label`).
    """
    positions = [i for i, c in enumerate(frame.columns) if c in CRS_COLUMNS]
    if positions:
        frame = frame.copy()
    for i in positions:  # by position: a file may name two columns alike
        frame.isetitem(i, frame.iloc[:, i].map(_code_text))
    return frame


def _code_text(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return value
    return str(int(value)) if float(value).is_integer() else value


def canonical_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename a GIS file's attribute columns to canonical names, one column each.

    Formats such as KML carry a column of their own (``Name``) beside the
    ledger's ``name``; when two headers map onto one field, the header that is
    already spelled canonically wins and the other is dropped, instead of
    leaving an ambiguous pair for the importer to trip over; between two
    aliases (``Name`` and ``名称``) the one with more values wins.

    Parameters
    ----------
    frame : pandas.DataFrame
        Attribute columns as the file gave them.

    Returns
    -------
    pandas.DataFrame
        The frame with canonical, unique column names.
    """
    mapping = canonical_columns(frame.columns)
    filled = frame.notna().sum()
    keep: dict[str, object] = {}
    for column, target in mapping.items():
        rank = (str(column) == target, int(filled[column]))
        held = keep.get(target)
        if held is None or rank > (str(held) == target, int(filled[held])):
            keep[target] = column
    kept = frame[list(keep.values())]
    return kept.set_axis(list(keep.keys()), axis="columns")


#: Chinese (and common English) spellings of vocabulary values, per field.
#: Every label Zonewatch itself prints (maps, reports, pages) is here, so a
#: table copied from them imports back; English keys are lower case with
#: ``_`` for spaces and hyphens (see :func:`canonical_value`).
VALUE_ALIASES: dict[str, dict[str, str | None]] = {
    "category": {
        "餐饮": "catering",
        "餐饮服务": "catering",
        "餐饮服务场所": "catering",
        "烧烤": "bbq",
        "露天烧烤": "bbq",
        "open_air_barbecue": "bbq",
        "barbecue": "bbq",
        "夜市": "night_market",
        "夜市排档": "night_market",
        "工地": "construction_site",
        "建筑工地": "construction_site",
        "在建工地": "construction_site",
        "渣土": "muck_route",
        "渣土运输": "muck_route",
        "渣土运输路线": "muck_route",
        "渣土车路线": "muck_route",
        "渣土车": "muck_route",
        "muck_truck_route": "muck_route",
        "工业": "industrial",
        "工业企业": "industrial",
        "其他": "other",
    },
    "status": {
        "营业": "operating",
        "正常营业": "operating",
        "正常经营": "operating",
        "经营": "operating",
        "在营": "operating",
        "整改": "rectifying",
        "整改中": "rectifying",
        "停业整改": "rectifying",
        "关停": "closed",
        "已关停": "closed",
        "已关停/取缔": "closed",
        "关停/取缔": "closed",
        "停业": "closed",
        "取缔": "closed",
        "已取缔": "closed",
        "关闭": "closed",
        "已关闭": "closed",
    },
    "fume_purifier": {
        "无": "none",
        "未安装": "none",
        "not_installed": "none",
        "已安装": "installed",
        "安装未使用": "installed",
        "已安装未使用": "installed",
        "在用": "in_use",
        "使用中": "in_use",
        "正常使用": "in_use",
        "已安装并使用": "in_use",
        "未登记": None,
        "不适用": None,
    },
    "level": {"国控": "national", "省控": "provincial", "市控": "city", "其他": "other"},
    "result": {
        "合格": "compliant",
        "违规": "violation",
        "取缔": "closed_down",
        "检查取缔": "closed_down",
        "关停": "closed_down",
        "未找到": "not_found",
    },
}
_SEPARATORS = re.compile(r"[\s\-]+")


def canonical_value(field: str, value: object) -> object:
    """Return the ledger value for a Chinese or English spelling of ``value``.

    Chinese labels are looked up as written (spaces around them ignored);
    English text is folded to lower case with ``_`` for spaces and hyphens.

    Examples
    --------
    >>> canonical_value("category", "露天烧烤")
    'bbq'
    >>> canonical_value("category", "Night market"), canonical_value("status", "已关停/取缔")
    ('night_market', 'closed')
    """
    aliases = VALUE_ALIASES.get(field)
    if aliases is None or not isinstance(value, str):
        return value
    text = value.strip()
    if text in aliases:
        return aliases[text]
    if not text.isascii():
        return text
    key = _SEPARATORS.sub("_", text.lower())
    return aliases.get(key, key)
