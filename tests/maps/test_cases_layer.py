"""Open cases as a map layer (maps.cases_layer and ``/map/cases.json``), on both stores.

Cases are made through the case loop itself (geo.cases.records) with explicit times, so
every band comes from a state the machine reaches: one overdue, two due soon (by the hour
floor and by the quarter of a long limit), one on time, two not yet dispatched, and a closed
and a rejected one that must not show.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

import pytest
from shapely.geometry import Point, box

from geo import writes
from geo.cases import act_on_case, report_case, save_types, stored_types, type_table
from geo.crs import from_lonlat
from geo.errors import InputError
from geo.ledger import Feature
from geo.store import Store
from maps.cases_layer import BANDS, open_cases, time_band
from maps.data import MapFilter, map_data
from tests._support.ledger import build

T0 = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)
HERE = Point(113.6253, 34.7466)
#: Where make_cases puts its k-th case: a row west to east, about 900 m apart
SPOTS = [Point(113.57 + 0.01 * k, 34.74) for k in range(8)]
HOSTILE = '<img src=x onerror="window.__pwned=1">'


@dataclass
class Made:
    """The ids of the cases made, by what each should show."""

    overdue: str
    soon_floor: str  # 30 min left of a 4-h limit: under the hour's floor
    soon_quarter: str  # 8 h left of 48 h, handled: under a quarter of the limit
    on_time: str
    reported: str
    filed: str
    closed: str
    rejected: str


def _case(store: Store, kind: str, at: dt.datetime, point: Point = HERE, **fields) -> str:
    return report_case(store, event_type=kind, point=point, actor="巡查员", at=at,
                       channel="patrol", **fields).id


def _act(store: Store, fid: str, action: str, at: dt.datetime, **kwargs) -> None:
    act_on_case(store, fid, action, actor="中心", role="admin", at=at, **kwargs)


def _dispatched(store: Store, kind: str, at: dt.datetime, unit: str = "林山寨街道中队",
                **fields) -> str:
    """Report, file and dispatch a case, the dispatch at ``at``."""
    fid = _case(store, kind, at - 2 * MIN, **fields)
    _act(store, fid, "file", at - MIN)
    _act(store, fid, "dispatch", at, unit=unit)
    return fid


def make_cases(store: Store, now: dt.datetime) -> Made:
    """Make one case of every band (and two that are done) as they stand at ``now``."""
    writes.create(store, "grids", Feature("G-1", {"name": "网格一", "community": "建设路社区"},
                                          box(113.55, 34.70, 113.70, 34.80)), actor="t")
    overdue = _dispatched(store, "open_air_bbq", now - 5 * H, point=SPOTS[0],
                          description=HOSTILE)
    soon_floor = _dispatched(store, "muck_spill", now - 3.5 * H, point=SPOTS[1])
    soon_quarter = _dispatched(store, "other", now - 40 * H, point=SPOTS[2])
    _act(store, soon_quarter, "handle", now - H, notes="已整改")
    on_time = _dispatched(store, "fume_direct", now - H, point=SPOTS[3])
    reported = _case(store, "site_dust", now - 10 * MIN, point=SPOTS[4])
    filed = _case(store, "site_dust", now - 20 * MIN, point=SPOTS[5])
    _act(store, filed, "file", now - 15 * MIN)
    closed = _dispatched(store, "open_air_bbq", now - 3 * H, point=SPOTS[6])
    for k, (action, kwargs) in enumerate((("handle", {}), ("verify", {"passed": True}),
                                          ("close", {})), start=1):
        _act(store, closed, action, now - 3 * H + k * MIN, **kwargs)
    rejected = _case(store, "other", now - 2 * H, point=SPOTS[7])
    _act(store, rejected, "reject", now - H, notes="重复上报")
    return Made(overdue, soon_floor, soon_quarter, on_time, reported, filed, closed, rejected)


def _by_id(answer: dict) -> dict[str, dict]:
    return {c["id"]: c for c in answer["cases"]}


def test_each_open_case_gets_its_band_and_time_left(store: Store) -> None:
    made = make_cases(store, T0)
    answer = open_cases(store, now=T0)
    cases = _by_id(answer)
    assert answer["counts"] == {"overdue": 1, "due_soon": 2, "on_time": 1, "not_dispatched": 2}
    assert answer["count"] == 6 == sum(answer["counts"].values())
    assert made.closed not in cases and made.rejected not in cases
    expected = {made.overdue: ("overdue", -3 * 3600), made.soon_floor: ("due_soon", 1800),
                made.soon_quarter: ("due_soon", 8 * 3600), made.on_time: ("on_time", 23 * 3600),
                made.reported: ("not_dispatched", None), made.filed: ("not_dispatched", None)}
    assert {fid: (c["band"], c["seconds_left"]) for fid, c in cases.items()} == expected
    # most urgent first: the band's order, then the least time left
    assert [c["id"] for c in answer["cases"]][:4] == [made.overdue, made.soon_floor,
                                                      made.soon_quarter, made.on_time]
    first = cases[made.overdue]
    assert (first["type_zh"], first["type_en"], first["status"], first["unit"]) == (
        "露天烧烤", "Open-air barbecue", "dispatched", "林山寨街道中队")
    assert first["deadline"] == "2026-11-03T09:00:00Z" and first["limit_s"] == 7200
    assert first["reported_at"] == "2026-11-03T06:58:00Z"
    assert answer["now"] == "2026-11-03T12:00:00Z"
    assert first["description"] == HOSTILE and first["grid"] == "网格一"
    assert cases[made.soon_quarter]["status"] == "handled"
    assert cases[made.filed]["status"] == "filed" and cases[made.filed]["deadline"] is None


def test_the_deadline_itself_is_not_yet_overdue(store: Store) -> None:
    made = make_cases(store, T0)
    deadline = T0 + 30 * MIN  # the muck spill's: dispatched 3.5 h before T0, 4-h limit
    at = _by_id(open_cases(store, now=deadline))[made.soon_floor]
    assert (at["band"], at["seconds_left"]) == ("due_soon", 0)
    later = deadline + dt.timedelta(microseconds=1)
    past = _by_id(open_cases(store, now=later))[made.soon_floor]
    assert (past["band"], past["seconds_left"]) == ("overdue", -1)
    hour = _by_id(open_cases(store, now=deadline - H))[made.soon_floor]  # an hour left: not soon
    assert (hour["band"], hour["seconds_left"]) == ("on_time", 3600)
    soon = _by_id(open_cases(store, now=deadline - H + dt.timedelta(seconds=1)))[made.soon_floor]
    assert (soon["band"], soon["seconds_left"]) == ("due_soon", 3599)


@pytest.mark.parametrize(("left_s", "limit_s", "band"), [
    (None, None, "not_dispatched"),
    (-1, 7200, "overdue"),
    (0, 7200, "due_soon"),
    (3599, 7200, "due_soon"),  # a quarter of 2 h is 30 min: the hour's floor rules
    (3600, 7200, "on_time"),
    (12 * 3600 - 1, 48 * 3600, "due_soon"),  # a quarter of 48 h is 12 h
    (12 * 3600, 48 * 3600, "on_time"),
    (3599, None, "due_soon"),  # no known limit: the floor alone
    (3600, None, "on_time"),
], ids=["undispatched", "past", "at-deadline", "floor-in", "floor-out", "quarter-in",
        "quarter-out", "no-limit-in", "no-limit-out"])
def test_time_band_edges(left_s, limit_s, band) -> None:
    assert time_band(left_s, limit_s) == band


def test_gcj02_shifts_cases_as_the_map_shifts_sources(store: Store) -> None:
    fid = _dispatched(store, "fume_direct", T0 - H, point=HERE)
    writes.create(store, "sources", Feature("S-1", {"name": "同一位置", "category": "catering"},
                                            HERE), actor="t")
    plain = _by_id(open_cases(store, now=T0))[fid]
    assert (plain["lon"], plain["lat"]) == (HERE.x, HERE.y)
    shifted = open_cases(store, now=T0, datum="gcj02")
    case = _by_id(shifted)[fid]
    sources = map_data(store, MapFilter(), datum="gcj02")["sources"]
    assert shifted["datum"] == "gcj02"
    assert (case["lon"], case["lat"]) == (sources["lon"][0], sources["lat"][0])
    x, y = from_lonlat(HERE.x, HERE.y, crs="gcj02")
    assert case["lon"] == pytest.approx(float(x), abs=1e-6)
    assert case["lat"] == pytest.approx(float(y), abs=1e-6)
    assert abs(case["lon"] - HERE.x) > 0.003  # Zhengzhou: GCJ-02 lies some 500 m off


def test_names_come_from_the_stored_types_and_the_limit_from_dispatch(store: Store) -> None:
    fid = _dispatched(store, "open_air_bbq", T0 - 0.5 * H)  # 2-h limit: 1 h 30 min left
    table = dict(stored_types(store))
    table.update(type_table([{"code": "open_air_bbq", "name_zh": "夜间露天烧烤",
                              "name_en": "Night barbecue", "limit_h": 40}]))
    save_types(store, table, actor="管理员")
    case = _by_id(open_cases(store, now=T0))[fid]
    assert (case["type_zh"], case["type_en"]) == ("夜间露天烧烤", "Night barbecue")
    # a quarter of the 40 h now set would be 10 h (due soon); the case was given 2 h
    assert (case["limit_s"], case["band"], case["seconds_left"]) == (7200, "on_time", 5400)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"datum": "bd09"}, "datum must be one of wgs84, gcj02"),
    ({"now": dt.datetime(2026, 11, 3, 12, 0)}, "now must be a timezone-aware"),
], ids=["datum", "naive-now"])
def test_bad_arguments_are_refused(store: Store, kwargs: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        open_cases(store, **{"now": T0, **kwargs})


def test_an_empty_ledger_has_no_open_cases(store: Store) -> None:
    answer = open_cases(store, now=T0)
    assert answer["cases"] == [] and answer["count"] == 0
    assert answer["counts"] == dict.fromkeys(BANDS, 0)


# -- over HTTP: /map/cases.json -------------------------------------------------------------


def test_http_answers_the_cases_as_they_stand_at_the_request(store: Store) -> None:
    now = dt.datetime.now(dt.UTC)
    made = make_cases(store, now)
    ledger = build(store)
    with ledger.client as client:
        res = client.get("/map/cases.json")
        assert res.status_code == 200 and res.headers["content-type"] == "application/json"
        assert res.headers["cache-control"] == "no-store"
        body = res.json()
        assert body["counts"] == {"overdue": 1, "due_soon": 2, "on_time": 1,
                                  "not_dispatched": 2}
        assert body["datum"] == "wgs84"
        left = _by_id(body)[made.on_time]["seconds_left"]
        assert 23 * 3600 - 120 < left <= 23 * 3600  # the request's own moment
        for action, kwargs in (("handle", {}), ("verify", {"passed": True}), ("close", {})):
            _act(store, made.on_time, action, dt.datetime.now(dt.UTC), **kwargs)
        again = client.get("/map/cases.json?datum=gcj02").json()
        assert made.on_time not in _by_id(again) and again["counts"]["on_time"] == 0
        assert again["datum"] == "gcj02"


@pytest.mark.parametrize("query", ["datum=bd09", "datum=", "station=M-1"],
                         ids=["bad-datum", "empty-datum", "unknown-param"])
def test_http_refuses_bad_queries_as_problems(store: Store, query: str) -> None:
    with build(store).client as client:
        res = client.get(f"/map/cases.json?{query}")
        assert res.status_code == 400
        assert res.headers["content-type"].startswith("application/problem+json")
        assert res.json()["status"] == 400


def test_http_reads_may_need_a_token(store: Store) -> None:
    closed = build(store, read_requires_token=True)
    with closed.client as client:
        assert client.get("/map/cases.json").status_code == 401
        assert client.get("/map/cases.json", headers=closed.auth("viewer")).status_code == 200


def test_the_map_page_asks_for_the_cases_and_loads_the_layer(store: Store) -> None:
    with build(store).client as client:
        html = client.get("/map").text
        config = json.loads(re.search(r'id="zonewatch-config">(.*?)</script>', html, re.S)[1])
        assert config["casesUrl"] == "/map/cases.json"
        assert config["labels"]["cases"]["layer"] == "未结案件"
        assert '<script src="/assets/map/zonewatch-cases.js"></script>' in html
        assert client.get("/assets/map/zonewatch-cases.js").status_code == 200
        assert client.get("/assets/map/zonewatch-cases.css").status_code == 200
        en = json.loads(re.search(r'id="zonewatch-config">(.*?)</script>',
                                  client.get("/map?lang=en").text, re.S)[1])
        assert en["labels"]["cases"]["bands"]["due_soon"] == "Due soon"
