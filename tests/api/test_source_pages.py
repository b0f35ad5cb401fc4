"""A source's pages: add with pasted GCJ-02 coordinates, edit, stale edits, close, roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely import Point

from geo import writes
from geo.accounts import add_account
from geo.crs import gcj02_to_wgs84
from geo.ledger import Feature
from geo.store import Store
from tests._support.signin import PASSWORD, client_for, csrf_of, sign_in
from tests._support.stores import STORE_KINDS, make_store

HTML = {"accept": "text/html"}
STATION = (113.6650, 34.7570)
GCJ = (113.671231, 34.755820)  # as Amap shows a point ~1 km east of the station
XSS = '<img src=x onerror="alert(1)">'


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        add_account(opened, username="editor1", role="editor", password=PASSWORD)
        add_account(opened, username="张三", role="editor", password=PASSWORD)
        add_account(opened, username="viewer1", role="viewer", password=PASSWORD)
        writes.create(opened, "stations", Feature("M-1", {"name": "监测点一"}, Point(*STATION)),
                      actor="seed")
        writes.create(opened, "sources", Feature(
            "S-1", {"name": "老王餐馆", "category": "catering", "community": "甲社区"},
            Point(113.6660, 34.7580)), actor="seed")
        yield opened


def signed_in(store: Store, username: str = "editor1") -> TestClient:
    client = client_for(store)
    assert sign_in(client, username).status_code == 303
    return client


def post_form(client: TestClient, page_path: str, action: str, **fields: str) -> object:
    token = csrf_of(client.get(page_path, headers=HTML).text)
    return client.post(action, data={"csrf_token": token, **fields}, headers=HTML,
                       follow_redirects=False)


def test_add_a_source_with_pasted_gcj02_coordinates(store: Store) -> None:
    client = signed_in(store)
    res = post_form(client, "/ledger/new", "/ledger/new", name="夜市烧烤摊", category="bbq",
                    community="乙社区", coords=f"{GCJ[0]}，{GCJ[1]}", crs="gcj02")
    assert res.status_code == 303
    fid = res.headers["location"].rsplit("/", 1)[1]
    stored = store.get("sources", fid)
    expected = gcj02_to_wgs84(*GCJ)
    assert stored.geometry is not None
    error_m = Geod(ellps="WGS84").inv(stored.geometry.x, stored.geometry.y,
                                      float(expected[0]), float(expected[1]))[2]
    assert error_m < 1.0
    assert Geod(ellps="WGS84").inv(*GCJ, stored.geometry.x, stored.geometry.y)[2] > 100
    assert stored.properties["orig_crs"] == "gcj02" and stored.properties["name"] == "夜市烧烤摊"
    assert store.history("sources", fid)[-1].actor == "editor1"
    page = client.get(res.headers["location"], headers=HTML).text
    assert "夜市烧烤摊" in page and "露天烧烤" in page and "<svg" in page


def test_every_wrong_field_gets_its_message_and_nothing_is_stored(store: Store) -> None:
    client = signed_in(store)
    before = store.count("sources")
    res = post_form(client, "/ledger/new", "/ledger/new", name="", category="nope",
                    coords="113.67", crs="")
    assert res.status_code == 422
    for field in ("name", "category", "coords"):
        assert f'id="f-{field}" name="{field}" aria-invalid="true"' in res.text, field
    assert store.count("sources") == before
    no_crs = post_form(client, "/ledger/new", "/ledger/new", name="店", category="catering",
                       lon="113.67", lat="34.75")
    assert no_crs.status_code == 422 and 'name="crs" aria-invalid="true"' in no_crs.text
    assert 'value="店"' in no_crs.text  # what was typed comes back


def test_an_edit_changes_fields_and_the_history_says_from_what(store: Store) -> None:
    client = signed_in(store)
    res = post_form(client, "/ledger/S-1/edit", "/ledger/S-1/edit", name="老王餐馆",
                    category="catering", status="operating", fume_purifier="in_use",
                    community="甲社区", lon="113.6660000", lat="34.7580000", crs="wgs84",
                    version="1")
    assert res.status_code == 303
    stored = store.get("sources", "S-1")
    assert stored.properties["fume_purifier"] == "in_use" and stored.version == 2
    assert stored.geometry is not None and (stored.geometry.x, stored.geometry.y) == (
        113.6660, 34.7580)  # the lon/lat shown came back unchanged: the point is kept
    page = client.get("/ledger/S-1", headers=HTML).text
    timeline = page[page.index('class="timeline"'):]
    assert "editor1" in timeline and "油烟净化器" in timeline and "正常使用" in timeline


def test_a_stale_edit_shows_who_changed_it_and_overwrites_nothing(store: Store) -> None:
    mine, theirs = signed_in(store), signed_in(store, "张三")
    form_page = mine.get("/ledger/S-1/edit", headers=HTML).text
    assert 'name="version" value="1"' in form_page
    assert post_form(theirs, "/ledger/S-1/edit", "/ledger/S-1/edit", name="王记餐馆",
                     category="catering", status="operating", version="1").status_code == 303
    res = mine.post("/ledger/S-1/edit", headers=HTML, follow_redirects=False, data={
        "csrf_token": csrf_of(form_page), "name": "老王餐馆（改）", "category": "catering",
        "status": "operating", "version": "1"})
    assert res.status_code == 409
    assert "张三" in res.text and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", res.text)
    assert "老王餐馆（改）" in res.text and "王记餐馆" in res.text
    assert store.get("sources", "S-1").properties["name"] == "王记餐馆"
    apply = re.search(r'<form method="post" action="/ledger/S-1/edit">(.*?)</form>', res.text,
                      re.S)
    assert apply is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', apply.group(1)))
    assert fields["version"] == "2"
    again = mine.post("/ledger/S-1/edit", data=fields, headers=HTML, follow_redirects=False)
    assert again.status_code == 303
    assert store.get("sources", "S-1").properties["name"] == "老王餐馆（改）"


def test_close_and_reopen(store: Store) -> None:
    client = signed_in(store)
    assert post_form(client, "/ledger/S-1", "/ledger/S-1/close", version="1").status_code == 303
    assert store.get("sources", "S-1").properties["status"] == "closed"
    page = client.get("/ledger/S-1", headers=HTML).text
    assert 'action="/ledger/S-1/reopen"' in page
    assert post_form(client, "/ledger/S-1", "/ledger/S-1/reopen", version="2").status_code == 303
    assert store.get("sources", "S-1").properties["status"] == "operating"
    stale = post_form(client, "/ledger/S-1", "/ledger/S-1/close", version="1")
    assert stale.status_code == 409
    assert store.get("sources", "S-1").properties["status"] == "operating"


def test_a_viewer_sees_no_edit_buttons_and_a_forged_post_is_refused(store: Store) -> None:
    client = signed_in(store, "viewer1")
    page = client.get("/ledger/S-1", headers=HTML).text
    assert "/ledger/S-1/edit" not in page and "/close" not in page
    assert client.get("/ledger/new", headers=HTML).status_code == 403
    token = csrf_of(page)
    forged = client.post("/ledger/S-1/close", data={"csrf_token": token, "version": "1"},
                         headers=HTML)
    assert forged.status_code == 403
    assert store.get("sources", "S-1").properties["status"] == "operating"


def test_a_post_without_the_csrf_token_changes_nothing(store: Store) -> None:
    client = signed_in(store)
    res = client.post("/ledger/S-1/close", data={"version": "1"}, headers=HTML)
    assert res.status_code == 403
    res = client.post("/ledger/new", data={"name": "x", "category": "bbq",
                                           "coords": "113.66,34.75", "crs": "wgs84"})
    assert res.status_code == 403
    assert store.get("sources", "S-1").properties["status"] == "operating"
    assert store.count("sources") == 1


def test_typed_markup_shows_as_text_on_every_page(store: Store) -> None:
    client = signed_in(store)
    res = post_form(client, "/ledger/new", "/ledger/new", name=XSS, category="catering",
                    address=XSS, community=XSS, notes=XSS, coords="113.666,34.758",
                    crs="wgs84")
    assert res.status_code == 303
    fid = res.headers["location"].rsplit("/", 1)[1]
    for path in (f"/ledger/{fid}", f"/ledger/{fid}/edit", "/ledger", "/"):
        text = client.get(path, headers=HTML).text
        assert XSS not in text, path
        assert "&lt;img src=x onerror=" in text, path


def test_an_unknown_source_is_a_404_page(store: Store) -> None:
    res = client_for(store).get("/ledger/S-nope", headers=HTML)
    assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")
