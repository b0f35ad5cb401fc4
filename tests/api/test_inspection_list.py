"""The inspection list and item pages: filters, paging, exports, errors, escaping, roles, words.

Runs on both stores; what a page shows is checked against what the store holds.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from geo import writes
from geo.ledger import Feature
from geo.photos import clean_photo
from geo.store import Store
from tests._support.images import jpeg
from tests._support.signin import client_for, sign_in
from tests._support.stores import STORE_KINDS, make_store
from tests._support.workspace import HOSTILE_NAME, seed_workspace

HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}
HOSTILE_NOTE = "<script>alert('note')</script>"
HOSTILE_INSPECTOR = '"><b onmouseover=alert(2)>张</b>'
# id, source, date, round, inspector, result, notes
VISITS = [
    ("I-01", "S-1", "2026-03-01", 1, "张三", "compliant", "净化器正常"),
    ("I-02", "S-1", "2026-04-15", 2, "李四", "violation", "油烟直排"),
    ("I-03", "S-2", "2026-03-31", 1, "张三", "closed_down", None),
    ("I-04", "S-3", "2026-04-01", 2, "王五", "compliant", "工地围挡"),
    ("I-05", "S-4", "2026-04-02", 2, HOSTILE_INSPECTOR, "violation", HOSTILE_NOTE),
]
_ROW_IDS = re.compile(r'<tr data-id="([^"]+)"')


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        seed_workspace(opened)
        for iid, sid, day, round_no, inspector, result, notes in VISITS:
            photos = [clean_photo(jpeg())] if iid == "I-02" else []
            writes.record_inspection(opened, Feature(iid, {
                "source_id": sid, "date": day, "round": round_no, "inspector": inspector,
                "result": result, "notes": notes}), actor="seed", photos=photos)
        yield opened


def signed_in(store: Store, username: str = "viewer1") -> TestClient:
    client = client_for(store)
    assert sign_in(client, username).status_code == 303
    return client


def shown(client: TestClient, query: str = "") -> list[str]:
    page = client.get("/inspections" + query, headers=HTML)
    assert page.status_code == 200, page.text
    return _ROW_IDS.findall(page.text)


def stored(store: Store) -> list[dict[str, Any]]:
    """The store's inspections with the community of their source."""
    communities = {str(s["id"]): s["community"] for s in store.read("sources").to_dict("records")}
    return [{**v, "date": str(v["date"])[:10], "community": communities.get(str(v["source_id"]))}
            for v in store.read("inspections").to_dict("records")]


def unescaped(href: str) -> str:
    return href.replace("&amp;", "&")


@pytest.mark.parametrize(("query", "field", "value"), [
    pytest.param("?result=violation", "result", "violation", id="result"),
    pytest.param("?round=1", "round", 1, id="round"),
    pytest.param("?source_id=S-1", "source_id", "S-1", id="source"),
    pytest.param("?community=%E7%94%B2%E7%A4%BE%E5%8C%BA", "community", "甲社区", id="community"),
    pytest.param("?inspector=%E5%BC%A0%E4%B8%89", "inspector", "张三", id="inspector"),
])
def test_each_filter_narrows_to_the_stored_rows(store: Store, query: str, field: str,
                                                value: object) -> None:
    expected = {str(r["id"]) for r in stored(store) if r[field] == value}
    got = shown(signed_in(store), query)
    assert set(got) == expected and len(got) == len(expected)
    assert 0 < len(expected) < len(VISITS)


def test_the_list_is_newest_first_and_links_each_row(store: Store) -> None:
    client = signed_in(store)
    page = client.get("/inspections", headers=HTML).text
    assert _ROW_IDS.findall(page) == ["I-02", "I-05", "I-04", "I-03", "I-01"]
    assert "共 5 条" in page
    assert 'href="/inspections/I-02"' in page and 'class="source" href="/ledger/S-1"' in page
    oldest = client.get("/inspections?sort=date&descending=false", headers=HTML).text
    assert _ROW_IDS.findall(oldest)[0] == "I-01"


def test_the_date_range_is_inclusive_and_search_reaches_names_and_notes(store: Store) -> None:
    client = signed_in(store)
    in_march = shown(client, "?date_from=2026-03-01&date_to=2026-03-31")
    assert set(in_march) == {str(r["id"]) for r in stored(store)
                             if "2026-03-01" <= r["date"] <= "2026-03-31"} == {"I-01", "I-03"}
    assert shown(client, "?q=%E6%B2%B9%E7%83%9F") == ["I-02"]  # 油烟, in the notes
    assert set(shown(client, "?q=%E8%80%81%E7%8E%8B")) == {"I-01", "I-02"}  # 老王, source name


def test_paging_fifty_a_page_and_sort_links(store: Store) -> None:
    for n in range(50):
        writes.record_inspection(store, Feature(f"I-9{n:02d}", {
            "source_id": "S-3", "date": "2026-01-05", "result": "compliant"}), actor="seed")
    client = signed_in(store)
    first = client.get("/inspections?sort=id", headers=HTML).text
    assert len(_ROW_IDS.findall(first)) == 50 and "共 55 条" in first and "第 1 / 2 页" in first
    link = re.search(r'rel="next" href="([^"]+)"', first)
    assert link is not None and "sort=id" in link.group(1)
    second = client.get(unescaped(link.group(1)), headers=HTML).text
    assert _ROW_IDS.findall(second) == [f"I-9{n}" for n in range(45, 50)]
    header = re.search(r'<a href="([^"]+)" title="[^"]+">检查编号</a> ▲', first)
    assert header is not None  # sorted by id, ascending; its header turns it round
    flipped = client.get(unescaped(header.group(1)), headers=HTML).text
    assert _ROW_IDS.findall(flipped)[0] == "I-949"


def test_the_excel_export_holds_exactly_the_selection(store: Store) -> None:
    client = signed_in(store)
    page = client.get("/inspections?result=violation&per_page=1", headers=HTML).text
    href = re.search(r'class="xlsx" href="([^"]+)"', page)
    assert href is not None and "per_page" not in href.group(1)
    res = client.get(unescaped(href.group(1)))
    assert res.status_code == 200 and ".xlsx" in res.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(res.content)).active
    assert sheet is not None and sheet.title == "检查记录"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("检查编号", "日期", "轮次", "检查结果")
    expected = {str(r["id"]) for r in stored(store) if r["result"] == "violation"}
    assert {row[0] for row in rows[1:]} == expected and len(rows) - 1 == len(expected)
    record = dict(zip(header, rows[1], strict=True))
    assert record["检查编号"] == "I-02" and record["检查结果"] == "违规"
    assert record["污染源名称"] == "老王餐馆" and record["污染源类别"] == "餐饮"
    assert record["照片数"] == 1 and record["轮次"] == 2
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", str(record["更新时间"]))


def test_the_csv_export_in_english(store: Store) -> None:
    res = signed_in(store).get("/inspections?round=1&f=csv&lang=en")
    assert res.status_code == 200
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Inspection ID", "Date", "Round", "Result"]
    assert sorted(r[0] for r in rows[1:]) == ["I-01", "I-03"]
    assert rows[1][rows[0].index("Result")] in ("compliant", "closed down")


@pytest.mark.parametrize("query", ["?round=abc", "?result=passed", "?date_from=2026-13-01",
                                   "?date_from=2026-04-02&date_to=2026-04-01", "?sort=notes"])
def test_bad_values_are_a_page_for_people_and_problem_json_for_programs(
        store: Store, query: str) -> None:
    client = signed_in(store)
    page = client.get("/inspections" + query, headers=HTML)
    assert page.status_code in (400, 422)
    assert page.headers["content-type"].startswith("text/html")
    program = client.get("/inspections" + query, headers=JSON)
    assert program.status_code == page.status_code
    assert program.headers["content-type"] == "application/problem+json"
    assert program.json()["status"] == page.status_code


def test_an_unknown_export_format_is_refused(store: Store) -> None:
    res = signed_in(store).get("/inspections?f=pdf", headers=HTML)
    assert res.status_code == 422 and "f must be one of" in res.json()["detail"]


def test_hostile_text_is_shown_as_text(store: Store) -> None:
    client = signed_in(store)
    for path in ("/inspections", "/inspections/I-05"):
        page = client.get(path, headers=HTML).text
        for hostile in (HOSTILE_NOTE, HOSTILE_INSPECTOR, HOSTILE_NAME):
            assert hostile not in page, (path, hostile)
        assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;" in page
        assert "&lt;img src=x onerror=" in page


def test_the_item_page_shows_fields_source_photos_and_history(store: Store) -> None:
    page = signed_in(store).get("/inspections/I-02", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "2026-04-15" in text and "违规" in text and "李四" in text and "油烟直排" in text
    assert 'class="source" href="/ledger/S-1">老王餐馆</a>' in text and "餐饮" in text
    photo = store.photos.of_inspections(["I-02"])["I-02"][0]
    assert f'<a href="/photos/{photo.id}"><img src="/photos/{photo.id}/thumb"' in text
    timeline = text[text.index('class="timeline"'):]
    assert "seed" in timeline and "新增" in timeline


def test_a_viewer_sees_no_edit_button_an_editor_does_once_the_page_exists(store: Store) -> None:
    viewer = signed_in(store, "viewer1").get("/inspections/I-01", headers=HTML).text
    assert "/inspections/I-01/edit" not in viewer
    editor_client = signed_in(store, "editor1")
    editor = editor_client.get("/inspections/I-01", headers=HTML).text
    # the edit page comes from another module: the button shows exactly when it answers
    exists = editor_client.get("/inspections/I-01/edit", headers=HTML).status_code != 404
    assert ('href="/inspections/I-01/edit"' in editor) == exists


def test_an_unknown_inspection_is_a_404_page(store: Store) -> None:
    res = signed_in(store).get("/inspections/I-nope", headers=HTML)
    assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")


def test_english_labels(store: Store) -> None:
    client = signed_in(store)
    listing = client.get("/inspections?lang=en", headers=HTML).text
    assert "<h1>Inspections</h1>" in listing and "5 inspections" in listing
    assert ">Result</a>" in listing and ">violation</td>" in listing and "Catering" in listing
    item = client.get("/inspections/I-02?lang=en", headers=HTML).text
    assert "Inspector" in item and "round 2" in item and ">violation</span>" in item


def test_the_source_page_and_the_rounds_page_link_here(store: Store) -> None:
    client = signed_in(store)
    source = client.get("/ledger/S-1", headers=HTML).text
    assert 'href="/inspections/I-01"' in source and 'href="/inspections/I-02"' in source
    rounds = client.get("/rounds", headers=HTML).text
    assert re.search(r'class="inspections" href="/inspections\?round=\d+"', rounds)
