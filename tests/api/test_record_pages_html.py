"""History, a source's inspections and a round's progress: pages for browsers, JSON for programs."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely import Point

from geo import writes
from geo.inspections import campaign_progress
from geo.inspections.round_sheet import round_sheet
from geo.ledger import Feature
from geo.store import Store
from tests._support.signin import client_for
from tests._support.stores import STORE_KINDS, make_store

HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}
XSS = "<img src=x onerror=alert(1)>"
TEMPLATE = "{{7*7}}"
NEAR = (113.6660, 34.7580)


def _source(store: Store, fid: str, name: str, community: str | None, *,
            category: str = "catering", status: str = "operating") -> None:
    props = {"name": name, "category": category, "status": status, "community": community}
    writes.create(store, "sources", Feature(fid, props, Point(*NEAR)), actor="seed")


def _inspect(store: Store, source_id: str, round_no: int, date: str, result: str = "compliant",
             **props: object) -> None:
    writes.create(store, "inspections", Feature(None, {
        "source_id": source_id, "round": round_no, "date": date, "result": result,
        "inspector": "李四", **props}), actor="seed")


def seed(store: Store) -> None:
    writes.create(store, "stations", Feature("M-1", {"name": "监测点一"}, Point(113.665, 34.757)),
                  actor="seed")
    _source(store, "S-1", "老王餐馆", "甲社区")
    _source(store, "S-2", XSS, TEMPLATE + XSS)  # hostile name and community
    _source(store, "S-3", "无社区小吃", None)
    _source(store, "S-4", "后来关停的面馆", "甲社区")  # closed by its round-2 visit: still due
    _source(store, "S-5", "早已关停的饭店", "甲社区", status="closed")  # closed, not visited
    _source(store, "S-6", "烧烤摊", "甲社区", category="bbq")  # rounds check catering only
    _source(store, "S-7", "𠀀记餐馆", "𠀀社区")  # a community beyond U+FFFF
    _inspect(store, "S-1", 2, "2026-05-01", "compliant", fume_purifier="in_use")
    _inspect(store, "S-1", 2, "2026-05-09", "violation", notes="净化器未开启")
    _inspect(store, "S-1", 1, "2026-03-02")
    _inspect(store, "S-4", 2, "2026-05-03", "closed_down")
    _inspect(store, "S-6", 2, "2026-05-04")
    _inspect(store, "S-2", 2, "2026-05-05", inspector=XSS, notes=TEMPLATE + XSS)
    _inspect(store, "S-3", 3, "2026-06-01")  # round 3 is the current round
    writes.update(store, "sources", "S-1", {"status": "rectifying", "address": "建设路 1 号"},
                  expected_version=None, actor="张三")


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        seed(opened)
        yield opened


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with client_for(store) as test_client:
        yield test_client


def _no_raw_hostile_text(page: str) -> None:
    assert XSS not in page and "<img" not in page
    assert html.escape(XSS, quote=False) in page or html.escape(XSS) in page
    assert TEMPLATE in page  # shown as typed, never evaluated


def _steps(page: str) -> list[str]:
    timeline = page[page.index('<ol class="timeline">'):page.index("</ol>")]
    return re.findall(r'<li class="step (op-\w+)"', timeline)


# -- history ---------------------------------------------------------------------------------


def test_history_page_names_who_when_and_each_field_from_to(client: TestClient,
                                                            store: Store) -> None:
    res = client.get("/collections/sources/items/S-1/history", headers=HTML)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    assert "Accept" in res.headers["vary"]
    page = res.text
    assert "污染源 S-1 的变更记录" in page and "老王餐馆" in page
    entries = store.history("sources", "S-1")
    assert _steps(page) == [f"op-{e.operation}" for e in reversed(entries)]  # newest first
    update = next(e for e in reversed(entries) if e.actor == "张三")
    step = page[page.index(f'data-seq="{update.seq}"'):]
    step = step[:step.index("</ul>")]
    assert "张三" in step and "修改" in step
    assert re.search(r"<del>营业</del> → <ins>整改中</ins>", step)  # 状态 from -> to, labelled
    assert "状态：" in step and "地址：<del>—</del> → <ins>建设路 1 号</ins>" in step
    # Beijing time: the stored UTC instant shown eight hours on
    hour = (int(update.at[11:13]) + 8) % 24
    assert re.search(rf'<span class="when">\d{{4}}-\d\d-\d\d {hour:02d}:{update.at[14:16]}</span>',
                     step)
    assert 'href="/ledger/S-1"' in page


def test_history_json_is_unchanged(client: TestClient, store: Store) -> None:
    entries = store.history("sources", "S-1")
    for headers in (JSON, {}):
        res = client.get("/collections/sources/items/S-1/history", headers=headers)
        assert res.status_code == 200 and res.headers["content-type"] == "application/json"
        body = res.json()
        assert set(body) == {"collection", "id", "changes"}
        assert [(c["seq"], c["operation"], c["actor"]) for c in body["changes"]] == [
            (e.seq, e.operation, e.actor) for e in entries]
    assert client.get("/collections/sources/items/S-1/history?f=json",
                      headers=HTML).headers["content-type"] == "application/json"


def test_history_f_html_works_without_accept_and_does_not_vary(client: TestClient) -> None:
    res = client.get("/collections/sources/items/S-1/history?f=html")
    assert res.status_code == 200 and "老王餐馆" in res.text
    assert "accept" not in res.headers.get("vary", "").lower()


def test_a_deleted_source_still_has_its_history_page(client: TestClient, store: Store) -> None:
    version = store.get("sources", "S-5").version
    writes.delete(store, "sources", "S-5", expected_version=version, actor="王五")
    page = client.get("/collections/sources/items/S-5/history", headers=HTML)
    assert page.status_code == 200
    assert _steps(page.text)[0] == "op-delete" and "已删除" in page.text
    assert "王五" in page.text and "早已关停的饭店" in page.text
    assert 'href="/ledger/S-5"' not in page.text  # no link to a page that is gone


def test_history_of_an_inspection_and_hostile_text(client: TestClient, store: Store) -> None:
    frame = store.read("inspections", query=None)
    fid = str(frame.loc[frame["source_id"] == "S-2", "id"].iloc[0])
    page = client.get(f"/collections/inspections/items/{fid}/history", headers=HTML)
    assert page.status_code == 200 and f"检查记录 {fid} 的变更记录" in page.text
    assert "检查结果：" in page.text and "合格" in page.text  # the result's label, not its code
    _no_raw_hostile_text(page.text)
    _no_raw_hostile_text(client.get("/collections/sources/items/S-2/history", headers=HTML).text)


def test_history_in_english(client: TestClient) -> None:
    page = client.get("/collections/sources/items/S-1/history?lang=en", headers=HTML).text
    assert "History of source S-1" in page and "Status：" in page
    assert "<del>operating</del> → <ins>rectifying</ins>" in page and "changed" in page


@pytest.mark.parametrize("path", [
    "/collections/sources/items/S-none/history",
    "/collections/sources/items/S-none/inspections",
], ids=["history", "inspections"])
def test_unknown_ids_are_404_pages_for_browsers_and_problems_for_programs(
    client: TestClient, path: str
) -> None:
    page = client.get(path, headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "未找到" in page.text
    problem = client.get(path)
    assert problem.status_code == 404
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.json()["status"] == 404


def test_unknown_params_are_still_refused(client: TestClient) -> None:
    for path in ("/collections/sources/items/S-1/history", "/campaigns/2",
                 "/collections/sources/items/S-1/inspections"):
        assert client.get(path, params={"nope": "1"}).status_code == 400
        assert client.get(path, params={"f": "csv"}).status_code == 400
        assert client.get(path, params={"lang": "en"}).status_code == 400  # JSON takes no lang
        assert client.get(path, params={"lang": "en", "f": "html"}).status_code == 200


# -- a source's inspections ------------------------------------------------------------------


def test_source_inspections_page_lists_them_newest_first(client: TestClient,
                                                         store: Store) -> None:
    res = client.get("/collections/sources/items/S-1/inspections", headers=HTML)
    assert res.status_code == 200 and "Accept" in res.headers["vary"]
    page = res.text
    assert "老王餐馆 的检查记录" in page and 'href="/ledger/S-1"' in page
    rows = re.findall(r'<tr data-id="([^"]+)"', page)
    stored = store.read("inspections")
    stored = stored[stored["source_id"] == "S-1"].astype({"date": str})
    assert rows == stored.sort_values(["date", "id"], ascending=False)["id"].tolist()
    dates = re.findall(r'<td class="date" data-label="日期">([^<]*)</td>', page)
    assert dates == ["2026-05-09", "2026-05-01", "2026-03-02"]
    assert "违规" in page and "合格" in page and "正常使用" in page and "净化器未开启" in page
    assert "第 2 轮" in page and "李四" in page
    list_page = client.get("/inspections", headers=HTML, follow_redirects=False)
    assert ("/inspections?source_id=S-1" in page) == (list_page.status_code != 404)


def test_source_inspections_json_is_unchanged(client: TestClient) -> None:
    for headers in (JSON, {}):
        body = client.get("/collections/sources/items/S-1/inspections", headers=headers).json()
        assert body["source_id"] == "S-1"
        assert [i["date"] for i in body["inspections"]] == [
            "2026-03-02", "2026-05-01", "2026-05-09"]  # oldest first, as before


def test_source_inspections_page_escapes_and_speaks_english(client: TestClient) -> None:
    page = client.get("/collections/sources/items/S-2/inspections?f=html").text
    _no_raw_hostile_text(page)
    assert page.count(html.escape(XSS, quote=False)) >= 2  # as the name and as the inspector
    english = client.get("/collections/sources/items/S-1/inspections?lang=en", headers=HTML).text
    assert "Inspections of 老王餐馆" in english and "violation" in english
    assert "round 2" in english.lower() and 'data-label="Inspector"' in english


def test_a_source_without_inspections_says_so(client: TestClient) -> None:
    page = client.get("/collections/sources/items/S-5/inspections", headers=HTML).text
    assert "尚无检查记录" in page and "<tbody>" not in page


# -- a round's progress ----------------------------------------------------------------------


def _community_figures(page: str) -> dict[str, tuple[int, int, int]]:
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    figures = {}
    for row in re.findall(r'<tr class="community">(.*?)</tr>', body, re.S):
        name = html.unescape(re.search(r'<a href="#c\d+">(.*?)</a>', row).group(1))
        due, checked, unchecked = (int(re.search(rf'class="num {k}"[^>]*>(\d+)<', row).group(1))
                                   for k in ("due", "checked", "unchecked"))
        figures[name] = (due, checked, unchecked)
    return figures


def test_campaign_figures_equal_the_round_sheet(client: TestClient, store: Store) -> None:
    sheet = round_sheet(store, round_no=2)
    progress = campaign_progress(store, round_no=2)
    by_sheet = {c.community: ({e.id for e in c.checked}, {e.id for e in c.unchecked})
                for c in sheet.communities}
    by_campaign = {c["community"]: (set(c["checked"]), set(c["unchecked"]))
                   for c in progress["communities"]}
    assert by_campaign == by_sheet
    assert (progress["checked"], progress["unchecked"]) == (sheet.checked, sheet.unchecked)
    page = client.get("/campaigns/2", headers=HTML).text
    shown = _community_figures(page)
    assert shown == {("未填写社区" if c.community is None else c.community):
                     (c.due, len(c.checked), len(c.unchecked)) for c in sheet.communities}
    assert shown["甲社区"] == (2, 2, 0)  # S-1 and S-4 (closed by its visit); not S-5, S-6
    total = page[page.index("<tfoot>"):]
    assert f'class="num due" data-label="应检查">{sheet.due}<' in total
    assert f'class="num checked" data-label="已检查">{sheet.checked}<' in total


def test_campaign_lists_communities_in_the_round_sheets_order(store: Store) -> None:
    progress = campaign_progress(store, round_no=2)
    assert [c["community"] for c in progress["communities"]] == [
        c.community for c in round_sheet(store, round_no=2).communities]


def test_campaign_page_links_sources_sheets_and_rounds(client: TestClient) -> None:
    res = client.get("/campaigns/2", headers=HTML)
    assert res.status_code == 200 and "Accept" in res.headers["vary"]
    page = res.text
    assert "第 2 轮检查进度" in page
    assert '<a href="/ledger/S-1">老王餐馆</a>' in page
    assert '<a href="/ledger/S-3">无社区小吃</a>' in page  # unchecked, under 未填写社区
    assert 'href="/rounds/%E7%94%B2%E7%A4%BE%E5%8C%BA?round=2"' in page
    assert 'href="/rounds/?round=2"' in page  # the sources without a community
    assert re.findall(r'<a class="round" href="/campaigns/(\d+)">', page) == ["1", "3"]
    assert '<strong aria-current="page">第 2 轮</strong>' in page
    assert "@page" in page  # prints on A4


def test_campaign_page_escapes_hostile_community_and_names(client: TestClient) -> None:
    page = client.get("/campaigns/2?f=html").text
    _no_raw_hostile_text(page)
    assert "/rounds/%7B%7B7%2A7%7D%7D%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E?round=2" \
        in page  # the sheet link carries the community URL-encoded


def test_campaign_json_is_unchanged_and_english_page(client: TestClient, store: Store) -> None:
    expected = campaign_progress(store, round_no=2)
    for headers in (JSON, {}):
        res = client.get("/campaigns/2", headers=headers)
        assert res.headers["content-type"] == "application/json" and res.json() == expected
    english = client.get("/campaigns/2?lang=en", headers=HTML).text
    assert "Progress of round 2" in english and "No community recorded" in english
    assert 'data-label="Not checked"' in english


def test_a_bad_round_is_a_page_for_a_browser_and_a_problem_for_a_program(
    client: TestClient,
) -> None:
    page = client.get("/campaigns/0", headers=HTML)
    assert page.status_code in (400, 422) and page.headers["content-type"].startswith("text/html")
    problem = client.get("/campaigns/0")
    assert problem.headers["content-type"] == "application/problem+json"
