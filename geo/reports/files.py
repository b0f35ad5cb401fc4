"""Reports as files: JSON-ready dicts, CSV (UTF-8 with BOM) and formatted XLSX.

Every format carries the numbers of :class:`geo.reports.summary.Report` unchanged:
counts as integers, shares as fractions (the XLSX shows them with a ``0.0%``
number format, the value stays the fraction); a share of nothing is null in
JSON and "—" on the page and in the files. Only labels change: keys become
Chinese headers and category/status codes their Chinese names. Names from the
ledger (community, grid, station ...) are text cells that no spreadsheet
program runs as a formula (:mod:`geo.io.cells`).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from geo.io.cells import csv_text, xlsx_value
from geo.reports.summary import LABELS, NOT_APPLICABLE, Report, View

__all__ = ["display_value", "label_value", "report_dict", "write_csv", "write_xlsx"]

# Columns whose values are codes shown by their Chinese label.
_CODED = ("category", "status")
_NUMBER_FORMAT = "#,##0"
_SHARE_FORMAT = "0.0%"


def label_value(column: str, value: Any) -> Any:
    """Return the display form of a cell: Chinese name for codes, else the value."""
    if column in _CODED or (column == "station" and value == "total"):
        return LABELS.get(str(value), value)
    return value


def display_value(view: View, column: str, value: Any) -> str:
    """Return a cell as shown to people: ``1,234`` for counts, ``85.09%`` for shares.

    Shares keep all four decimals of the fraction (two of the percentage),
    so the shown number is the stored one. Codes show their Chinese names.

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
        return str(label_value(column, value))
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


def report_dict(report: Report) -> dict[str, Any]:
    """Return the report as a JSON-ready dict: views with keyed columns and rows.

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
        "views": [
            {
                "name": view.name,
                "title": view.title,
                "columns": [{"key": c, "label": LABELS.get(c, c)} for c in view.frame.columns],
                "rows": _records(view.frame),
            }
            for view in report.views
        ],
    }


def _main_view(report: Report) -> View:
    """Return the breakdown's own view (the one after the summary)."""
    return report.views[1] if len(report.views) > 1 else report.views[0]


def write_csv(report: Report, target: Path | io.StringIO | None = None) -> str:
    """Write the breakdown's main view as CSV with Chinese headers; return the text.

    The text starts with a byte-order mark so spreadsheet programs read UTF-8.
    When ``target`` is a path the text is written there too (``utf-8``).
    """
    view = _main_view(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = list(view.frame.columns)
    writer.writerow([LABELS.get(c, c) for c in columns])
    for row in view.frame.itertuples(index=False):
        # names (community, grid, station ...) are ledger text: never a formula
        writer.writerow([NOT_APPLICABLE if _missing(v) else csv_text(label_value(c, v))
                         for c, v in zip(columns, row, strict=True)])
    text = "\ufeff" + buffer.getvalue()
    if isinstance(target, Path):
        target.write_text(text, encoding="utf-8", newline="")
    elif target is not None:
        target.write(text)
    return text


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "sheet"
    base, n = name, 2
    while name in used:
        name = f"{base[:28]}_{n}"
        n += 1
    used.add(name)
    return name


def _cell_width(value: Any) -> int:
    text = str(value)
    # CJK characters take about two columns in a spreadsheet
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _fill_sheet(sheet: Any, view: View) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    columns = list(view.frame.columns)
    shares = set(view.share_columns())
    sheet.append([LABELS.get(c, c) for c in columns])
    for row in view.frame.itertuples(index=False):
        # text (names from the ledger) goes into explicit string cells, never formulas
        sheet.append([xlsx_value(sheet, _plain(label_value(c, v)))
                      for c, v in zip(columns, row, strict=True)])
    header_fill = PatternFill("solid", fgColor="DCE6EC")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [_cell_width(LABELS.get(c, c)) for c in columns]
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


def write_xlsx(report: Report, target: Path | io.BytesIO) -> None:
    """Write every view of the report to its own formatted sheet.

    Bold, shaded Chinese headers on row 1 (frozen), column widths fitted to
    the text, ``#,##0`` for counts and ``0.0%`` for shares.
    """
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for view in report.views:
        _fill_sheet(book.create_sheet(_sheet_name(view.title, used)), view)
    book.properties.title = f"Zonewatch 报表（{report.by}）"
    book.properties.creator = "Zonewatch"
    book.save(target)
