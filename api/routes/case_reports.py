"""The case report: the figures of a period per grid, community, unit, type or month, ranked.

``GET /reports/cases`` answers JSON (rates as fractions), CSV, XLSX or a
printable A4 page with the ranking table and bar charts of 结案率 and
按期结案率; :mod:`geo.cases.figures` computes and defines every figure.
Like the ledger reports, every format names the reporting unit
(``ZONEWATCH_REPORT_UNIT``) and the period, in Chinese unless ``lang=en``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api import charts, html
from api.deps import SettingsDep, StoreDep
from api.params import refuse_unknown_params
from api.responses import XLSX, json_response, pick_format, report_file_response
from api.schemas import answers, read_extra
from geo.cases.figures import (
    BY,
    FIGURES,
    RATES,
    WORDS,
    CaseFigures,
    FigureRow,
    case_figures,
    case_period,
    default_month_day,
    figure_label,
    figures_dict,
    figures_period,
    figures_title,
    write_figures_csv,
    write_figures_xlsx,
)
from geo.cases.type_book import stored_types
from geo.ledger import BUREAU_TZ
from geo.store.base import Store

__all__ = ["CaseReport", "page_context", "router"]

router = APIRouter(tags=["Reports"], default_response_class=Response)

FORMATS = ("json", "html", "csv", "xlsx")
_MEDIA = {"json": "application/json", "html": "text/html", "csv": "text/csv", "xlsx": XLSX}
#: Bars drawn per chart: a grid ranking of a whole district stays readable.
_CHART_ROWS = 25
#: The page's own words; the figures' words are geo.cases.figures.WORDS.
PAGE_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "page_title": "案件统计排名", "group": "分组：", "download": "下载：",
        "start": "起始日期", "end": "截止日期", "show": "查询",
        "chart_closure": "结案率（%，按{label}）", "chart_on_time": "按期结案率（%，按{label}）",
        "no_chart": "本期无可计算的比率。", "empty": "本期没有上报的案件。",
        "source": "数据来源：Zonewatch 案件台账",
        "defs": "口径：统计期间内上报的案件（北京时间）。立案数含已立案、已派遣、已处置、已核查、"
                "已结案；结案率＝结案数÷立案数；按期结案率＝按期结案数÷结案数（结案时间不晚于"
                "处置时限）；返工率＝返工案件数÷结案数；超期未结数为未结案且已过处置时限的案件；"
                "排名依次按结案率、按期结案率从高到低，超期未结数从少到多。",
    },
    "en": {
        "page_title": "Case figures and ranking", "group": "Group by: ",
        "download": "Download: ", "start": "From", "end": "To", "show": "Show",
        "chart_closure": "Closure rate (%, by {label})",
        "chart_on_time": "On-time rate (%, by {label})",
        "no_chart": "No rate to draw for this period.",
        "empty": "No case was reported in this period.",
        "source": "Source: Zonewatch case ledger",
        "defs": "Cases reported in the period (Beijing time). Filed: filed, dispatched, "
                "handled, verified or closed. Closure rate = closed / filed; on-time rate = "
                "closed on time / closed (closed by the deadline); rework rate = reworked / "
                "closed; open past deadline: not closed and past the deadline. Ranked by "
                "closure rate, then on-time rate (highest first), then fewest open past "
                "deadline.",
    },
}

By = Annotated[str, Query(description="Grouping: " + ", ".join(BY))]
Start = Annotated[str | None, Query(
    description="First day, YYYY-MM-DD (Beijing); default: the first of this month, or of "
                "the last month with cases while this one has none")]
End = Annotated[str | None, Query(
    description="Last day, YYYY-MM-DD (Beijing), included; default: the end of start's month")]
Format = Annotated[str | None, Query(description="json (default), html, csv, xlsx")]
Lang = Annotated[str | None, Query(description="zh (default) or en")]


class CaseReportRow(BaseModel):
    """One group's figures (see geo.cases.figures for the definitions)."""

    model_config = ConfigDict(extra="allow")

    group: str | None = Field(description="The grid, community, unit, type code or YYYY-MM")
    name: str
    rank: int | None = None
    reported: int
    filed: int
    rejected: int
    closed: int
    closed_on_time: int
    rework: int
    overdue_open: int
    avg_hours_to_close: float | None
    closure_rate: float | None = Field(description="closed / filed, a fraction")
    on_time_rate: float | None = Field(description="closed_on_time / closed, a fraction")
    rework_rate: float | None = Field(description="rework / closed, a fraction")


class CaseReport(BaseModel):
    """The case figures of /reports/cases: ranked rows and the total."""

    model_config = ConfigDict(extra="allow")

    by: str
    start: str
    end: str
    now: str = Field(description="When overdue was judged (UTC)")
    unit: str = Field("", description="Reporting unit (填报单位, ZONEWATCH_REPORT_UNIT)")
    period: str
    rows: list[CaseReportRow]
    total: CaseReportRow
    links: list[dict[str, Any]] = []


def _responses() -> dict[int | str, dict[str, Any]]:
    responses = answers(None, html=True, files=("text/csv", XLSX), errors=(400, 401, 403))
    responses[200]["model"] = CaseReport  # FastAPI adds it as the JSON schema and component
    return responses


@router.get("/reports/cases", summary="Case figures per grid, community, unit, type or month",
            openapi_extra=read_extra(), responses=_responses())
def case_report(
    request: Request, store: StoreDep, settings: SettingsDep, by: By = "grid",
    start: Start = None, end: End = None, f: Format = None, lang: Lang = None,
) -> Response:
    """Return the filed, closed, on-time, rework and overdue figures and their rates."""
    refuse_unknown_params(request, {"by", "start", "end", "f", "lang"})
    fmt = pick_format(request, f, allowed=FORMATS)
    words = html.page_lang(request)
    figures = _figures(store, by, start, end)
    unit = settings.report_unit.strip()
    name = f"cases-{by}-{figures.start.isoformat()}-{figures.end.isoformat()}"
    if fmt in ("csv", "xlsx"):
        return report_file_response(
            fmt, name, csv_text=lambda: write_figures_csv(figures, unit=unit, lang=words),
            write_xlsx=lambda buffer: write_figures_xlsx(figures, buffer, unit=unit, lang=words))
    if fmt == "html":
        context = page_context(figures, unit=unit, lang=words, keep_lang=lang is not None)
        return html.render(request, "case_report.html", lang=words, active="reports",
                           **context)
    doc = figures_dict(figures, unit=unit, lang=words)
    return json_response({**doc, "links": _links(figures, {})})


def _figures(store: Store, by: str, start: str | None, end: str | None) -> CaseFigures:
    now = dt.datetime.now(dt.UTC)
    cases = store.read("cases")
    today = default_month_day(cases, now.astimezone(BUREAU_TZ).date())
    first, last = case_period(start, end, today=today)
    return case_figures(cases, by=by, start=first, end=last, now=now, types=stored_types(store))


def _query(figures: CaseFigures, extra: dict[str, str], **changes: str) -> str:
    params = {"by": figures.by, "start": figures.start.isoformat(),
              "end": figures.end.isoformat(), **changes, **extra}
    return "/reports/cases?" + urlencode(params)


def _links(figures: CaseFigures, extra: dict[str, str]) -> list[dict[str, str]]:
    return [{"href": _query(figures, extra, f=fmt), "rel": "self" if fmt == "json" else
             "alternate", "type": _MEDIA[fmt]} for fmt in FORMATS]


# -- the page ---------------------------------------------------------------------------


def _shown(key: str, value: Any) -> str:
    """Return a figure as the page shows it: ``1,234``, ``71.4%``, ``2.5`` (hours), ``—``."""
    if value is None:
        return "—"
    if key in RATES:
        return f"{float(value):.1%}"
    if key == "avg_hours_to_close":
        return f"{float(value):,.1f}"
    return f"{int(value):,}"


def _table_row(row: FigureRow, lang: str, total: bool = False) -> dict[str, Any]:
    figures = row.figures()
    return {"rank": "" if row.rank is None else str(row.rank), "name": row.name(lang),
            "cells": [_shown(k, figures[k]) for k in FIGURES], "total": total}


def _charts(figures: CaseFigures, lang: str) -> list[Any]:
    words = PAGE_WORDS[lang]
    label = figure_label(figures.by, lang)
    label = label.lower() if lang == "en" else label
    drawn = []
    for key, title in (("closure_rate", "chart_closure"), ("on_time_rate", "chart_on_time")):
        items = [(row.name(lang), round(100 * float(getattr(row, key)), 1))
                 for row in figures.rows if getattr(row, key) is not None][:_CHART_ROWS]
        if items:
            drawn.append(charts.bar_chart(items, title=words[title].format(label=label),
                                          label_width=160, peak=100.0))  # a full bar is 100 %
    return drawn


def page_context(
    figures: CaseFigures, *, unit: str = "", lang: str = "zh", keep_lang: bool = False
) -> dict[str, Any]:
    """Return what ``case_report.html`` shows: the table, charts, links and headings.

    ``keep_lang`` (or an English page) makes the page's links carry ``lang``,
    so a file downloaded from the page is in the page's language.
    """
    extra = {"lang": lang} if keep_lang or lang == "en" else {}
    words = WORDS["en" if lang == "en" else "zh"]
    colon = words["colon"]
    return {
        "figures": figures,
        "words": PAGE_WORDS[lang],
        "title": figures_title(figures, lang),
        "unit_label": words["reporting_unit"] + colon,
        "unit": unit,
        "period_line": words["span"] + colon + figures_period(figures, lang),
        "generated": words["generated"] + colon + _local(figures.now),
        "gap": words["gap"],
        "headers": [figure_label("rank", lang), figure_label(figures.by, lang),
                    *(figure_label(k, lang) for k in FIGURES)],
        "rows": [_table_row(r, lang) for r in figures.rows],
        "total": _table_row(figures.total, lang, total=True),
        "charts": _charts(figures, lang),
        "formats": {fmt: _query(figures, extra, f=fmt) for fmt in FORMATS},
        "groupings": [(key, figure_label(key, lang), _query(figures, extra, by=key, f="html"))
                      for key in BY],
        "form": {"by": figures.by, "start": figures.start.isoformat(),
                 "end": figures.end.isoformat(), **extra},
    }


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M")
