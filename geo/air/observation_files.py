"""Read files of hourly readings (CSV, XLSX) into numbered rows under known column names.

Files come as the national release and met services export them: headers in
English (``station_id, time, pm25, pm10, so2, no2, o3, co, wd_deg, ws_ms``)
or Chinese (监测点/站点/点位, 时间/日期/监测时间, PM2.5, PM10, SO2, NO2, O3,
CO, 风向, 风速), often with the unit in brackets (``PM2.5(μg/m³)``,
``CO（mg/m³）``); a date and an hour column (日期 + 小时) stand for a time.
Headers are compared after Unicode NFKC folding (full-width brackets,
subscript digits, the micro sign), ignoring case, spaces, ``.``, ``_`` and ``-``.

The header row is the first among the first ten that names at least two
known columns (title rows above it are skipped); each data row keeps the
number a person finds it by (the CSV line, the sheet row; header = 1 when it
is the first line). CSV text is UTF-8 (with or without BOM) or GB18030,
decided once per file (:func:`geo.io.charsets.decode_text`). XLSX date-time
cells keep their time (the ledger reader keeps only dates).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.errors import InputError
from geo.io.charsets import decode_text
from geo.io.readers import check_input_path
from geo.io.safety import MAX_UNZIPPED_BYTES, ZIP_ERRORS, check_content, check_zip
from geo.io.sheets import HEADER_SCAN_ROWS, csv_rows

__all__ = ["ObservationTable", "match_header", "read_table"]

#: Canonical column -> header spellings, compared after :func:`_header_key`.
_HEADERS: dict[str, tuple[str, ...]] = {
    "station_id": ("stationid", "station", "stationcode", "stationname", "site", "siteid",
                   "sitename", "监测点", "站点", "点位", "监测点位", "监测站", "站点名称",
                   "监测点名称", "点位名称", "站点编码", "监测点编码", "点位编码", "站名", "站号"),
    "time": ("time", "datetime", "timestamp", "时间", "监测时间", "日期时间", "数据时间",
             "采样时间"),
    "date": ("date", "日期"),
    "hour": ("hour", "小时", "时"),
    "pm25": ("pm25", "细颗粒物"),
    "pm10": ("pm10", "可吸入颗粒物"),
    "so2": ("so2", "二氧化硫"),
    "no2": ("no2", "二氧化氮"),
    "o3": ("o3", "臭氧"),
    "co": ("co", "一氧化碳"),
    "wd_deg": ("wddeg", "wd", "winddirection", "winddir", "风向"),
    "ws_ms": ("wsms", "ws", "windspeed", "风速"),
}
_KEYS = {spelling: name for name, spellings in _HEADERS.items() for spelling in spellings}
_UNIT = re.compile(r"[(\[]([^()\[\]]*)[)\]]\s*$")
_IGNORED_IN_KEY = re.compile(r"[\s._\-]")
_MAX_XLSX_ROWS = 2_000_000
#: What openpyxl raises while it streams a malformed sheet (as :mod:`geo.io.readers.xlsx`).
_XLSX_ERRORS: tuple[type[Exception], ...] = (*ZIP_ERRORS, SyntaxError, ValueError, KeyError,
                                             TypeError)


@dataclass
class ObservationTable:
    """A file's table as read: which cell holds which column, and the numbered rows.

    ``columns`` maps a canonical name (those of :data:`_HEADERS`) to its
    cell position; ``units`` the unit text a header gave in brackets;
    ``rows`` each data row's own number and its cells (text, or a
    ``datetime`` from a spreadsheet); ``ignored`` the headers not used.
    """

    name: str
    columns: dict[str, int]
    units: dict[str, str] = field(default_factory=dict)
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def match_header(text: str) -> tuple[str, str | None] | None:
    """Return the canonical column a header names and its bracketed unit, or None.

    Examples
    --------
    >>> match_header("PM2.5（μg/m³）")
    ('pm25', 'μg/m3')
    >>> match_header("监测点")
    ('station_id', None)
    >>> match_header("AQI") is None
    True
    """
    folded = unicodedata.normalize("NFKC", str(text)).strip()
    unit = None
    found = _UNIT.search(folded)
    if found is not None:
        unit, folded = found.group(1).strip(), folded[: found.start()]
    name = _KEYS.get(_IGNORED_IN_KEY.sub("", folded).lower())
    return None if name is None else (name, unit)


def read_table(path: Path, *, max_unzipped_bytes: int = MAX_UNZIPPED_BYTES) -> ObservationTable:
    """Read a CSV or XLSX file of hourly readings (see the module docstring).

    Raises
    ------
    InputError
        Another format, an unreadable file, no recognisable header row, or a
        column given twice.
    """
    fmt = check_input_path(path)
    if fmt not in ("csv", "xlsx"):
        raise InputError(f"{path.name}: readings are imported from CSV or XLSX files, "
                         f"not {path.suffix!r} / 观测数据只能从 CSV 或 XLSX 文件导入")
    check_content(path, fmt)
    if fmt == "csv":
        text = decode_text(path.read_bytes(), name=path.name)
        return _table(path, csv_rows(text, path=path))
    check_zip(path, max_unzipped_bytes=max_unzipped_bytes)
    return _read_xlsx(path)


def _table(path: Path, rows: Iterator[tuple[int, list[Any]]]) -> ObservationTable:
    head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
    at = next((i for i, (_, cells) in enumerate(head) if _known(cells) >= 2), None)
    if at is None:
        raise InputError(
            f"{path.name}: no header row naming the readings' columns (station_id, time, "
            "pm25 ... or 监测点, 时间, PM2.5 ...) in the first rows / 前几行中找不到表头"
            "（监测点、时间、PM2.5 等）")
    table = _header(path, [str(c) if c is not None else "" for c in head[at][1]])
    table.rows = [(n, cells) for n, cells in itertools.chain(head[at + 1:], rows)]
    return table


def _known(cells: list[Any]) -> int:
    return sum(1 for c in cells if c is not None and match_header(str(c)) is not None)


def _header(path: Path, cells: list[str]) -> ObservationTable:
    table = ObservationTable(name=path.name, columns={})
    for pos, cell in enumerate(cells):
        matched = match_header(cell)
        if matched is None:
            if cell.strip():
                table.ignored.append(cell.strip())
            continue
        name, unit = matched
        if name in table.columns:
            raise InputError(f"{path.name}: two columns name {name!r} / 有两列都是「{cell}」")
        table.columns[name] = pos
        if unit:
            table.units[name] = unit
    return table


def _read_xlsx(path: Path) -> ObservationTable:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise InputError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    try:
        for sheet in book.worksheets:  # the first sheet with a header of readings
            try:
                return _table(path, _sheet_rows(sheet, path))
            except InputError as exc:
                if "no header row" not in str(exc):
                    raise
        raise InputError(f"{path.name}: no sheet has a header row naming the readings' "
                         "columns (监测点, 时间, PM2.5 ...) / 没有工作表含观测数据的表头")
    except _XLSX_ERRORS as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    finally:
        book.close()


def _sheet_rows(sheet: Any, path: Path) -> Iterator[tuple[int, list[Any]]]:
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > _MAX_XLSX_ROWS:
            raise InputError(f"{path.name}: more than {_MAX_XLSX_ROWS} rows")
        cells = [_cell(v) for v in row]
        if any(c != "" for c in cells):
            yield number, cells


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value  # a datetime (or date): the time parser takes it as is
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)
