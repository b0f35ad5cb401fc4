"""No ledger text ever reaches a template compiler: the map keeps payloads as data.

Issue 10 item 1: branca compiled the rendered map page again as a Jinja2
template, so ``{{ ... }}`` in a source name ran when ``zonewatch map -o``
built a file. Every payload of :mod:`tests._support.injection` must come back
from the page's JSON config block exactly as typed, run nothing and break
nothing, in ``zonewatch map``, ``/map`` and ``/map/data.json``. Also: every
``lang`` but zh or en is a 400 problem, never a 500.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli_app
from api.settings import Settings
from maps.render import CONFIG_ID, CONFIG_SLOT, HEAD_SLOT, MapPage, fill_slots, render_map
from tests._support.injection import (
    CANARY_NAME,
    PAYLOAD_IDS,
    PayloadLedger,
    open_payload_ledger,
    payloads,
)
from tests._support.stores import STORE_KINDS

_BLOCK = re.compile(
    rf'<script type="application/json" id="{CONFIG_ID}">(.*?)</script>', re.S)
_ODD_FILE_NAME = "map {{ 7*7 }} #1 'q'.html"  # a file name that is itself a payload


@pytest.fixture(scope="module", params=STORE_KINDS)
def payload_ledger(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[PayloadLedger]:
    """The payload ledger, once per store kind."""
    yield from open_payload_ledger(request.param, tmp_path_factory)


def _config_and_rest(page: str) -> tuple[dict[str, Any], str]:
    """Return the decoded config block of a map page and the page without it."""
    blocks = _BLOCK.findall(page)
    assert len(blocks) == 1, "the page carries exactly one config block"
    return json.loads(blocks[0]), _BLOCK.sub("", page)


def _column(sources: dict[str, Any], name: str) -> list[str]:
    column = sources[name]
    if isinstance(column, list):
        return column
    return [column["values"][k] for k in column["codes"]]


def _check_map_data(data: dict[str, Any], texts: list[str]) -> None:
    """Every text field the map carries holds each payload exactly (so never ``49``)."""
    sources = data["sources"]
    order = sorted(range(len(texts)), key=lambda i: f"S{i}")
    want = [texts[i] for i in order]
    assert _column(sources, "id") == [f"S{i}" for i in order]
    for name in ("name", "address", "community", "grid"):
        assert _column(sources, name) == want, name
    assert sorted(s["name"] for s in data["stations"]) == sorted(texts)
    assert sorted(f["properties"]["name"] for f in data["districts"]["features"]) == sorted(texts)
    for key in ("name", "community"):
        got = sorted(f["properties"][key] for f in data["grids"]["features"])
        assert got == sorted(texts), key


def _run_map(ledger: PayloadLedger, out: Path, *args: str) -> Any:
    env = {"ZONEWATCH_PG_SCHEMA": getattr(ledger.store, "schema", "zonewatch")}
    return CliRunner().invoke(
        cli_app, ["map", "--store", ledger.store.url, "-o", str(out), *args], env=env)


def test_map_file_keeps_every_payload_as_data(payload_ledger: PayloadLedger, tmp_path: Path):
    out = tmp_path / _ODD_FILE_NAME
    result = _run_map(payload_ledger, out)
    assert result.exit_code == 0, result.output
    payload_ledger.check_canary()
    config, rest = _config_and_rest(out.read_text(encoding="utf-8"))
    _check_map_data(config["data"], payload_ledger.texts)
    for text in payload_ledger.texts:  # outside the JSON block the page holds no data
        assert text not in rest
    assert (tmp_path / f"{out.stem}_files" / "zonewatch-map.js").is_file()


@pytest.fixture(scope="module")
def payload_client(payload_ledger: PayloadLedger):
    settings = Settings(store=payload_ledger.store.url, seed_demo=False)
    with TestClient(create_app(settings, store=payload_ledger.store)) as client:
        yield client


def test_map_data_json_keeps_every_payload(payload_ledger, payload_client):
    res = payload_client.get("/map/data.json")
    assert res.status_code == 200
    _check_map_data(res.json(), payload_ledger.texts)
    payload_ledger.check_canary()


@pytest.mark.parametrize("index", range(len(PAYLOAD_IDS)), ids=PAYLOAD_IDS)
def test_map_page_filtered_by_a_payload(payload_ledger, payload_client, index):
    """A payload in a query parameter reaches the page only as data, and filters right."""
    text = payload_ledger.texts[index]
    res = payload_client.get("/map", params={"community": text})
    assert res.status_code == 200, res.text
    config, rest = _config_and_rest(res.text)
    assert text not in rest
    url = urlsplit(config["dataUrl"])
    assert parse_qs(url.query)["community"] == [text]
    data = payload_client.get(f"{url.path}?{url.query}").json()
    assert data["sources"]["id"] == [f"S{index}"]
    assert data["sources"]["name"] == [text]
    payload_ledger.check_canary()


def test_render_map_puts_data_only_in_the_json_block(tmp_path: Path):
    """Data holding template syntax and the slot markers themselves stays data."""
    hostile = ["{{ 7*7 }}", "{% raw %}", "{#", "{{ undefined_var.attr }}", HEAD_SLOT,
               CONFIG_SLOT, "</script><script>alert(1)</script>"]
    data = {"sources": {"name": hostile}, "count": len(hostile)}
    page = render_map(MapPage(data=data, asset_prefix="a%20b/", link_base="{{ 7*7 }}"))
    config, rest = _config_and_rest(page)
    assert config["data"] == data and config["linkBase"] == "{{ 7*7 }}"
    assert rest.count(HEAD_SLOT) == rest.count(CONFIG_SLOT) == 0
    assert '<script src="a%20b/leaflet/leaflet.js"></script>' in rest


@pytest.mark.parametrize("index", range(len(PAYLOAD_IDS)), ids=PAYLOAD_IDS)
def test_each_payload_alone_stays_text(tmp_path: Path, index: int):
    """One payload at a time, so none hides behind another that breaks the build first."""
    canary = tmp_path / CANARY_NAME
    text = payloads(canary)[index]
    data = {"sources": {"name": [text], "address": [text]}, "count": 1}
    config, _ = _config_and_rest(render_map(MapPage(data=data, asset_prefix="m_files/")))
    assert not canary.exists(), "the payload ran a shell command"
    assert config["data"] == data


@pytest.mark.parametrize(
    ("page", "problem"),
    [("<head></head>", "0 copies"), (f"{HEAD_SLOT}{HEAD_SLOT}", "2 copies")],
    ids=["missing", "twice"])
def test_fill_slots_refuses_a_page_without_exactly_one_slot(page, problem):
    with pytest.raises(RuntimeError, match=problem):
        fill_slots(page, {HEAD_SLOT: "<title>x</title>"})


def test_file_map_shows_payload_names_as_text(payload_ledger, tmp_path, open_map):
    """In Chromium: the file map draws every payload source and its popup shows the name."""
    out = tmp_path / _ODD_FILE_NAME
    assert _run_map(payload_ledger, out).exit_code == 0
    visit = open_map(out.as_uri())
    page = visit.page
    assert page.evaluate("zonewatch.error") is None
    assert page.evaluate("zonewatch.rendered") == len(payload_ledger.texts)
    for i, text in enumerate(payload_ledger.texts):
        page.evaluate(f"zonewatch.open('S{i}')")
        assert page.locator(".zw-popup-title").inner_text() == text
    assert visit.dialogs == [] and visit.errors == []
    assert page.locator("img[src='x']").count() == 0
    # the config block is data (type application/json); no script that runs says alert
    ran = "[...document.scripts].filter(s => s.type !== 'application/json')"
    assert page.evaluate(ran + ".filter(s => s.text.includes('alert')).length") == 0
    payload_ledger.check_canary()


# -- lang -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["", " ", "fr", "zh-tw", "e", "zh_cn", "{{ 7*7 }}"],
                         ids=["empty", "blank", "fr", "zh-tw", "prefix", "underscore",
                              "template"])
def test_unknown_lang_is_a_problem_naming_zh_and_en(map_client, lang):
    res = map_client.get("/map", params={"lang": lang})
    assert res.status_code == 400
    assert res.headers["content-type"] == "application/problem+json"
    assert "lang must be one of zh, en" in res.json()["detail"]


@pytest.mark.parametrize(("lang", "code"), [("zh", "zh"), ("EN", "en"), ("zh-CN", "zh")])
def test_lang_codes_in_any_case(map_client, lang, code):
    res = map_client.get("/map", params={"lang": lang})
    assert res.status_code == 200
    assert _config_and_rest(res.text)[0]["lang"] == code


@pytest.mark.parametrize("lang", ["", "fr"], ids=["empty", "fr"])
def test_map_file_refuses_unknown_lang_before_writing(map_store, tmp_path, lang):
    out = tmp_path / "m.html"
    env = {"ZONEWATCH_PG_SCHEMA": getattr(map_store, "schema", "zonewatch")}
    result = CliRunner().invoke(
        cli_app, ["map", "--store", map_store.url, "-o", str(out), "--lang", lang], env=env)
    assert result.exit_code == 1, result.output
    assert "lang must be one of zh, en" in result.output
    assert os.listdir(tmp_path) == []  # neither the page nor its assets folder
