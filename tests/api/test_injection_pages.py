"""Every HTML page and report file shows template and markup payloads as plain text.

Issue 10 item 1 beyond the map: the pages are Jinja templates loaded from
files with autoescaping on, and ledger text only ever arrives as a value, so
``{{ 7*7 }}`` must show as ``{{ 7*7 }}`` (never ``49``), ``<img ...>`` as
text (never an element), and nothing may run or fail. Each page is parsed
and its HTML-unescaped text nodes compared with the payloads exactly.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from api.settings import Settings
from geo.reports import BREAKDOWNS
from tests._support.injection import (
    INSPECTION_TEXT,
    PAYLOAD_IDS,
    SOURCE_TEXT,
    STATION_TEXT,
    PayloadLedger,
    open_payload_ledger,
)
from tests._support.stores import STORE_KINDS

_TODAY = dt.datetime.now(dt.UTC).date().isoformat()


@pytest.fixture(scope="module", params=STORE_KINDS)
def payload_ledger(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[PayloadLedger]:
    """The payload ledger, once per store kind."""
    yield from open_payload_ledger(request.param, tmp_path_factory)


class _Parsed(HTMLParser):
    """Text nodes (character references decoded), elements, and the text of scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._tag = tag

    def handle_endtag(self, tag: str) -> None:
        self._tag = ""

    def handle_data(self, data: str) -> None:
        if self._tag == "script":
            self.scripts.append(data)
        elif data.strip():
            self.texts.append(data.strip())


@pytest.fixture(scope="module")
def client(payload_ledger: PayloadLedger):
    settings = Settings(store=payload_ledger.store.url, seed_demo=False)
    with TestClient(create_app(settings, store=payload_ledger.store)) as test_client:
        yield test_client


def _page(client: TestClient, ledger: PayloadLedger, url: str) -> _Parsed:
    """GET an HTML page and check that no payload ran, became markup or broke it."""
    res = client.get(url)
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/html")
    ledger.check_canary()
    parsed = _Parsed()
    parsed.feed(res.text)
    parsed.close()
    assert ("img", {"src": "x", "onerror": "alert(1)"}) not in parsed.elements
    assert [s for s in parsed.scripts if "alert" in s] == []
    assert "49" not in parsed.texts  # where {{ 7*7 }} was, it still reads {{ 7*7 }}
    return parsed


def _shows(parsed: _Parsed, text: str, *, times: int = 1) -> None:
    found = parsed.texts.count(text)
    assert found >= times, f"{text!r} shown {found} times as text; expected {times}"


# (url, how many times each payload shows as a whole text node at least)
_PAGES = [
    ("/?f=html", 0), ("/conformance?f=html", 0), ("/collections?f=html", 0),
    ("/collections/sources?f=html", 0), ("/collections/stations?f=html", 0),
    ("/collections/inspections?f=html", 0), ("/collections/zones?f=html", 0),
    ("/collections/sources/items?f=html", len(SOURCE_TEXT)),
    (f"/collections/sources/items?f=html&as_of={_TODAY}", len(SOURCE_TEXT)),
    ("/collections/stations/items?f=html", len(STATION_TEXT)),
    ("/collections/inspections/items?f=html", len(INSPECTION_TEXT)),
    ("/collections/zones/items?f=html", 1),
    ("/sources/within?lon=113.64&lat=34.75&radius_m=2000&f=html", len(SOURCE_TEXT)),
    ("/stations/M0/sources?f=html", len(SOURCE_TEXT)),
    ("/priority?f=html", len(SOURCE_TEXT)),
    (f"/priority?f=html&as_of={_TODAY}", len(SOURCE_TEXT)),
]


@pytest.mark.parametrize(("url", "times"), _PAGES, ids=[u for u, _ in _PAGES])
def test_page_shows_payloads_as_text(client, payload_ledger, url, times):
    parsed = _page(client, payload_ledger, url)
    for text in payload_ledger.texts if times else []:
        _shows(parsed, text, times=times)


@pytest.mark.parametrize(("cid", "prefix", "fields"), [
    ("sources", "S", SOURCE_TEXT), ("stations", "M", STATION_TEXT),
    ("inspections", "I", INSPECTION_TEXT)])
def test_item_page_shows_every_field_as_text(client, payload_ledger, cid, prefix, fields):
    for i, text in enumerate(payload_ledger.texts):
        parsed = _page(client, payload_ledger, f"/collections/{cid}/items/{prefix}{i}?f=html")
        _shows(parsed, text, times=len(fields))


@pytest.mark.parametrize("index", range(len(PAYLOAD_IDS)), ids=PAYLOAD_IDS)
def test_items_filtered_by_a_payload(client, payload_ledger, index):
    """A payload in the query string filters and shows as text like any other."""
    text = payload_ledger.texts[index]
    res = client.get("/collections/sources/items", params={"f": "html", "community": text})
    assert res.status_code == 200
    parsed = _page(client, payload_ledger, str(res.url))
    _shows(parsed, text, times=len(SOURCE_TEXT))
    assert f"S{index}" in parsed.texts


# -- reports ----------------------------------------------------------------------------

# (query, which payloads each row of the main view names: how many times at least)
_REPORTS = [
    ({"by": "category"}, 0), ({"by": "status"}, 0),
    ({"by": "community"}, 2),  # subdistrict and community
    ({"by": "grid"}, 2),  # grid and community
    ({"by": "station"}, 1),  # station_name
    ({"by": "station", "station": "M0"}, 1),
]
assert {q["by"] for q, _ in _REPORTS} == set(BREAKDOWNS)
_REPORT_IDS = ["-".join(q.values()) for q, _ in _REPORTS]


@pytest.mark.parametrize(("query", "times"), _REPORTS, ids=_REPORT_IDS)
def test_report_page_shows_payloads_as_text(client, payload_ledger, query, times):
    res = client.get("/reports/summary", params={**query, "f": "html"})
    parsed = _page(client, payload_ledger, str(res.url))
    for text in payload_ledger.texts if times else []:
        _shows(parsed, text, times=times)


def _xlsx_texts(content: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)  # no payload became a formula
    return [cell.value for cell in cells if isinstance(cell.value, str)]


@pytest.mark.parametrize(("query", "times"), _REPORTS, ids=_REPORT_IDS)
def test_report_xlsx_keeps_payloads_exactly(client, payload_ledger, query, times):
    res = client.get("/reports/summary", params={**query, "f": "xlsx"})
    assert res.status_code == 200
    payload_ledger.check_canary()
    texts = _xlsx_texts(res.content)
    assert "49" not in texts
    for text in payload_ledger.texts if times else []:
        found = texts.count(text)
        assert found >= times, f"{text!r} in {found} cells; expected {times}"
