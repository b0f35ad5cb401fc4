"""Text cells that spreadsheet programs show as text, never run as formulas.

A ledger value such as ``=HYPERLINK("http://evil.example/","点我")`` must be
stored as given and shown as given. Spreadsheet programs turn a CSV cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return into a
formula (CSV injection, OWASP), and openpyxl writes any string starting with
``=`` as a formula. So:

* CSV: such a text cell gets a leading apostrophe (the form OWASP
  recommends); Zonewatch's CSV reader takes it off again
  (:func:`csv_text_read`), so an export imports back unchanged.
* XLSX: text goes into explicit string cells (``data_type 's'``) with the
  quote-prefix style, so the value is text even when someone edits the cell.

Numbers, coordinates and WKT are never touched: only ``str`` values are, and
a plain number written as text (``-12.5``) cannot carry a formula.

Every writer of spreadsheet files calls these helpers: the exports
(:mod:`geo.io.writers`) and the reports
(:mod:`geo.reports.files`).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FORMULA_PREFIXES", "csv_text", "csv_text_read", "xlsx_value"]

#: First characters that make a spreadsheet program read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _risky(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES) and _NUMBER.fullmatch(text) is None


def _escaped(text: str) -> bool:
    # Apostrophes before a formula prefix: the escape, or text that looks like it
    return text.startswith("'") and _risky(text.lstrip("'"))


def csv_text(value: Any) -> Any:
    """Return ``value`` as a CSV cell that no spreadsheet program runs.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading apostrophe, and so does text whose apostrophes
    already stand before one (so that :func:`csv_text_read` gives every text
    back); numbers, plain numbers written as text and everything that is not
    a ``str`` come back unchanged.

    Examples
    --------
    >>> csv_text("=1+1"), csv_text("'=1+1"), csv_text("-12.5"), csv_text(-12.5)
    ("'=1+1", "''=1+1", '-12.5', -12.5)
    """
    if isinstance(value, str) and (_risky(value) or _escaped(value)):
        return "'" + value
    return value


def csv_text_read(text: str) -> str:
    """Undo :func:`csv_text` on a cell read from a CSV file.

    Examples
    --------
    >>> csv_text_read("'=1+1"), csv_text_read("''=1+1"), csv_text_read("'quoted'")
    ('=1+1', "'=1+1", "'quoted'")
    """
    if _escaped(text):
        return text[1:]
    return text


def xlsx_value(sheet: Any, value: Any) -> Any:
    """Return the cell to append to an openpyxl ``sheet`` for ``value``.

    Text becomes an explicit string cell (never a formula or an error code,
    whatever its first character); numbers, dates and booleans keep the type
    openpyxl gives them; ``None`` stays an empty cell. Works for normal and
    write-only sheets: ``sheet.append`` takes cells.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> sheet = Workbook().active
    >>> sheet.append([xlsx_value(sheet, "=1+1"), xlsx_value(sheet, 3)])
    >>> sheet["A1"].data_type, sheet["A1"].value, sheet["B1"].value
    ('s', '=1+1', 3)
    """
    if value is None:
        return None
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
    from openpyxl.utils.exceptions import IllegalCharacterError

    # A fresh cell for every value: a write-only sheet reuses the last cell it
    # was given for the plain values that follow, style and all.
    cell = Cell(sheet, row=1, column=1)
    try:
        cell.value = value
    except IllegalCharacterError:
        # XML cannot hold most control characters; mark where they were.
        cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl reads "=..." as a formula, "#N/A" as an error
        if _risky(value):
            cell.quotePrefix = True  # Excel keeps it text even after the cell is edited
    return cell
