"""HTML pages of features and radius queries: named codes, titles, an inline favicon."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from api.html import cell_text, field_label


class _Page(HTMLParser):
    """The <title>, the first <h1>, table cells and <link> tags of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.title = self.h1 = ""
        self.cells: list[str] = []
        self.links: list[dict[str, str | None]] = []
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link":
            self.links.append(dict(attrs))
        elif tag in ("title", "h1", "td", "th"):
            self._in, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag != self._in:
            return
        text = "".join(self._text).strip()
        if tag == "title":
            self.title = text
        elif tag == "h1":
            self.h1 = self.h1 or text
        else:
            self.cells.append(text)
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)


def _page(client: TestClient, url: str) -> _Page:
    res = client.get(url)
    assert res.status_code == 200, res.text
    page = _Page()
    page.feed(res.text)
    return page


@pytest.mark.parametrize(
    ("url", "shown", "raw"),
    [
        pytest.param("/collections/sources/items?f=html&category=bbq&limit=5",
                     ["露天烧烤 (bbq)", "已关停 (closed)", "是"], ["bbq", "closed", "True"],
                     id="sources"),
        pytest.param("/collections/sources/items/S00001?f=html",
                     ["餐饮 (catering)", "营业 (operating)", "正常使用 (in_use)", "否"],
                     ["catering", "operating", "in_use", "False"], id="one-source"),
        pytest.param("/collections/inspections/items?f=html&limit=3", ["合格 (compliant)"],
                     ["compliant"], id="inspections"),
        pytest.param("/collections/stations/items?f=html", ["国控 (national)"], ["national"],
                     id="stations"),
    ],
)
def test_item_tables_name_codes_in_chinese(
    client: TestClient, url: str, shown: list[str], raw: list[str]
) -> None:
    page = _page(client, url)
    for text in shown:
        assert text in page.cells, text
    for code in raw:  # never a bare code, nor Python's True/False
        assert code not in page.cells, code
    assert "类别" in page.cells or "检查结果" in page.cells or "级别" in page.cells


@pytest.mark.parametrize(
    ("value", "field", "lang", "expected"),
    [
        pytest.param("bbq", "category", "zh", "露天烧烤 (bbq)", id="category-zh"),
        pytest.param("bbq", "category", "en", "Open-air barbecue (bbq)", id="category-en"),
        pytest.param("rectifying", "status", "en", "rectifying", id="same-word-once"),
        pytest.param(True, "priority", "zh", "是", id="true-zh"),
        pytest.param(False, "demo", "en", "no", id="false-en"),
        pytest.param(None, "fume_purifier", "zh", "", id="none-empty"),
        pytest.param(["M001", "M002"], "stations", "zh", "M001, M002", id="list"),
        pytest.param("bbq", "name", "zh", "bbq", id="free-text-as-is"),
        pytest.param("violation", "result", "zh", "违规 (violation)", id="result"),
    ],
)
def test_cell_text(value: object, field: str, lang: str, expected: str) -> None:
    assert cell_text(value, field, lang=lang) == expected


def test_field_labels() -> None:
    assert (field_label("category"), field_label("category", lang="en")) == ("类别", "Category")
    assert field_label("orig_wkt") == "原坐标（WKT）"


@pytest.mark.parametrize(
    ("url", "title"),
    [
        pytest.param("/priority?f=html", "重点污染源", id="priority"),
        pytest.param("/sources/within?lon=113.64&lat=34.75&radius_m=800&f=html",
                     "半径范围内污染源", id="within"),
        pytest.param("/collections/sources/items?f=html&limit=2", "污染源", id="collection"),
    ],
)
def test_list_pages_have_their_own_titles(client: TestClient, url: str, title: str) -> None:
    page = _page(client, url)
    assert page.title == f"{title} · Zonewatch"
    assert page.h1.startswith(title)
    assert "items" not in page.title


@pytest.mark.parametrize("url", ["/?f=html", "/collections?f=html", "/reports/summary?f=html",
                                 "/collections/sources/items/S00001?f=html"])
def test_pages_carry_an_inline_favicon(client: TestClient, url: str) -> None:
    icons = [link for link in _page(client, url).links if link.get("rel") == "icon"]
    assert len(icons) == 1
    href = str(icons[0]["href"])
    match = re.fullmatch(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", href)
    assert match, href  # a data: URL: the browser asks no server for it
    assert base64.b64decode(match.group(1)).startswith(b"<svg ")
