"""Spreadsheet cells: text stays text, never a formula (CSV and XLSX)."""

import pytest
from openpyxl import Workbook, load_workbook

from geo.io.cells import csv_text, csv_text_read, xlsx_value

FORMULAS = {
    "equals": '=HYPERLINK("http://evil.example/","点我")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(A1:A9)",
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
}


@pytest.mark.parametrize("text", list(FORMULAS.values()), ids=list(FORMULAS))
def test_csv_text_guards_every_formula_prefix_and_reads_back(text: str) -> None:
    guarded = csv_text(text)
    assert guarded == "'" + text
    assert csv_text_read(guarded) == text


@pytest.mark.parametrize(
    "value",
    [-12.5, 3, None, "-12.5", "+86", "1e-3", "老王烧烤", "POINT (-70 -30)", "'plain'"],
    ids=["float", "int", "none", "negative-text", "signed-digits", "exponent", "chinese",
         "wkt", "quoted"],
)
def test_csv_text_leaves_numbers_and_plain_text_alone(value: object) -> None:
    assert csv_text(value) == value
    if isinstance(value, str):
        assert csv_text_read(value) == value


@pytest.mark.parametrize("write_only", [False, True], ids=["normal", "write-only"])
def test_xlsx_text_is_a_string_cell_whatever_it_starts_with(tmp_path, write_only) -> None:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("s")
    values = [*FORMULAS.values(), "#N/A", 3, 2.5, None, "老王"]
    for _ in range(2):  # a write-only sheet reuses cells between rows
        sheet.append([xlsx_value(sheet, v) for v in values])
    book.save(tmp_path / "x.xlsx")
    cells = list(load_workbook(tmp_path / "x.xlsx")["s"].iter_rows())
    for row in cells:
        assert [c.value for c in row] == values
        assert [c.data_type for c in row] == ["s"] * 7 + ["n", "n", "n", "s"]
        assert [c.quotePrefix for c in row] == [True] * 6 + [False] * 5


def test_xlsx_control_characters_do_not_break_the_file(tmp_path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append([xlsx_value(sheet, "a\x01b")])
    book.save(tmp_path / "x.xlsx")
    assert load_workbook(tmp_path / "x.xlsx").active["A1"].value == "a\ufffdb"


@pytest.mark.parametrize("text", ["'=1+1", "''=1+1", "'-x", "'\t=1", "'", "''"],
                         ids=["one", "two", "minus", "tab", "lone", "pair"])
def test_csv_text_of_apostrophes_before_a_formula_reads_back_unchanged(text: str) -> None:
    assert csv_text_read(csv_text(text)) == text
