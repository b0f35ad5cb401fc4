"""The inspection list's selection: each filter, the date range, search, sort, parameters, labels.

Runs on both stores. Expected rows are worked out from what the store holds
(``store.read``), never from the selection code itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from shapely import Point

from geo import writes
from geo.errors import ValidationError
from geo.inspection_selection import (
    COLUMNS,
    SORT_COLUMNS,
    InspectionSelection,
    inspection_choices,
    select_inspections,
)
from geo.ledger import Feature
from geo.ledger_table import labelled_inspections
from geo.photos import clean_photo
from geo.store import Store
from tests._support.images import jpeg, png
from tests._support.stores import STORE_KINDS, make_store

ACTOR = "测试"
SOURCES = [
    ("S-1", "老王餐馆", "catering", "甲社区", "G-01"),
    ("S-2", "河边烧烤", "bbq", "甲社区", "G-02"),
    ("S-3", "远郊工地", "construction_site", "乙社区", "G-03"),
]
# id, source, date, round, inspector, result, notes
VISITS = [
    ("I-01", "S-1", "2026-03-01", 1, "张三", "compliant", "净化器正常"),
    ("I-02", "S-1", "2026-04-15", 2, "李四", "violation", "油烟直排"),
    ("I-03", "S-2", "2026-03-31", 1, "张三", "closed_down", None),
    ("I-04", "S-2", "2026-04-01", 2, "王五", "compliant", "Ｂ区复查"),
    ("I-05", "S-3", "2026-02-28", None, None, "not_found", "现场无人"),
    ("I-06", "S-3", "2026-04-15", 2, "李四", "violation", "扬尘"),
]


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        for fid, name, category, community, grid in SOURCES:
            writes.create(opened, "sources", Feature(fid, {
                "name": name, "category": category, "community": community, "grid": grid},
                Point(113.66, 34.75)), actor=ACTOR)
        for iid, sid, day, round_no, inspector, result, notes in VISITS:
            props = {"source_id": sid, "date": day, "round": round_no,
                     "inspector": inspector, "result": result, "notes": notes}
            photos = [clean_photo(jpeg()), clean_photo(png())] if iid == "I-02" else []
            writes.record_inspection(opened, Feature(iid, props), actor=ACTOR, photos=photos)
        yield opened


def stored_rows(store: Store) -> list[dict[str, Any]]:
    """Every inspection as the store holds it, with its source's fields beside."""
    sources = {str(s["id"]): s for s in store.read("sources").to_dict("records")}
    rows = []
    for visit in store.read("inspections").to_dict("records"):
        source = sources.get(str(visit["source_id"]), {})
        rows.append({**visit, "date": str(visit["date"])[:10], "source_name": source.get("name"),
                     "community": source.get("community"), "grid": source.get("grid")})
    return rows


def ids_where(store: Store, keep: Callable[[dict[str, Any]], bool]) -> set[str]:
    return {str(r["id"]) for r in stored_rows(store) if keep(r)}


def selected(store: Store, **params: str) -> list[str]:
    return [str(i) for i in select_inspections(
        store, InspectionSelection.from_params(params))["id"]]


def _round(row: dict[str, Any]) -> int | None:
    value = row["round"]
    return None if value is None or value != value else int(value)


FILTERS = [
    pytest.param({"round": "2"}, lambda r: _round(r) == 2, id="round"),
    pytest.param({"result": "violation"}, lambda r: r["result"] == "violation", id="result"),
    pytest.param({"source_id": "S-2"}, lambda r: r["source_id"] == "S-2", id="source_id"),
    pytest.param({"community": "甲社区"}, lambda r: r["community"] == "甲社区", id="community"),
    pytest.param({"grid": " G-03 "}, lambda r: r["grid"] == "G-03", id="grid-trimmed"),
    pytest.param({"inspector": "李四"}, lambda r: r["inspector"] == "李四", id="inspector"),
    pytest.param({"q": "烧烤"}, lambda r: "烧烤" in (r["source_name"] or ""), id="q-source-name"),
    pytest.param({"q": "直排"}, lambda r: "直排" in (r["notes"] or ""), id="q-notes"),
    pytest.param({"q": "王五"}, lambda r: r["inspector"] == "王五", id="q-inspector"),
    pytest.param({"q": "s-3"}, lambda r: r["source_id"] == "S-3", id="q-source-id-any-case"),
    pytest.param({"q": "b区"}, lambda r: "Ｂ区" in (r["notes"] or ""), id="q-full-width"),
    pytest.param({"round": "1", "community": "甲社区"},
                 lambda r: _round(r) == 1 and r["community"] == "甲社区", id="round-and-community"),
]


@pytest.mark.parametrize(("params", "keep"), FILTERS)
def test_each_filter_keeps_exactly_the_matching_rows(
        store: Store, params: dict[str, str], keep: Callable[[dict[str, Any]], bool]) -> None:
    expected = ids_where(store, keep)
    got = selected(store, **params)
    assert set(got) == expected and len(got) == len(expected)
    assert 0 < len(expected) < len(VISITS)  # the filter really narrows


@pytest.mark.parametrize(("date_from", "date_to", "expected"), [
    pytest.param("2026-03-01", "2026-03-31", {"I-01", "I-03"}, id="both-ends-inclusive"),
    pytest.param("2026-03-02", "2026-03-30", set(), id="a-day-inside-each-end"),
    pytest.param("2026-04-15", "", {"I-02", "I-06"}, id="from-only"),
    pytest.param("", "2026-02-28", {"I-05"}, id="to-only"),
    pytest.param("2026-04-01", "2026-04-01", {"I-04"}, id="one-day"),
])
def test_the_date_range_is_inclusive(store: Store, date_from: str, date_to: str,
                                     expected: set[str]) -> None:
    start, end = date_from or "0000-00-00", date_to or "9999-99-99"
    assert ids_where(store, lambda r: start <= r["date"] <= end) == expected
    assert set(selected(store, date_from=date_from, date_to=date_to)) == expected


def test_newest_first_by_default_ties_by_id(store: Store) -> None:
    assert selected(store) == ["I-02", "I-06", "I-04", "I-03", "I-01", "I-05"]
    assert selected(store, descending="false") == ["I-05", "I-01", "I-03", "I-04", "I-02",
                                                   "I-06"]


@pytest.mark.parametrize("column", SORT_COLUMNS)
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_every_sort_column_orders_missing_values_last(store: Store, column: str,
                                                      descending: bool) -> None:
    rows = select_inspections(store, InspectionSelection(sort=column, descending=descending))
    values = [v for v in rows[column] if v is not None and v == v]
    assert values == sorted(values, reverse=descending)
    missing = [v is None or v != v for v in rows[column]]
    assert missing == sorted(missing)  # all the missing ones at the end
    assert len(rows) == len(VISITS)


def test_rows_carry_the_source_and_the_photo_count(store: Store) -> None:
    rows = select_inspections(store, InspectionSelection(sort="id"))
    assert tuple(rows.columns) == COLUMNS
    first = rows.iloc[1].to_dict()  # I-02
    assert first["id"] == "I-02" and first["photos"] == 2
    assert len(store.photos.of_inspections(["I-02"])["I-02"]) == 2
    assert (first["source_name"], first["category"], first["community"], first["grid"]) == (
        "老王餐馆", "catering", "甲社区", "G-01")
    assert first["round"] == 2 and first["date"] == "2026-04-15"
    assert rows.set_index("id").loc["I-05", "round"] is None
    assert list(rows["photos"]) == [0, 2, 0, 0, 0, 0]


def test_a_deleted_source_leaves_its_inspections_listed_without_a_name(store: Store) -> None:
    writes.delete(store, "sources", "S-3", expected_version=None, actor=ACTOR)
    rows = select_inspections(store, InspectionSelection(source_id="S-3", sort="id"))
    assert list(rows["id"]) == ["I-05", "I-06"]
    assert list(rows["source_name"]) == [None, None]


def test_an_empty_ledger_gives_an_empty_table(tmp_path: Path) -> None:
    for empty in make_store("gpkg", tmp_path):
        rows = select_inspections(empty, InspectionSelection(result="violation"))
        assert len(rows) == 0 and tuple(rows.columns) == COLUMNS
        assert inspection_choices(empty) == {"round": [], "inspector": [], "community": [],
                                             "grid": []}


def test_choices_are_what_the_ledger_holds(store: Store) -> None:
    found = inspection_choices(store)
    assert found["round"] == [1, 2]
    assert found["inspector"] == sorted({v[4] for v in VISITS if v[4]})
    assert found["community"] == sorted({s[3] for s in SOURCES})
    assert found["grid"] == ["G-01", "G-02", "G-03"]


@pytest.mark.parametrize(("params", "field", "match"), [
    pytest.param({"round": "abc"}, "round", "whole number", id="round-text"),
    pytest.param({"round": "0"}, "round", "from 1 to", id="round-zero"),
    pytest.param({"round": "２"}, "round", "whole number", id="round-full-width"),
    pytest.param({"result": "passed"}, "result", "compliant, violation", id="result"),
    pytest.param({"date_from": "2026/03/01"}, "date_from", "YYYY-MM-DD", id="date-slashes"),
    pytest.param({"date_to": "2026-02-30"}, "date_to", "YYYY-MM-DD", id="date-impossible"),
    pytest.param({"date_from": "2026-04-02", "date_to": "2026-04-01"}, "date_to",
                 "before date_from", id="range-reversed"),
    pytest.param({"sort": "notes"}, "sort", "source_name", id="sort"),
    pytest.param({"descending": "maybe"}, "descending", "true, 1, on", id="descending"),
])
def test_bad_values_name_their_parameter(params: dict[str, str], field: str,
                                         match: str) -> None:
    with pytest.raises(ValidationError, match=match) as caught:
        InspectionSelection.from_params(params)
    assert caught.value.field == field


@pytest.mark.parametrize("selection", [
    InspectionSelection(),
    InspectionSelection(sort="date", descending=False),
    InspectionSelection(sort="inspector", descending=True),
    InspectionSelection(round=3, result="violation", community="甲社区", grid="G-01",
                        inspector="张三", source_id="S-1", q="油烟",
                        date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31)),
], ids=["default", "oldest-first", "inspector-desc", "every-filter"])
def test_parameters_rebuild_the_selection(selection: InspectionSelection) -> None:
    assert InspectionSelection.from_params(selection.to_params()) == selection


def test_empty_form_values_mean_no_filter() -> None:
    blank = {name: "" for name in ("round", "result", "source_id", "community", "grid",
                                   "inspector", "date_from", "date_to", "q", "sort",
                                   "descending")}
    assert InspectionSelection.from_params(blank) == InspectionSelection()


def test_the_labelled_table_has_chinese_headers_and_labels(store: Store) -> None:
    rows = select_inspections(store, InspectionSelection(sort="id"))
    table = labelled_inspections(rows)
    assert list(table.columns)[:4] == ["检查编号", "日期", "轮次", "检查结果"]
    assert "污染源名称" in table.columns and "照片数" in table.columns
    record = table.iloc[1].to_dict()
    assert record["检查结果"] == "违规" and record["污染源类别"] == "餐饮"
    assert record["污染源状态"] == "营业" and record["照片数"] == 2 and record["轮次"] == 2
    stamp = record["更新时间"]
    assert isinstance(stamp, str) and len(stamp) == 16 and "T" not in stamp
    english = labelled_inspections(rows, "en")
    assert list(english.columns)[:4] == ["Inspection ID", "Date", "Round", "Result"]
    assert english.iloc[1]["Result"] == "violation"
