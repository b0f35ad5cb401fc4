"""Tables of text cells (CSV files, spreadsheet sheets): header row and row numbers.

Bureau ledgers often carry a title (``中原区餐饮油烟治理台账（2026年）``, merged
across the sheet) and notes above the header row. The header row is the
first row among the first :data:`HEADER_SCAN_ROWS` that names at least two
known fields (名称/经度/纬度, name/lon/lat ...); rows above it are skipped.
Every data row keeps the number a person finds it by: the sheet's own row
number in a spreadsheet, the line number in a CSV file.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from geo.errors import InputError
from geo.io.cells import csv_text_read
from geo.io.columns import count_known

__all__ = ["HEADER_SCAN_ROWS", "NumberedRow", "csv_rows", "find_header", "frame_from_rows"]

HEADER_SCAN_ROWS = 10
#: A row's own number (sheet row or file line) and its cells as text.
NumberedRow = tuple[int, list[str]]


def csv_rows(text: str, *, path: Path) -> Iterator[NumberedRow]:
    """Yield each non-blank record of CSV ``text`` with the line it starts on.

    A quoted cell may span lines; the record is numbered by its first line.
    Cells that Zonewatch's CSV export protected with an apostrophe
    (:func:`geo.io.cells.csv_text`) come back as written.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{path.name}: line {start} is not readable as CSV ({exc})") from None
        if any(cell.strip() for cell in cells):
            yield start, [csv_text_read(cell) for cell in cells]


def find_header(rows: list[NumberedRow]) -> int:
    """Return the position in ``rows`` of the header row (0 when none is recognised).

    The header row is the first that names at least two known fields
    (:func:`geo.io.columns.count_known`); title rows above it do not.

    Examples
    --------
    >>> find_header([(1, ["中原区餐饮油烟治理台账（2026年）"]), (3, ["名称", "经度", "纬度"])])
    1
    """
    for pos, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        if count_known(cells) >= 2:
            return pos
    return 0


def frame_from_rows(
    rows: Iterable[NumberedRow], *, path: Path, what: str
) -> tuple[pd.DataFrame, list[int], int]:
    """Return the table under the header row, each row's own number, the header's number.

    Parameters
    ----------
    rows : iterable of (number, cells)
        Non-blank rows in order, numbered as the file numbers them.
    path : Path
        The file, for messages.
    what : str
        How messages name the table (``"CSV file"``, ``"sheet '台账'"``).

    Raises
    ------
    InputError
        When the table is empty, or a row has filled cells beyond the header.
    """
    rows = iter(rows)
    head = [row for _, row in zip(range(HEADER_SCAN_ROWS), rows, strict=False)]
    if not head:
        raise InputError(f"{path.name}: the {what} is empty")
    at = find_header(head)
    header_number, header_cells = head[at]
    header = [h.strip() or f"column{i + 1}" for i, h in enumerate(header_cells)]
    numbers: list[int] = []
    body: list[list[str]] = []
    for number, cells in itertools.chain(head[at + 1:], rows):
        if any(c.strip() for c in cells[len(header):]):
            raise InputError(f"{path.name}: {_row_word(what)} {number} has more cells than the "
                             f"header ({_row_word(what)} {header_number}) names")
        numbers.append(number)
        body.append(cells[: len(header)] + [""] * (len(header) - len(cells)))
    frame = pd.DataFrame(body, columns=header, dtype=str)
    return _drop_unnamed_empty(frame, header_cells), numbers, header_number


def _row_word(what: str) -> str:
    return "line" if what.startswith("CSV") else "row"


def _drop_unnamed_empty(frame: pd.DataFrame, header_cells: list[str]) -> pd.DataFrame:
    # Spreadsheets often carry formatted but empty columns past the table.
    unnamed = [
        column for column, cell in zip(frame.columns, header_cells, strict=False)
        if not cell.strip() and not frame[column].str.strip().astype(bool).any()
    ]
    return frame.drop(columns=unnamed)
