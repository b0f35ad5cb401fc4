"""The words of the case pages, and how they show a case's times: Beijing time, time left.

Status, action and channel names, Chinese first with English beside, as
:mod:`api.pages.patrol` does its words. :func:`time_left` says how long an
open case has until its deadline (剩余 1小时20分) or how long it is past it
(超期 3小时); :func:`beijing` shows a stored UTC time as the bureau reads it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geo.ledger import BUREAU_TZ

__all__ = ["WORDS", "beijing", "parse_time", "span_text", "time_left", "words"]

#: The words of the case pages: lang -> key -> text (``{name}`` fields filled by the caller).
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "案件", "new": "上报案件", "overdue_tab": "超期", "all_tab": "全部",
        "ranking_tab": "月度统计排名",
        "open_tab": "办理中", "results": "共 {n} 件", "none": "没有符合条件的案件。",
        "search_hint": "编号、描述、地址或单位",
        "id": "案件编号", "event_type": "事件类型", "status": "状态", "place": "位置",
        "unit": "责任单位", "reported_at": "上报时间", "deadline": "处置时限", "rework": "返工",
        "channel": "来源渠道", "community": "社区", "grid": "网格", "subdistrict": "街道",
        "description": "问题描述", "address": "地址", "source_id": "关联污染源",
        "reported_by": "上报人", "dispatched_at": "派遣时间", "closed_at": "结案时间",
        "limit": "处置时限 {h} 小时", "hours": "{h} 小时", "version_n": "第 {n} 版",
        "coords": "坐标", "orig": "原始坐标",
        "status_reported": "上报", "status_filed": "立案", "status_dispatched": "派遣",
        "status_handled": "已处置", "status_verified": "已核查", "status_closed": "结案",
        "status_rejected": "不予立案",
        "action_report": "上报", "action_file": "立案", "action_reject": "不予立案",
        "action_dispatch": "派遣", "action_handle": "处置", "action_verify": "核查",
        "action_close": "结案",
        "passed": "核查通过", "failed": "核查不通过，返工", "passed_q": "核查结果",
        "passed_yes": "通过", "passed_no": "不通过（返工）",
        "channel_patrol": "巡查发现", "channel_inspection": "检查发现",
        "channel_hotline": "12319 热线", "channel_public": "群众举报",
        "channel_camera": "视频监控", "channel_other": "其他",
        "left": "剩余 {span}", "over": "超期 {span}", "left_lt_min": "剩余不足 1 分钟",
        "on_time": "按期结案", "late": "超期结案", "no_deadline": "派遣后计时",
        "day": "{n}天", "hour": "{n}小时", "minute": "{n}分",
        "overdue": "超期", "rework_n": "返工 {n} 次",
        "timeline": "办理过程", "next_steps": "下一步操作", "no_steps": "暂无记录。",
        "notes": "说明", "reason": "不予立案理由", "unit_hint": "如：林山寨街道城管中队",
        "photos": "现场照片", "go": "确认",
        "viewer_only": "当前账号只能查看；办理案件需要编辑或调度权限。",
        "sign_in_to_act": "登录后可办理案件。", "nothing_to_do": "该案件当前没有您可执行的操作。",
        "closed_note": "案件已办结。",
        "need_reason": "不予立案须填写理由。", "need_unit": "派遣须填写责任单位。",
        "need_passed": "请选择核查是否通过。",
        "need_version": "表单缺少案件版本，请刷新页面后重试。",
        "not_allowed": "您的角色（{role}）不能执行「{action}」。",
        "wrong_state": "案件当前为「{status}」，不能执行「{action}」。",
        "conflict_title": "该案件已被他人办理",
        "conflict_by": "您打开之后，{who} 于 {when} 执行了「{action}」。",
        "conflict_nothing": "您的操作「{action}」未执行，案件没有任何更改。请看最新情况后再操作。",
        "done": "已{action}。", "report_title": "上报案件",
        "from_source": "关联污染源 {id}：已填入其位置，可修改。",
        "no_source": "台账中没有编号为 {id} 的污染源。",
        "unknown_type": "请选择事件类型。", "submit": "上报", "cancel": "取消",
        "choose": "请选择", "open_source": "查看污染源", "on_map": "在地图上查看",
        "demo": "演示数据",
    },
    "en": {
        "title": "Cases", "new": "Report a case", "overdue_tab": "Overdue", "all_tab": "All",
        "ranking_tab": "Monthly figures",
        "open_tab": "Open", "results": "{n} cases", "none": "No case matches.",
        "search_hint": "ID, description, address or unit",
        "id": "Case", "event_type": "Event type", "status": "Status", "place": "Place",
        "unit": "Unit", "reported_at": "Reported", "deadline": "Deadline", "rework": "Rework",
        "channel": "Channel", "community": "Community", "grid": "Grid",
        "subdistrict": "Subdistrict", "description": "Description", "address": "Address",
        "source_id": "Source", "reported_by": "Reported by", "dispatched_at": "Dispatched",
        "closed_at": "Closed", "limit": "time limit {h} h", "hours": "{h} h",
        "version_n": "version {n}", "coords": "Coordinates", "orig": "As typed",
        "status_reported": "reported", "status_filed": "filed",
        "status_dispatched": "dispatched", "status_handled": "handled",
        "status_verified": "verified", "status_closed": "closed",
        "status_rejected": "rejected",
        "action_report": "report", "action_file": "file", "action_reject": "reject",
        "action_dispatch": "dispatch", "action_handle": "handle", "action_verify": "verify",
        "action_close": "close",
        "passed": "verified: passed", "failed": "verified: failed, back for rework",
        "passed_q": "Verification", "passed_yes": "passed", "passed_no": "failed (rework)",
        "channel_patrol": "patrol", "channel_inspection": "inspection",
        "channel_hotline": "12319 hotline", "channel_public": "public report",
        "channel_camera": "camera", "channel_other": "other",
        "left": "{span} left", "over": "{span} overdue", "left_lt_min": "under 1 min left",
        "on_time": "closed on time", "late": "closed late", "no_deadline": "runs from dispatch",
        "day": "{n} d", "hour": "{n} h", "minute": "{n} min",
        "overdue": "Overdue", "rework_n": "reworked {n}×",
        "timeline": "Timeline", "next_steps": "Next step", "no_steps": "Nothing recorded yet.",
        "notes": "Notes", "reason": "Reason for rejecting", "unit_hint": "e.g. a subdistrict's "
        "enforcement team", "photos": "Photos", "go": "Confirm",
        "viewer_only": "This account may only look; handling cases needs an editor or "
                       "dispatcher.",
        "sign_in_to_act": "Sign in to handle cases.",
        "nothing_to_do": "There is nothing your role can do on this case now.",
        "closed_note": "This case is finished.",
        "need_reason": "Rejecting needs the reason.", "need_unit": "Dispatching needs the unit.",
        "need_passed": "Choose whether the verification passed.",
        "need_version": "The form carries no case version; reload the page and try again.",
        "not_allowed": "Your role ({role}) may not {action} a case.",
        "wrong_state": "The case is {status}; it cannot be given “{action}”.",
        "conflict_title": "Someone else acted on this case",
        "conflict_by": "Since you opened it, {who} took “{action}” at {when}.",
        "conflict_nothing": "Your “{action}” was not taken; the case is unchanged. Look at "
                            "where it stands now, then act.",
        "done": "Done: {action}.", "report_title": "Report a case",
        "from_source": "Source {id}: its place is filled in; change it if need be.",
        "no_source": "The ledger has no source {id}.",
        "unknown_type": "Choose the event type.", "submit": "Report", "cancel": "Cancel",
        "choose": "Choose…", "open_source": "Open the source", "on_map": "Open on the map",
        "demo": "demonstration data",
    },
}


def words(lang: str) -> dict[str, str]:
    """Return the case pages' words in ``lang`` (Chinese unless ``en``).

    Examples
    --------
    >>> words("zh")["status_rejected"], words("en")["status_rejected"]
    ('不予立案', 'rejected')
    """
    return WORDS["en" if lang == "en" else "zh"]


def parse_time(value: Any) -> dt.datetime | None:
    """Return a stored time (ISO 8601 text or datetime) as an aware UTC datetime, None if blank.

    Examples
    --------
    >>> parse_time("2026-11-03T12:00:05.600Z").isoformat()
    '2026-11-03T12:00:05.600000+00:00'
    >>> parse_time(None), parse_time(float("nan"))
    (None, None)
    """
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    # stored times are UTC; a naive one is read as UTC too
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def beijing(value: Any) -> str:
    """Return a stored UTC time as Beijing time, ``YYYY-MM-DD HH:MM`` (blank when none).

    Examples
    --------
    >>> beijing("2026-12-03T22:05:00Z")
    '2026-12-04 06:05'
    """
    moment = parse_time(value)
    return moment.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def span_text(seconds: float, lang: str = "zh") -> str:
    """Return a length of time in its two largest units: days and hours, or hours and minutes.

    Examples
    --------
    >>> span_text(4800), span_text(3 * 3600 + 59), span_text(2 * 86400 + 3 * 3600 + 60)
    ('1小时20分', '3小时', '2天3小时')
    >>> span_text(4800, "en")
    '1 h 20 min'
    """
    w = words(lang)
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    units = [("day", days), ("hour", hours), ("minute", mins)]
    first = next((k for k, (_, n) in enumerate(units) if n), 2)
    shown = [w[name].format(n=n) for name, n in units[first:first + 2] if n]
    return ("" if lang == "zh" else " ").join(shown) or w["minute"].format(n=0)


def time_left(deadline: Any, now: dt.datetime, lang: str = "zh") -> tuple[str, bool]:
    """Return how the deadline stands at ``now`` and whether it is past.

    Examples
    --------
    >>> now = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)
    >>> time_left("2026-11-03T13:20:00Z", now), time_left("2026-11-03T09:00:00Z", now)
    (('剩余 1小时20分', False), ('超期 3小时', True))
    >>> time_left("2026-11-03T12:00:30Z", now, "en")
    ('under 1 min left', False)
    """
    when = parse_time(deadline)
    if when is None:
        return "", False
    w, seconds = words(lang), (when - now).total_seconds()
    if seconds < 0:
        return w["over"].format(span=span_text(seconds, lang)), True
    if seconds < 60:
        return w["left_lt_min"], False
    return w["left"].format(span=span_text(seconds, lang)), False
