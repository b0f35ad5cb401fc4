"""The stations' pages: counts as at home, GCJ-02 input, bad radii, stale edits, roles, escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely import Point

from geo import writes
from geo.accounts import add_account
from geo.crs import gcj02_to_wgs84
from geo.ledger import Feature
from geo.overview import overview
from geo.store import Store
from tests._support.signin import PASSWORD, client_for, csrf_of, sign_in
from tests._support.stores import STORE_KINDS, make_store

HTML = {"accept": "text/html"}
STATION = (113.6650, 34.7570)
GCJ = (113.671231, 34.755820)  # as Amap shows a point ~1 km east of the station
XSS = "<img src=x onerror=alert(1)>"
BRACES = "{{7*7}}"
GEOD = Geod(ellps="WGS84")


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        for name, role in (("editor1", "editor"), ("张三", "editor"), ("viewer1", "viewer")):
            add_account(opened, username=name, role=role, password=PASSWORD)
        writes.create(opened, "stations", Feature(
            "M-1", {"name": "市监测站", "level": "city", "address": "中原路 1 号"},
            Point(*STATION)), actor="seed")
        for fid, status, place in (("S-open", "operating", (113.6660, 34.7580)),
                                   ("S-open2", "rectifying", (113.6700, 34.7600)),
                                   ("S-shut", "closed", (113.6640, 34.7560)),
                                   ("S-far", "operating", (113.9000, 34.9000))):
            writes.create(opened, "sources", Feature(
                fid, {"name": f"店{fid}", "category": "catering", "status": status},
                Point(*place)), actor="seed")
        yield opened


def signed_in(store: Store, username: str = "editor1") -> TestClient:
    client = client_for(store)
    assert sign_in(client, username).status_code == 303
    return client


def post_form(client: TestClient, page_path: str, action: str,
              **fields: str) -> httpx.Response:
    token = csrf_of(client.get(page_path, headers=HTML).text)
    return client.post(action, data={"csrf_token": token, **fields}, headers=HTML,
                       follow_redirects=False)


def station_fields(**changes: str) -> dict[str, str]:
    fields = {"name": "市监测站", "level": "city", "radius_m": "3000", "address": "中原路 1 号",
              "lon": f"{STATION[0]:.7f}", "lat": f"{STATION[1]:.7f}", "crs": "wgs84",
              "version": "1"}
    return {**fields, **changes}


def _cell(page: str, sid: str, cls: str) -> int:
    row = re.search(rf'<tr data-station="{sid}">(.*?)</tr>', page, re.S)
    assert row, sid
    found = re.search(rf'class="num {cls}"[^>]*><a href="[^"]+">(\d+)</a>', row.group(1))
    assert found, cls
    return int(found.group(1))


def _rows(client: TestClient, href: str) -> int:
    return len(re.findall(r'<tr data-id="', client.get(href, headers=HTML).text))


def test_the_list_counts_as_the_home_page_and_its_links_lead_to_those_rows(
        store: Store) -> None:
    client = signed_in(store)
    page = client.get("/stations", headers=HTML)
    assert page.status_code == 200
    assert _cell(page.text, "M-1", "priority") == 2 and _cell(page.text, "M-1", "recheck") == 1
    home = overview(store).stations[0]
    assert (home.priority, home.recheck) == (2, 1)
    assert _rows(client, "/ledger?station=M-1&priority=true") == home.priority
    assert _rows(client, "/ledger?station=M-1&recheck=true") == home.recheck
    row = page.text[page.text.index('<tr data-station="M-1">'):]
    for href in ('href="/stations/M-1"', 'href="/ledger?station=M-1"',
                 'href="/ledger?station=M-1&amp;f=xlsx"', 'href="/map?station=M-1"'):
        assert href in row, href
    assert "市控" in row and "3,000" in row and "中原路 1 号" in row
    assert 'href="/stations/new"' in page.text
    assert 'data-label="' in row  # the phone layout's card labels


def test_the_home_and_source_pages_link_the_station(store: Store) -> None:
    client = signed_in(store)
    home = client.get("/", headers=HTML).text
    assert 'href="/stations"' in home and 'href="/stations/M-1"' in home
    assert 'href="/stations/M-1"' in client.get("/ledger/S-open", headers=HTML).text


def test_the_station_page_shows_fields_sketch_counts_and_history(store: Store) -> None:
    client = signed_in(store)
    page = client.get("/stations/M-1", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "市监测站" in text and "市控" in text and "中原路 1 号" in text and "3,000" in text
    assert "<svg" in text and "<circle" in text
    assert re.search(r'href="/ledger\?station=M-1&amp;priority=true"><span class="n">2<', text)
    assert re.search(r'href="/ledger\?station=M-1&amp;recheck=true"><span class="n">1<', text)
    timeline = text[text.index('class="timeline"'):]
    assert "seed" in timeline and "新增" in timeline
    assert 'href="/stations/M-1/edit"' in text


def test_add_a_station_with_pasted_gcj02_coordinates(store: Store) -> None:
    client = signed_in(store)
    res = post_form(client, "/stations/new", "/stations/new", name="新站", level="national",
                    radius_m="2500", address="桐柏路", coords=f"{GCJ[0]}，{GCJ[1]}",
                    crs="gcj02")
    assert res.status_code == 303
    sid = res.headers["location"].rsplit("/", 1)[1]
    stored = store.get("stations", sid)
    expected = gcj02_to_wgs84(*GCJ)
    assert stored.geometry is not None
    assert GEOD.inv(stored.geometry.x, stored.geometry.y,
                    float(expected[0]), float(expected[1]))[2] < 1.0
    assert GEOD.inv(*GCJ, stored.geometry.x, stored.geometry.y)[2] > 100  # converted
    props = stored.properties
    assert (props["name"], props["level"], props["radius_m"], props["orig_crs"]) == (
        "新站", "national", 2500.0, "gcj02")
    assert store.history("stations", sid)[-1].actor == "editor1"
    page = client.get(res.headers["location"], headers=HTML).text
    assert "新站" in page and "国控" in page and "2,500" in page


@pytest.mark.parametrize("radius", ["0", "-1", "三千", "50001"],
                         ids=["zero", "negative", "text", "above-max"])
def test_a_bad_radius_gets_its_message_and_nothing_is_written(store: Store,
                                                              radius: str) -> None:
    client = signed_in(store)
    before = store.count("stations")
    res = post_form(client, "/stations/new", "/stations/new", name="坏站", radius_m=radius,
                    coords="113.66,34.75", crs="wgs84")
    assert res.status_code == 422
    assert 'id="f-radius_m" name="radius_m" aria-invalid="true"' in res.text
    assert 'id="radius_m-error"' in res.text and "半径" in res.text
    assert f'value="{radius}"' in res.text  # what was typed comes back
    assert store.count("stations") == before
    edit = post_form(client, "/stations/M-1/edit", "/stations/M-1/edit",
                     **station_fields(radius_m=radius))
    assert edit.status_code == 422 and 'id="radius_m-error"' in edit.text
    stored = store.get("stations", "M-1")
    assert stored.properties["radius_m"] == 3000.0 and stored.version == 1


def test_an_edit_changes_the_radius_and_the_counts_follow(store: Store) -> None:
    client = signed_in(store)
    res = post_form(client, "/stations/M-1/edit", "/stations/M-1/edit",
                    **station_fields(radius_m="100", level="provincial"))
    assert res.status_code == 303 and res.headers["location"] == "/stations/M-1"
    stored = store.get("stations", "M-1")
    assert stored.properties["radius_m"] == 100.0 and stored.properties["level"] == "provincial"
    assert stored.version == 2
    assert stored.geometry is not None and (stored.geometry.x, stored.geometry.y) == STATION
    listed = client.get("/stations", headers=HTML).text
    assert _cell(listed, "M-1", "priority") == 0  # S-open is ~140 m away, S-open2 ~560 m
    page = client.get("/stations/M-1", headers=HTML).text
    timeline = page[page.index('class="timeline"'):]
    assert "editor1" in timeline and "<del>3,000</del>" in timeline and "<ins>100</ins>" in timeline


def test_a_stale_edit_shows_who_changed_it_and_overwrites_nothing(store: Store) -> None:
    mine, theirs = signed_in(store), signed_in(store, "张三")
    form_page = mine.get("/stations/M-1/edit", headers=HTML).text
    assert 'name="version" value="1"' in form_page and 'value="3000"' in form_page
    assert post_form(theirs, "/stations/M-1/edit", "/stations/M-1/edit",
                     **station_fields(name="张三改的站")).status_code == 303
    res = mine.post("/stations/M-1/edit", headers=HTML, follow_redirects=False,
                    data={"csrf_token": csrf_of(form_page), **station_fields(name="我的站")})
    assert res.status_code == 409
    assert "张三" in res.text and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", res.text)
    assert "我的站" in res.text and "张三改的站" in res.text
    assert store.get("stations", "M-1").properties["name"] == "张三改的站"
    assert 'href="/stations/M-1"' in res.text
    apply = re.search(r'<form method="post" action="/stations/M-1/edit">(.*?)</form>', res.text,
                      re.S)
    assert apply is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', apply.group(1)))
    assert fields["version"] == "2"
    again = mine.post("/stations/M-1/edit", data=fields, headers=HTML, follow_redirects=False)
    assert again.status_code == 303
    assert store.get("stations", "M-1").properties["name"] == "我的站"


def test_a_viewer_sees_no_edit_buttons_and_a_forged_post_is_refused(store: Store) -> None:
    client = signed_in(store, "viewer1")
    listed = client.get("/stations", headers=HTML).text
    page = client.get("/stations/M-1", headers=HTML).text
    assert "/stations/new" not in listed and "/stations/M-1/edit" not in page
    assert client.get("/stations/new", headers=HTML).status_code == 403
    assert client.get("/stations/M-1/edit", headers=HTML).status_code == 403
    token = csrf_of(page)
    forged = client.post("/stations/M-1/edit", headers=HTML,
                         data={"csrf_token": token, **station_fields(name="伪造")})
    assert forged.status_code == 403
    created = client.post("/stations/new", headers=HTML, data={
        "csrf_token": token, "name": "伪造", "coords": "113.6,34.7", "crs": "wgs84"})
    assert created.status_code == 403
    assert store.get("stations", "M-1").properties["name"] == "市监测站"
    assert store.count("stations") == 1


def test_a_post_without_the_csrf_token_changes_nothing(store: Store) -> None:
    client = signed_in(store)
    res = client.post("/stations/M-1/edit", data=station_fields(name="无令牌"), headers=HTML)
    assert res.status_code == 403
    res = client.post("/stations/new", data={"name": "x", "coords": "113.66,34.75",
                                             "crs": "wgs84"}, headers=HTML)
    assert res.status_code == 403
    assert store.get("stations", "M-1").properties["name"] == "市监测站"
    assert store.count("stations") == 1


@pytest.mark.parametrize("hostile", [XSS, BRACES], ids=["markup", "template"])
def test_typed_text_shows_as_text_on_every_page(store: Store, hostile: str) -> None:
    client = signed_in(store)
    res = post_form(client, "/stations/new", "/stations/new", name=hostile, address=hostile,
                    coords="113.666,34.758", crs="wgs84")
    assert res.status_code == 303
    sid = res.headers["location"].rsplit("/", 1)[1]
    stored = store.get("stations", sid).properties
    assert stored["name"] == hostile and stored["address"] == hostile
    wrong = post_form(client, f"/stations/{sid}/edit", f"/stations/{sid}/edit",
                      name=hostile, address=hostile, radius_m="0", version="1")
    stale = post_form(client, f"/stations/{sid}/edit", f"/stations/{sid}/edit",
                      name=hostile, address=hostile, version="0")
    pages = {path: client.get(path, headers=HTML).text
             for path in ("/stations", f"/stations/{sid}", f"/stations/{sid}/edit", "/")}
    assert (wrong.status_code, stale.status_code) == (422, 409)
    pages.update({"422": wrong.text, "409": stale.text})
    for path, text in pages.items():
        assert XSS not in text, path
        if hostile == XSS:
            assert "&lt;img src=x onerror=alert(1)&gt;" in text, path
        else:
            assert BRACES in text, path


def test_an_unknown_station_is_a_404_page(store: Store) -> None:
    for client in (client_for(store), signed_in(store)):
        res = client.get("/stations/M-nope", headers=HTML)
        assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")
    res = signed_in(store).get("/stations/M-nope/edit", headers=HTML)
    assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")


def test_english_labels(store: Store) -> None:
    client = signed_in(store)
    listed = client.get("/stations?lang=en", headers=HTML).text
    for words in ("Monitoring stations", "Level", "Radius (m)", "Priority targets", "city",
                  "Add a station"):
        assert words in listed, words
    page = client.get("/stations/M-1?lang=en", headers=HTML).text
    assert "Details" in page and "History" in page and "radius 3,000 m" in page
    form = client.get("/stations/M-1/edit?lang=en", headers=HTML).text
    assert "Edit station" in form and "Coordinates from" in form and "Amap" in form


def test_the_json_radius_api_beside_the_pages_still_answers(store: Store) -> None:
    res = client_for(store).get("/stations/M-1/sources")
    assert res.status_code == 200
    assert sorted(f["id"] for f in res.json()["features"]) == ["S-open", "S-open2", "S-shut"]
