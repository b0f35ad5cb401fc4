"""Bureau tables: title rows above the header, the file's own row numbers, several sheets."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from geo.errors import ImportRejectedError, InputError
from geo.io.importer import import_file
from geo.io.readers import read_raw
from geo.store import Store

TITLE = "中原区餐饮油烟治理台账（2026年）"
HEADER = ["名称", "类别", "社区", "经度", "纬度", "坐标系"]


def good(i: int) -> list[object]:
    return [f"店{i}", "餐饮", "甲社区", 113.60 + i * 0.001, 34.75, "wgs84"]


def workbook(path: Path, sheets: dict[str, list[list[object]]], merge: str | None = None) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if merge:
            sheet.merge_cells(merge)
    book.save(path)
    return path


def titled(n: int, bad_at: int | None = None) -> list[list[object]]:
    """A title merged across row 1, a note in row 2, a blank row 3, the header in row 4."""
    rows = [[TITLE], ["填报单位：中原区生态环境分局"], [], HEADER]
    for i in range(n):
        rows.append(good(i) if i != bad_at else [f"坏店{i}", "咖啡", "甲社区", 113.6, 34.75])
    return rows


def test_xlsx_title_rows_above_the_header_are_skipped(store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "台账.xlsx", {"台账": titled(3)}, merge="A1:F1")
    report = import_file(store, path, layer="sources", actor="t")
    assert report.accepted == 3 and report.ignored_columns == []
    assert sorted(store.read("sources")["name"]) == ["店0", "店1", "店2"]


def test_xlsx_rows_are_numbered_as_the_sheet_numbers_them(store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "台账.xlsx", {"台账": titled(5, bad_at=2)})
    with pytest.raises(ImportRejectedError) as info:
        import_file(store, path, layer="sources", actor="t")
    # header in Excel row 4, data from row 5: the third record is Excel row 7
    assert [(r.row, "'咖啡'" in r.reason) for r in info.value.rows] == [(7, True)]


def test_csv_title_line_is_skipped_and_rows_are_file_lines(store: Store, tmp_path: Path) -> None:
    lines = [f"{TITLE},,,,,", ",,,,,", ",".join(HEADER),
             "店0,餐饮,甲社区,113.6,34.75,wgs84", "", "店1,咖啡,甲社区,113.6,34.75,wgs84"]
    path = tmp_path / "台账.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    report = import_file(store, path, layer="sources", actor="t", dry_run=True)
    assert report.accepted == 1
    assert [r.row for r in report.rejected] == [6]


@pytest.mark.parametrize(("name", "words"), [("a.xlsx", "sheet 'Sheet'"), ("a.csv", "CSV file")])
def test_missing_coordinates_name_the_right_format(tmp_path: Path, name: str, words: str) -> None:
    path = tmp_path / name
    if name.endswith(".xlsx"):
        workbook(path, {"Sheet": [[TITLE], ["名称", "类别"], ["店", "餐饮"]]})
    else:
        path.write_text("名称,类别\n店,餐饮\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"{name}: the {words} needs lon/lat") as info:
        read_raw(path)
    assert "columns found: name, category" in str(info.value)


def test_the_sheet_with_the_table_is_used(store: Store, tmp_path: Path) -> None:
    sheets = {"说明": [["本表由街道填报"], ["联系人", "电话"]], "台账": titled(2)}
    path = workbook(tmp_path / "book.xlsx", sheets)
    assert import_file(store, path, layer="sources", actor="t").accepted == 2


def test_several_sheets_with_tables_are_refused_by_name(tmp_path: Path) -> None:
    path = workbook(tmp_path / "book.xlsx", {"一月": titled(1), "二月": titled(1)})
    with pytest.raises(InputError, match=r"several sheets hold a table \('一月', '二月'\)"):
        read_raw(path, layer="sources")


def test_a_sheet_named_like_the_layer_wins(tmp_path: Path) -> None:
    path = workbook(tmp_path / "book.xlsx", {"stations": titled(1), "sources": titled(2)})
    assert len(read_raw(path, layer="sources").attributes) == 2


@pytest.mark.parametrize(
    ("label", "expected"),
    [("百度", "bd09"), ("高德", "gcj02"), ("腾讯", "gcj02"), ("4326", "wgs84"),
     ("4547", "EPSG:4547")],
)
def test_coordinate_labels_bureau_sheets_use(store: Store, tmp_path: Path, label: str,
                                             expected: str) -> None:
    from geo import crs

    x, y = crs.from_lonlat(113.65, 34.75, crs=expected)
    path = tmp_path / "a.csv"
    path.write_text(f"编号,名称,类别,经度,纬度,坐标系\nC1,店,餐饮,{float(x)!r},{float(y)!r},"
                    f"{label}\n", encoding="utf-8")
    import_file(store, path, layer="sources", actor="t")
    stored = store.get("sources", "C1")
    assert stored.properties["orig_crs"] == expected
    assert stored.geometry.x == pytest.approx(113.65, abs=1e-6)
    assert stored.geometry.y == pytest.approx(34.75, abs=1e-6)


def test_a_folder_is_named_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        read_raw(tmp_path)


def test_a_numeric_epsg_code_in_a_geojson_is_a_label(store: Store, tmp_path: Path) -> None:
    import json

    from geo import crs

    x, y = crs.from_lonlat(113.65, 34.75, crs="EPSG:4547")
    props = {"名称": "店", "类别": "餐饮", "坐标系": 4547}  # the code as a JSON number
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "G1", "properties": props,
         "geometry": {"type": "Point", "coordinates": [float(x), float(y)]}}]}
    path = tmp_path / "a.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    import_file(store, path, layer="sources", actor="t")
    assert store.get("sources", "G1").properties["orig_crs"] == "EPSG:4547"
