"""The inspection-round pages: communities of a round, one community's sheet, print and phone."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from shapely import Point

from geo import writes
from geo.accounts import add_account
from geo.ledger import BUREAU_TZ, Feature
from geo.overview import overview
from geo.store import Store
from tests._support.signin import PASSWORD, client_for, sign_in
from tests._support.stores import STORE_KINDS, make_store
from tests.geo.test_round_sheet import A, B, seed_rounds

HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}
HOSTILE = '<b>x</b>/"y"?&z=1#top'
_COMMUNITY_ROW = re.compile(
    r'<tr class="community">\s*<td data-label="[^"]*"><a href="([^"]+)">([^<]*)</a></td>\s*'
    r'<td class="num due"[^>]*>(\d+)</td>\s*<td class="num checked"[^>]*>(\d+)</td>\s*'
    r'<td class="num unchecked"[^>]*>(\d+)</td>\s*<td class="num violations"[^>]*>(\d+)</td>'
    r'\s*<td class="num share"[^>]*>([^<]*)</td>')
_TOTAL_ROW = re.compile(
    r'<tr class="total">.*?<td class="num due"[^>]*>(\d+)</td>\s*<td class="num checked"[^>]*>'
    r'(\d+)</td>\s*<td class="num unchecked"[^>]*>(\d+)</td>\s*<td class="num violations"'
    r'[^>]*>(\d+)</td>', re.S)
_SOURCE_ROW = re.compile(
    r'<tr data-id="([^"]+)" data-state="([^"]+)".*?<td class="state"[^>]*>([^<]*)</td>\s*'
    r'<td class="result"[^>]*>([^<]*)</td>', re.S)


@dataclass
class Site:
    store: Store
    client: TestClient


@pytest.fixture(params=STORE_KINDS)
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    for store in make_store(request.param, tmp_path):
        seed_rounds(store)
        add_account(store, username="editor1", role="editor", password=PASSWORD)
        add_account(store, username="viewer1", role="viewer", password=PASSWORD)
        client = client_for(store)
        with client:
            yield Site(store, client)


def _get(site: Site, href: str, **headers: str) -> str:
    page = site.client.get(html.unescape(href), headers={**HTML, **headers})
    assert page.status_code == 200, page.text
    return str(page.text)


def communities(page: str) -> list[tuple[str, str, int, int, int, int, str]]:
    return [(html.unescape(href), html.unescape(name), int(due), int(ok), int(no), int(bad),
             share) for href, name, due, ok, no, bad, share in _COMMUNITY_ROW.findall(page)]


def sources(page: str) -> list[tuple[str, str, str, str]]:
    return [(fid, state, html.unescape(text), result)
            for fid, state, text, result in _SOURCE_ROW.findall(page)]


def _href(community: str, round_no: int, only: str = "") -> str:
    return (f"/rounds/{quote(community, safe='')}?round={round_no}"
            + (f"&only={only}" if only else ""))


def test_the_current_round_lists_each_community_with_its_counts(site: Site) -> None:
    page = _get(site, "/rounds")
    assert "检查轮次 · 第 2 轮" in page
    assert communities(page) == [
        (_href(B, 2), B, 2, 1, 1, 0, "50%"),
        (_href(A, 2), A, 2, 1, 1, 1, "50%"),
        ("/rounds/?round=2", "未填写社区", 1, 0, 1, 0, "0%"),
    ]
    totals = tuple(int(n) for n in _TOTAL_ROW.findall(page)[0])
    home = overview(site.store)
    # the home page's "due" is what is still to be checked
    assert totals == (home.due + home.checked, home.checked, home.due, 1) == (5, 2, 3, 1)
    assert 'href="/rounds?round=1"' in page and '<strong aria-current="page">第 2 轮' in page


def test_an_earlier_round_is_picked_with_round(site: Site) -> None:
    page = _get(site, "/rounds?round=1")
    assert [row[1:] for row in communities(page)] == [
        (B, 2, 1, 1, 0, "50%"), (A, 3, 3, 0, 1, "100%"), ("未填写社区", 1, 0, 1, 0, "0%")]
    assert tuple(int(n) for n in _TOTAL_ROW.findall(page)[0]) == (6, 4, 2, 1)
    assert 'href="/rounds?round=2"' in page


def test_a_community_sheet_shows_each_source_and_where_it_stands(site: Site) -> None:
    page = _get(site, _href(A, 2))
    assert sources(page) == [("A1", "violation", "2025-04-01 由 王五 检查", "违规"),
                             ("A2", "unchecked", "未检查", "")]
    assert 'href="/ledger/A1"' in page and 'href="/ledger/A2"' in page
    assert "X1" not in page and "A3" not in page  # a bbq spot, a closed premise: not due
    b_page = _get(site, _href(B, 2))
    assert sources(b_page) == [("B1", "unchecked", "未检查", ""),
                               ("B2", "checked", "2025-04-10 由 （未记录检查人） 检查", "合格")]
    earlier = _get(site, _href(A, 1))
    assert [row[:2] for row in sources(earlier)] == [
        ("A1", "checked"), ("A2", "violation"), ("A3", "checked")]
    assert sources(earlier)[2][3] == "取缔"


def test_only_unchecked_filters_and_all_brings_everything_back(site: Site) -> None:
    page = _get(site, _href(B, 2))
    only = re.search(r'class="only-unchecked" href="([^"]+)"', page)
    every = re.search(r'class="all" href="([^"]+)"', page)
    assert only is not None and every is not None
    assert html.unescape(only.group(1)) == _href(B, 2, "unchecked")
    filtered = _get(site, only.group(1))
    assert [row[:2] for row in sources(filtered)] == [("B1", "unchecked")]
    assert [row[0] for row in sources(_get(site, every.group(1)))] == ["B1", "B2"]
    # the counts stay those of the whole community
    assert '<strong class="due">2</strong>' in filtered
    assert '<strong class="checked">1</strong>' in filtered


def test_the_sources_without_a_community_have_their_sheet(site: Site) -> None:
    page = _get(site, "/rounds/?round=2")
    assert "未填写社区 · 第 2 轮检查" in page
    assert sources(page) == [("N1", "unchecked", "未检查", "")]


def test_the_pages_in_english(site: Site) -> None:
    page = _get(site, "/rounds?lang=en")
    assert "No community recorded" in page and "Share checked" in page
    sheet = _get(site, _href(A, 2) + "&lang=en")
    assert ("A1", "violation", "checked on 2025-04-01 by 王五", "violation") in sources(sheet)
    assert ("A2", "unchecked", "Not checked", "") in sources(sheet)


def test_the_sheet_prints_with_a_title_date_and_signature_line(site: Site) -> None:
    before = dt.datetime.now(BUREAU_TZ).strftime("%Y-%m-%d")
    page = _get(site, _href(A, 2))
    after = dt.datetime.now(BUREAU_TZ).strftime("%Y-%m-%d")
    printed = re.search(r'<h1>甲社区 · 第 2 轮检查 <span class="print-only printed">· 打印于 '
                        r'(\d{4}-\d\d-\d\d) \d\d:\d\d</span></h1>', page)
    assert printed is not None and printed.group(1) in (before, after)
    assert re.search(r'class="signature print-only"><span>检查人签字：<span class="line">', page)
    assert "@media print" in page and "size: A4 portrait" in page
    # a phone shows cards: every cell names its column
    assert '<td data-label="名称"><a href="/ledger/A1">A1 店</a></td>' in page


def test_an_unknown_community_is_a_not_found_page(site: Site) -> None:
    page = site.client.get(_href("丁社区", 2), headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "丁社区" in page.text
    program = site.client.get(_href("丁社区", 2), headers=JSON)
    assert program.status_code == 404
    assert program.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("path", "status"), [
    ("/rounds?round=0", 422), ("/rounds?round=1001", 422), ("/rounds?round=abc", 400),
    (f"/rounds/{quote(A)}?round=-3", 422), (f"/rounds/{quote(A)}?round=2.5", 400),
    (f"/rounds/{quote(A)}?only=nothing", 422),
], ids=["zero", "past-max", "text", "community-negative", "community-fraction", "bad-only"])
def test_a_bad_round_is_an_error_page(site: Site, path: str, status: int) -> None:
    page = site.client.get(path, headers=HTML)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert f'data-status="{status}"' in page.text


def test_hostile_community_names_are_shown_as_text_and_reachable(site: Site) -> None:
    writes.create(site.store, "sources", Feature("H1", {
        "name": "<script>alert(1)</script>", "category": "catering", "community": HOSTILE},
        Point(113.66, 34.75)), actor="test")
    index = _get(site, "/rounds")
    assert "<b>x</b>" not in index and "<script>" not in index
    row = next(r for r in communities(index) if r[1] == HOSTILE)
    assert row[0] == _href(HOSTILE, 2) and row[2:6] == (1, 0, 1, 0)
    assert "%2F" in row[0] and "%3F" in row[0] and "%23" in row[0]
    sheet = _get(site, row[0])
    assert "<b>x</b>" not in sheet and "<script>alert(1)</script>" not in sheet
    assert "&lt;b&gt;x&lt;/b&gt;/&#34;y&#34;?&amp;z=1#top · 第 2 轮检查" in sheet
    assert sources(sheet) == [("H1", "unchecked", "未检查", "")]
    # the filter links keep the name whole
    only = re.search(r'class="only-unchecked" href="([^"]+)"', sheet)
    assert only is not None and html.unescape(only.group(1)) == _href(HOSTILE, 2, "unchecked")


def test_a_community_with_a_slash_is_one_community(site: Site) -> None:
    writes.create(site.store, "sources", Feature("S1", {
        "name": "斜杠店", "category": "catering", "community": f"{A}/二区"},
        Point(113.66, 34.75)), actor="test")
    assert [row[0] for row in sources(_get(site, _href(f"{A}/二区", 2)))] == ["S1"]
    assert [row[0] for row in sources(_get(site, _href(A, 2)))] == ["A1", "A2"]


def _record_links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'class="record" href="([^"]+)"', page)]


def test_only_an_editor_is_offered_to_record_an_inspection(site: Site) -> None:
    assert _record_links(_get(site, _href(A, 2))) == []  # nobody signed in
    assert sign_in(site.client, "viewer1").status_code == 303
    assert _record_links(_get(site, _href(A, 2))) == []
    assert sign_in(site.client, "editor1").status_code == 303
    # only for the unchecked source, with the round it is due in
    assert _record_links(_get(site, _href(A, 2))) == ["/ledger/A2/inspect?round=2"]
    assert _record_links(_get(site, _href(A, 1))) == []  # everything checked in round 1
