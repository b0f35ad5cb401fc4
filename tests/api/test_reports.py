"""GET /reports/summary and `zonewatch report`: the same numbers in every format."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import shapely
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli_app
from api.settings import Settings
from geo import writes
from geo.ledger import Feature
from geo.reports import BREAKDOWNS, CATEGORY_LABELS, LABELS
from geo.store import Store
from tests._support.browser import ARTIFACTS, CHROMIUM_ARGS

VIEWS = [pytest.param(by, None, id=by) for by in BREAKDOWNS] + [
    pytest.param("station", "M001", id="station-M001"),
    pytest.param("community", "M003", id="community-M003"),
]


def _get(client: TestClient, by: str, station: str | None, fmt: str) -> Any:
    params = {"by": by, "f": fmt, **({"station": station} if station else {})}
    res = client.get("/reports/summary", params=params)
    assert res.status_code == 200, res.text
    return res


class _Tables(HTMLParser):
    """Cell texts of every <table data-view=...>, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: list[str] = []
        self._view: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "table" and attr.get("data-view"):
            self._view = str(attr["data-view"])
            self.tables[self._view] = []
        elif tag == "tr" and self._view:
            self.tables[self._view].append([])
        elif tag in ("td", "th") and self._view:
            self._cell = []
        elif tag == "a" and attr.get("href"):
            self.links.append(str(attr["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._view = None
        elif tag in ("td", "th") and self._view and self._cell is not None:
            self.tables[self._view][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse_shown(text: str) -> Any:
    """Read a number back from the page: ``1,234`` -> 1234, ``85.09%`` -> 0.8509."""
    if text.endswith("%"):
        return round(float(text[:-1].replace(",", "")) / 100, 4)
    for kind in (int, float):
        try:
            return kind(text.replace(",", ""))
        except ValueError:
            pass
    return text


def _numbers(view: dict[str, Any]) -> list[list[Any]]:
    """Numeric cells of a JSON view, None where the cell is text."""
    keys = [c["key"] for c in view["columns"]]
    return [[row[k] if isinstance(row[k], int | float) and k != "radius_m" else None
             for k in keys] for row in view["rows"]]


def _same_numbers(expected: list[list[Any]], got: list[list[Any]]) -> None:
    assert len(expected) == len(got)
    for want_row, got_row in zip(expected, got, strict=True):
        for want, value in zip(want_row, got_row, strict=False):
            if want is not None:
                assert value == pytest.approx(want, abs=1e-9), (want_row, got_row)


# -- formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(("by", "station"), VIEWS)
def test_json_views_have_labelled_columns(client: TestClient, by: str, station: str | None):
    doc = _get(client, by, station, "json").json()
    assert doc["by"] == by
    assert [v["name"] for v in doc["views"]][:2] == ["summary", by]
    for view in doc["views"]:
        assert all(c["label"] == LABELS[c["key"]] for c in view["columns"])
    assert (doc["station"] or {}).get("id") == station
    related = [link["href"] for link in doc["links"] if link["rel"] == "related"]
    assert related == [f"/map?station={station}" if station else "/map"]


def test_demo_figures_over_http(client: TestClient) -> None:
    doc = _get(client, "category", None, "json").json()
    views = {v["name"]: v for v in doc["views"]}
    rows = {r["category"]: r for r in views["category"]["rows"]}
    assert (rows["bbq"]["closed"], rows["catering"]["operating"]) == (347, 2026)
    cover = {r["category"]: r for r in views["purifier"]["rows"]}
    assert cover["catering"]["in_use_share"] == 1.0
    assert (cover["night_market"]["active"], cover["night_market"]["fitted_share"]) == (10, 1.0)


@pytest.mark.parametrize(("by", "station"), VIEWS)
def test_xlsx_holds_the_json_numbers(client: TestClient, by: str, station: str | None):
    doc = _get(client, by, station, "json").json()
    book = load_workbook(io.BytesIO(_get(client, by, station, "xlsx").content))
    assert book.sheetnames == [v["title"] for v in doc["views"]]
    for view in doc["views"]:
        sheet = book[view["title"]]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == [c["label"] for c in view["columns"]]
        _same_numbers(_numbers(view), [list(r) for r in rows[1:]])
        assert all(cell.font.bold for cell in sheet[1])
        for cell in sheet[1]:  # every column fitted to its text, not left at the default
            assert sheet.column_dimensions[cell.column_letter].customWidth
        shares = [i for i, c in enumerate(view["columns"]) if c["key"].endswith("_share")]
        for i in shares:
            assert {sheet.cell(r, i + 1).number_format for r in range(2, sheet.max_row + 1)} == {
                "0.0%"}


@pytest.mark.parametrize(("by", "station"), VIEWS)
def test_csv_has_bom_chinese_headers_and_json_numbers(
    client: TestClient, by: str, station: str | None
) -> None:
    doc = _get(client, by, station, "json").json()
    res = _get(client, by, station, "csv")
    assert res.headers["content-type"].startswith("text/csv")
    assert res.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    main = doc["views"][1]
    # the unit and the period close every row (tests/api/test_report_print.py)
    assert rows[0] == [c["label"] for c in main["columns"]] + ["填报单位", "统计时点"]
    _same_numbers(_numbers(main), [[_parse_shown(c) for c in r] for r in rows[1:]])


@pytest.mark.parametrize(("by", "station"), VIEWS)
def test_html_page_shows_the_json_numbers(client: TestClient, by: str, station: str | None):
    doc = _get(client, by, station, "json").json()
    text = _get(client, by, station, "html").text
    page = _Tables()
    page.feed(text)
    for view in doc["views"]:
        rows = page.tables[view["name"]]
        assert rows[0][: len(view["columns"])] == [c["label"] for c in view["columns"]]
        _same_numbers(_numbers(view), [[_parse_shown(c) for c in r] for r in rows[1:]])
    views = {v["name"]: v for v in doc["views"]}
    if "purifier" in views:
        cover = {r["category"]: r for r in views["purifier"]["rows"]}
        shown = re.findall(r'class="chart gauge".*?font-size="22"[^>]*>([^<]+)</text>', text)
        expected = [cover["catering"]["in_use_share"], cover["night_market"]["fitted_share"]]
        assert [_parse_shown(s) for s in shown] == expected


def _ledger_client(store: Store) -> TestClient:
    return TestClient(create_app(Settings(store=store.url, seed_demo=False), store=store))


def _summary_cell(rows: list[list[Any]], figure: str) -> Any:
    return next(row[1] for row in rows if row[0] == figure)


def test_a_share_of_nothing_is_a_dash_in_every_format(store: Store) -> None:
    """No night markets: their purifier rate is not applicable, not 0.00%."""
    writes.create(store, "sources", Feature(None, {"name": "店", "category": "catering",
                                           "status": "operating", "fume_purifier": "in_use"},
                                    shapely.Point(113.6, 34.75)), actor="test")
    figure = "夜市油烟净化装置安装率"
    with _ledger_client(store) as test_client:
        doc = _get(test_client, "category", None, "json").json()
        views = {v["name"]: v for v in doc["views"]}
        summary = {r["figure"]: r["value"] for r in views["summary"]["rows"]}
        assert (summary[figure], summary["餐饮油烟净化装置使用率"]) == (None, 1.0)
        market = next(r for r in views["purifier"]["rows"] if r["category"] == "night_market")
        assert (market["fitted_share"], market["in_use_share"]) == (None, None)
        text = _get(test_client, "category", None, "html").text
        book = load_workbook(io.BytesIO(_get(test_client, "category", None, "xlsx").content))
    page = _Tables()
    page.feed(text)
    assert _summary_cell(page.tables["summary"], figure) == "—"
    assert ">0.00%<" not in text
    gauges = re.findall(r'class="chart gauge".*?font-size="22"[^>]*>([^<]+)</text>', text)
    assert gauges == ["100.00%", "—"]
    sheet = [list(r) for r in book[views["summary"]["title"]].iter_rows(values_only=True)]
    assert _summary_cell(sheet, figure) == "—"
    purifier = [list(r) for r in book[views["purifier"]["title"]].iter_rows(values_only=True)]
    assert purifier[2][-2:] == ["—", "—"]  # the night-market row's two shares


def test_area_views_tell_totals_from_inside_radius_counts(client: TestClient) -> None:
    doc = _get(client, "community", None, "json").json()
    view = doc["views"][1]
    labels = {c["key"]: c["label"] for c in view["columns"]}
    assert (labels["catering"], labels["catering_priority"]) == ("餐饮", "餐饮（重点管控）")
    assert labels["priority"] == "重点管控合计（半径内未关停）"
    assert labels["recheck"] == "待复查（半径内已关停）"
    row = next(r for r in view["rows"] if r["community"] == "柿园社区")
    assert row["sources"] == sum(row[c] for c in CATEGORY_LABELS) == 19
    page = _Tables()
    page.feed(_get(client, "community", None, "html").text)
    assert page.tables["community"][0][: len(labels)] == list(labels.values())
    rows = list(csv.reader(io.StringIO(_get(client, "community", None, "csv").text[1:])))
    assert rows[0][: len(labels)] == list(labels.values())


FORMULAS = {"community": "=2+3", "subdistrict": "-2+3", "grid": "+1+1",
            "station_name": "@SUM(1,1)"}


@pytest.mark.parametrize(("by", "column"), [("community", "community"),
                                             ("community", "subdistrict"), ("grid", "grid"),
                                             ("station", "station_name")])
def test_names_are_never_formulas_in_files(store: Store, by: str, column: str) -> None:
    writes.create(store, "stations", Feature("M1", {"name": FORMULAS["station_name"],
                                            "radius_m": 3000.0},
                                     shapely.Point(113.6, 34.75)), actor="test")
    writes.create(store, "sources", Feature(None, {
        "name": "摊", "category": "catering", "fume_purifier": "in_use",
        **{k: v for k, v in FORMULAS.items() if k != "station_name"}},
        shapely.Point(113.601, 34.75)), actor="test")
    text = FORMULAS[column]
    with _ledger_client(store) as test_client:
        doc = _get(test_client, by, None, "json").json()
        main = doc["views"][1]
        at = [c["key"] for c in main["columns"]].index(column)
        assert main["rows"][0][column] == text  # JSON keeps the name as given
        book = load_workbook(io.BytesIO(_get(test_client, by, None, "xlsx").content))
        res = _get(test_client, by, None, "csv")
    cell = book[main["title"]].cell(2, at + 1)
    assert (cell.data_type, cell.value) == ("s", text)
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert rows[1][at] == "'" + text  # the apostrophe OWASP recommends: shown, never run


# -- links between the map and the report -------------------------------------------------


def test_station_report_links_back_to_the_map(client: TestClient) -> None:
    page = _Tables()
    page.feed(_get(client, "station", "M002", "html").text)
    assert "/map?station=M002" in page.links
    community = [u for u in page.links if u.startswith("/map?community=")]
    assert community and all("station=M002" in u for u in community)
    for url in ("/map?station=M002", community[0]):  # the map takes the same filters
        assert client.get(url).status_code == 200, url


def test_station_breakdown_links_each_station_report(client: TestClient) -> None:
    page = _Tables()
    page.feed(_get(client, "station", None, "html").text)
    assert "/reports/summary?by=station&station=M001&f=html" in page.links
    assert "/map?station=M005" in page.links


# -- errors and escaping ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status", "needle"),
    [
        pytest.param("by=colour", 400, "unknown breakdown", id="bad-by"),
        pytest.param("by=station&station=M999", 404, "M999", id="unknown-station"),
        pytest.param("f=pdf", 400, "unknown format", id="bad-format"),
        pytest.param("group=community", 400, "unknown query parameter", id="unknown-param"),
    ],
)
def test_bad_requests_get_problem_json(client: TestClient, query: str, status: int, needle: str):
    res = client.get(f"/reports/summary?{query}")
    assert res.status_code == status
    assert res.headers["content-type"] == "application/problem+json"
    assert needle in res.json()["detail"]


def test_ledger_text_is_escaped_on_the_page(store: Store) -> None:
    nasty = '<script>alert("x")</script>'
    writes.create(store, "stations", Feature("M1", {"name": nasty, "radius_m": 3000.0},
                                     shapely.Point(113.6, 34.75)), actor="test")
    writes.create(store, "sources", Feature(None, {"name": "摊", "category": "catering",
                                           "community": nasty, "fume_purifier": "in_use"},
                                    shapely.Point(113.601, 34.75)), actor="test")
    app = create_app(Settings(store=store.url, seed_demo=False), store=store)
    with TestClient(app) as test_client:
        for by in ("station", "community"):
            text = test_client.get(f"/reports/summary?by={by}&station=M1&f=html").text
            assert nasty not in text
            assert "&lt;script&gt;" in text


@pytest.mark.parametrize("fmt", ["html", "xlsx", "csv", "json"])
def test_empty_ledger_report_answers(store: Store, fmt: str) -> None:
    app = create_app(Settings(store=store.url, seed_demo=False), store=store)
    with TestClient(app) as test_client:
        for by in BREAKDOWNS:
            res = test_client.get(f"/reports/summary?by={by}&f={fmt}")
            assert res.status_code == 200, (by, res.text)


# -- the CLI ------------------------------------------------------------------------------


def test_cli_report_writes_xlsx_and_csv(demo_store: Store, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ZONEWATCH_PG_SCHEMA", getattr(demo_store, "schema", "zonewatch"))
    runner = CliRunner()
    target = tmp_path / "report.xlsx"
    res = runner.invoke(cli_app, ["report", "--store", demo_store.url, "--by", "station",
                                  "--format", "xlsx", "-o", str(target)])
    assert res.exit_code == 0, res.output
    assert load_workbook(target).sheetnames[:2] == ["概要", "监测点半径内污染源（按类别）"]
    res = runner.invoke(cli_app, ["report", "--store", demo_store.url, "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = {r[0]: r for r in csv.reader(io.StringIO(res.stdout))}
    assert rows["露天烧烤"][3] == "347"


@pytest.mark.parametrize(
    "args",
    [pytest.param(["--format", "xlsx"], id="xlsx-without-output"),
     pytest.param(["--station", "M999"], id="unknown-station")],
)
def test_cli_report_bad_input_exits_1(demo_store: Store, monkeypatch, args: list[str]) -> None:
    monkeypatch.setenv("ZONEWATCH_PG_SCHEMA", getattr(demo_store, "schema", "zonewatch"))
    res = CliRunner().invoke(cli_app, ["report", "--store", demo_store.url, *args])
    assert res.exit_code == 1


# -- in a real browser ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "shot"),
    [pytest.param("by=category", "report.png", id="category"),
     pytest.param("by=station&station=M001", "report-station.png", id="station")],
)
def test_report_page_in_chromium(playwright, live_url: str, tmp_path: Path, query: str,
                                 shot: str) -> None:
    hosts: set[str] = set()
    # a persistent context on a fresh directory: the fresh --user-data-dir the rules ask
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path="/usr/bin/chromium", headless=True,
        args=CHROMIUM_ARGS, viewport={"width": 1100, "height": 1400},
    )
    try:
        page = context.new_page()
        page.on("request", lambda req: hosts.add(urlsplit(req.url).hostname or ""))
        page.goto(f"{live_url}/reports/summary?{query}&f=html", wait_until="networkidle")
        assert page.locator("svg.chart").count() >= 3
        assert page.locator("svg.gauge").count() == 2
        assert page.locator("rect.bar").count() >= 1
        assert page.locator("h1").inner_text().startswith("中原区污染源台账统计报表")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        pdf = page.pdf(format="A4", print_background=True)
    finally:
        context.close()
    assert pdf.startswith(b"%PDF")
    assert hosts == {"127.0.0.1"}
