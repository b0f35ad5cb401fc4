"""Reports the bureau hands upward: roll-ups as JSON, CSV, XLSX or a printable page.

Every format names the reporting unit (``ZONEWATCH_REPORT_UNIT``) and the
period; ``lang=en`` (or the language switch's cookie) gives English titles,
headers and labels, Chinese staying the default.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from api import charts, html
from api.deps import SettingsDep, StoreDep
from api.params import refuse_unknown_params
from api.responses import XLSX, json_response, pick_format, report_file_response
from api.schemas import Report as ReportDoc
from api.schemas import answers, read_extra
from geo.ledger_table import local_time
from geo.reports import (
    BREAKDOWNS,
    CATEGORY_LABELS,
    Report,
    View,
    build_report,
    column_label,
    display_value,
    is_wide,
    label_value,
    report_dict,
    report_period,
    report_title,
    view_note,
    view_period,
    view_title,
    write_csv,
    write_xlsx,
)
from geo.reports.words import text

# Handlers answer Response objects; the media types documented are those each route declares.
router = APIRouter(tags=["Reports"], default_response_class=Response)

REPORT_FORMATS = ("json", "html", "csv", "xlsx")
BREAKDOWN_LABELS = {"category": "类别", "status": "状态", "community": "社区", "grid": "网格",
                    "station": "监测点"}
#: The page's own words (links, charts); the report's words are geo.reports.words.
PAGE_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "page_title": "污染源台账报表", "by": "统计口径：按{label}",
        "source": "数据来源：Zonewatch 台账", "demo": "（含演示数据）", "group": "分组：",
        "download": "下载：", "on_map": "在地图上查看", "case_figures": "案件办理统计排名",
        "links": "链接", "map": "地图",
        "report": "报表", "blank_unit": "（空白，手工填写）",
        "gauge_catering": "餐饮油烟净化使用率", "gauge_market": "夜市油烟净化安装率",
        "bar_stations": "各监测点重点管控污染源数（半径内未关停）",
        "bar_area": "重点管控污染源数（按{label}，前25）", "bar_codes": "污染源数（按{label}）",
        "line_trend": "逐月检查情况",
    },
    "en": {
        "page_title": "Ledger report", "by": "Breakdown: by {label}",
        "source": "Source: Zonewatch ledger", "demo": "(includes demonstration data)",
        "group": "Group by: ", "download": "Download: ", "on_map": "View on the map",
        "case_figures": "Case figures and ranking",
        "links": "Links", "map": "Map", "report": "Report",
        "blank_unit": "(blank: fill in by hand)",
        "gauge_catering": "Catering purifiers in use",
        "gauge_market": "Night-market purifiers fitted",
        "bar_stations": "Priority targets inside each station's radius (not closed)",
        "bar_area": "Priority targets (by {label}, top 25)",
        "bar_codes": "Sources (by {label})", "line_trend": "Inspections month by month",
    },
}
By = Annotated[str, Query(description="Breakdown: " + ", ".join(BREAKDOWNS))]
Station = Annotated[str | None, Query(
    description="Only the sources inside this station's radius, e.g. M001")]
Format = Annotated[str | None, Query(description="json (default), html, csv, xlsx")]
Lang = Annotated[str | None, Query(
    description="zh (default) or en: titles, headers and labels in that language")]


@router.get(
    "/reports/summary", summary="Roll-ups by category, status, community, grid or station",
    openapi_extra=read_extra(),
    responses=answers(ReportDoc, html=True, files=("text/csv", XLSX), errors=(400, 401, 403, 404)),
)
def report_summary(
    request: Request, store: StoreDep, settings: SettingsDep, by: By = "category",
    station: Station = None, f: Format = None, lang: Lang = None,
) -> Response:
    """Return counts, purifier coverage, inspection rounds and monthly change."""
    refuse_unknown_params(request, {"by", "station", "f", "lang"})
    fmt = pick_format(request, f, allowed=REPORT_FORMATS)
    words = html.page_lang(request)
    unit = settings.report_unit.strip()
    report = build_report(store, by=by, station=station)
    name = f"report-{by}" + (f"-{station}" if station else "")
    if fmt in ("csv", "xlsx"):
        return report_file_response(
            fmt, name, csv_text=lambda: write_csv(report, unit=unit, lang=words),
            write_xlsx=lambda buffer: write_xlsx(report, buffer, unit=unit, lang=words))
    if fmt == "html":
        context = page_context(report, unit=unit, lang=words, keep_lang=lang is not None)
        return html.render(request, "report.html", lang=words, **context)
    doc = report_dict(report, unit=unit, lang=words)
    return json_response({**doc, "links": _links(by, station)})


def _links(by: str, station: str | None) -> list[dict[str, str]]:
    base = {"by": by, **({"station": station} if station else {})}
    media = {"json": "application/json", "html": "text/html", "csv": "text/csv", "xlsx": XLSX}
    links = [{"href": "/reports/summary?" + urlencode({**base, "f": fmt}),
              "rel": "self" if fmt == "json" else "alternate", "type": media[fmt]}
             for fmt in REPORT_FORMATS]
    links.append({"href": "/map?" + urlencode({"station": station}) if station else "/map",
                  "rel": "related", "type": "text/html", "title": "地图"})
    return links


# -- the page ---------------------------------------------------------------------------


def _map_link(report: Report, view: View, row: dict[str, Any]) -> str | None:
    params: dict[str, str] = {}
    if view.name == "station" and row.get("station") not in (None, "total"):
        params["station"] = str(row["station"])
    elif view.name in ("community", "rounds") and row.get("community"):
        params["community"] = str(row["community"])
        if report.station:
            params["station"] = str(report.station["id"])
    return "/map?" + urlencode(params) if params else None


def _table(report: Report, view: View, lang: str, extra: dict[str, str]) -> dict[str, Any]:
    columns = list(view.frame.columns)
    rows = []
    for record in view.frame.to_dict(orient="records"):
        cells = [display_value(view, c, record[c], lang) for c in columns]
        rows.append({"cells": cells, "map": _map_link(report, view, record),
                     "report": _station_report(view, record, extra),
                     "total": bool(columns) and record[columns[0]] == "total"})
    numeric = [c not in ("figure", "category", "status", "station", "station_name",
                         "subdistrict", "community", "grid", "month") for c in columns]
    # the area views hold two sets of category counts: tint the priority set
    inside = [c.startswith("priority") or c.endswith("_priority") for c in columns]
    # the trend covers months; every other view stands at the report's moment
    period = view_period(report, view, lang) if view.name == "trend" else None
    return {"name": view.name,
            "title": view.title if lang == "zh" else view_title(view.name, lang),
            "numeric": numeric, "inside": inside, "note": view_note(view.name, lang),
            "period": period, "wide": is_wide(view),
            "headers": [column_label(c, lang) for c in columns], "rows": rows}


def _station_report(view: View, record: dict[str, Any], extra: dict[str, str]) -> str | None:
    if view.name != "station" or record.get("station") in (None, "total"):
        return None
    return "/reports/summary?" + urlencode(
        {"by": "station", "station": record["station"], "f": "html", **extra})


def _charts(report: Report, lang: str) -> list[Any]:
    names = {v.name for v in report.views}
    words = PAGE_WORDS[lang]
    drawn = []
    if "purifier" in names:
        cover = report.view("purifier").frame.set_index("category")
        drawn += [
            charts.gauge(cover.loc["catering", "in_use_share"], title=words["gauge_catering"]),
            charts.gauge(cover.loc["night_market", "fitted_share"], title=words["gauge_market"]),
        ]
    if "station" in names and report.station is None:
        frame = report.view("station").frame
        items = [(f"{r.station} {r.station_name}", int(r.total)) for r in frame.itertuples()]
        drawn.append(charts.bar_chart(items, title=words["bar_stations"], label_width=200))
    for key in ("community", "grid"):
        if key in names:
            frame = report.view(key).frame.sort_values("priority", ascending=False).head(25)
            items = [(str(label_value(key, r[key], lang)), int(r.priority))
                     for _, r in frame.iterrows()]
            title = words["bar_area"].format(label=_by_label(key, lang))
            drawn.append(charts.bar_chart(items, title=title))
    for key in ("category", "status"):
        if key in names and (report.by == key or (report.station and key == "category")):
            frame = report.view(key).frame
            frame = frame[(frame[key] != "total") & (frame["total"] > 0)]
            items = [(str(label_value(key, r[key], lang)), int(r["total"]))
                     for _, r in frame.iterrows()]
            title = words["bar_codes"].format(label=_by_label(key, lang))
            drawn.append(charts.bar_chart(items, title=title))
    if "trend" in names:
        frame = report.view("trend").frame
        # inspections only: a bulk import makes "new" spike and would flatten every other line
        series = {column_label(c, lang): frame[c].tolist() for c in ("inspections",
                                                                     "closed_down",
                                                                     "violations")}
        drawn.append(charts.line_chart(frame["month"].tolist(), series,
                                       title=words["line_trend"]))
    return drawn


def _breakdown_label(by: str, lang: str) -> str:
    return column_label(by, "en") if lang == "en" else BREAKDOWN_LABELS[by]


def _by_label(key: str, lang: str) -> str:
    """Return a field's name inside a sentence: ``按社区``, ``by community``."""
    return column_label(key, lang).lower() if lang == "en" else column_label(key, lang)


def page_context(
    report: Report, *, unit: str = "", lang: str = "zh", keep_lang: bool = False
) -> dict[str, Any]:
    """Return what ``report.html`` shows: tables, charts, links and headings, all precomputed.

    ``keep_lang`` (or an English page) makes the page's links carry ``lang``,
    so a file downloaded from the page is in the page's language.
    """
    station = report.station
    base = {"station": station["id"]} if station else {}
    extra = {"lang": lang} if keep_lang or lang == "en" else {}
    formats = {fmt: "/reports/summary?" + urlencode({"by": report.by, **base, "f": fmt,
                                                      **extra})
               for fmt in REPORT_FORMATS}
    breakdowns = [(b, _breakdown_label(b, lang),
                   "/reports/summary?" + urlencode({"by": b, **base, "f": "html", **extra}))
                  for b in BREAKDOWNS]
    return {
        "report": report,
        "words": PAGE_WORDS[lang],
        "title": report_title(report, lang),
        "unit_label": text("unit", lang) + text("colon", lang),
        "unit": unit,
        "period_line": text("period", lang) + text("colon", lang) + report_period(report, lang),
        "span_label": text("span", lang) + text("colon", lang),
        "generated": text("generated", lang) + text("colon", lang)
        + local_time(report.generated_at),
        "gap": text("gap", lang),
        "by_line": PAGE_WORDS[lang]["by"].format(label=_breakdown_label(report.by, lang)
                                                 .lower()),
        "current_label": _breakdown_label(report.by, lang),
        "tables": [_table(report, v, lang, extra) for v in report.views],
        "charts": _charts(report, lang),
        "formats": formats,
        "breakdowns": breakdowns,
        "map_url": "/map?" + urlencode({**base, **extra}) if base or extra else "/map",
        "category_labels": CATEGORY_LABELS,
    }
