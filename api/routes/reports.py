"""Reports the bureau hands upward: roll-ups as JSON, CSV, XLSX or a printable page."""

from __future__ import annotations

import io
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from api import charts, html
from api.deps import StoreDep
from api.params import refuse_unknown_params
from api.responses import json_response, pick_format
from api.schemas import Report as ReportDoc
from api.schemas import answers, read_extra
from geo.reports import (
    BREAKDOWNS,
    CATEGORY_LABELS,
    LABELS,
    Report,
    View,
    build_report,
    display_value,
    label_value,
    report_dict,
    write_csv,
    write_xlsx,
)

# Handlers answer Response objects; the media types documented are those each route declares.
router = APIRouter(tags=["Reports"], default_response_class=Response)

REPORT_FORMATS = ("json", "html", "csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BREAKDOWN_LABELS = {"category": "类别", "status": "状态", "community": "社区", "grid": "网格",
                    "station": "监测点"}
By = Annotated[str, Query(description="Breakdown: " + ", ".join(BREAKDOWNS))]
Station = Annotated[str | None, Query(
    description="Only the sources inside this station's radius, e.g. M001")]
Format = Annotated[str | None, Query(description="json (default), html, csv, xlsx")]
_AREA_NOTE = ("“污染源数”与各类别列为该区域全部污染源（含已关停）；"
              "底色列为其中位于监测点半径内的污染源。")
# what each view counts, said under its title where the headers alone are not enough
_NOTES = {
    "community": _AREA_NOTE,
    "grid": _AREA_NOTE,
    "rounds": "应查数：在营餐饮单位，及在该轮检查中取缔的餐饮单位（与检查轮次进度同一口径）；"
              "某轮全部应查单位均已检查，方计为完成。",
}


@router.get(
    "/reports/summary", summary="Roll-ups by category, status, community, grid or station",
    openapi_extra=read_extra(),
    responses=answers(ReportDoc, html=True, files=("text/csv", XLSX), errors=(400, 401, 403, 404)),
)
def report_summary(
    request: Request, store: StoreDep, by: By = "category", station: Station = None,
    f: Format = None,
) -> Response:
    """Return counts, purifier coverage, inspection rounds and monthly change."""
    refuse_unknown_params(request, {"by", "station", "f"})
    fmt = pick_format(request, f, allowed=REPORT_FORMATS)
    report = build_report(store, by=by, station=station)
    name = f"report-{by}" + (f"-{station}" if station else "")
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "csv":
        return Response(write_csv(report).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers=disposition)
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(report, buffer)
        return Response(buffer.getvalue(), media_type=XLSX, headers=disposition)
    if fmt == "html":
        return html.render(request, "report.html", **page_context(report))
    return json_response({**report_dict(report), "links": _links(by, station)})


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


def _table(report: Report, view: View) -> dict[str, Any]:
    columns = list(view.frame.columns)
    rows = []
    for record in view.frame.to_dict(orient="records"):
        cells = [display_value(view, c, record[c]) for c in columns]
        rows.append({"cells": cells, "map": _map_link(report, view, record),
                     "report": _station_report(view, record)})
    numeric = [c not in ("figure", "category", "status", "station", "station_name",
                         "subdistrict", "community", "grid", "month") for c in columns]
    # the area views hold two sets of category counts: tint the inside-radius set
    inside = [c.startswith("in_radius") or c.endswith("_in_radius") for c in columns]
    note = _NOTES.get(view.name)
    return {"name": view.name, "title": view.title, "numeric": numeric, "inside": inside,
            "note": note, "headers": [LABELS.get(c, c) for c in columns], "rows": rows}


def _station_report(view: View, record: dict[str, Any]) -> str | None:
    if view.name != "station" or record.get("station") in (None, "total"):
        return None
    return "/reports/summary?" + urlencode(
        {"by": "station", "station": record["station"], "f": "html"})


def _charts(report: Report) -> list[Any]:
    names = {v.name for v in report.views}
    drawn = []
    if "purifier" in names:
        cover = report.view("purifier").frame.set_index("category")
        drawn += [
            charts.gauge(cover.loc["catering", "in_use_share"], title="餐饮油烟净化使用率"),
            charts.gauge(cover.loc["night_market", "fitted_share"], title="夜市油烟净化安装率"),
        ]
    if "station" in names and report.station is None:
        frame = report.view("station").frame
        items = [(f"{r.station} {r.station_name}", int(r.total)) for r in frame.itertuples()]
        drawn.append(charts.bar_chart(items, title="各监测点半径内污染源数", label_width=200))
    for key in ("community", "grid"):
        if key in names:
            frame = report.view(key).frame.sort_values("in_radius", ascending=False).head(25)
            items = [(str(r[key]), int(r.in_radius)) for _, r in frame.iterrows()]
            drawn.append(charts.bar_chart(items, title=f"半径内污染源数（按{LABELS[key]}，前25）"))
    for key in ("category", "status"):
        if key in names and (report.by == key or (report.station and key == "category")):
            frame = report.view(key).frame
            frame = frame[(frame[key] != "total") & (frame["total"] > 0)]
            items = [(str(label_value(key, r[key])), int(r["total"])) for _, r in frame.iterrows()]
            drawn.append(charts.bar_chart(items, title=f"污染源数（按{LABELS[key]}）"))
    if "trend" in names:
        frame = report.view("trend").frame
        # inspections only: a bulk import makes "new" spike and would flatten every other line
        series = {LABELS[c]: frame[c].tolist() for c in ("inspections", "closed_down",
                                                         "violations")}
        drawn.append(charts.line_chart(frame["month"].tolist(), series, title="逐月检查情况"))
    return drawn


def page_context(report: Report) -> dict[str, Any]:
    """Return what ``report.html`` shows: tables, charts and links, all precomputed."""
    station = report.station
    base = {"station": station["id"]} if station else {}
    formats = {fmt: "/reports/summary?" + urlencode({"by": report.by, **base, "f": fmt})
               for fmt in REPORT_FORMATS}
    breakdowns = [(b, BREAKDOWN_LABELS[b],
                   "/reports/summary?" + urlencode({"by": b, **base, "f": "html"}))
                  for b in BREAKDOWNS]
    return {
        "report": report,
        "current_label": BREAKDOWN_LABELS[report.by],
        "tables": [_table(report, v) for v in report.views],
        "charts": _charts(report),
        "formats": formats,
        "breakdowns": breakdowns,
        "map_url": "/map?" + urlencode(base) if station else "/map",
        "category_labels": CATEGORY_LABELS,
    }
