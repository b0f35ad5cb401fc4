"""The words people read for the ledger's codes and fields, in Chinese and English.

Stored values are codes (``catering``, ``in_use``); every page, map popup and
labelled export shows them through these tables, so a code is called the
same everywhere. Chinese is the bureau's language and the default.
"""

from __future__ import annotations

from typing import Any

from geo.ledger import CATEGORY_LABELS_ZH

__all__ = ["CODE_LABELS", "FIELD_LABELS", "code_label", "field_label"]

#: Labels of the coded fields: lang -> field -> code -> label.
CODE_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "zh": {
        "category": dict(CATEGORY_LABELS_ZH),
        "status": {"operating": "营业", "rectifying": "整改中", "closed": "已关停"},
        "fume_purifier": {"none": "未安装", "installed": "已安装", "in_use": "正常使用"},
        "level": {"national": "国控", "provincial": "省控", "city": "市控", "other": "其他"},
        "result": {"compliant": "合格", "violation": "违规", "closed_down": "取缔",
                   "not_found": "未找到"},
    },
    "en": {
        "category": {
            "catering": "Catering", "bbq": "Open-air barbecue", "night_market": "Night market",
            "construction_site": "Construction site", "muck_route": "Muck-truck route",
            "industrial": "Industrial", "other": "Other",
        },
        "status": {"operating": "operating", "rectifying": "rectifying", "closed": "closed"},
        "fume_purifier": {"none": "not installed", "installed": "installed",
                          "in_use": "in use"},
        "level": {"national": "national", "provincial": "provincial", "city": "city",
                  "other": "other"},
        "result": {"compliant": "compliant", "violation": "violation",
                   "closed_down": "closed down", "not_found": "not found"},
    },
}

#: Labels of the fields (and of the columns the ledger table adds): lang -> name -> label.
FIELD_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "id": "编号", "name": "名称", "category": "类别", "status": "状态",
        "fume_purifier": "油烟净化器", "address": "地址", "subdistrict": "街道",
        "community": "社区", "grid": "网格", "last_inspected": "最近检查", "notes": "备注",
        "lon": "经度", "lat": "纬度", "nearest_station": "最近监测点编号",
        "nearest_station_name": "最近监测点", "distance_m": "距最近监测点（米）",
        "priority": "重点管控", "overdue": "本轮未检查", "updated_at": "更新时间",
        "version": "版本", "orig_crs": "原坐标系", "orig_wkt": "原坐标（WKT）",
        "stations": "覆盖的监测点", "station": "监测点", "level": "级别", "radius_m": "半径（米）",
        "source_id": "污染源编号", "date": "日期", "round": "轮次", "inspector": "检查人",
        "result": "检查结果", "demo": "演示数据",
    },
    "en": {
        "id": "ID", "name": "Name", "category": "Category", "status": "Status",
        "fume_purifier": "Fume purifier", "address": "Address", "subdistrict": "Subdistrict",
        "community": "Community", "grid": "Grid", "last_inspected": "Last inspection",
        "notes": "Notes", "lon": "Longitude", "lat": "Latitude",
        "nearest_station": "Nearest station ID", "nearest_station_name": "Nearest station",
        "distance_m": "Distance to nearest station (m)", "priority": "Priority",
        "overdue": "Not checked this round", "updated_at": "Updated", "version": "Version",
        "orig_crs": "Original CRS", "orig_wkt": "Original coordinates (WKT)",
        "stations": "Stations", "station": "Station", "level": "Level", "radius_m": "Radius (m)",
        "source_id": "Source ID", "date": "Date", "round": "Round", "inspector": "Inspector",
        "result": "Result", "demo": "Demo data",
    },
}


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def code_label(field: str, code: Any, lang: str = "zh") -> str:
    """Return the label of ``code`` in ``field`` (the code itself when it has none).

    Examples
    --------
    >>> code_label("status", "closed"), code_label("status", "closed", "en")
    ('已关停', 'closed')
    >>> code_label("category", None)
    ''
    """
    if code is None or code != code:  # None or NaN: nothing recorded
        return ""
    return CODE_LABELS[_lang(lang)].get(field, {}).get(str(code), str(code))


def field_label(name: str, lang: str = "zh") -> str:
    """Return the label of field ``name`` (the name itself when it has none).

    Examples
    --------
    >>> field_label("fume_purifier"), field_label("fume_purifier", "en")
    ('油烟净化器', 'Fume purifier')
    """
    return FIELD_LABELS[_lang(lang)].get(name, name)
