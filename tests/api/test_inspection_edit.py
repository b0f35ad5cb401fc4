"""Correcting an inspection: its source follows, every wrong field is named, stale edits, roles."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from shapely import Point

from geo import writes
from geo.accounts import add_account
from geo.ledger import Feature, bureau_today
from geo.store import Store
from tests._support.signin import PASSWORD, client_for, csrf_of, sign_in
from tests._support.stores import STORE_KINDS, make_store

HTML = {"accept": "text/html"}
XSS = "<img src=x onerror=alert(1)>"
BRACES = "{{7*7}}"


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        for name, role in (("editor1", "editor"), ("张三", "editor"), ("viewer1", "viewer")):
            add_account(opened, username=name, role=role, password=PASSWORD)
        writes.create(opened, "sources", Feature(
            "S-1", {"name": "老王餐馆", "category": "catering", "fume_purifier": "none"},
            Point(113.6660, 34.7580)), actor="seed")
        writes.record_inspection(opened, Feature("I-1", {
            "source_id": "S-1", "date": "2026-03-01", "round": 1, "result": "compliant",
            "fume_purifier": "installed", "inspector": "李四"}), actor="seed")
        yield opened


def signed_in(store: Store, username: str = "editor1") -> TestClient:
    client = client_for(store)
    assert sign_in(client, username).status_code == 303
    return client


def inspection_fields(**changes: str) -> dict[str, str]:
    fields = {"round": "1", "date": "2026-03-01", "result": "compliant",
              "fume_purifier": "installed", "inspector": "李四", "notes": "", "version": "1"}
    return {**fields, **changes}


def post_edit(client: TestClient, **fields: str) -> httpx.Response:
    token = csrf_of(client.get("/inspections/I-1/edit", headers=HTML).text)
    return client.post("/inspections/I-1/edit", data={"csrf_token": token, **fields},
                       headers=HTML, follow_redirects=False)


def test_the_form_shows_the_stored_inspection(store: Store) -> None:
    page = signed_in(store).get("/inspections/I-1/edit", headers=HTML)
    assert page.status_code == 200
    for shown in ('name="version" value="1"', 'value="2026-03-01"', 'id="f-round" name="round"'
                  ' value="1"', '<option value="installed" selected>', 'value="李四"',
                  'href="/ledger/S-1"', "老王餐馆"):
        assert shown in page.text, shown


def test_an_edit_goes_to_the_inspection_and_the_source_follows_it(store: Store) -> None:
    assert store.get("sources", "S-1").properties["fume_purifier"] == "installed"
    res = post_edit(signed_in(store), **inspection_fields(
        date="2026-03-05", fume_purifier="in_use", round="2", notes="复查"))
    assert res.status_code == 303 and res.headers["location"] == "/inspections/I-1"
    stored = store.get("inspections", "I-1")
    assert (stored.properties["date"], stored.properties["fume_purifier"],
            stored.properties["round"], stored.properties["notes"]) == (
        "2026-03-05", "in_use", 2, "复查")
    assert stored.properties["source_id"] == "S-1" and stored.version == 2
    assert store.history("inspections", "I-1")[-1].actor == "editor1"
    source = store.get("sources", "S-1")
    assert source.properties["last_inspected"] == "2026-03-05"
    assert source.properties["fume_purifier"] == "in_use"
    assert store.history("sources", "S-1")[-1].actor == "editor1"


def test_a_closed_down_correction_closes_the_source(store: Store) -> None:
    res = post_edit(signed_in(store), **inspection_fields(result="closed_down"))
    assert res.status_code == 303
    assert store.get("sources", "S-1").properties["status"] == "closed"


def test_every_wrong_field_gets_its_message_and_nothing_is_written(store: Store) -> None:
    future = (bureau_today() + dt.timedelta(days=2)).isoformat()
    res = post_edit(signed_in(store), **inspection_fields(
        date=future, round="0", result="", fume_purifier="maybe"))
    assert res.status_code == 422
    for field in ("date", "round", "result", "fume_purifier"):
        assert f'id="f-{field}" name="{field}" aria-invalid="true"' in res.text, field
    assert f'value="{future}"' in res.text  # what was typed comes back
    stored = store.get("inspections", "I-1")
    assert stored.version == 1 and stored.properties["date"] == "2026-03-01"
    assert store.get("sources", "S-1").properties["last_inspected"] == "2026-03-01"


def test_a_stale_edit_shows_who_changed_it_and_overwrites_nothing(store: Store) -> None:
    mine, theirs = signed_in(store), signed_in(store, "张三")
    form_page = mine.get("/inspections/I-1/edit", headers=HTML).text
    assert post_edit(theirs, **inspection_fields(notes="张三的备注")).status_code == 303
    res = mine.post("/inspections/I-1/edit", headers=HTML, follow_redirects=False, data={
        "csrf_token": csrf_of(form_page), **inspection_fields(notes="我的备注")})
    assert res.status_code == 409
    assert "张三" in res.text and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", res.text)
    assert "我的备注" in res.text and "张三的备注" in res.text
    assert store.get("inspections", "I-1").properties["notes"] == "张三的备注"
    apply = re.search(r'<form method="post" action="/inspections/I-1/edit">(.*?)</form>',
                      res.text, re.S)
    assert apply is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', apply.group(1)))
    assert fields["version"] == "2"
    again = mine.post("/inspections/I-1/edit", data=fields, headers=HTML,
                      follow_redirects=False)
    assert again.status_code == 303
    assert store.get("inspections", "I-1").properties["notes"] == "我的备注"


def test_a_viewer_may_not_edit_and_a_forged_post_is_refused(store: Store) -> None:
    client = signed_in(store, "viewer1")
    assert client.get("/inspections/I-1/edit", headers=HTML).status_code == 403
    page = client.get("/ledger/S-1", headers=HTML).text
    assert "/inspections/I-1/edit" not in page
    forged = client.post("/inspections/I-1/edit", headers=HTML, data={
        "csrf_token": csrf_of(page), **inspection_fields(notes="伪造")})
    assert forged.status_code == 403
    assert store.get("inspections", "I-1").version == 1


def test_a_post_without_the_csrf_token_changes_nothing(store: Store) -> None:
    res = signed_in(store).post("/inspections/I-1/edit", headers=HTML,
                                data=inspection_fields(notes="无令牌"))
    assert res.status_code == 403
    assert store.get("inspections", "I-1").version == 1


@pytest.mark.parametrize("hostile", [XSS, BRACES], ids=["markup", "template"])
def test_typed_text_shows_as_text_on_every_page(store: Store, hostile: str) -> None:
    client = signed_in(store)
    assert post_edit(client, **inspection_fields(inspector=hostile, notes=hostile)
                     ).status_code == 303
    stored = store.get("inspections", "I-1").properties
    assert stored["inspector"] == hostile and stored["notes"] == hostile
    wrong = post_edit(client, **inspection_fields(inspector=hostile, notes=hostile, round="x",
                                                  version="2"))
    stale = post_edit(client, **inspection_fields(inspector=hostile, notes=hostile + "!",
                                                  version="1"))
    assert (wrong.status_code, stale.status_code) == (422, 409)
    pages = {"form": client.get("/inspections/I-1/edit", headers=HTML).text,
             "source": client.get("/ledger/S-1", headers=HTML).text,
             "422": wrong.text, "409": stale.text}
    for name, text in pages.items():
        assert XSS not in text, name
        if hostile == XSS:
            assert "&lt;img src=x onerror=alert(1)&gt;" in text, name
        else:
            assert BRACES in text, name


def test_an_unknown_inspection_is_a_404_page(store: Store) -> None:
    res = signed_in(store).get("/inspections/I-nope/edit", headers=HTML)
    assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")


def test_english_labels(store: Store) -> None:
    page = signed_in(store).get("/inspections/I-1/edit?lang=en", headers=HTML).text
    for words in ("Edit inspection", "Result", "Fume purifier (as seen)", "compliant", "Save"):
        assert words in page, words
