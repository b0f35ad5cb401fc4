"""Reports fit to hand upward: the reporting unit, the period, page numbers, landscape, English.

The ledger here has one source per community in many communities, so the
community table is wide (a column per category) and long (several printed
pages). Times are never frozen: a test notes the Beijing minute before and
after its request and accepts what lies between.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pydantic import ValidationError
from shapely import Point

from api.app import create_app
from api.settings import Settings
from geo import writes
from geo.ledger import CATEGORIES, Feature
from geo.reports import LABELS, LABELS_EN, TITLES_EN
from geo.store import Store
from geo.vocabulary import code_label
from tests._support.browser import ARTIFACTS, CHROMIUM_ARGS
from tests._support.live_server import serve_store
from tests._support.stores import STORE_KINDS, make_store

UNIT = "郑州市中原区城市管理行政执法局"
HOSTILE = '=HYPERLINK("http://evil.example","点")&P<script>alert(1)</script>{{7*7}}'
COMMUNITIES = 60
SUBDISTRICT = "测试街道"
BEIJING = ZoneInfo("Asia/Shanghai")
FORMATS = ("html", "csv", "xlsx", "json")


def _seed(store: Store) -> None:
    writes.create(store, "stations", Feature("M1", {"name": "一号监测点", "radius_m": 3000.0},
                                     Point(113.60, 34.75)), actor="seed")
    cats = [c for c in CATEGORIES if c not in ("muck_route", "construction_site")]
    for n in range(COMMUNITIES):
        category = cats[n % len(cats)]
        writes.create(store, "sources", Feature(None, {
            "name": f"源{n:02d}", "category": category,
            "status": "closed" if n % 7 == 0 else "operating",
            "fume_purifier": "in_use" if category in ("catering", "night_market") else None,
            "subdistrict": SUBDISTRICT, "community": f"社区{n:02d}", "grid": f"G{n:02d}",
        }, Point(113.60 + 0.001 * n, 34.75 + (0.0 if n % 2 else 0.2))), actor="seed")


@pytest.fixture(scope="module", params=STORE_KINDS)
def ledger(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """The many-community ledger, once per store kind."""
    for store in make_store(request.param, tmp_path_factory.mktemp("print")):
        _seed(store)
        yield store


def _client(store: Store, unit: str = "") -> TestClient:
    return TestClient(create_app(Settings(store=store.url, seed_demo=False, report_unit=unit),
                                 store=store))


def _get(client: TestClient, fmt: str, by: str = "community", **params: str) -> Any:
    res = client.get("/reports/summary", params={"by": by, "f": fmt, **params})
    assert res.status_code == 200, res.text
    return res


def _csv(res: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))


def _book(res: Any) -> Any:
    return load_workbook(io.BytesIO(res.content))


def _header_xml(res: Any) -> list[str]:
    """The raw page header of every sheet, as Excel reads it (``&&`` is a literal ``&``)."""
    with zipfile.ZipFile(io.BytesIO(res.content)) as archive:
        sheets = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
        found = [re.search(r"<oddHeader>(.*?)</oddHeader>", archive.read(n).decode())
                 for n in sheets]
    return [unescape(m.group(1)) if m else "" for m in found]


class _Tables(HTMLParser):
    """Cell texts of every <table data-view=...>, row by row."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._view: str | None = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "table" and attr.get("data-view"):
            self._view = str(attr["data-view"])
            self.tables[self._view] = []
        elif tag == "tr" and self._view:
            self.tables[self._view].append([])
        elif tag in ("td", "th") and self._view and "noprint" not in (attr.get("class") or ""):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._view = None
        elif tag in ("td", "th") and self._view and self._cell is not None:
            self.tables[self._view][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _minutes(start: dt.datetime, end: dt.datetime) -> set[str]:
    """Every Beijing ``YYYY-MM-DD HH:MM`` from ``start`` to ``end``."""
    shown, moment = set(), start.replace(second=0, microsecond=0)
    while moment <= end:
        shown.add(moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"))
        moment += dt.timedelta(minutes=1)
    return shown


def _numbers(rows: list[list[Any]]) -> list[list[Any]]:
    """Only the numeric cells of a table (text cells become None)."""
    def number(cell: Any) -> Any:
        if isinstance(cell, int | float):
            return cell
        try:
            return float(str(cell).replace(",", "").rstrip("%"))
        except ValueError:
            return None
    return [[number(c) for c in row] for row in rows]


# -- the reporting unit ---------------------------------------------------------------------


def test_the_unit_is_in_every_format_when_set(ledger: Store) -> None:
    with _client(ledger, UNIT) as client:
        page = _get(client, "html").text
        rows = _csv(_get(client, "csv"))
        xlsx = _get(client, "xlsx")
        doc = _get(client, "json").json()
    assert f'填报单位：<span class="fill">{UNIT}</span>' in page
    assert "fill blank" not in page
    assert rows[0][-2:] == ["填报单位", "统计时点"]
    assert len(rows) == COMMUNITIES + 1 and {r[-2] for r in rows[1:]} == {UNIT}
    book = _book(xlsx)
    assert all(h.startswith(f"&L填报单位：{UNIT}&C") for h in _header_xml(xlsx))
    assert UNIT in book.properties.description
    sheet = book["按社区"]  # the table still starts on row 1, for programs and filters
    assert [c.value for c in sheet[1]][:2] == [LABELS["subdistrict"], LABELS["community"]]
    assert doc["unit"] == UNIT


def test_an_unset_unit_leaves_a_line_to_write_on(ledger: Store) -> None:
    with _client(ledger) as client:
        page = _get(client, "html").text
        rows = _csv(_get(client, "csv"))
        xlsx = _get(client, "xlsx")
        doc = _get(client, "json").json()
    assert '填报单位：<span class="fill blank"' in page
    assert {r[-2] for r in rows[1:]} == {""}
    assert all(h.startswith("&L填报单位：" + "_" * 24 + "&C") for h in _header_xml(xlsx))
    assert doc["unit"] == ""


def test_a_hostile_unit_is_plain_text_in_every_format(ledger: Store) -> None:
    with _client(ledger, HOSTILE) as client:
        page = _get(client, "html").text
        rows = _csv(_get(client, "csv"))
        xlsx = _get(client, "xlsx")
        doc = _get(client, "json").json()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{7*7}}" in page
    assert {r[-2] for r in rows[1:]} == {"'" + HOSTILE}  # the apostrophe: shown, never run
    book = _book(xlsx)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    # in a page header "&" starts a code (&P: page number); doubled, it is an ampersand
    assert all(h.startswith("&L填报单位：" + HOSTILE.replace("&", "&&") + "&C")
               for h in _header_xml(xlsx))
    assert doc["unit"] == HOSTILE


@pytest.mark.parametrize("unit", ["第一行\n第二行", "x" * 121], ids=["newline", "too-long"])
def test_a_unit_that_cannot_print_is_refused_at_start(unit: str) -> None:
    with pytest.raises(ValidationError, match="report_unit"):
        Settings(report_unit=unit)


# -- the period and the local time ------------------------------------------------------------


@pytest.fixture
def far_from_beijing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run the server in New York's zone: the report must still say Beijing time."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_from_beijing")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_format_says_when_its_figures_stand(ledger: Store, lang: str) -> None:
    with _client(ledger) as client:
        start = dt.datetime.now(dt.UTC)
        got = {fmt: _get(client, fmt, by="category", lang=lang) for fmt in FORMATS}
        end = dt.datetime.now(dt.UTC)
    doc = got["json"].json()
    stamp = re.sub(r"^(截至|as of) ", "", doc["period"])
    assert stamp in _minutes(start, end)
    as_of = f"截至 {stamp}" if lang == "zh" else f"as of {stamp}"
    assert doc["period"] == as_of
    trend = next(v for v in doc["views"] if v["name"] == "trend")
    first, last = trend["rows"][0]["month"], trend["rows"][-1]["month"]
    assert len(trend["rows"]) == 12 and first < last
    span = (f"{first} 至 {last}（逐月，截至 {stamp}）" if lang == "zh"
            else f"{first} to {last} (monthly, as of {stamp})")
    assert trend["period"] == span
    page = got["html"].text
    if lang == "zh":
        assert f"统计时点：{as_of}" in page and f"生成时间（北京时间）：{stamp}" in page
        assert f"统计期间：{span}" in page
    else:
        assert f"Figures: {as_of}" in page and f"Generated (Beijing time): {stamp}" in page
        assert f"Period: {span}" in page
    assert {r[-1] for r in _csv(got["csv"])[1:]} == {as_of}
    headers = _header_xml(got["xlsx"])
    assert all(h.endswith(as_of) for h in headers[:3]) and headers[3].endswith(span)


# -- paper --------------------------------------------------------------------------------------


def test_wide_tables_go_landscape_and_headers_repeat(ledger: Store) -> None:
    with _client(ledger) as client:
        page = _get(client, "html").text
        book = _book(_get(client, "xlsx"))
    assert '<section class="view wide" id="view-community">' in page  # 19 columns
    assert '<section class="view" id="view-rounds">' in page  # 8 columns
    assert "@page wide { size: A4 landscape; }" in page
    assert ".report section.wide { page: wide; }" in page
    assert ".report thead { display: table-header-group; }" in page
    assert '@bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"' in page
    orientation = {ws.title: ws.page_setup.orientation for ws in book.worksheets}
    assert orientation == {"概要": "portrait", "按社区": "landscape",
                           "分轮次检查覆盖（按社区）": "portrait", "油烟净化装置覆盖": "portrait"}
    assert all(ws.print_title_rows == "$1:$1" for ws in book.worksheets)
    assert all(ws.oddFooter.center.text == "第 &P 页 / 共 &N 页" for ws in book.worksheets)


# -- English --------------------------------------------------------------------------------------


def test_english_files_have_english_words_and_the_same_numbers(ledger: Store) -> None:
    with _client(ledger, UNIT) as client:
        zh = {fmt: _get(client, fmt, by="category") for fmt in FORMATS}
        en = {fmt: _get(client, fmt, by="category", lang="en") for fmt in FORMATS}
        client.cookies.set("zw_lang", "en")  # the language switch's choice holds for files too
        by_cookie = _csv(_get(client, "csv", by="category"))
    zh_doc, en_doc = zh["json"].json(), en["json"].json()
    assert [v["rows"] for v in en_doc["views"]] == [v["rows"] for v in zh_doc["views"]]
    for view in en_doc["views"]:
        assert view["title"] == TITLES_EN[view["name"]]
        assert all(c["label"] == LABELS_EN[c["key"]] for c in view["columns"])
    rows = _csv(en["csv"])
    assert by_cookie == rows
    assert rows[0] == ["Category", "Operating", "Rectifying", "Closed / shut down", "Total",
                       "Reporting unit", "Figures"]
    assert [r[0] for r in rows[1:]] == [code_label("category", c, "en") for c in CATEGORIES] + [
        "Total"]
    assert _numbers(rows) == _numbers(_csv(zh["csv"]))
    total = next(r for r in rows if r[0] == "Total")
    assert int(total[4]) == ledger.count("sources") == COMMUNITIES
    zh_book, en_book = _book(zh["xlsx"]), _book(en["xlsx"])
    assert en_book.sheetnames == [TITLES_EN[v["name"]] for v in en_doc["views"]]
    for zh_sheet, en_sheet in zip(zh_book.worksheets, en_book.worksheets, strict=True):
        zh_rows = [list(r) for r in zh_sheet.iter_rows(values_only=True)]
        en_rows = [list(r) for r in en_sheet.iter_rows(values_only=True)]
        assert _numbers(en_rows) == _numbers(zh_rows)
        assert not any(re.search(r"[\u4e00-\u9fff]", str(c)) for c in en_rows[0])
    assert [c.value for c in en_book["Summary"]["A"]][1] == "Sources in total"
    assert all(h.startswith(f"&LReporting unit: {UNIT}&C") for h in _header_xml(en["xlsx"]))


def test_english_page_has_english_words_and_the_same_numbers(ledger: Store) -> None:
    with _client(ledger) as client:
        zh = _get(client, "html").text
        en = _get(client, "html", lang="en").text
    zh_tables, en_tables = _Tables(zh).tables, _Tables(en).tables
    assert en_tables.keys() == zh_tables.keys()
    for name, table in en_tables.items():
        assert _numbers(table[1:]) == _numbers(zh_tables[name][1:]), name
        assert not any(re.search(r"[\u4e00-\u9fff]", h) for h in table[0]), name
    assert '<html lang="en">' in en
    assert "<h1>Zhongyuan District pollution-source ledger report</h1>" in en
    assert 'Reporting unit: <span class="fill blank"' in en
    assert '"Page " counter(page) " of " counter(pages)' in en
    assert "Priority targets (by community, top 25)" in en
    assert "Breakdown: by community" in en
    # the page's links keep the language, so a download is in the page's language
    assert "/reports/summary?by=community&amp;f=csv&amp;lang=en" in en
    assert "lang=" not in "".join(re.findall(r'href="(/reports[^"]*)"', zh))


# -- in a real browser, on paper ----------------------------------------------------------------


def _pdf_pages(pdf: bytes) -> list[tuple[float, float, str]]:
    """Width, height (pt) and text of each page; CJK radicals read back as the characters."""
    from pypdf import PdfReader

    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        # the fonts map some characters to look-alike radicals (行 as U+2F8F, 页 as U+2EDA)
        words = "".join(unicodedata.normalize("NFKC", ch) if "\u2e80" <= ch <= "\u2fdf" else ch
                        for ch in page.extract_text()).replace("\u2eda", "页")
        pages.append((float(page.mediabox.width), float(page.mediabox.height), words))
    return pages


def test_community_report_prints_numbered_with_landscape_tables(
    playwright: Any, ledger: Store, tmp_path: Path
) -> None:
    hosts: set[str] = set()
    with serve_store(ledger, report_unit=UNIT) as url:
        # a persistent context on a fresh directory: a fresh --user-data-dir
        chromium = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path="/usr/bin/chromium", headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1100, "height": 1400})
        try:
            page = chromium.new_page()
            page.on("request", lambda req: hosts.add(urlsplit(req.url).hostname or ""))
            page.goto(f"{url}/reports/summary?by=community&f=html", wait_until="networkidle")
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
            ARTIFACTS.mkdir(exist_ok=True)
            page.emulate_media(media="print")
            page.screenshot(path=str(ARTIFACTS / "report-print-community.png"), full_page=True)
            page.goto(f"{url}/reports/summary?by=community&f=html&lang=en",
                      wait_until="networkidle")
            page.screenshot(path=str(ARTIFACTS / "report-print-community-en.png"),
                            full_page=True)
        finally:
            chromium.close()
    assert hosts == {"127.0.0.1"}
    pages = _pdf_pages(pdf)
    assert len(pages) >= 3
    for number, (_, _, words) in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in words, (number, words[:80])
    width, height, first = pages[0]
    assert width < height and f"填报单位：{UNIT}" in first and "统计时点：截至 " in first
    # the community table (subdistrict in every row) prints landscape, and only it
    table_pages = [(w, h) for w, h, words in pages if SUBDISTRICT in words]
    assert len(table_pages) >= 2 and all(w > h for w, h in table_pages)
    assert all(w < h for w, h, words in pages if SUBDISTRICT not in words)
