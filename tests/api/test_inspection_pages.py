"""Recording an inspection in the browser: the form, photos without metadata, one transaction,
and the case a violation opens with it when the inspector asks."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from shapely import Point

from geo import writes
from geo.accounts import add_account
from geo.ledger import Feature, bureau_today
from geo.store import Store
from tests._support.images import GPS_TAG, jpeg
from tests._support.signin import PASSWORD, client_for, csrf_of, sign_in
from tests._support.stores import STORE_KINDS, make_store

HTML = {"accept": "text/html"}


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        add_account(opened, username="editor1", role="editor", password=PASSWORD)
        add_account(opened, username="viewer1", role="viewer", password=PASSWORD)
        writes.create(opened, "sources", Feature("S-1", {
            "name": "老王餐馆", "category": "catering", "fume_purifier": "installed"},
            Point(113.666, 34.758)), actor="seed")
        yield opened


def signed_in(store: Store, username: str = "editor1") -> TestClient:
    client = client_for(store)
    assert sign_in(client, username).status_code == 303
    return client


def post_inspection(client: TestClient, photos: list[tuple[str, bytes, str]],
                    **fields: str) -> object:
    token = csrf_of(client.get("/ledger/S-1/inspect", headers=HTML).text)
    files = [("photos", photo) for photo in photos]
    return client.post("/ledger/S-1/inspect", data={"csrf_token": token, **fields},
                       files=files or None, headers=HTML, follow_redirects=False)


def test_the_form_starts_with_today_the_round_and_the_officer(store: Store) -> None:
    page = signed_in(store).get("/ledger/S-1/inspect", headers=HTML).text
    assert f'value="{bureau_today().isoformat()}"' in page
    assert 'id="f-round" name="round" value="1"' in page
    assert 'id="f-inspector" name="inspector" value="editor1"' in page
    assert 'enctype="multipart/form-data"' in page


def test_an_inspection_with_a_photo(store: Store) -> None:
    client = signed_in(store)
    raw = jpeg((800, 600))
    res = post_inspection(client, [("现场.jpg", raw, "image/jpeg")], result="compliant",
                          fume_purifier="in_use", date="2026-11-20", round="2",
                          inspector="李四", notes="净化器正常运行")
    assert res.status_code == 303 and res.headers["location"] == "/ledger/S-1#inspections"
    visits = store.read("inspections")
    assert len(visits) == 1
    visit = visits.iloc[0]
    assert (visit["result"], visit["fume_purifier"], visit["round"], visit["inspector"]) == (
        "compliant", "in_use", 2, "李四")
    assert store.history("inspections", str(visit["id"]))[-1].actor == "editor1"
    source = store.get("sources", "S-1").properties
    assert source["fume_purifier"] == "in_use" and source["last_inspected"] == "2026-11-20"
    photos = store.photos.of_inspections([str(visit["id"])])[str(visit["id"])]
    assert len(photos) == 1
    page = client.get("/ledger/S-1", headers=HTML).text
    thumb = re.search(r'<img src="(/photos/[^"]+/thumb)"', page)
    assert thumb is not None and "净化器正常运行" in page
    small = client.get(thumb.group(1))
    assert small.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(small.content)).size) <= 320
    full = client.get(thumb.group(1).removesuffix("/thumb"))
    image = Image.open(io.BytesIO(full.content))
    assert image.size == (800, 600) and GPS_TAG not in image.getexif()


def test_bad_input_keeps_the_form_and_writes_nothing(store: Store) -> None:
    client = signed_in(store)
    tomorrow = (bureau_today() + dt.timedelta(days=2)).isoformat()
    res = post_inspection(client, [], result="", date=tomorrow)
    assert res.status_code == 422
    assert 'name="result" aria-invalid="true"' in res.text
    assert 'name="date" aria-invalid="true"' in res.text
    not_photo = post_inspection(client, [("a.jpg", b"not a photo at all", "image/jpeg")],
                                result="compliant", date="2026-11-20")
    assert not_photo.status_code == 422 and 'name="photos" aria-invalid="true"' in not_photo.text
    six = [(f"{i}.jpg", jpeg((40, 30)), "image/jpeg") for i in range(6)]
    too_many = post_inspection(client, six, result="compliant", date="2026-11-20")
    assert too_many.status_code == 422 and "5" in too_many.text
    assert store.count("inspections") == 0
    assert store.get("sources", "S-1").properties["fume_purifier"] == "installed"


def test_viewers_and_forged_posts_record_nothing(store: Store) -> None:
    viewer = signed_in(store, "viewer1")
    assert viewer.get("/ledger/S-1/inspect", headers=HTML).status_code == 403
    assert "/ledger/S-1/inspect" not in viewer.get("/ledger/S-1", headers=HTML).text
    editor = signed_in(store)
    res = editor.post("/ledger/S-1/inspect", data={"result": "compliant",
                                                   "date": "2026-11-20"}, headers=HTML)
    assert res.status_code == 403
    assert store.count("inspections") == 0
    assert editor.get("/photos/nope", headers=HTML).status_code == 404


# -- the case a violation opens ---------------------------------------------------------


def test_a_violation_with_the_box_ticked_opens_a_case_and_shows_it(store: Store) -> None:
    client = signed_in(store)
    form = client.get("/ledger/S-1/inspect", headers=HTML).text
    assert 'name="open_case" value="1">' in form  # unticked until the inspector ticks it
    res = post_inspection(client, [], result="violation", fume_purifier="none",
                          date="2026-11-20", round="2", notes="油烟直排，未开净化器",
                          open_case="1")
    cases = store.read("cases")
    assert len(cases) == 1 and store.count("inspections") == 1
    case = cases.iloc[0]
    assert res.status_code == 303 and res.headers["location"] == f"/cases/{case['id']}"
    assert (case["source_id"], case["event_type"], case["channel"], case["status"]) == (
        "S-1", "fume_direct", "inspection", "reported")
    assert case["description"] == "油烟直排，未开净化器" and case["reported_by"] == "editor1"
    page = client.get(res.headers["location"], headers=HTML)
    assert page.status_code == 200 and "油烟直排，未开净化器" in page.text


@pytest.mark.parametrize(("result", "ticked"), [("compliant", "1"), ("violation", "")])
def test_no_case_without_a_violation_or_the_box(store: Store, result: str, ticked: str) -> None:
    fields = {"open_case": ticked} if ticked else {}
    res = post_inspection(signed_in(store), [], result=result, date="2026-11-20", **fields)
    assert res.status_code == 303 and res.headers["location"] == "/ledger/S-1#inspections"
    assert store.count("cases") == 0 and store.count("inspections") == 1


def test_a_bad_inspection_opens_no_case(store: Store) -> None:
    res = post_inspection(signed_in(store), [], result="violation", date="2999-01-01",
                          open_case="1")
    assert res.status_code == 422 and 'name="open_case" value="1" checked' in res.text
    assert store.count("cases") == 0 and store.count("inspections") == 0
