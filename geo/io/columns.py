"""Map the column headers people actually use onto ledger field names.

Bureau staff keep ledgers with Chinese headers (名称, 经度 ...) and GIS tools
export English ones in many spellings; both are folded onto the ledger's
field names here so the readers see one vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = [
    "CRS_COLUMNS",
    "LAT_COLUMNS",
    "LON_COLUMNS",
    "VALUE_ALIASES",
    "WKT_COLUMNS",
    "canonical_columns",
    "canonical_frame",
    "canonical_value",
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
    "fid_": "id",
}


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
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "category": {
        "餐饮": "catering",
        "餐饮服务": "catering",
        "餐饮服务场所": "catering",
        "烧烤": "bbq",
        "露天烧烤": "bbq",
        "夜市": "night_market",
        "夜市排档": "night_market",
        "工地": "construction_site",
        "建筑工地": "construction_site",
        "在建工地": "construction_site",
        "渣土": "muck_route",
        "渣土运输": "muck_route",
        "渣土运输路线": "muck_route",
        "工业": "industrial",
        "工业企业": "industrial",
        "其他": "other",
    },
    "status": {
        "营业": "operating",
        "正常营业": "operating",
        "在营": "operating",
        "整改": "rectifying",
        "整改中": "rectifying",
        "关停": "closed",
        "取缔": "closed",
        "已取缔": "closed",
        "关闭": "closed",
    },
    "fume_purifier": {
        "无": "none",
        "未安装": "none",
        "已安装": "installed",
        "安装未使用": "installed",
        "在用": "in_use",
        "使用中": "in_use",
        "正常使用": "in_use",
        "已安装并使用": "in_use",
    },
    "level": {"国控": "national", "省控": "provincial", "市控": "city", "其他": "other"},
    "result": {
        "合格": "compliant",
        "违规": "violation",
        "取缔": "closed_down",
        "关停": "closed_down",
        "未找到": "not_found",
    },
}


def canonical_value(field: str, value: object) -> object:
    """Return the ledger value for a Chinese or English spelling of ``value``.

    Examples
    --------
    >>> canonical_value("category", "露天烧烤")
    'bbq'
    >>> canonical_value("category", "Catering")
    'catering'
    """
    aliases = VALUE_ALIASES.get(field)
    if aliases is None or not isinstance(value, str):
        return value
    text = value.strip()
    return aliases.get(text, text.lower() if text.isascii() else text)
