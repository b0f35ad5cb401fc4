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
    "priority": "重点管控（半径内未关停）",
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
    # the basemap switcher (zonewatch-basemaps.js); choosing one reloads the page
    "basemap": "底图：{name}",
    "basemaps": {"none": "无底图", "file": "本地地图文件", "local": "内网瓦片服务",
                 "tianditu": "天地图", "amap": "高德地图", "osm": "OpenStreetMap"},
    "basemap_gcj02": "（GCJ-02）",
    "basemap_failed": "底图无法显示：{error}",
    "yes": "是",
    "no": "否",
    # the field map's tools (zonewatch-map.js): re-check list, clusters, search, heat, locate
    "map_tools": {
        "recheck": "待复查（半径内已关停）", "recheck_field": "待复查",
        "priority_unclustered": "重点管控不聚合", "cluster_priority": "其中重点管控 {n} 个",
        "inside_radius": "半径内重点管控", "total": "重点管控合计",
        "recheck_count": "待复查（已关停）", "ledger_list": "台账中的重点管控名单",
        "search": "搜索名称、编号、地址、社区、监测点…", "search_more": "更多…（还有 {n} 条）",
        "heat_high": "热力图在缩放级别 {z} 以上不显示，请缩小地图",
        "locate": "我的位置", "locating": "正在定位…", "located": "我的位置（精度约 {m} 米）",
        "locate_denied": "无法定位：浏览器未允许本网站使用位置信息，请在浏览器设置中允许后重试",
        "locate_insecure": "无法定位：浏览器只在 HTTPS 连接（或本机地址）下提供位置",
        "locate_unavailable": "无法定位：暂时收不到位置信号，请到开阔处重试",
        "locate_timeout": "无法定位：等待位置超时，请重试",
        "locate_unsupported": "无法定位：此浏览器不提供位置",
    },
    # the editing tools of a signed-in editor (zonewatch-edit.js)
    "edit": {
        "bar": "编辑台账（{user}）", "add_point": "点选添加", "add_here": "在我的位置添加",
        "draw_area": "画区域", "draw_line": "画线路", "finish": "完成", "cancel": "取消",
        "save": "保存", "new_source": "新增污染源",
        "hint_point": "在地图上点击新污染源的位置",
        "hint_area": "依次点击各顶点；点击第一个顶点或“完成”结束",
        "hint_line": "依次点击各点；再次点击最后一点或“完成”结束",
        "locating": "正在定位…", "no_position": "无法获取位置：{error}",
        "move": "移动", "move_hint": "把标记拖到新位置",
        "move_confirm": "把“{name}”移动 {m} 米到这里？", "confirm_move": "确认移动",
        "reshape": "修改形状", "reshape_hint": "拖动顶点修改“{name}”的形状，然后保存",
        "close": "关停", "reopen": "恢复经营", "inspect": "记录检查",
        "saving": "正在保存…", "saved": "已保存：{name}",
        "hidden": "已保存：{name}（不在本图的筛选范围内）",
        "conflict": "“{name}”在您打开后已被他人修改，您的修改未保存。"
                    "地图已显示最新记录，请核对后重试。",
        "failed": "未能保存：{error}", "signed_out": "登录已过期，请重新登录后再编辑",
        "name_required": "请填写名称",
    },
    # open cases, coloured by time left (zonewatch-cases.js; words as the case pages')
    "cases": {
        "layer": "未结案件", "legend": "未结案件（按剩余时限）",
        "bands": {"overdue": "超期", "due_soon": "即将到期", "on_time": "时限内",
                  "not_dispatched": "未派遣"},
        "statuses": {"reported": "上报", "filed": "立案", "dispatched": "派遣",
                     "handled": "已处置", "verified": "已核查"},
        "id": "案件编号", "event_type": "事件类型", "status": "状态", "unit": "责任单位",
        "time_left": "剩余时限", "deadline": "处置时限", "reported_at": "上报时间",
        "description": "问题描述", "address": "地址", "rework": "返工",
        "rework_n": "返工 {n} 次", "beijing": "{t}（北京时间）",
        "left": "剩余 {span}", "over": "超期 {span}", "left_lt_min": "剩余不足 1 分钟",
        "no_deadline": "未派遣（派遣后计时）", "day": "{n}天", "hour": "{n}小时", "minute": "{n}分",
        "open_case": "查看案件 · {id}", "load_failed": "未结案件加载失败：{error}",
    },
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
    "priority": "Priority (inside a radius, not closed)",
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
    # the basemap switcher (zonewatch-basemaps.js); choosing one reloads the page
    "basemap": "Basemap: {name}",
    "basemaps": {"none": "No basemap", "file": "Local map file", "local": "Intranet tiles",
                 "tianditu": "Tianditu", "amap": "Amap", "osm": "OpenStreetMap"},
    "basemap_gcj02": " (GCJ-02)",
    "basemap_failed": "The basemap cannot be shown: {error}",
    "yes": "yes",
    "no": "no",
    # the field map's tools (zonewatch-map.js): re-check list, clusters, search, heat, locate
    "map_tools": {
        "recheck": "To re-check (closed, inside a radius)", "recheck_field": "To re-check",
        "priority_unclustered": "Priority unclustered", "cluster_priority": "{n} priority",
        "inside_radius": "Priority inside the radius", "total": "Priority in all",
        "recheck_count": "To re-check (closed)", "ledger_list": "Priority list in the ledger",
        "search": "Search names, ids, addresses, communities, stations…",
        "search_more": "More… ({n} left)",
        "heat_high": "The heat map is not shown above zoom level {z}: zoom out to see it",
        "locate": "My location", "locating": "Finding your position…",
        "located": "My position (to about {m} m)",
        "locate_denied": "No position: the browser did not allow this site to use your "
                         "location. Allow it in the browser's settings and try again",
        "locate_insecure": "No position: browsers give it only over HTTPS (or on this computer)",
        "locate_unavailable": "No position: no signal right now; try again in the open",
        "locate_timeout": "No position: it took too long; try again",
        "locate_unsupported": "No position: this browser cannot give one",
    },
    # the editing tools of a signed-in editor (zonewatch-edit.js)
    "edit": {
        "bar": "Edit the ledger ({user})", "add_point": "Add by click",
        "add_here": "Add at my location", "draw_area": "Draw area", "draw_line": "Draw route",
        "finish": "Finish", "cancel": "Cancel", "save": "Save", "new_source": "New source",
        "hint_point": "Click the map where the new source is",
        "hint_area": "Click each corner; click the first one or Finish to end",
        "hint_line": "Click each point; click the last one again or Finish to end",
        "locating": "Finding your position…", "no_position": "No position: {error}",
        "move": "Move", "move_hint": "Drag the marker to the new position",
        "move_confirm": "Move “{name}” {m} m to here?", "confirm_move": "Move it",
        "reshape": "Reshape", "reshape_hint": "Drag the corners of “{name}”, then save",
        "close": "Close", "reopen": "Reopen", "inspect": "Record inspection",
        "saving": "Saving…", "saved": "Saved: {name}",
        "hidden": "Saved: {name} (outside this map's filter)",
        "conflict": "Someone else changed “{name}” after you opened it; your change was not "
                    "saved. The map now shows the current record: check it and try again.",
        "failed": "Not saved: {error}", "signed_out": "Your session has ended: sign in again",
        "name_required": "Enter a name",
    },
    # open cases, coloured by time left (zonewatch-cases.js; words as the case pages')
    "cases": {
        "layer": "Open cases", "legend": "Open cases (by time left)",
        "bands": {"overdue": "Overdue", "due_soon": "Due soon", "on_time": "On time",
                  "not_dispatched": "Not dispatched"},
        "statuses": {"reported": "reported", "filed": "filed", "dispatched": "dispatched",
                     "handled": "handled", "verified": "verified"},
        "id": "Case", "event_type": "Event type", "status": "Status", "unit": "Unit",
        "time_left": "Time left", "deadline": "Deadline", "reported_at": "Reported",
        "description": "Description", "address": "Address", "rework": "Rework",
        "rework_n": "reworked {n}×", "beijing": "{t} (Beijing time)",
        "left": "{span} left", "over": "{span} overdue", "left_lt_min": "under 1 min left",
        "no_deadline": "not dispatched (runs from dispatch)", "day": "{n} d", "hour": "{n} h",
        "minute": "{n} min", "open_case": "Open case · {id}",
        "load_failed": "Open cases could not be loaded: {error}",
    },
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
