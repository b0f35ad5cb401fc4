"""The words of the workspace's own pages (navigation, sign-in, buttons) in zh and en.

Ledger codes and field names come from :mod:`geo.vocabulary` via :mod:`api.html`;
this holds only what those do not: the chrome around them.
"""

from __future__ import annotations

__all__ = ["WORDS", "word"]

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "brand": "Zonewatch 污染源台账", "home": "首页", "map": "地图", "ledger": "台账",
        "patrol": "巡查", "rounds": "检查轮次", "reports": "报表", "import": "导入",
        "cases": "案件", "report_case": "上报案件",
        "admin": "管理", "api": "API",
        "sign_in": "登录", "sign_out": "退出", "username": "用户名", "password": "密码",
        "switch_lang": "English", "signed_in_as": "当前用户",
        "sign_in_title": "登录 Zonewatch", "sign_in_failed": "用户名或密码不正确。",
        "sign_in_locked": "登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。",
        "sign_in_hint": "账号由管理员开设；忘记密码请联系管理员。",
        "role_viewer": "查看", "role_editor": "编辑", "role_dispatcher": "调度",
        "role_admin": "管理员",
        "priority_targets": "重点污染源", "due_this_round": "本轮待检查",
        "recent_changes": "最近变更", "stations": "监测点", "sources": "污染源",
        "round": "第 {n} 轮", "view_all": "查看全部", "no_changes": "暂无变更记录。",
        "within_radius": "监测点半径内（不含已关停）", "recheck": "已关停待复查",
        "not_checked": "尚未检查", "when": "时间", "who": "操作人", "what": "内容",
        "op_create": "新增", "op_update": "修改", "op_delete": "删除",
        "layer_sources": "污染源", "layer_stations": "监测点", "layer_inspections": "检查记录",
        "row": "行号", "reason": "原因", "go_back": "返回上一页",
        "status_400": "请求有误", "status_401": "需要登录", "status_403": "没有权限",
        "status_404": "未找到", "status_405": "不支持此操作", "status_409": "与现有数据冲突",
        "status_411": "缺少长度信息", "status_412": "记录已被他人修改", "status_413": "文件过大",
        "status_415": "格式不受支持", "status_422": "数据有误", "status_428": "缺少版本信息",
        "status_429": "尝试次数过多", "status_500": "服务器内部错误",
        "status_503": "台账存储暂不可用",
        "filter": "筛选", "clear_filters": "清除条件", "any": "全部", "search": "搜索",
        "search_hint": "名称、地址或编号", "only_priority": "仅重点（半径内、未关停）",
        "only_recheck": "仅已关停待复查",
        "only_overdue": "仅本轮未检查", "results": "共 {n} 条", "export": "导出当前筛选结果",
        "page_of": "第 {page} / {pages} 页", "previous": "上一页", "next": "下一页",
        "no_rows": "没有符合条件的污染源。", "add_source": "新增污染源", "per_page": "每页",
        "sort_by": "按此列排序", "metres_short": "米",
        "edit": "编辑", "edit_source": "编辑污染源", "record_inspection": "登记检查",
        "open_case_on_violation": "结果为违规时同时上报案件（派遣处置）",
        "overdue_cases": "超期案件（未结案件共 {n} 件）",
        "reopen": "恢复营业", "close_down": "关停/取缔", "details": "基本信息",
        "location": "位置示意", "open_on_map": "在地图上查看", "radius_of": "半径 {m} 米",
        "inspections": "检查记录", "no_inspections": "尚无检查记录。", "history": "变更记录",
        "moved": "位置已更改", "version_n": "第 {n} 版",
        "fix_fields": "有 {n} 处需要修改，见下方标红的栏目。",
        "choose": "请选择", "place": "位置", "paste_coords": "粘贴坐标（经度,纬度）",
        "coords_hint": "可直接粘贴高德、百度地图拾取的坐标，或分别填写经度、纬度。",
        "coords_from": "坐标来源", "crs_gcj02": "高德/腾讯地图（GCJ-02）",
        "crs_bd09": "百度地图（BD-09）", "crs_wgs84": "GPS（WGS84）", "crs_cgcs2000": "CGCS2000",
        "shape_kept": "该污染源是线或面，位置保持不变（请在地图上或通过导入修改）。",
        "save": "保存", "cancel": "取消", "conflict_title": "该记录已被他人修改",
        "conflict_by": "您打开之后，{who} 于 {when} 修改了这条记录。",
        "conflict_explain": "您的修改尚未保存。请对照两个版本，选择保留现有版本或用您的版本覆盖。",
        "yours": "您的版本", "stored_now": "现有版本（第 {n} 版）", "keep_theirs": "保留现有版本",
        "apply_mine": "用我的版本覆盖",
        "purifier_seen": "油烟净化器（现场所见）", "photos": "现场照片",
        "photos_hint": "最多 {n} 张，JPEG 或 PNG；照片中的定位等信息不会保存。",
        # station and inspection pages
        "add_station": "新增监测点", "edit_station": "编辑监测点", "no_stations": "暂无监测点。",
        "sources_inside": "半径内污染源", "open_page": "详情", "inside_counts": "半径内",
        "radius_hint": "默认 3000 米，最大 {max} 米。", "edit_inspection": "编辑检查记录",
        "inspection_of": "污染源", "n_stations": "共 {n} 个监测点",
    },
    "en": {
        "brand": "Zonewatch source ledger", "home": "Home", "map": "Map", "ledger": "Ledger",
        "patrol": "Patrol", "rounds": "Rounds", "reports": "Reports", "import": "Import",
        "cases": "Cases", "report_case": "Report a case",
        "admin": "Admin",
        "api": "API", "sign_in": "Sign in", "sign_out": "Sign out", "username": "Username",
        "password": "Password", "switch_lang": "中文", "signed_in_as": "Signed in as",
        "sign_in_title": "Sign in to Zonewatch",
        "sign_in_failed": "The username or password is not right.",
        "sign_in_locked": "Too many failed sign-ins: locked for now, try again in {minutes} min.",
        "sign_in_hint": "Accounts are opened by an administrator; ask them if you forgot "
                        "your password.",
        "role_viewer": "viewer", "role_editor": "editor", "role_dispatcher": "dispatcher",
        "role_admin": "administrator",
        "priority_targets": "Priority targets", "due_this_round": "Due this round",
        "recent_changes": "Recent changes", "stations": "Monitoring stations",
        "sources": "Sources", "round": "round {n}", "view_all": "View all",
        "no_changes": "No changes recorded yet.",
        "within_radius": "inside a station's radius (closed ones not counted)",
        "recheck": "closed, to re-check", "not_checked": "not yet checked", "when": "When",
        "who": "Who", "what": "What", "op_create": "added", "op_update": "changed",
        "op_delete": "deleted", "layer_sources": "source", "layer_stations": "station",
        "layer_inspections": "inspection", "row": "Row", "reason": "Reason",
        "go_back": "Go back", "status_400": "Bad request", "status_401": "Sign-in needed",
        "status_403": "Not allowed", "status_404": "Not found",
        "status_405": "Not supported here", "status_409": "Conflicts with the ledger",
        "status_411": "Length required", "status_412": "Changed by someone else",
        "status_413": "File too large", "status_415": "Unsupported format",
        "status_422": "Invalid data", "status_428": "Version needed",
        "status_429": "Too many attempts", "status_500": "Internal error",
        "status_503": "Ledger store unavailable",
        "filter": "Filter", "clear_filters": "Clear", "any": "All", "search": "Search",
        "search_hint": "name, address or ID", "only_priority": "Priority only (inside a radius, "
        "not closed)", "only_overdue": "Not yet checked this round",
        "only_recheck": "Closed, to re-check only", "results": "{n} sources",
        "export": "Export this selection", "page_of": "page {page} of {pages}",
        "previous": "Previous", "next": "Next", "no_rows": "No source matches.",
        "add_source": "Add a source", "per_page": "per page", "sort_by": "Sort by this column",
        "metres_short": "m",
        "edit": "Edit", "edit_source": "Edit source", "record_inspection": "Record inspection",
        "open_case_on_violation": "If it is a violation, also report a case (to be dispatched)",
        "overdue_cases": "overdue cases ({n} open in all)",
        "reopen": "Reopen", "close_down": "Close down", "details": "Details",
        "location": "Location sketch", "open_on_map": "Open on the map",
        "radius_of": "radius {m} m", "inspections": "Inspections",
        "no_inspections": "No inspections yet.", "history": "History", "moved": "moved",
        "version_n": "version {n}", "fix_fields": "{n} field(s) need fixing: see the red ones.",
        "choose": "Choose…", "place": "Place", "paste_coords": "Paste coordinates (lon,lat)",
        "coords_hint": "Paste what Amap or Baidu Maps copy, or type longitude and latitude.",
        "coords_from": "Coordinates from", "crs_gcj02": "Amap / Tencent (GCJ-02)",
        "crs_bd09": "Baidu Maps (BD-09)", "crs_wgs84": "GPS (WGS84)", "crs_cgcs2000": "CGCS2000",
        "shape_kept": "This source is a line or an area; its place stays as it is (edit it on "
                      "the map or by import).",
        "save": "Save", "cancel": "Cancel", "conflict_title": "Someone else changed this record",
        "conflict_by": "Since you opened it, {who} changed this record at {when}.",
        "conflict_explain": "Your change is not saved. Compare both versions and keep theirs or "
                            "apply yours over it.",
        "yours": "Yours", "stored_now": "Stored now (version {n})", "keep_theirs": "Keep theirs",
        "apply_mine": "Apply mine over it",
        "purifier_seen": "Fume purifier (as seen)", "photos": "Photos",
        "photos_hint": "Up to {n}, JPEG or PNG; their location and other metadata are not "
                       "kept.",
        # station and inspection pages
        "add_station": "Add a station", "edit_station": "Edit station",
        "no_stations": "No stations yet.", "sources_inside": "Sources inside",
        "open_page": "Details", "inside_counts": "Inside the radius",
        "radius_hint": "Default 3000 m, at most {max} m.", "edit_inspection": "Edit inspection",
        "inspection_of": "Source", "n_stations": "{n} stations",
    },
}


def word(key: str, lang: str = "zh", **values: object) -> str:
    """Return the page word ``key`` in ``lang``, with ``{name}`` fields filled in.

    Examples
    --------
    >>> word("ledger"), word("round", "en", n=2)
    ('台账', 'round 2')
    """
    text = WORDS.get(lang, WORDS["zh"]).get(key) or WORDS["zh"].get(key, key)
    return text.format(**values) if values else text
