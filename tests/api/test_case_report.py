"""GET /reports/cases: the case figures of a period in JSON, CSV, XLSX and a printable page.

The ledger is March 2025 of tests.geo.test_case_figures, built through the
case loop on both stores, its event types saved in the store (the route
reads them from there); every format must carry the same numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from shapely.geometry import Point

from api.app import create_app
from api.settings import Settings
from geo.cases import act_on_case, report_case, save_types
from geo.cases.figures import FIGURES, WORDS
from geo.ledger import BUREAU_TZ
from geo.store import Store
from tests._support.browser import ARTIFACTS, CHROMIUM_ARGS
from tests._support.live_server import serve_store
from tests._support.stores import STORE_KINDS, make_store
from tests.geo.test_case_figures import EXPECTED, MONTHS, TOTAL, TYPES, assert_figures, build_month

UNIT = "郑州市中原区城市管理行政执法局"
HOSTILE = '=HYPERLINK("http://evil.example","点")<script>alert(1)</script>{{7*7}}'
MARCH = {"start": "2025-03-01", "end": "2025-03-31"}
HOSTILE_MONTH = {"start": "2024-06-01", "end": "2024-06-30"}
#: The figures' Chinese headers, in the order the files give them.
HEADERS_ZH = [WORDS["zh"][k] for k in FIGURES]


def _hostile_case(store: Store) -> None:
    """One case of June 2024, dispatched to a unit whose name is a formula and markup."""
    start = dt.datetime(2024, 6, 3, 9, tzinfo=BUREAU_TZ)
    case = report_case(store, event_type="bbq", point=Point(113.625, 34.745), actor="巡查员",
                       at=start, types=TYPES)
    for k, (action, options) in enumerate((("file", {}), ("dispatch", {"unit": HOSTILE})), 1):
        act_on_case(store, case.id, action, actor="中心", role="admin", types=TYPES,
                    at=start + dt.timedelta(minutes=k), **options)


@pytest.fixture(scope="module", params=STORE_KINDS)
def ledger(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """March 2025 and the hostile June 2024 case, with the event types kept in the store."""
    for store in make_store(request.param, tmp_path_factory.mktemp("case-report")):
        save_types(store, dict(TYPES), actor="admin")
        build_month(store)
        _hostile_case(store)
        yield store


@pytest.fixture(scope="module")
def client(ledger: Store) -> Iterator[TestClient]:
    app = create_app(Settings(store=ledger.url, seed_demo=False, report_unit=UNIT),
                     store=ledger)
    with TestClient(app) as test_client:
        yield test_client


def _get(client: TestClient, **params: str) -> Any:
    res = client.get("/reports/cases", params=params)
    assert res.status_code == 200, res.text
    return res


def _rows_by_name(header: list[Any], rows: list[list[Any]]) -> dict[str, dict[str, Any]]:
    """Table rows (header row aside) as figures keyed like EXPECTED, by group name."""
    index = {label: i for i, label in enumerate(header)}
    found = {}
    for row in rows:
        figures = {k: row[index[WORDS["zh"][k]]] for k in FIGURES}
        found[str(row[1])] = {**figures, "rank": row[0]}
    return found


def _numbers(cells: dict[str, Any], parse: Any) -> dict[str, Any]:
    return {k: parse(k, v) for k, v in cells.items()}


# -- JSON -------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", list(EXPECTED))
def test_json_has_the_march_figures(client: TestClient, by: str) -> None:
    doc = _get(client, by=by, **MARCH).json()
    assert (doc["by"], doc["start"], doc["end"], doc["unit"]) == (by, *MARCH.values(), UNIT)
    assert [row["name"] for row in doc["rows"]] == list(EXPECTED[by])
    for row, want in zip(doc["rows"], EXPECTED[by].values(), strict=True):
        assert_figures(row, want)
    assert_figures(doc["total"], {k: v for k, v in TOTAL.items() if k != "rank"})
    assert doc["period"] == "2025-03-01 至 2025-03-31（按上报时间，北京时间）"
    assert doc["columns"][1]["label"] == WORDS["zh"][by]


def test_json_by_type_names_the_stored_types_and_months_run_in_order(client: TestClient):
    doc = _get(client, by="type", lang="en", **MARCH).json()
    assert [(r["group"], r["name"]) for r in doc["rows"]] == [
        ("bbq", "Open-air barbecue"), ("dust", "Site dust")]
    doc = _get(client, by="month", start="2025-02-01", end="2025-04-30").json()
    assert [r["group"] for r in doc["rows"]] == list(MONTHS)
    for row, want in zip(doc["rows"], MONTHS.values(), strict=True):
        assert_figures(row, want)


def test_the_default_period_is_the_last_month_with_cases(client: TestClient) -> None:
    doc = _get(client).json()  # this month has no case yet; the latest: 1 April 2025 00:00
    assert (doc["by"], doc["start"], doc["end"]) == ("grid", "2025-04-01", "2025-04-30")
    assert doc["total"] == _get(client, start="2025-04-01", end="2025-04-30").json()["total"]
    assert doc["total"]["reported"] > 0


# -- files ------------------------------------------------------------------------------------


def _file_number(key: str, value: Any) -> Any:
    return None if value in ("—", "", None) else (float(value) if "." in str(value)
                                                 else int(value))


@pytest.mark.parametrize("by", ["grid", "unit"])
def test_xlsx_has_the_same_numbers(client: TestClient, by: str) -> None:
    res = _get(client, by=by, f="xlsx", **MARCH)
    sheet = load_workbook(io.BytesIO(res.content)).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    header, *body = table
    assert header == [WORDS["zh"]["rank"], WORDS["zh"][by], *HEADERS_ZH]
    *groups, total = body
    got = _rows_by_name(header, groups)
    assert list(got) == list(EXPECTED[by])
    for name, want in EXPECTED[by].items():
        assert_figures(_numbers(got[name], _file_number), want)
    total_row = _rows_by_name(header, [total])["合计"]
    assert_figures(_numbers(total_row, _file_number), TOTAL | {"rank": None})
    # rates stay fractions, shown as percentages; the header repeats on every printed page
    rate = sheet.cell(2, header.index("结案率") + 1)
    assert rate.number_format == "0.0%" and isinstance(rate.value, float)
    assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.orientation == "landscape"
    assert UNIT in sheet.oddHeader.left.text and "&P" in sheet.oddFooter.center.text
    assert "2025-03-01 至 2025-03-31" in sheet.oddHeader.right.text


def test_csv_has_the_same_numbers_and_english_headers_with_lang_en(client: TestClient):
    res = _get(client, by="grid", f="csv", **MARCH)
    assert res.headers["content-type"].startswith("text/csv")
    header, *groups, total = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert header[-2:] == ["填报单位", "统计期间"] and total[1] == "合计" and total[0] == ""
    got = _rows_by_name(header, groups)
    for name, want in EXPECTED["grid"].items():
        assert_figures(_numbers(got[name], _file_number), want)
    assert all(row[-2] == UNIT for row in [*groups, total])
    english = _get(client, by="grid", f="csv", lang="en", **MARCH).content.decode("utf-8-sig")
    assert english.splitlines()[0].startswith("Rank,Grid,Reported,Filed,Not filed,Closed,")


def test_a_hostile_unit_name_is_text_in_every_format(client: TestClient) -> None:
    doc = _get(client, by="unit", **HOSTILE_MONTH).json()
    assert [r["name"] for r in doc["rows"]] == [HOSTILE]
    text = _get(client, by="unit", f="csv", **HOSTILE_MONTH).content.decode("utf-8-sig")
    assert "'" + HOSTILE.replace('"', '""') in text
    sheet = load_workbook(io.BytesIO(_get(client, by="unit", f="xlsx",
                                          **HOSTILE_MONTH).content)).active
    assert (sheet["B2"].value, sheet["B2"].data_type) == (HOSTILE, "s")
    page = _get(client, by="unit", f="html", **HOSTILE_MONTH).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


# -- the page ---------------------------------------------------------------------------------


class _Table(HTMLParser):
    """Cell texts of the page's <table data-view="cases">, row by row; the SVG charts' titles."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.charts: list[str] = []
        self._in_table = False
        self._cell: list[str] | None = None
        self._title: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "table" and attr.get("data-view") == "cases":
            self._in_table = True
        elif tag == "tr" and self._in_table:
            self.rows.append([])
        elif tag in ("td", "th") and self._in_table:
            self._cell = []
        elif tag == "svg":
            self.charts.append(str(attr.get("aria-label")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _page_number(key: str, text: str) -> Any:
    """Read a figure back from the page: ``1,234``, ``71.4%`` (one decimal), ``3.2`` hours."""
    if text in ("—", ""):
        return None
    if text.endswith("%"):
        return float(text[:-1]) / 100
    return float(text) if key == "avg_hours_to_close" else int(text.replace(",", ""))


def _shown(want: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of a figure: rates to 0.1 %, hours to 0.1 h."""
    def one(key: str, value: Any) -> Any:
        if value is None or key == "rank":
            return value
        if key.endswith("_rate"):
            return round(value * 100, 1) / 100
        return round(value, 1) if key == "avg_hours_to_close" else value
    return {k: one(k, v) for k, v in want.items()}


@pytest.mark.parametrize("by", list(EXPECTED))
def test_the_page_table_has_the_same_numbers(client: TestClient, by: str) -> None:
    page = _Table(_get(client, by=by, f="html", **MARCH).text)
    header, *groups, total = page.rows
    assert header[:2] == [WORDS["zh"]["rank"], WORDS["zh"][by]] and header[2:] == HEADERS_ZH
    got = _rows_by_name(header, groups)
    assert list(got) == list(EXPECTED[by])
    for name, want in EXPECTED[by].items():
        cells = {k: _page_number(k, v) for k, v in got[name].items() if k != "rank"}
        assert_figures(cells | {"rank": int(got[name]["rank"])}, _shown(want))
    total_cells = _rows_by_name(header, [total])["合计"]
    assert_figures({k: _page_number(k, v) for k, v in total_cells.items() if k != "rank"},
                   _shown({k: v for k, v in TOTAL.items() if k != "rank"}))
    assert page.charts == [f"结案率（%，按{WORDS['zh'][by]}）",
                           f"按期结案率（%，按{WORDS['zh'][by]}）"]


def test_the_page_says_who_reports_which_period_and_prints_on_a4(client: TestClient) -> None:
    text = _get(client, by="grid", f="html", **MARCH).text
    assert f"填报单位：<span class=\"fill\">{UNIT}</span>" in text
    assert "统计期间：2025-03-01 至 2025-03-31（按上报时间，北京时间）" in text
    assert re.search(r"生成时间（北京时间）：\d{4}-\d\d-\d\d \d\d:\d\d", text)
    assert "size: A4 landscape" in text and "counter(page)" in text
    assert "thead { display: table-header-group; }" in text
    assert ">80.0%<" in text and ">71.4%<" in text  # 网格一 closure, the total's on-time rate
    english = _get(client, by="grid", f="html", lang="en", **MARCH).text
    assert "Reporting unit: " in english and "Closure rate (%, by grid)" in english
    assert "lang=en" in english  # downloads from an English page are English


@pytest.mark.parametrize(("params", "status", "named"), [
    pytest.param({"by": "week"}, 400, "by", id="by"),
    pytest.param({"start": "2025-13-01"}, 400, "start", id="start-month"),
    pytest.param({"start": "yesterday"}, 400, "start", id="start-words"),
    pytest.param({"end": "2025-02-30"}, 400, "end", id="end-day"),
    pytest.param({"start": "2025-03-02", "end": "2025-03-01"}, 400, "end", id="end-before"),
    pytest.param({"start": "1066-10-14"}, 400, "start", id="start-range"),
    pytest.param({"f": "pdf"}, 400, "f=", id="format"),
    pytest.param({"lang": "fr"}, 400, "lang", id="lang"),
    pytest.param({"station": "M001"}, 400, "station", id="unknown"),
])
def test_bad_parameters_are_problems_naming_them(client: TestClient, params: dict[str, str],
                                                 status: int, named: str) -> None:
    res = client.get("/reports/cases", params=params)
    assert res.status_code == status, res.text
    assert res.headers["content-type"] == "application/problem+json"
    assert named in res.json()["detail"]


def test_the_route_is_documented(client: TestClient) -> None:
    spec = client.get("/api").json()
    op = spec["paths"]["/reports/cases"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"by", "start", "end", "f", "lang"}
    ok = op["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/CaseReport"}
    assert {"text/html", "text/csv"} <= set(ok) and "400" in op["responses"]
    assert {"rows", "total", "period"} <= set(spec["components"]["schemas"]["CaseReport"][
        "properties"])


# -- in a real browser ------------------------------------------------------------------------


def test_the_page_fits_a_phone_and_prints_numbered_pages(playwright: Any, ledger: Store,
                                                         tmp_path: Path) -> None:
    hosts: set[str] = set()
    with serve_store(ledger, report_unit=UNIT) as url:
        chromium = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path="/usr/bin/chromium", headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 390, "height": 844}, is_mobile=True,
            has_touch=True)
        try:
            page = chromium.new_page()
            page.on("request", lambda req: hosts.add(urlsplit(req.url).hostname or ""))
            page.goto(f"{url}/reports/cases?by=unit&f=html&start=2025-03-01&end=2025-03-31",
                      wait_until="networkidle")
            overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            cards = page.locator("table[data-view=cases] tbody tr").count()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "case-report-phone.png"), full_page=True)
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        finally:
            chromium.close()
    assert hosts == {"127.0.0.1"}
    assert overflow <= 0 and cards == 4  # three units and the total
    pages = _pdf_pages(pdf)
    for number, (width, height, words) in enumerate(pages, start=1):
        assert width > height  # A4 landscape: every column on the page
        assert f"第 {number} 页 / 共 {len(pages)} 页" in words, words[-80:]
    first = pages[0][2]
    assert f"填报单位：{UNIT}" in first and "统计期间：2025-03-01 至 2025-03-31" in first
    assert "甲中队" in first and "80.0%" in first


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
