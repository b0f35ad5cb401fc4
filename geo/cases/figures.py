"""Case figures: the bureau's headline numbers for a period, per group, ranked.

The period is the Beijing dates ``start`` to ``end`` inclusive: a case
belongs to it when it was *reported* in ``[start 00:00, end + 1 day 00:00)``
Beijing time (UTC+8), whatever has happened to it since. Every figure is of
those cases, as they stand at ``now``; groups are by grid, community,
responsible unit, event type or the Beijing month the case was reported in.

Counts (每组及合计):

* ``reported`` 上报数 — every case reported in the period.
* ``filed`` 立案数 — cases filed: every status past ``reported`` except
  ``rejected`` (filed, dispatched, handled, verified, closed).
* ``rejected`` 不予立案数 — cases not filed (with a reason).
* ``closed`` 结案数 — cases closed.
* ``closed_on_time`` 按期结案数 — closed cases whose ``closed_at`` is not
  after their ``deadline`` (dispatch time + the event type's limit; rework
  does not move the deadline).
* ``rework`` 返工案件数 — cases sent back to the unit at least once
  (a failed verification; ``rework > 0``), whatever their status now.
* ``overdue_open`` 超期未结数 — open cases (neither closed nor rejected)
  whose deadline is before ``now``.
* ``avg_hours_to_close`` 平均结案用时 — the mean of ``closed_at −
  reported_at`` in hours over the closed cases (to 0.01 h), None when none
  closed.

Rates (fractions 0..1; None when the denominator is 0, shown "—"):

* ``closure_rate`` 结案率 = closed / filed
* ``on_time_rate`` 按期结案率 = closed_on_time / closed
* ``rework_rate`` 返工率 = rework / closed

The total row (合计) counts every case of the period once; its rates are
computed from its own counts, never averaged over the groups.

The ranking (the monthly 考核排名): higher ``closure_rate`` first, then
higher ``on_time_rate``, then fewer ``overdue_open``; a group with no rate
(nothing filed, nothing closed) ranks after every group with one. Groups
equal on all three share a rank (1, 2, 2, 4). Rows come in rank order,
except by month, where they come in calendar order (a trend, not a
contest) and keep their rank.

Blank places: a case with no grid or community counts under （未登记）, one
never dispatched (no unit) under （未派遣）.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from geo.cases.frames import case_times, overdue_mask
from geo.cases.types import DEFAULT_TYPES, EventType
from geo.errors import InputError
from geo.io.cells import csv_text, xlsx_value
from geo.ledger import BUREAU_TZ

__all__ = [
    "BY",
    "COUNTS",
    "FIGURES",
    "RATES",
    "WORDS",
    "CaseFigures",
    "FigureRow",
    "case_figures",
    "case_period",
    "default_month_day",
    "figure_label",
    "figures_dict",
    "figures_frame",
    "figures_period",
    "figures_title",
    "write_figures_csv",
    "write_figures_xlsx",
]

BY = ("grid", "community", "unit", "type", "month")
COUNTS = ("reported", "filed", "rejected", "closed", "closed_on_time", "rework",
          "overdue_open")
RATES = ("closure_rate", "on_time_rate", "rework_rate")
#: Every figure of a row, in the order the tables show them.
FIGURES = (*COUNTS, "avg_hours_to_close", *RATES)
#: The earliest and latest dates a period may name (pandas' clock covers 1677..2262).
_FIRST, _LAST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NOT_APPLICABLE = "—"
_NEEDED = ("event_type", "status", "grid", "community", "unit", "reported_at", "deadline",
           "closed_at", "rework")

#: The figures' words in Chinese (the default) and English.
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "rank": "排名", "grid": "网格", "community": "社区", "unit": "责任单位",
        "type": "事件类型", "month": "月份", "reported": "上报数", "filed": "立案数",
        "rejected": "不予立案数", "closed": "结案数", "closed_on_time": "按期结案数",
        "rework": "返工案件数", "overdue_open": "超期未结数",
        "avg_hours_to_close": "平均结案用时（小时）", "closure_rate": "结案率",
        "on_time_rate": "按期结案率", "rework_rate": "返工率", "total": "合计",
        "not_recorded": "（未登记）", "not_dispatched": "（未派遣）",
        "title": "中原区案件办理情况统计排名", "by": "按{label}",
        "period": "{start} 至 {end}（按上报时间，北京时间）",
        "reporting_unit": "填报单位", "span": "统计期间", "as_of": "超期统计截至",
        "generated": "生成时间（北京时间）", "colon": "：", "gap": "　",
        "sheet_pages": "第 &P 页 / 共 &N 页",
    },
    "en": {
        "rank": "Rank", "grid": "Grid", "community": "Community", "unit": "Responsible unit",
        "type": "Event type", "month": "Month", "reported": "Reported", "filed": "Filed",
        "rejected": "Not filed", "closed": "Closed", "closed_on_time": "Closed on time",
        "rework": "Reworked", "overdue_open": "Open past deadline",
        "avg_hours_to_close": "Mean hours to close", "closure_rate": "Closure rate",
        "on_time_rate": "On-time rate", "rework_rate": "Rework rate", "total": "Total",
        "not_recorded": "(not recorded)", "not_dispatched": "(not dispatched)",
        "title": "Zhongyuan District case handling: figures and ranking", "by": "by {label}",
        "period": "{start} to {end} (by time reported, Beijing time)",
        "reporting_unit": "Reporting unit", "span": "Period", "as_of": "Overdue as of",
        "generated": "Generated (Beijing time)", "colon": ": ", "gap": "   ",
        "sheet_pages": "Page &P of &N",
    },
}


@dataclass(frozen=True)
class FigureRow:
    """The figures of one group (or of the total) over a period; see the module docstring.

    ``group`` is the group's value as stored (grid name, community, unit,
    event type code, ``YYYY-MM``), None for a blank place and for the total
    row; ``name_zh``/``name_en`` are how it is shown; ``rank`` is None on the
    total row.
    """

    group: str | None
    name_zh: str
    name_en: str
    reported: int
    filed: int
    rejected: int
    closed: int
    closed_on_time: int
    rework: int
    overdue_open: int
    avg_hours_to_close: float | None
    closure_rate: float | None
    on_time_rate: float | None
    rework_rate: float | None
    rank: int | None = None

    def name(self, lang: str = "zh") -> str:
        """Return the group's name in ``lang``."""
        return self.name_en if lang == "en" else self.name_zh

    def figures(self) -> dict[str, Any]:
        """Return the figures alone, keyed as :data:`FIGURES`."""
        return {key: getattr(self, key) for key in FIGURES}


@dataclass(frozen=True)
class CaseFigures:
    """The figures of a period by one grouping: the ranked rows and the total."""

    by: str
    start: dt.date
    end: dt.date
    now: dt.datetime
    rows: tuple[FigureRow, ...]
    total: FigureRow


def case_period(
    start: str | dt.date | None, end: str | dt.date | None, *, today: dt.date
) -> tuple[dt.date, dt.date]:
    """Return the period's first and last Beijing dates from what a caller gave.

    Neither given: the Beijing month of ``today``. Only ``start``: to the end
    of its month. Only ``end``: from the first of its month.

    Raises
    ------
    InputError
        A date that is not ``YYYY-MM-DD`` or outside 1900..2199, or ``end``
        before ``start``; the message names the parameter.

    Examples
    --------
    >>> case_period(None, None, today=dt.date(2026, 2, 14))
    (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    >>> case_period("2026-03-05", None, today=dt.date(2026, 2, 14))
    (datetime.date(2026, 3, 5), datetime.date(2026, 3, 31))
    """
    first, last = _date(start, "start"), _date(end, "end")
    if first is None and last is None:
        first = today.replace(day=1)
    if first is None:
        assert last is not None
        first = last.replace(day=1)
    if last is None:
        last = _month_end(first)
    if last < first:
        raise InputError(f"end ({last.isoformat()}) is before start ({first.isoformat()})")
    return first, last


def default_month_day(cases: pd.DataFrame, today: dt.date) -> dt.date:
    """Return a day of the month a report without dates covers.

    Today's month when a case was reported in it; else the month of the last
    case reported before it (a new month's first morning still shows the
    month just ended), else today's.

    Examples
    --------
    >>> frame = pd.DataFrame({"reported_at": ["2026-11-30T15:30:00Z"]})  # 23:30 Beijing
    >>> default_month_day(frame, dt.date(2026, 12, 7))
    datetime.date(2026, 11, 30)
    """
    if not len(cases):
        return today
    reported = case_times(cases["reported_at"]).dt.tz_convert(BUREAU_TZ).dt.date.dropna()
    before = reported[reported <= today]
    if not len(before) or max(before).replace(day=1) == today.replace(day=1):
        return today
    return max(before)


def _date(value: str | dt.date | None, name: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        raise InputError(f"{name} must be a date, not a date and time; got {value!r}")
    day = value if isinstance(value, dt.date) else _parsed_date(str(value).strip(), name)
    if not _FIRST <= day <= _LAST:
        raise InputError(f"{name} must lie between {_FIRST} and {_LAST}; got {day}")
    return day


def _parsed_date(text: str, name: str) -> dt.date:
    try:
        if _DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError:  # 2026-02-30
        pass
    raise InputError(f"{name} must be a date YYYY-MM-DD (Beijing); got {text!r}")


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def case_figures(
    cases: pd.DataFrame, *, by: str, start: dt.date, end: dt.date, now: dt.datetime,
    types: Mapping[str, EventType] | None = None,
) -> CaseFigures:
    """Return the figures of the cases reported from ``start`` to ``end``, per group and in all.

    Parameters
    ----------
    cases : DataFrame
        The ``cases`` layer as a store reads it (times as ISO UTC text or
        datetimes).
    by : {"grid", "community", "unit", "type", "month"}
        The grouping.
    start, end : date
        The period's first and last Beijing dates (see :func:`case_period`).
    now : datetime
        The moment overdue is judged at (timezone-aware).
    types : mapping of code to EventType, optional
        Names for the type groups; default :data:`DEFAULT_TYPES`.

    Raises
    ------
    InputError
        An unknown ``by``, a naive ``now`` or ``end`` before ``start``.

    Examples
    --------
    >>> frame = pd.DataFrame({"status": ["closed"], "grid": ["网格一"],
    ...     "reported_at": ["2026-03-01T01:00:00.000Z"], "deadline": ["2026-03-01T03:00:00.000Z"],
    ...     "closed_at": ["2026-03-01T02:30:00.000Z"], "rework": [0]})
    >>> now = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    >>> got = case_figures(frame, by="grid", start=dt.date(2026, 3, 1),
    ...                    end=dt.date(2026, 3, 31), now=now)
    >>> got.total.closed, got.total.on_time_rate, got.total.avg_hours_to_close
    (1, 1.0, 1.5)
    """
    if by not in BY:
        raise InputError(f"by must be one of {', '.join(BY)}; got {by!r}")
    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise InputError(f"now must be a timezone-aware datetime; got {now!r}")
    if end < start:
        raise InputError(f"end ({end}) is before start ({start})")
    table = {t.code: t for t in DEFAULT_TYPES} if types is None else types
    flags = _flags(_in_period(cases, start, end), by, pd.Timestamp(now))
    rows = [_row(None if key == "" else str(key), part, by, table)
            for key, part in flags.groupby("group", sort=True)]
    total = _row(None, flags, "total", table)
    return CaseFigures(by, start, end, now, tuple(_ranked(rows, by)), total)


def _in_period(cases: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    frame = pd.DataFrame(cases).reindex(columns=list(_NEEDED))
    for column in ("reported_at", "deadline", "closed_at"):
        frame[column] = case_times(frame[column])
    low = pd.Timestamp(dt.datetime.combine(start, dt.time(), BUREAU_TZ))
    high = pd.Timestamp(dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), BUREAU_TZ))
    return frame[(frame["reported_at"] >= low) & (frame["reported_at"] < high)]


def _flags(frame: pd.DataFrame, by: str, now: pd.Timestamp) -> pd.DataFrame:
    """Return one row per case: its group and a column per count, True where it counts."""
    status = frame["status"].astype(str)
    closed = status == "closed"
    hours = (frame["closed_at"] - frame["reported_at"]).dt.total_seconds() / 3600.0
    return pd.DataFrame({
        "group": _group_keys(frame, by),
        "reported": True,
        "filed": ~status.isin(["reported", "rejected"]),
        "rejected": status == "rejected",
        "closed": closed,
        # a comparison with no time (NaT) is False: a case without a deadline is never late
        "closed_on_time": closed & (frame["closed_at"] <= frame["deadline"]),
        "rework": pd.to_numeric(frame["rework"], errors="coerce").fillna(0) > 0,
        "overdue_open": overdue_mask(frame, now),
        "hours": hours.where(closed),
    }, index=frame.index)


def _group_keys(frame: pd.DataFrame, by: str) -> pd.Series:
    if by == "month":
        return frame["reported_at"].dt.tz_convert(BUREAU_TZ).dt.strftime("%Y-%m")
    column = "event_type" if by == "type" else by
    values = frame[column]
    # blank and missing are one group: the place was never recorded
    return values.where(values.notna(), "").astype(str).str.strip()


def _row(key: str | None, part: pd.DataFrame, by: str,
         types: Mapping[str, EventType]) -> FigureRow:
    counts = {name: int(part[name].sum()) for name in COUNTS}
    mean = part["hours"].mean()
    name_zh, name_en = _names(key, by, types)
    return FigureRow(
        key, name_zh, name_en, **counts,
        avg_hours_to_close=None if pd.isna(mean) else round(float(mean), 2),
        closure_rate=_rate(counts["closed"], counts["filed"]),
        on_time_rate=_rate(counts["closed_on_time"], counts["closed"]),
        rework_rate=_rate(counts["rework"], counts["closed"]),
    )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _names(key: str | None, by: str, types: Mapping[str, EventType]) -> tuple[str, str]:
    if by == "total":
        return WORDS["zh"]["total"], WORDS["en"]["total"]
    if key is None:
        blank = "not_dispatched" if by == "unit" else "not_recorded"
        return WORDS["zh"][blank], WORDS["en"][blank]
    if by == "type" and key in types:
        return types[key].name_zh, types[key].name_en
    return key, key


def _ranked(rows: list[FigureRow], by: str) -> list[FigureRow]:
    def merit(row: FigureRow) -> tuple[float, float, int]:
        # negated to sort high first; no rate counts as -1, so it sorts after a rate of 0
        return (-(row.closure_rate if row.closure_rate is not None else -1.0),
                -(row.on_time_rate if row.on_time_rate is not None else -1.0),
                row.overdue_open)

    ordered = sorted(rows, key=lambda r: (merit(r), r.group is None, r.group or ""))
    ranked, previous, rank = [], None, 0
    for place, row in enumerate(ordered, start=1):
        if merit(row) != previous:
            rank, previous = place, merit(row)
        ranked.append(replace(row, rank=rank))
    if by == "month":
        ranked.sort(key=lambda r: r.group or "")
    return ranked


# -- words ------------------------------------------------------------------------------


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def figure_label(key: str, lang: str = "zh") -> str:
    """Return the header of a figure or grouping key in ``lang``.

    Examples
    --------
    >>> figure_label("closure_rate"), figure_label("on_time_rate", "en")
    ('结案率', 'On-time rate')
    """
    return WORDS[_lang(lang)].get(key, key)


def figures_title(figures: CaseFigures, lang: str = "zh") -> str:
    """Return the heading: ``中原区案件办理情况统计排名 · 按网格``."""
    words = WORDS[_lang(lang)]
    label = figure_label(figures.by, lang)
    by = words["by"].format(label=label.lower() if lang == "en" else label)
    return f"{words['title']} · {by}"


def figures_period(figures: CaseFigures, lang: str = "zh") -> str:
    """Return the period in words: ``2026-03-01 至 2026-03-31（按上报时间，北京时间）``."""
    return WORDS[_lang(lang)]["period"].format(start=figures.start.isoformat(),
                                               end=figures.end.isoformat())


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M")


# -- JSON, frame, CSV, XLSX ---------------------------------------------------------------


def figures_dict(figures: CaseFigures, *, unit: str = "", lang: str = "zh") -> dict[str, Any]:
    """Return the figures as a JSON-ready dict: rates as fractions, None where there is none.

    Examples
    --------
    >>> doc = figures_dict(figures)  # doctest: +SKIP
    >>> doc["total"]["closure_rate"]  # doctest: +SKIP
    0.7
    """
    def row_doc(row: FigureRow) -> dict[str, Any]:
        doc = asdict(row)
        del doc["name_zh"], doc["name_en"]
        return {"group": doc.pop("group"), "name": row.name(lang), **doc}

    total = row_doc(figures.total)
    total.pop("rank")
    return {
        "by": figures.by, "start": figures.start.isoformat(), "end": figures.end.isoformat(),
        "now": figures.now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "unit": unit, "title": figures_title(figures, lang),
        "period": figures_period(figures, lang),
        "columns": [{"key": k, "label": figure_label(figures.by if k == "name" else k, lang)}
                    for k in ("rank", "name", *FIGURES)],
        "rows": [row_doc(r) for r in figures.rows], "total": total,
    }


def figures_frame(figures: CaseFigures, *, lang: str = "zh") -> pd.DataFrame:
    """Return the ranked rows and the total as a table with headers in ``lang``.

    Columns: 排名, the grouping (网格, 社区 ...), then every figure; rates
    stay fractions, a figure of nothing is None. The total row comes last,
    with no rank.
    """
    records = [{"rank": row.rank, "name": row.name(lang), **row.figures()}
               for row in (*figures.rows, figures.total)]
    frame = pd.DataFrame.from_records(records, columns=["rank", "name", *FIGURES])
    frame["rank"] = frame["rank"].astype("Int64")
    frame = frame.astype(object).where(frame.notna(), None)
    names = {"rank": figure_label("rank", lang), "name": figure_label(figures.by, lang),
             **{k: figure_label(k, lang) for k in FIGURES}}
    return frame.rename(columns=names)


def write_figures_csv(
    figures: CaseFigures, target: Path | io.StringIO | None = None, *, unit: str = "",
    lang: str = "zh",
) -> str:
    """Write the figures as CSV (UTF-8 with BOM); return the text.

    The header row comes first; the last two columns, 填报单位 and 统计期间,
    repeat on every row (as the ledger reports do). A figure of nothing is "—".
    """
    frame = figures_frame(figures, lang=lang)
    words = WORDS[_lang(lang)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*frame.columns, words["reporting_unit"], words["span"]])
    filed = [csv_text(unit), figures_period(figures, lang)]
    for row in frame.itertuples(index=False):
        # names (grids, units) are ledger text: never a formula
        writer.writerow([_cell(v, first=i == 0, convert=csv_text) for i, v in enumerate(row)]
                        + filed)
    written = "\ufeff" + buffer.getvalue()
    if isinstance(target, Path):
        target.write_text(written, encoding="utf-8", newline="")
    elif target is not None:
        target.write(written)
    return written


def write_figures_xlsx(
    figures: CaseFigures, target: Path | io.BytesIO, *, unit: str = "", lang: str = "zh"
) -> None:
    """Write the figures to one formatted, printable sheet.

    Bold headers on row 1 (frozen, repeated on every printed page), rates
    as fractions shown ``0.0%``, hours ``0.0``; A4 landscape fitted to the
    width, the page header naming the unit, title and period, the footer
    the page numbers and when it was generated.
    """
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = figure_label(figures.by, lang)[:31]
    _fill_sheet(sheet, figures_frame(figures, lang=lang))
    _print_setup(sheet, figures, unit, lang)
    book.properties.title = figures_title(figures, lang)
    book.properties.creator = "Zonewatch"
    book.properties.language = "en" if lang == "en" else "zh-CN"
    book.save(target)


def _cell(value: Any, *, first: bool, convert: Callable[[Any], Any]) -> Any:
    """Return a file's cell: a figure of nothing is "—", the total's rank (first column) blank."""
    if value is None:
        return "" if first else _NOT_APPLICABLE
    return convert(value)


def _fill_sheet(sheet: Any, frame: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([_cell(v, first=i == 0, convert=lambda text: xlsx_value(sheet, text))
                      for i, v in enumerate(row)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6EC")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)  # the total
    formats = {**dict.fromkeys(RATES, "0.0%"), "avg_hours_to_close": "0.0"}
    for i, key in enumerate(("rank", "name", *FIGURES), start=1):
        letter = sheet.cell(1, i).column_letter
        sheet.column_dimensions[letter].width = 22 if key == "name" else 12
        for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
            if isinstance(cell.value, int | float):
                cell.number_format = formats.get(key, "#,##0")
    sheet.freeze_panes = "C2"


def _print_setup(sheet: Any, figures: CaseFigures, unit: str, lang: str) -> None:
    words = WORDS[_lang(lang)]
    colon = words["colon"]

    def header(text: str) -> str:
        return text[:80].replace("&", "&&")  # & starts an Excel header code

    sheet.oddHeader.left.text = header(f"{words['reporting_unit']}{colon}{unit or '_' * 24}")
    sheet.oddHeader.center.text = header(figures_title(figures, lang))
    sheet.oddHeader.right.text = header(f"{words['span']}{colon}{figures_period(figures, lang)}")
    sheet.oddFooter.center.text = words["sheet_pages"]
    sheet.oddFooter.right.text = header(f"{words['generated']}{colon}{_local(figures.now)}")
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
