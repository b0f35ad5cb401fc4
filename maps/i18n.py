"""Words on the map in each language: zh-CN (default) and English.

Only fixed vocabulary lives here (never user data), so the page may show it
as markup-free text in controls and the legend.
"""

from __future__ import annotations

from geo.errors import InputError
from geo.vocabulary import CODE_LABELS

__all__ = ["LANGUAGES", "labels", "normalize_lang"]

LANGUAGES = ("zh", "en")
# what a reader may type for each language: its code in any case, zh-CN for Chinese
_ALIASES = {"zh": "zh", "zh-cn": "zh", "en": "en"}


def _codes(lang: str) -> dict[str, dict[str, str]]:
    """Return geo.vocabulary's code labels under the map's own keys."""
    codes = CODE_LABELS[lang]
    return {"categories": dict(codes["category"]), "statuses": dict(codes["status"]),
            "purifier": dict(codes["fume_purifier"]), "levels": dict(codes["level"])}


_ZH: dict[str, object] = {
    "html_lang": "zh-CN",
    "title": "中原区污染源监管地图",
    "legend": "图例",
    "sources": "污染源",
    "stations": "监测点",
    "zones": "监测点半径",
    "priority": "重点管控（监测点半径内）",
    "heat": "热力图",
    "districts": "行政区边界",
    "grids": "网格",
    "search": "按名称搜索…",
    "fullscreen": "全屏",
    "exit_fullscreen": "退出全屏",
    "zoom_in": "放大",
    "zoom_out": "缩小",
    "no_match": "无匹配",
    "rendered": "已显示污染源：{n}",
    "loading": "正在加载…",
    "load_failed": "数据加载失败：{error}",
    "record": "记录（JSON）",
    "report": "该监测点报告",
    "radius": "半径",
    "level": "级别",
    "metres": "米",
    "kilometres": "千米",
    "measure": "测量距离",
    "measure_total": "总长",
    "measure_hint": "在地图上依次点击各点；双击或按“完成”结束",
    "measure_finish": "完成",
    "measure_clear": "清除",
    "distance_to": "{m} 米（{station}）",
    "none": "无",
    "yes": "是",
    "no": "否",
    "fields": {
        "name": "名称", "category": "类别", "status": "状态", "fume_purifier": "油烟净化器",
        "address": "地址", "community": "社区", "grid": "网格",
        "last_inspected": "最近检查", "distance_m": "距最近监测点", "priority": "重点管控",
        "nearest_station": "最近监测点",
    },
    **_codes("zh"),
}

_EN: dict[str, object] = {
    "html_lang": "en",
    "title": "Zhongyuan District pollution source map",
    "legend": "Legend",
    "sources": "Sources",
    "stations": "Monitoring points",
    "zones": "Monitoring radius",
    "priority": "Priority (inside a monitoring radius)",
    "heat": "Heat map",
    "districts": "District boundary",
    "grids": "Grid cells",
    "search": "Search by name…",
    "fullscreen": "Full screen",
    "exit_fullscreen": "Exit full screen",
    "zoom_in": "Zoom in",
    "zoom_out": "Zoom out",
    "no_match": "No match",
    "rendered": "Sources shown: {n}",
    "loading": "Loading…",
    "load_failed": "Could not load the data: {error}",
    "record": "Record (JSON)",
    "report": "Report for this monitoring point",
    "radius": "Radius",
    "level": "Level",
    "metres": "m",
    "kilometres": "km",
    "measure": "Measure distance",
    "measure_total": "Total",
    "measure_hint": "Click each point on the map; double-click or Finish to end",
    "measure_finish": "Finish",
    "measure_clear": "Clear",
    "distance_to": "{m} m ({station})",
    "none": "none",
    "yes": "yes",
    "no": "no",
    "fields": {
        "name": "Name", "category": "Category", "status": "Status",
        "fume_purifier": "Fume purifier", "address": "Address", "community": "Community",
        "grid": "Grid", "last_inspected": "Last inspection",
        "distance_m": "Distance to nearest station", "priority": "Priority",
        "nearest_station": "Nearest station",
    },
    **_codes("en"),
}


def normalize_lang(lang: str) -> str:
    """Return the language code ``lang`` names: ``zh`` or ``en``.

    Case does not matter and ``zh-CN`` is Chinese; anything else, the empty
    text included, is refused rather than replaced by a default.

    Raises
    ------
    InputError
        Any other language code.

    Examples
    --------
    >>> normalize_lang("zh-CN"), normalize_lang("EN")
    ('zh', 'en')
    """
    code = _ALIASES.get(lang.strip().lower()) if isinstance(lang, str) else None
    if code is None:
        raise InputError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return code


def labels(lang: str = "zh") -> dict[str, object]:
    """Return the map vocabulary for ``lang`` (``zh`` or ``en``, see :func:`normalize_lang`).

    Raises
    ------
    InputError
        Any other language code.

    Examples
    --------
    >>> labels("en")["legend"]
    'Legend'
    """
    return _EN if normalize_lang(lang) == "en" else _ZH
