"""Reports as files: JSON-ready dicts, CSV (UTF-8 with BOM) and formatted XLSX.

Every format carries the numbers of :class:`geo.reports.summary.Report` unchanged:
counts as integers, shares as fractions (the XLSX shows them with a ``0.0%``
number format, the value stays the fraction); a share of nothing is null in
JSON and "—" on the page and in the files. Only labels change: keys become
headers and category/status codes their names, in Chinese (the default) or
English (:mod:`geo.reports.words`). Names from the ledger (community, grid,
station ...) and the reporting unit are text cells that no spreadsheet
program runs as a formula (:mod:`geo.io.cells`).

Who reports and when: every file carries the reporting unit (填报单位, a
setting) and the period the figures cover, while its header row stays the
first row, so programs and spreadsheet filters read the table as before.

* JSON: ``unit`` and ``period`` members, and a ``period`` on each view.
* CSV: two last columns, 填报单位 and 统计时点, on every row. Not title
  lines above the header (every CSV reader would take them for the header)
  and not ``#`` comment lines (no CSV standard has them; Excel shows them as
  data).
* XLSX: each sheet's printed page header names the unit (a line to fill in
  by hand when it is not set), the report and the period; the footer has
  the page numbers and the time it was generated. Wide sheets print
  landscape, fitted to the page width, with the header row on every page.
  The workbook's properties say the same.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from geo.io.cells import csv_text, xlsx_value
from geo.ledger_table import local_time
from geo.reports.summary import LABELS, NOT_APPLICABLE, Report, View
from geo.reports.words import (
    LABELS_EN,
    column_label,
    is_wide,
    local_value,
    report_period,
    report_title,
    text,
    view_period,
    view_title,
)

__all__ = ["display_value", "label_value", "report_dict", "write_csv", "write_xlsx"]

# Columns whose values are codes shown by their label.
_CODED = ("category", "status")
_NUMBER_FORMAT = "#,##0"
_SHARE_FORMAT = "0.0%"
#: What a printed page header shows where no unit is set: a line to write on.
_BLANK_LINE = "_" * 24
#: Excel keeps at most this many characters in one page header or footer.
_HEADER_CHARS = 255


def label_value(column: str, value: Any, lang: str = "zh") -> Any:
    """Return the display form of a cell: the name of a code, else the value.

    Examples
    --------
    >>> label_value("category", "bbq"), label_value("category", "bbq", "en")
    ('露天烧烤', 'Open-air barbecue')
    """
    if column in _CODED or (column == "station" and value == "total"):
        labels = LABELS_EN if lang == "en" else LABELS
        return labels.get(str(value), value)
    return local_value(column, value, lang)


def display_value(view: View, column: str, value: Any, lang: str = "zh") -> str:
    """Return a cell as shown to people: ``1,234`` for counts, ``85.09%`` for shares.

    Shares keep all four decimals of the fraction (two of the percentage),
    so the shown number is the stored one. Codes show their names in ``lang``.

    Examples
    --------
    >>> display_value(View("x", "x", pd.DataFrame()), "in_use_share", 0.8509)
    '85.09%'
    """
    if _missing(value):
        return NOT_APPLICABLE
    if column.endswith("_share") or (view.name == "summary" and isinstance(value, float)):
        return f"{float(value):.2%}"
    if column == "radius_m":
        return f"{float(value):,.0f}"
    if isinstance(value, str | bool) or not hasattr(value, "__int__"):
        return str(label_value(column, value, lang))
    return f"{int(value):,}"


def _missing(value: Any) -> bool:
    """Tell a cell with no value (None, NaN: a share of nothing) from a real one."""
    return value is None or (isinstance(value, float) and value != value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # to_json turns numpy scalars and NaN into plain JSON values
    records: list[dict[str, Any]] = json.loads(
        frame.to_json(orient="records", force_ascii=False, double_precision=6)
    )
    return records


def _title(view: View, lang: str) -> str:
    return view_title(view.name, lang) if lang == "en" else view.title


def report_dict(report: Report, *, unit: str = "", lang: str = "zh") -> dict[str, Any]:
    """Return the report as a JSON-ready dict: views with keyed columns and rows.

    ``unit`` is the reporting unit (empty when not set); ``period`` says when
    the figures stand, and each view's ``period`` what it covers, in ``lang``
    like the titles and column labels. Rows keep codes and numbers as stored.

    Examples
    --------
    >>> doc = report_dict(report)  # doctest: +SKIP
    >>> doc["views"][0]["name"]  # doctest: +SKIP
    'summary'
    """
    return {
        "by": report.by,
        "station": report.station,
        "generated_at": report.generated_at,
        "unit": unit,
        "period": report_period(report, lang),
        "views": [
            {
                "name": view.name,
                "title": _title(view, lang),
                "period": view_period(report, view, lang),
                "columns": [{"key": c, "label": column_label(c, lang)}
                            for c in view.frame.columns],
                "rows": _records(view.frame),
            }
            for view in report.views
        ],
    }


def _main_view(report: Report) -> View:
    """Return the breakdown's own view (the one after the summary)."""
    return report.views[1] if len(report.views) > 1 else report.views[0]


def write_csv(
    report: Report, target: Path | io.StringIO | None = None, *, unit: str = "",
    lang: str = "zh",
) -> str:
    """Write the breakdown's main view as CSV; return the text.

    The header row comes first, in ``lang``; the last two columns,
    填报单位 (``unit``) and 统计时点 (the period), repeat on every row. The
    text starts with a byte-order mark so spreadsheet programs read UTF-8.
    When ``target`` is a path the text is written there too (``utf-8``).
    """
    view = _main_view(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = list(view.frame.columns)
    writer.writerow([*(column_label(c, lang) for c in columns), text("unit", lang),
                     text("period", lang)])
    filed = [csv_text(unit), view_period(report, view, lang)]
    for row in view.frame.itertuples(index=False):
        # names (community, grid, station ...) are ledger text: never a formula
        cells = [NOT_APPLICABLE if _missing(v) else csv_text(label_value(c, v, lang))
                 for c, v in zip(columns, row, strict=True)]
        writer.writerow([*cells, *filed])
    written = "\ufeff" + buffer.getvalue()
    if isinstance(target, Path):
        target.write_text(written, encoding="utf-8", newline="")
    elif target is not None:
        target.write(written)
    return written


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "sheet"
    base, n = name, 2
    while name in used:
        name = f"{base[:28]}_{n}"
        n += 1
    used.add(name)
    return name


def _cell_width(value: Any) -> int:
    shown = str(value)
    # CJK characters take about two columns in a spreadsheet
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in shown)


def _fill_sheet(sheet: Any, view: View, lang: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    columns = list(view.frame.columns)
    shares = set(view.share_columns())
    headers = [column_label(c, lang) for c in columns]
    sheet.append(headers)
    for row in view.frame.itertuples(index=False):
        # text (names from the ledger) goes into explicit string cells, never formulas
        sheet.append([xlsx_value(sheet, _plain(label_value(c, v, lang)))
                      for c, v in zip(columns, row, strict=True)])
    header_fill = PatternFill("solid", fgColor="DCE6EC")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [_cell_width(h) for h in headers]
    for row in sheet.iter_rows(min_row=2):
        for i, cell in enumerate(row):
            share = columns[i] in shares or (view.name == "summary" and isinstance(cell.value,
                                                                                   float))
            if share:
                cell.number_format = _SHARE_FORMAT
            elif isinstance(cell.value, int):
                cell.number_format = _NUMBER_FORMAT
            widths[i] = max(widths[i], _cell_width(cell.value))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(width + 3, 40)
    sheet.freeze_panes = "A2"


def _plain(value: Any) -> Any:
    """Turn numpy scalars into what openpyxl stores, and no value into "—" as on the page."""
    if _missing(value):
        return NOT_APPLICABLE
    if hasattr(value, "item"):
        return value.item()
    return value


def _header_text(words: str, limit: int) -> str:
    """Return ``words`` for a page header or footer: ``&`` doubled (never a code), cut to fit.

    Examples
    --------
    >>> _header_text("A&P", 80)
    'A&&P'
    """
    escaped = words.replace("&", "&&")
    while len(escaped) > limit:
        words = words[:-2] + "…"
        escaped = words.replace("&", "&&")
    return escaped


def _print_setup(sheet: Any, report: Report, view: View, unit: str, lang: str) -> None:
    """Set up a sheet for paper: A4, the unit and period above, page numbers below."""
    colon = text("colon", lang)
    generated = f"{text('generated', lang)}{colon}{local_time(report.generated_at)}"
    share = _HEADER_CHARS // 3
    sheet.oddHeader.left.text = _header_text(f"{text('unit', lang)}{colon}"
                                             f"{unit or _BLANK_LINE}", share)
    sheet.oddHeader.center.text = _header_text(
        f"{report_title(report, lang)} · {_title(view, lang)}", share)
    sheet.oddHeader.right.text = _header_text(
        f"{text('period', lang)}{colon}{view_period(report, view, lang)}", share)
    sheet.oddFooter.center.text = text("sheet_pages", lang)  # &P and &N: Excel's page codes
    sheet.oddFooter.right.text = _header_text(generated, share)
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if is_wide(view) else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def write_xlsx(report: Report, target: Path | io.BytesIO, *, unit: str = "",
               lang: str = "zh") -> None:
    """Write every view of the report to its own formatted sheet.

    Bold, shaded headers in ``lang`` on row 1 (frozen, repeated on every
    printed page), column widths fitted to the text, ``#,##0`` for counts
    and ``0.0%`` for shares; the printed page header carries ``unit`` and
    the period, the footer the page numbers (see the module docstring).
    """
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for view in report.views:
        sheet = book.create_sheet(_sheet_name(_title(view, lang), used))
        _fill_sheet(sheet, view, lang)
        _print_setup(sheet, report, view, unit, lang)
    colon = text("colon", lang)
    book.properties.title = (f"Zonewatch report ({report.by})" if lang == "en"
                             else f"Zonewatch 报表（{report.by}）")
    book.properties.subject = report_title(report, lang)
    book.properties.description = (f"{text('unit', lang)}{colon}{unit}{text('gap', lang)}"
                                   f"{text('period', lang)}{colon}"
                                   f"{report_period(report, lang)}")
    book.properties.language = "en" if lang == "en" else "zh-CN"
    book.properties.creator = "Zonewatch"
    book.save(target)
