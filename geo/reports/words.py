"""The words of a report in Chinese and English, and the period its figures cover.

Chinese is the bureau's language and the default: its column labels and view
titles are :data:`geo.reports.summary.LABELS` and ``TITLES``, unchanged. Each
has its English twin here, keyed alike (``LABELS_EN``, ``TITLES_EN``), so one
table per language names every column of every view; codes (``bbq``) take
their English names from :mod:`geo.vocabulary`, as on the map and the ledger
pages. :data:`TEXTS` holds the sentences around the tables (title, reporting
unit, period, notes) that the page and the files share.

The period: every view but the monthly trend is a snapshot of the ledger at
the moment the report was built ("截至 2026-12-04 14:02", Beijing time
whatever the server's zone); the trend covers the months it lists.
"""

from __future__ import annotations

import re
from typing import Any

from geo.ledger import CATEGORIES
from geo.ledger_table import local_time
from geo.reports.summary import LABELS, TITLES, Report, View
from geo.vocabulary import code_label

__all__ = [
    "FIGURES_EN",
    "LABELS_EN",
    "NOT_RECORDED",
    "TEXTS",
    "TITLES_EN",
    "WIDE_COLUMNS",
    "column_label",
    "is_wide",
    "local_value",
    "report_period",
    "report_title",
    "text",
    "view_note",
    "view_period",
    "view_title",
]

#: A table with more columns than this prints on a landscape page.
WIDE_COLUMNS = 8
#: What the views write for a place left blank in the ledger.
NOT_RECORDED = "（未登记）"


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]


_CATEGORIES_EN = {code: code_label("category", code, "en") for code in CATEGORIES}
#: English header of every column key of :data:`geo.reports.summary.LABELS`.
LABELS_EN: dict[str, str] = {
    **_CATEGORIES_EN,
    "operating": "Operating", "rectifying": "Rectifying", "closed": "Closed / shut down",
    "figure": "Figure", "value": "Value", "category": "Category", "status": "Status",
    "total": "Total", "station": "Station ID", "station_name": "Station name",
    "radius_m": "Radius (m)", "subdistrict": "Subdistrict", "community": "Community",
    "grid": "Grid", "sources": "Sources",
    "priority": "Priority targets (in a radius, not closed)", "priority_share": "Priority share",
    "recheck": "To re-check (in a radius, closed)",
    **{f"{code}_priority": f"{label}, priority" for code, label in _CATEGORIES_EN.items()},
    "active": "Open (closed not counted)", "installed": "Installed, not in use",
    "in_use": "Installed and in use", "none": "Not installed", "unknown": "Not recorded",
    "in_use_share": "In-use rate", "fitted_share": "Fitted rate", "round": "Round",
    "premises": "Due", "checked": "Checked", "not_checked": "Not checked",
    "violations": "Violations", "checked_share": "Checked share", "month": "Month",
    "new": "New", "rectified": "Rectified", "inspections": "Inspections",
    "closed_down": "Shut down at inspection",
}
#: English title of every view (short enough for a spreadsheet's sheet name).
TITLES_EN: dict[str, str] = {
    "summary": "Summary", "category": "By category and status",
    "status": "By status and category", "purifier": "Fume purifier coverage",
    "station": "Station radius, by category", "community": "By community",
    "grid": "By grid", "rounds": "Round coverage by community", "trend": "Month by month",
}
#: English name of each figure of the summary view (:func:`geo.reports.summary.headline`).
FIGURES_EN: dict[str, str] = {
    "污染源总数": "Sources in total",
    "重点管控污染源（半径内未关停）": "Priority targets (inside a radius, not closed)",
    "待复查（半径内已关停）": "To re-check (inside a radius, closed)",
    "在营餐饮单位": "Catering premises open",
    "餐饮油烟净化装置使用率": "Catering fume purifiers in use",
    "已取缔露天烧烤": "Open-air barbecues shut down",
    "在营夜市": "Night markets open",
    "夜市油烟净化装置安装率": "Night markets with fume purifiers fitted",
    "完成检查轮次": "Inspection rounds completed",
    "进行中检查轮次（已查/应查）": "Rounds under way (checked/due)",
    "检查发现违规（户次）": "Violations found (premise-visits)",
}
_AREA_NOTE = {
    "zh": "“污染源数”与各类别列为该区域全部污染源（含已关停）；"
          "底色列为其中的重点管控污染源（位于监测点半径内且未关停）；"
          "“待复查”为半径内已关停的污染源，不计入重点管控。",
    "en": "“Sources” and the category columns count every source of the area (closed ones "
          "included); the tinted columns count the priority targets among them (inside a "
          "station's radius and not closed); “to re-check” counts the closed ones inside a "
          "radius, which are not priority targets.",
}
_ROUNDS_NOTE = {
    "zh": "应查数：在营餐饮单位，及在该轮检查中取缔的餐饮单位（与检查轮次进度同一口径）；"
          "某轮全部应查单位均已检查，方计为完成。",
    "en": "Due: catering premises in operation, and those shut down at an inspection of that "
          "round (as round progress counts them); a round is completed only when every "
          "premise due in it was checked.",
}
#: The sentences around the tables, shared by the page and the files.
TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "中原区污染源台账统计报表",
        "station": " · {name}（{id}，半径 {radius} 米内）",
        "unit": "填报单位", "period": "统计时点", "as_of": "截至 {time}",
        "months": "{start} 至 {end}（逐月，截至 {time}）", "span": "统计期间",
        "generated": "生成时间（北京时间）", "colon": "：", "gap": "　",
        "sheet_pages": "第 &P 页 / 共 &N 页", "not_recorded": NOT_RECORDED,
        "round_open": "第{n}轮 {checked}/{due}", "round_sep": "；",
    },
    "en": {
        "title": "Zhongyuan District pollution-source ledger report",
        "station": " · {name} ({id}, within {radius} m)",
        "unit": "Reporting unit", "period": "Figures", "as_of": "as of {time}",
        "months": "{start} to {end} (monthly, as of {time})", "span": "Period",
        "generated": "Generated (Beijing time)", "colon": ": ", "gap": "   ",
        "sheet_pages": "Page &P of &N", "not_recorded": "(not recorded)",
        "round_open": "round {n}: {checked}/{due}", "round_sep": "; ",
    },
}
_NOTES = {"community": _AREA_NOTE, "grid": _AREA_NOTE, "rounds": _ROUNDS_NOTE}
_ROUND_OPEN = re.compile(r"第(\d+)轮 (\d+)/(\d+)")


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def text(key: str, lang: str = "zh", **values: object) -> str:
    """Return the report sentence ``key`` in ``lang`` with its ``{fields}`` filled in.

    Examples
    --------
    >>> text("as_of", "en", time="2026-12-04 14:02")
    'as of 2026-12-04 14:02'
    """
    words = TEXTS[_lang(lang)][key]
    return words.format(**values) if values else words


def column_label(key: str, lang: str = "zh") -> str:
    """Return the header of a report column: :data:`LABELS` or its English twin.

    Examples
    --------
    >>> column_label("in_use_share"), column_label("in_use_share", "en")
    ('使用率', 'In-use rate')
    """
    table = LABELS_EN if _lang(lang) == "en" else LABELS
    return table.get(key, key)


def view_title(name: str, lang: str = "zh") -> str:
    """Return the title of the view called ``name`` in ``lang``."""
    table = TITLES_EN if _lang(lang) == "en" else TITLES
    return table.get(name, name)


def view_note(name: str, lang: str = "zh") -> str | None:
    """Return what a view counts, said under its title; None where the headers suffice."""
    note = _NOTES.get(name)
    return note[_lang(lang)] if note else None


def local_value(column: str, value: Any, lang: str) -> Any:
    """Return an English cell for Chinese text the views hold (figure names, blanks).

    Chinese cells come back as they are: they are the views' own words.
    """
    if _lang(lang) == "zh" or not isinstance(value, str):
        return value
    if column == "figure":
        return FIGURES_EN.get(value, value)
    if value == NOT_RECORDED:
        return text("not_recorded", "en")
    if column == "value" and _ROUND_OPEN.search(value):
        parts = [text("round_open", "en", n=n, checked=c, due=d)
                 for n, c, d in _ROUND_OPEN.findall(value)]
        return text("round_sep", "en").join(parts)
    return value


def report_title(report: Report, lang: str = "zh") -> str:
    """Return the report's heading: the district's report, and the station it is limited to."""
    title = text("title", lang)
    station = report.station
    if station:
        title += text("station", lang, name=station["name"], id=station["id"],
                      radius=f"{float(station['radius_m']):,.0f}")
    return title


def report_period(report: Report, lang: str = "zh") -> str:
    """Return when the report's figures stand, in words: ``截至 2026-12-04 14:02``.

    The time is the moment the report was built, in Beijing time.

    Examples
    --------
    >>> report = Report("category", None, "2026-12-04T06:02:00.000Z")
    >>> report_period(report), report_period(report, "en")
    ('截至 2026-12-04 14:02', 'as of 2026-12-04 14:02')
    """
    return text("as_of", lang, time=local_time(report.generated_at))


def view_period(report: Report, view: View, lang: str = "zh") -> str:
    """Return what one view covers: the months of the trend, else the report's moment.

    Examples
    --------
    >>> import pandas as pd
    >>> report = Report("category", None, "2026-12-04T06:02:00.000Z")
    >>> trend = View("trend", "逐月变化", pd.DataFrame({"month": ["2026-11", "2026-12"]}))
    >>> view_period(report, trend)
    '2026-11 至 2026-12（逐月，截至 2026-12-04 14:02）'
    """
    if view.name == "trend" and "month" in view.frame and len(view.frame):
        months = view.frame["month"].astype(str)
        return text("months", lang, start=months.iloc[0], end=months.iloc[-1],
                    time=local_time(report.generated_at))
    return report_period(report, lang)


def is_wide(view: View) -> bool:
    """Tell whether a view's table is wide enough to print on a landscape page."""
    return len(view.frame.columns) > WIDE_COLUMNS
