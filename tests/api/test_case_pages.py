"""The staff case pages: the list and its filters, the report form, the action forms, refusals.

Runs on both stores. Every write is checked on what the store then holds
(status, version, the timeline), never on the page alone; every refusal is
checked to have changed nothing.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import Point, box

from geo import writes
from geo.accounts import add_account
from geo.cases import act_on_case, report_case, timeline
from geo.crs import wgs84_to_gcj02
from geo.ledger import Feature
from geo.store import Store
from tests._support.images import jpeg
from tests._support.signin import PASSWORD, client_for, csrf_of, sign_in
from tests._support.stores import STORE_KINDS, make_store

HTML = {"accept": "text/html"}
GEOD = Geod(ellps="WGS84")
XSS = "<img src=x onerror=alert(1)>{{ 7*7 }}"
HERE = (113.6253, 34.7466)  # inside grid G-1
FAR = (113.6453, 34.7566)  # inside grid G-2
_VERSION = re.compile(r'name="version" value="(\d+)"')
_ROW = re.compile(r'<tr data-id="([^"]+)" data-status="([a-z]+)"')


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Staff of every role, two grids, one barbecue source inside the first."""
    for opened in make_store(request.param, tmp_path):
        for username, role in (("editor1", "editor"), ("disp1", "dispatcher"),
                               ("viewer1", "viewer")):
            add_account(opened, username=username, role=role, password=PASSWORD)
        for gid, name, community, cell in (
                ("G-1", "网格一", "建设路社区", box(113.62, 34.74, 113.63, 34.75)),
                ("G-2", "网格二", "桐柏路社区", box(113.64, 34.75, 113.65, 34.76))):
            writes.create(opened, "grids", Feature(gid, {"name": name, "community": community,
                                                         "subdistrict": "林山寨街道"}, cell),
                          actor="seed")
        writes.create(opened, "sources", Feature("S-1", {
            "name": "河边烧烤", "category": "bbq", "address": "河边路 3 号"}, Point(*HERE)),
            actor="seed")
        yield opened


def person(store: Store, username: str) -> TestClient:
    client = client_for(store)
    assert sign_in(client, username).status_code == 303
    return client


def reported(store: Store, **fields: object) -> str:
    case = report_case(store, event_type=str(fields.pop("event_type", "open_air_bbq")),
                       point=Point(*HERE), actor="editor1", **fields)  # type: ignore[arg-type]
    return str(case.id)


def act(client: TestClient, fid: str, action: str, **fields: str) -> object:
    """Open the case's page and post the ``action`` form as it is shown (its version, token)."""
    page = client.get(f"/cases/{fid}", headers=HTML)
    assert page.status_code == 200
    shown = _VERSION.search(page.text)  # a role without forms forges the post: fields' version
    data = {"csrf_token": csrf_of(page.text), **({"version": shown.group(1)} if shown else {}),
            "action": action, **fields}
    return client.post(f"/cases/{fid}/act", data=data, headers=HTML, follow_redirects=False)


def forms_of(page: str) -> list[str]:
    return re.findall(r'<form class="act act-([a-z]+)', page)


def text_of(page: str) -> str:
    body = re.sub(r"<(style|script)>.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


# -- the report form ------------------------------------------------------------------------

def test_a_report_with_gcj02_coordinates_lands_within_a_metre(store: Store) -> None:
    editor = person(store, "editor1")
    form = editor.get("/cases/new", headers=HTML)
    assert form.status_code == 200 and 'name="event_type"' in form.text
    typed = wgs84_to_gcj02(*HERE)
    answer = editor.post("/cases/new", headers=HTML, follow_redirects=False, data={
        "csrf_token": csrf_of(form.text), "event_type": "open_air_bbq", "channel": "hotline",
        "coords": f"{typed[0]:.7f}，{typed[1]:.7f}", "crs": "gcj02", "description": XSS,
        "address": "河边路"}, files=[("photos", ("site.jpg", jpeg(), "image/jpeg"))])
    assert answer.status_code == 303
    fid = answer.headers["location"].rsplit("/", 1)[1]
    case = store.get("cases", fid)
    p, geom = case.properties, case.geometry
    assert GEOD.inv(geom.x, geom.y, *HERE)[2] < 1.0
    assert (p["status"], p["channel"], p["reported_by"], p["grid"], p["orig_crs"]) == (
        "reported", "hotline", "editor1", "网格一", "gcj02")
    assert p["description"] == XSS
    page = editor.get(answer.headers["location"], headers=HTML).text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;{{ 7*7 }}" in page
    assert "49" not in text_of(page).split("问题描述")[1][:60]
    [step] = timeline(store, fid)
    assert step.photos and len(store.photos.of_inspections([step.photos])[step.photos]) == 1
    assert page.count('/thumb"') == 1


def test_a_report_from_a_source_takes_its_place(store: Store) -> None:
    editor = person(store, "editor1")
    form = editor.get("/cases/new?source=S-1", headers=HTML)
    assert form.status_code == 200
    assert 'value="113.6253000"' in form.text and 'value="S-1"' in form.text
    assert re.search(r'<option value="open_air_bbq" selected>', form.text)
    answer = editor.post("/cases/new", headers=HTML, follow_redirects=False, data={
        "csrf_token": csrf_of(form.text), "event_type": "open_air_bbq", "channel": "patrol",
        "source_id": "S-1"})
    assert answer.status_code == 303
    case = store.get("cases", answer.headers["location"].rsplit("/", 1)[1])
    assert case.properties["source_id"] == "S-1"
    assert GEOD.inv(case.geometry.x, case.geometry.y, *HERE)[2] < 0.01
    assert 'href="/cases/new?source=S-1"' in editor.get("/ledger/S-1", headers=HTML).text


@pytest.mark.parametrize("fields, wrong", [
    ({"coords": "113.6,34.7", "crs": "gcj02"}, "event_type"),
    ({"event_type": "noise", "coords": "113.6,34.7", "crs": "gcj02"}, "event_type"),
    ({"event_type": "other"}, "coords"),
    ({"event_type": "other", "coords": "113.6,north", "crs": "gcj02"}, "coords"),
    ({"event_type": "other", "coords": "113.6,34.7", "crs": "gcj02", "source_id": "S-404"},
     "source_id"),
], ids=["no-type", "unknown-type", "no-place", "bad-coords", "unknown-source"])
def test_a_wrong_report_shows_the_field_and_stores_nothing(store: Store, fields: dict,
                                                           wrong: str) -> None:
    editor = person(store, "editor1")
    token = csrf_of(editor.get("/cases/new", headers=HTML).text)
    answer = editor.post("/cases/new", headers=HTML, data={"csrf_token": token, **fields})
    assert answer.status_code == 422
    assert f'id="f-{wrong}" name="{wrong}" aria-invalid="true"' in answer.text
    assert store.count("cases") == 0


def test_the_report_form_is_for_editors(store: Store) -> None:
    anonymous = client_for(store)
    answer = anonymous.get("/cases/new", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    viewer = person(store, "viewer1")
    assert viewer.get("/cases/new", headers=HTML).status_code == 403
    token = csrf_of(viewer.get("/cases", headers=HTML).text)
    forged = viewer.post("/cases/new", headers=HTML, data={
        "csrf_token": token, "event_type": "other", "coords": "113.6,34.7", "crs": "wgs84"})
    assert forged.status_code == 403 and store.count("cases") == 0
    assert "/cases/new" not in viewer.get("/cases", headers=HTML).text


# -- the action forms -----------------------------------------------------------------------

def test_the_forms_take_a_case_round_the_loop(store: Store) -> None:
    fid = reported(store)
    editor, dispatcher = person(store, "editor1"), person(store, "disp1")
    assert forms_of(editor.get(f"/cases/{fid}", headers=HTML).text) == []
    assert forms_of(dispatcher.get(f"/cases/{fid}", headers=HTML).text) == ["file", "reject"]
    steps = [(dispatcher, "file", {}), (dispatcher, "dispatch", {"unit": "林山寨街道中队"}),
             (editor, "handle", {"notes": "已取缔"}),
             (editor, "verify", {"passed": "false", "notes": XSS}),
             (editor, "handle", {"notes": "再次取缔"}), (editor, "verify", {"passed": "true"}),
             (dispatcher, "close", {})]
    expected = ["filed", "dispatched", "handled", "dispatched", "handled", "verified", "closed"]
    for (client, action, fields), status in zip(steps, expected, strict=True):
        answer = act(client, fid, action, **fields)
        assert answer.status_code == 303, (action, text_of(answer.text)[:400])
        assert answer.headers["location"].startswith(f"/cases/{fid}?done={action}")
        assert store.get("cases", fid).properties["status"] == status
        if action == "verify" and fields["passed"] == "false":
            page = editor.get(answer.headers["location"], headers=HTML).text
            assert "返工 1 次" in page and forms_of(page) == ["handle"]
            assert 'id="done">核查不通过，返工' in page
    p = store.get("cases", fid).properties
    assert (p["rework"], p["unit"], p["last_actor"]) == (1, "林山寨街道中队", "disp1")
    page = editor.get(f"/cases/{fid}", headers=HTML).text
    assert re.findall(r'data-action="([a-z]+)"', page) == [
        "report", "file", "dispatch", "handle", "verify", "handle", "verify", "close"]
    assert "核查不通过，返工" in page and "林山寨街道中队" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;{{ 7*7 }}" in page
    assert forms_of(page) == [] and "案件已办结" in page


def test_a_stale_form_answers_409_naming_who_acted(store: Store) -> None:
    fid = reported(store)
    first, second = person(store, "disp1"), person(store, "disp1")
    stale = second.get(f"/cases/{fid}", headers=HTML).text
    assert act(first, fid, "file").status_code == 303
    before = store.get("cases", fid).properties
    answer = second.post(f"/cases/{fid}/act", headers=HTML, data={
        "csrf_token": csrf_of(stale), "version": _VERSION.search(stale).group(1),
        "action": "reject", "notes": "重复上报"})
    assert answer.status_code == 409
    shown = text_of(answer.text)
    assert "该案件已被他人办理" in shown and "disp1" in shown and "执行了「立案」" in shown
    assert "您的操作「不予立案」未执行" in shown
    assert store.get("cases", fid).properties == before


@pytest.mark.parametrize("who, action, fields, status, words", [
    ("editor1", "file", {"version": "1"}, 403, "不能执行「立案」"),
    ("disp1", "close", {}, 409, "不能执行「结案」"),
    ("disp1", "reject", {"notes": "  "}, 422, "不予立案须填写理由"),
    ("disp1", "bogus", {}, 422, "action must be one of"),
], ids=["editor-files", "wrong-state", "reject-without-reason", "unknown-action"])
def test_a_refused_action_says_why_and_changes_nothing(store: Store, who: str, action: str,
                                                       fields: dict, status: int,
                                                       words: str) -> None:
    fid = reported(store)
    before = store.get("cases", fid).properties
    answer = act(person(store, who), fid, action, **fields)
    assert answer.status_code == status and words in text_of(answer.text)
    assert store.get("cases", fid).properties == before


def test_dispatch_needs_a_unit_and_verify_an_outcome(store: Store) -> None:
    fid = reported(store)
    dispatcher = person(store, "disp1")
    assert act(dispatcher, fid, "file").status_code == 303
    answer = act(dispatcher, fid, "dispatch", notes="先派", unit="")
    assert answer.status_code == 422 and "派遣须填写责任单位" in text_of(answer.text)
    assert "先派</textarea>" in answer.text  # what was typed is kept
    assert act(dispatcher, fid, "dispatch", unit="中队").status_code == 303
    assert act(dispatcher, fid, "handle").status_code == 303
    answer = act(dispatcher, fid, "verify")
    assert answer.status_code == 422 and "请选择核查是否通过" in text_of(answer.text)
    assert store.get("cases", fid).properties["status"] == "handled"


def test_a_viewer_sees_no_forms_and_a_forged_post_is_refused(store: Store) -> None:
    fid = reported(store)
    viewer = person(store, "viewer1")
    page = viewer.get(f"/cases/{fid}", headers=HTML).text
    assert forms_of(page) == [] and "当前账号只能查看" in page
    answer = viewer.post(f"/cases/{fid}/act", headers=HTML, data={
        "csrf_token": csrf_of(page), "version": "1", "action": "file"})
    assert answer.status_code == 403
    anonymous = client_for(store).get(f"/cases/{fid}", headers=HTML).text
    assert forms_of(anonymous) == [] and "登录后可办理案件" in anonymous
    assert store.get("cases", fid).properties["status"] == "reported"


def test_a_post_without_the_csrf_token_is_refused(store: Store) -> None:
    fid = reported(store)
    dispatcher = person(store, "disp1")
    for token in (None, "forged"):
        data = {"version": "1", "action": "file", **({"csrf_token": token} if token else {})}
        answer = dispatcher.post(f"/cases/{fid}/act", headers=HTML, data=data)
        assert answer.status_code == 403
    assert store.get("cases", fid).properties["version"] == 1


# -- the list -------------------------------------------------------------------------------

def _loop(store: Store, fid: str, *steps: tuple[str, dict], start: dt.datetime) -> None:
    for k, (action, fields) in enumerate(steps, start=1):
        act_on_case(store, fid, action, actor="disp1", role="dispatcher",
                    at=start + dt.timedelta(seconds=k), **fields)


@pytest.fixture
def listed(store: Store) -> dict[str, str]:
    """Four cases: overdue by 3 h, 1 h left, closed on time, reported elsewhere by hotline."""
    now = dt.datetime.now(dt.UTC)
    ids = {}
    for name, hours_ago in (("overdue", 5), ("running", 1), ("closed", 30)):
        start = now - dt.timedelta(hours=hours_ago)
        ids[name] = reported(store, at=start - dt.timedelta(minutes=1), channel="patrol",
                             description=f"{name} 烧烤")
        _loop(store, ids[name], ("file", {}), ("dispatch", {"unit": f"{name}中队"}),
              start=start - dt.timedelta(seconds=2))
    _loop(store, ids["closed"], ("handle", {}), ("verify", {"passed": True}), ("close", {}),
          start=now - dt.timedelta(hours=29))
    far = report_case(store, event_type="muck_spill", point=Point(*FAR), actor="editor1",
                      channel="hotline", description="渣土 " + XSS)
    ids["elsewhere"] = str(far.id)
    return ids


def rows_of(client: TestClient, query: str) -> list[str]:
    answer = client.get("/cases" + query, headers=HTML)
    assert answer.status_code == 200, answer.text[:300]
    return [fid for fid, _ in _ROW.findall(answer.text)]


def test_the_list_filters(store: Store, listed: dict[str, str]) -> None:
    viewer = person(store, "viewer1")
    assert sorted(rows_of(viewer, "")) == sorted(listed.values())
    assert rows_of(viewer, "")[0] == listed["elsewhere"]  # newest report first
    for query, names in (("?status=dispatched", {"overdue", "running"}),
                         ("?status=closed", {"closed"}),
                         ("?event_type=muck_spill", {"elsewhere"}),
                         ("?channel=hotline", {"elsewhere"}),
                         ("?community=桐柏路社区", {"elsewhere"}),
                         ("?grid=网格一", {"overdue", "running", "closed"}),
                         ("?unit=running中队", {"running"}),
                         ("?q=OVERDUE", {"overdue"}), ("?q=渣土", {"elsewhere"}),
                         ("?status=reported&channel=patrol", set())):
        assert set(rows_of(viewer, query)) == {listed[n] for n in names}, query
    for bad in ("?status=open", "?channel=fax", "?sort=name", "?overdue=maybe"):
        assert viewer.get("/cases" + bad, headers=HTML).status_code == 422, bad


def test_the_overdue_view_and_the_time_left(store: Store, listed: dict[str, str]) -> None:
    viewer = person(store, "viewer1")
    assert rows_of(viewer, "?overdue=true") == [listed["overdue"]]
    page = viewer.get("/cases", headers=HTML).text
    assert re.search(r'class="overdue-tab[^"]*" href="/cases\?overdue=true"[^>]*>超期 '
                     r'<span class="n">1</span>', page)
    row = {fid: text_of(chunk) for fid, chunk in
           re.findall(r'<tr data-id="([^"]+)".*?>(.*?)</tr>', page, flags=re.S)}
    assert "超期 3小时" in row[listed["overdue"]]
    assert re.search(r"剩余 (59分|1小时)", row[listed["running"]])
    assert "按期结案" in row[listed["closed"]] and "派遣后计时" in row[listed["elsewhere"]]
    assert "露天烧烤" in row[listed["overdue"]] and "渣土撒漏" in row[listed["elsewhere"]]
    assert "建设路社区 / 网格一" in row[listed["running"]]
    assert "<img src=x" not in page
    item = viewer.get(f"/cases/{listed['overdue']}", headers=HTML).text
    assert 'class="late-mark">超期' in item and "超期 3小时" in text_of(item)
    english = text_of(viewer.get("/cases?overdue=true&lang=en", headers=HTML).text)
    assert "3 h overdue" in english and "Open-air barbecue" in english


def test_the_list_sorts_and_pages(store: Store, listed: dict[str, str]) -> None:
    viewer = person(store, "viewer1")
    by_deadline = rows_of(viewer, "?sort=deadline&descending=false")
    assert by_deadline[:3] == [listed["closed"], listed["overdue"], listed["running"]]
    assert by_deadline[-1] == listed["elsewhere"]  # no deadline: last either way
    assert rows_of(viewer, "?sort=deadline&descending=true")[0] == listed["running"]
    assert rows_of(viewer, "?sort=status")[-1] == listed["closed"]
    first = viewer.get("/cases?sort=id&per_page=3", headers=HTML).text
    assert len(_ROW.findall(first)) == 3 and 'rel="next" href="/cases?sort=id&amp;page=2' \
        "&amp;per_page=3" in first
    assert rows_of(viewer, "?sort=id&per_page=3&page=2") == [sorted(listed.values())[3]]
