"""The night patrol page: the list by distance, one-tap shut-down and new stall, roles, size,
and the cases a patrol opens (a stall still trading, a problem at a listed source).

Runs on both stores. Distances are checked against pyproj ``Geod``; every
write is checked on what the store then holds (counts, the rows that
changed, their history), never on the page alone.
"""

from __future__ import annotations

import gzip
import html
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely import Point

from geo import writes
from geo.accounts import add_account
from geo.crs import gcj02_to_wgs84, wgs84_to_gcj02
from geo.ledger import Feature, bureau_today
from geo.store import Store
from tests._support.signin import PASSWORD, client_for, csrf_of, sign_in
from tests._support.stores import STORE_KINDS, make_store

HTML = {"accept": "text/html"}
GEOD = Geod(ellps="WGS84")
HERE = (113.6680, 34.7590)
STATION = (113.6650, 34.7570)
XSS = '<img src=x onerror="alert(1)">{{ 7*7 }}'
ROW = re.compile(r'<li class="src[^"]*" data-id="([^"]+)" data-distance-m="(\d+)">\s*'
                 r'<div class="top"><span class="dist"><b>(\d+)</b>')


def fwd(azimuth: float, dist_m: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(*HERE, azimuth, dist_m)
    return float(lon), float(lat)


def geod_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(*a, *b)[2])


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Staff, one station (radius 1000 m), 24 sources up to 2500 m away (one hostile name)."""
    for opened in make_store(request.param, tmp_path):
        for username, role in (("editor1", "editor"), ("viewer1", "viewer")):
            add_account(opened, username=username, role=role, password=PASSWORD)
        writes.create(opened, "stations", Feature("M-1", {"name": "监测点", "radius_m": 1000.0},
                                                  Point(*STATION)), actor="seed")
        rng = random.Random(3)
        points = [fwd(rng.uniform(0, 360), rng.uniform(20, 2500)) for _ in range(24)]
        points[3] = fwd(45.0, 150.0)  # the hostile name is listed
        frame = gpd.GeoDataFrame({
            "id": [f"S-{k:02d}" for k in range(24)],
            "name": [XSS if k == 3 else f"摊点{k}" for k in range(24)],
            "category": ["bbq" if k % 2 else "catering" for k in range(24)],
            "status": ["closed" if k % 6 == 5 else "operating" for k in range(24)]},
            geometry=[Point(*p) for p in points], crs="EPSG:4326")
        writes.write_frame(opened, "sources", frame, mode="append", actor="seed")
        yield opened


def signed_in(store: Store, username: str = "editor1") -> TestClient:
    client = client_for(store)
    assert sign_in(client, username).status_code == 303
    return client


def listed(page: str) -> list[tuple[str, int]]:
    rows = [(fid, int(shown)) for fid, attr, shown in ROW.findall(page)]
    assert rows and all(int(a) == s for (_, a, s), (_, s) in zip(ROW.findall(page), rows,
                                                                    strict=True))
    return rows


def names(page: str) -> list[str]:
    """The source names the list shows, as a reader sees them (entities decoded)."""
    return [html.unescape(n) for n in re.findall(r'<a class="name" href="[^"]+">([^<]*)</a>',
                                                  page)]


def truth(store: Store, centre: tuple[float, float], radius_m: float = 2000.0
          ) -> list[tuple[str, float]]:
    sources = store.read("sources")
    found = [(str(r.id), geod_m(centre, (r.geometry.x, r.geometry.y)))
             for r in sources.itertuples()]
    return sorted(((f, d) for f, d in found if d <= radius_m), key=lambda fd: (fd[1], fd[0]))


def versions(store: Store) -> dict[str, int]:
    frame = store.read("sources")
    return dict(zip(frame["id"], frame["version"], strict=True))


def post(client: TestClient, action: str, page: str, **fields: str) -> Any:
    return client.post(action, data={"csrf_token": csrf_of(page), **fields}, headers=HTML,
                       follow_redirects=False)


def position(lon: float, lat: float, crs: str = "wgs84") -> dict[str, str]:
    return {"lon": repr(lon), "lat": repr(lat), "crs": crs}


# -- the list ----------------------------------------------------------------------------


def test_without_a_position_the_page_offers_gps_and_a_form(store: Store) -> None:
    page = client_for(store).get("/patrol", headers=HTML)
    assert page.status_code == 200
    assert 'id="locate"' in page.text and "定位我的位置" in page.text
    assert "enableHighAccuracy: true" in page.text and "navigator.geolocation" in page.text
    form = re.search(r'<form id="position" class="position" method="get" action="/patrol">'
                     r'(.*?)</form>', page.text, re.S)
    assert form is not None  # works without script: a plain GET form
    for name in ("coords", "lon", "lat", "crs"):
        assert f'name="{name}"' in form.group(1)
    assert '<details class="typed" open>' in page.text
    assert 'href="/patrol" class="active"' in page.text  # the nav's 巡查 entry


def test_the_list_is_nearest_first_in_whole_metres(store: Store) -> None:
    page = client_for(store).get("/patrol", params=position(*HERE), headers=HTML)
    assert page.status_code == 200
    rows, expected = listed(page.text), truth(store, HERE)
    assert [fid for fid, _ in rows] == [fid for fid, _ in expected]
    for (fid, metres), (_, distance_m) in zip(rows, expected, strict=True):
        assert abs(metres - distance_m) <= 0.5 + 1e-6, fid
    assert f"2000 米内共 {len(expected)} 个污染源" in page.text


def test_a_typed_gcj02_position_is_converted(store: Store) -> None:
    gcj = wgs84_to_gcj02(*HERE)
    typed = f"{float(gcj[0]):.6f}，{float(gcj[1]):.6f}"
    page = client_for(store).get("/patrol", params={"coords": typed, "crs": "gcj02"},
                                 headers=HTML)
    back = gcj02_to_wgs84(*(float(v) for v in typed.split("，")))
    centre = (float(back[0]), float(back[1]))
    assert geod_m(centre, HERE) < 1.0
    rows, expected = listed(page.text), truth(store, centre)
    assert [fid for fid, _ in rows] == [fid for fid, _ in expected]
    assert all(abs(m - d) <= 1.0 for (_, m), (_, d) in zip(rows, expected, strict=True))
    assert "高德/腾讯地图（GCJ-02）" in page.text


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"coords": "113.67"}, "coords", "不是一对坐标"),
    ({"lon": "34.759", "lat": "113.668"}, "lon", "填反"),
    ({"lon": "113.668", "lat": "34.759", "crs": "mars"}, "crs", "mars")],
    ids=["one-number", "swapped", "unknown-label"])
def test_bad_coordinates_answer_422_beside_the_field(store: Store, params: dict, field: str,
                                                     words: str) -> None:
    page = client_for(store).get("/patrol", params=params, headers=HTML)
    assert page.status_code == 422
    assert f'id="f-{field}" name="{field}" aria-invalid="true"' in page.text
    message = re.search(rf'<span class="message" id="{field}-error">([^<]*)</span>', page.text)
    assert message is not None and words in html.unescape(message.group(1))
    assert 'class="src' not in page.text


def test_limit_cuts_the_list_and_more_shows_more(store: Store) -> None:
    client = client_for(store)
    page = client.get("/patrol", params={**position(*HERE), "limit": "5"}, headers=HTML).text
    assert [fid for fid, _ in listed(page)] == [fid for fid, _ in truth(store, HERE)[:5]]
    more = re.search(r'<a class="big plain more" href="([^"]+)">更多</a>', page)
    assert more is not None and "limit=55" in html.unescape(more.group(1))
    assert len(listed(client.get(html.unescape(more.group(1)), headers=HTML).text)) == len(
        truth(store, HERE))
    assert client.get("/patrol", params={**position(*HERE), "limit": "201"},
                      headers=HTML).status_code == 400


# -- the writes --------------------------------------------------------------------------


def nearest_open_priority(store: Store, page: str) -> str:
    match = re.search(r'<li class="src priority" data-id="([^"]+)"', page)
    assert match is not None, "no open priority target listed"
    assert store.get("sources", match.group(1)).properties["status"] == "operating"
    return match.group(1)


def test_shut_writes_one_inspection_and_one_status_change(store: Store) -> None:
    client = signed_in(store)
    page = client.get("/patrol", params=position(*HERE), headers=HTML).text
    fid = nearest_open_priority(store, page)
    before, visits, steps = versions(store), store.count("inspections"), store.history(
        "sources", fid)
    res = post(client, f"/patrol/{fid}/shut", page, **position(*HERE))
    assert res.status_code == 303
    assert res.headers["location"] == (f"/patrol?lon={HERE[0]!r}&lat={HERE[1]!r}&crs=wgs84"
                                       f"&done=shut&sid={fid}")
    after = versions(store)
    assert {k for k in after if after[k] != before[k]} == {fid} and after.keys() == before.keys()
    assert store.count("inspections") == visits + 1
    new_steps = store.history("sources", fid)[len(steps):]
    assert len(new_steps) == 1 and new_steps[0].actor == "editor1"
    assert new_steps[0].before is not None and new_steps[0].after is not None
    changed = {k for k, v in new_steps[0].after["properties"].items()
               if new_steps[0].before["properties"].get(k) != v}
    assert changed == {"status", "last_inspected", "version", "updated_at"}
    stored = store.get("sources", fid).properties
    assert (stored["status"], stored["last_inspected"]) == ("closed", bureau_today().isoformat())
    visit = store.read("inspections").query("source_id == @fid").iloc[-1]
    assert (visit["result"], visit["inspector"], visit["date"], int(visit["round"])) == (
        "closed_down", "editor1", bureau_today().isoformat(), 1)
    back = client.get(res.headers["location"], headers=HTML).text
    assert "现场取缔，状态已改为已关停" in back
    assert f'action="/patrol/{fid}/shut"' not in back  # closed now: no button
    again = post(client, f"/patrol/{fid}/shut", page, **position(*HERE))
    assert "done=already" in again.headers["location"] and store.count("inspections") == \
        visits + 1  # a second tap (or another officer) records nothing twice


def test_a_new_stall_writes_one_source_and_one_inspection(store: Store) -> None:
    client = signed_in(store)
    shifted = wgs84_to_gcj02(*fwd(30, 40))
    gcj = (float(shifted[0]), float(shifted[1]))
    page = client.get("/patrol", params=position(*gcj, "gcj02"), headers=HTML).text
    before, visits = versions(store), store.count("inspections")
    res = post(client, "/patrol/new-stall", page, **position(*gcj, "gcj02"), name="",
               notes="三个烤炉", result="violation")
    assert res.status_code == 303
    added = set(versions(store)) - set(before)
    assert len(added) == 1 and store.count("inspections") == visits + 1
    fid = added.pop()
    assert versions(store) == {**before, fid: 2}  # created, then its inspection's effect
    stall = store.get("sources", fid)
    assert stall.geometry is not None
    unshifted = gcj02_to_wgs84(*gcj)
    expected = (float(unshifted[0]), float(unshifted[1]))
    assert geod_m((stall.geometry.x, stall.geometry.y), expected) < 1.0
    props = stall.properties
    assert (props["name"], props["category"], props["status"], props["orig_crs"]) == (
        "露天烧烤摊点（巡查发现）", "bbq", "operating", "gcj02")
    assert props["orig_wkt"] == f"POINT ({gcj[0]!r} {gcj[1]!r})"
    visit = store.read("inspections").query("source_id == @fid")
    assert visit[["result", "notes", "inspector"]].values.tolist() == [
        ["violation", "三个烤炉", "editor1"]]
    assert [s.actor for s in store.history("sources", fid)] == ["editor1", "editor1"]
    back = client.get(res.headers["location"], headers=HTML).text
    assert "已登记新摊点：露天烧烤摊点（巡查发现），仍在经营（登记违规）。" in back
    assert f'data-id="{fid}"' in back


def test_a_stall_shut_on_the_spot_is_closed(store: Store) -> None:
    client = signed_in(store)
    page = client.get("/patrol", params=position(*HERE), headers=HTML).text
    res = post(client, "/patrol/new-stall", page, **position(*HERE), name=XSS,
               result="closed_down")
    fid = res.headers["location"].rsplit("sid=", 1)[1]
    props = store.get("sources", fid).properties
    assert (props["name"], props["status"]) == (XSS, "closed")
    assert props["last_inspected"] == bureau_today().isoformat()
    back = client.get(res.headers["location"], headers=HTML).text
    assert '<img src=x' not in back and XSS in names(back)


def test_a_bad_stall_form_is_shown_again_and_nothing_is_written(store: Store) -> None:
    client = signed_in(store)
    page = client.get("/patrol", params=position(*HERE), headers=HTML).text
    token = store.change_token()
    wrong = post(client, "/patrol/new-stall", page, **position(*HERE), result="compliant")
    assert wrong.status_code == 422 and 'id="result-error"' in wrong.text
    long_name = post(client, "/patrol/new-stall", page, **position(*HERE), name="摊" * 201,
                     result="violation")
    assert long_name.status_code == 422
    assert 'id="f-name" name="name" aria-invalid="true"' in long_name.text
    nowhere = post(client, "/patrol/new-stall", page, lon="", lat="", crs="wgs84",
                   result="violation")
    assert nowhere.status_code == 422
    assert store.change_token() == token


# -- who may write -------------------------------------------------------------------------


def test_a_viewer_sees_no_buttons_and_forged_posts_are_refused(store: Store) -> None:
    viewer, editor = signed_in(store, "viewer1"), signed_in(store)
    page = viewer.get("/patrol", params=position(*HERE), headers=HTML).text
    assert listed(page) and "/shut" not in page and "/patrol/new-stall" not in page
    assert "当前账号只能查看" in page
    token = store.change_token()
    shut = post(viewer, "/patrol/S-00/shut", page, **position(*HERE))
    stall = post(viewer, "/patrol/new-stall", page, **position(*HERE), result="violation")
    assert shut.status_code == stall.status_code == 403
    for action in ("/patrol/S-00/shut", "/patrol/new-stall"):
        bare = editor.post(action, data={**position(*HERE), "result": "violation"},
                           headers=HTML, follow_redirects=False)
        assert bare.status_code == 403, action
    anonymous = client_for(store).get("/patrol", params=position(*HERE), headers=HTML).text
    assert "/shut" not in anonymous and "登录后可登记" in anonymous
    assert store.change_token() == token


def test_hostile_names_show_as_text(store: Store) -> None:
    page = client_for(store).get("/patrol", params=position(*HERE), headers=HTML).text
    assert "<img src=x" not in page and XSS in names(page)
    notice = client_for(store).get("/patrol", headers=HTML, params={
        **position(*HERE), "done": "shut", "sid": "S-03"}).text
    assert "<img src=x" not in notice and f"已登记：{XSS} 现场取缔" in html.unescape(notice)


def test_the_page_speaks_english(store: Store) -> None:
    client = signed_in(store)
    page = client.get("/patrol", params={**position(*HERE), "lang": "en"}, headers=HTML).text
    assert "Night patrol" in page and "Shut down on the spot (closed)" in page
    assert "New stall here" in page and "nearest first" in page and "Open-air barbecue" in page
    assert "现场取缔" not in page and '<html lang="en">' in page


# -- on a slow link ----------------------------------------------------------------------


@pytest.fixture(scope="module", params=STORE_KINDS)
def crowded(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Ten thousand sources within 1 km of HERE, an editor to see every button."""
    for opened in make_store(request.param, tmp_path_factory.mktemp("crowded")):
        add_account(opened, username="editor1", role="editor", password=PASSWORD)
        rng = random.Random(11)
        points = [fwd(rng.uniform(0, 360), 1000 * rng.random() ** 0.5) for _ in range(10_000)]
        frame = gpd.GeoDataFrame({
            "id": [f"C-{k:05d}" for k in range(10_000)],
            "name": [f"夜市烧烤摊位第{k}号（东区）" for k in range(10_000)], "category": "bbq"},
            geometry=[Point(*p) for p in points], crs="EPSG:4326")
        writes.write_frame(opened, "sources", frame, mode="append", actor="seed")
        writes.create(opened, "stations", Feature("M-1", {"name": "站"}, Point(*STATION)),
                      actor="seed")
        yield opened


@pytest.mark.parametrize("limit", [None, "200"], ids=["default", "most"])
def test_ten_thousand_nearby_stay_under_200_kb_gzipped(crowded: Store, limit: str | None) -> None:
    client = signed_in(crowded)
    params = {**position(*HERE), **({"limit": limit} if limit else {})}
    page = client.get("/patrol", params=params, headers=HTML)
    assert page.status_code == 200
    assert len(listed(page.text)) == int(limit or 50)
    assert "1000 米内" not in page.text and "2000 米内共 10000 个污染源" in page.text
    assert page.text.count('class="big danger shut"') == int(limit or 50)
    assert len(gzip.compress(page.content)) < 200_000
    assert ("更多" in page.text) == (limit is None)


# -- cases a patrol opens --------------------------------------------------------------


def _counts(store: Store) -> tuple[int, int, int]:
    return store.count("sources"), store.count("inspections"), store.count("cases")


def test_a_stall_still_trading_opens_its_case_with_it(store: Store) -> None:
    client = signed_in(store)
    page = client.get("/patrol", params=position(*HERE), headers=HTML).text
    assert 'name="open_case" value="1" checked' in page  # on unless the officer unticks it
    sources, visits, cases = _counts(store)
    res = post(client, "/patrol/new-stall", page, **position(*HERE), name="夜市口烧烤",
               notes="两个烤炉", result="violation", open_case="1")
    assert res.status_code == 303 and _counts(store) == (sources + 1, visits + 1, cases + 1)
    case = store.read("cases").iloc[-1]
    stall = store.get("sources", case["source_id"])
    assert stall.properties["name"] == "夜市口烧烤" and stall.properties["status"] == "operating"
    assert (case["event_type"], case["channel"], case["status"], case["reported_by"]) == (
        "open_air_bbq", "patrol", "reported", "editor1")
    assert case["description"] == "两个烤炉"
    assert f"case={case['id']}" in res.headers["location"]
    back = client.get(res.headers["location"], headers=HTML).text
    assert f'href="/cases/{case["id"]}"' in back


@pytest.mark.parametrize(("result", "ticked"), [("closed_down", "1"), ("violation", "")])
def test_no_case_when_shut_on_the_spot_or_unticked(store: Store, result: str,
                                                   ticked: str) -> None:
    client = signed_in(store)
    page = client.get("/patrol", params=position(*HERE), headers=HTML).text
    sources, visits, cases = _counts(store)
    fields = {"open_case": ticked} if ticked else {}
    res = post(client, "/patrol/new-stall", page, **position(*HERE), result=result, **fields)
    assert res.status_code == 303 and "case=" not in res.headers["location"]
    assert _counts(store) == (sources + 1, visits + 1, cases)


def test_a_failing_case_write_leaves_no_stall_and_no_inspection(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import geo.writes

    client = signed_in(store)
    page = client.get("/patrol", params=position(*HERE), headers=HTML).text
    before, token = _counts(store), store.change_token()
    real = geo.writes._insert_new

    def failing(tx, records, **kwargs):  # the case is the last record written
        real(tx, records, **kwargs)
        if any(layer.name == "cases" for layer, _ in records):
            raise RuntimeError("the disk is full")

    monkeypatch.setattr(geo.writes, "_insert_new", failing)
    with pytest.raises(RuntimeError):
        post(client, "/patrol/new-stall", page, **position(*HERE), result="violation",
             open_case="1")
    assert _counts(store) == before and store.change_token() == token


def test_a_listed_source_gets_a_case_at_its_place(store: Store) -> None:
    client = signed_in(store)
    page = client.get("/patrol", params=position(*HERE), headers=HTML).text
    fid = re.search(r'<li class="src[^"]*" data-id="([^"]+)"', page).group(1)
    assert f'action="/patrol/{fid}/case"' in page
    before = versions(store)
    res = post(client, f"/patrol/{fid}/case", page, **position(*HERE))
    assert res.status_code == 303 and versions(store) == before  # the source is untouched
    cases = store.read("cases")
    assert len(cases) == 1
    case, source = cases.iloc[0], store.get("sources", fid)
    assert case["source_id"] == fid and case.geometry.equals(source.geometry)
    expected = "open_air_bbq" if source.properties["category"] == "bbq" else "fume_direct"
    assert (case["event_type"], case["channel"]) == (expected, "patrol")
    back = client.get(res.headers["location"], headers=HTML).text
    assert f"已上报案件 {case['id']}" in back


def test_viewers_and_forged_posts_report_nothing(store: Store) -> None:
    viewer = signed_in(store, "viewer1")
    page = viewer.get("/patrol", params=position(*HERE), headers=HTML).text
    assert "/case\"" not in page and 'name="open_case"' not in page
    fid = store.read("sources")["id"].iloc[0]
    assert post(viewer, f"/patrol/{fid}/case", page, **position(*HERE)).status_code == 403
    anonymous = client_for(store)
    assert anonymous.post(f"/patrol/{fid}/case", data=position(*HERE), headers=HTML,
                          follow_redirects=False).status_code == 403
    assert store.count("cases") == 0
