"""Case figures (geo.cases.figures) on a month built through the case loop, on both stores.

March 2025 (Beijing): twelve cases reported, ten filed, one rejected, one
only reported; seven closed, five of them on time, one reworked; two open
past their deadline and one open without a deadline. Two more cases lie
just outside the month in Beijing time (one of them inside March in UTC),
and one inside it only in Beijing time (23:30 on 31 March).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import writes
from geo.cases import act_on_case, case_figures, case_period, report_case, type_table
from geo.cases.figures import FIGURES, write_figures_csv
from geo.errors import InputError
from geo.ledger import BUREAU_TZ, Feature
from geo.store import Store
from tests._support.stores import STORE_KINDS, make_store

#: Short limits: bbq 2 h, dust 8 h.
TYPES = type_table([
    {"code": "bbq", "name_zh": "露天烧烤", "name_en": "Open-air barbecue", "limit_h": 2},
    {"code": "dust", "name_zh": "工地扬尘", "name_en": "Site dust", "limit_h": 8},
])
GRID_1, GRID_2 = Point(113.625, 34.745), Point(113.635, 34.745)
MARCH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
#: After every deadline of the month: both overdue cases count.
NOW = dt.datetime(2025, 4, 10, tzinfo=dt.UTC)


def _bj(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BUREAU_TZ)


def _loop(unit: str, *, dispatch_h: float, close_h: float, rework: bool = False) -> list[Any]:
    """Steps of a case taken round the whole loop: (action, hours after the report, options)."""
    steps: list[Any] = [("file", 0.1, {}), ("dispatch", dispatch_h, {"unit": unit}),
                        ("handle", close_h - 0.6, {})]
    if rework:
        steps += [("verify", close_h - 0.5, {"passed": False, "notes": "复燃"}),
                  ("handle", close_h - 0.4, {})]
    return [*steps, ("verify", close_h - 0.2, {"passed": True}), ("close", close_h, {})]


#: name, place, type, reported (Beijing), steps.
CASES: list[tuple[str, Point, str, str, list[Any]]] = [
    ("A1", GRID_1, "bbq", "2025-03-01T00:00", _loop("甲中队", dispatch_h=0.2, close_h=1.5)),
    ("A2", GRID_1, "bbq", "2025-03-05T10:00", _loop("甲中队", dispatch_h=0.2, close_h=2.0)),
    ("A3", GRID_1, "bbq", "2025-03-10T10:00", _loop("甲中队", dispatch_h=0.2, close_h=3.5)),
    ("A4", GRID_1, "dust", "2025-03-12T09:00",
     _loop("甲中队", dispatch_h=0.5, close_h=6.0, rework=True)),
    ("A5", GRID_1, "dust", "2025-03-20T09:00",
     [("file", 0.1, {}), ("dispatch", 0.2, {"unit": "甲中队"})]),
    ("A6", GRID_1, "bbq", "2025-03-25T09:00", []),
    ("B1", GRID_2, "bbq", "2025-03-31T23:30", _loop("乙中队", dispatch_h=0.2, close_h=2.0)),
    ("B2", GRID_2, "dust", "2025-03-02T08:00", _loop("乙中队", dispatch_h=0.5, close_h=4.0)),
    ("B3", GRID_2, "dust", "2025-03-15T08:00", _loop("乙中队", dispatch_h=0.5, close_h=10.0)),
    ("B4", GRID_2, "bbq", "2025-03-18T20:00",
     [("file", 0.1, {}), ("dispatch", 0.2, {"unit": "乙中队"}), ("handle", 3.0, {})]),
    ("B5", GRID_2, "dust", "2025-03-22T08:00", [("file", 0.1, {})]),
    ("B6", GRID_2, "bbq", "2025-03-28T08:00", [("reject", 0.5, {"notes": "重复上报"})]),
    # outside March in Beijing time (X2 is inside it in UTC: 31 March 16:00)
    ("X1", GRID_1, "bbq", "2025-02-28T23:59", _loop("甲中队", dispatch_h=0.2, close_h=1.5)),
    ("X2", GRID_2, "bbq", "2025-04-01T00:00", []),
]

_KEYS = ("reported", "filed", "rejected", "closed", "closed_on_time", "rework", "overdue_open",
         "avg_hours_to_close", "closure_rate", "on_time_rate", "rework_rate", "rank")


def _want(*values: Any) -> dict[str, Any]:
    return dict(zip(_KEYS, values, strict=True))


TOTAL = _want(12, 10, 1, 7, 5, 1, 2, 4.14, 7 / 10, 5 / 7, 1 / 7, None)
#: Every group of March by grouping, in rank order.
EXPECTED: dict[str, dict[str, dict[str, Any]]] = {
    "grid": {"网格一": _want(6, 5, 0, 4, 3, 1, 1, 3.25, 4 / 5, 3 / 4, 1 / 4, 1),
             "网格二": _want(6, 5, 1, 3, 2, 0, 1, 5.33, 3 / 5, 2 / 3, 0.0, 2)},
    "community": {"建设路社区": _want(6, 5, 0, 4, 3, 1, 1, 3.25, 4 / 5, 3 / 4, 1 / 4, 1),
                  "桐柏路社区": _want(6, 5, 1, 3, 2, 0, 1, 5.33, 3 / 5, 2 / 3, 0.0, 2)},
    "unit": {"甲中队": _want(5, 5, 0, 4, 3, 1, 1, 3.25, 4 / 5, 3 / 4, 1 / 4, 1),
             "乙中队": _want(4, 4, 0, 3, 2, 0, 1, 5.33, 3 / 4, 2 / 3, 0.0, 2),
             "（未派遣）": _want(3, 1, 1, 0, 0, 0, 0, None, 0.0, None, None, 3)},
    "type": {"露天烧烤": _want(7, 5, 1, 4, 3, 0, 1, 2.25, 4 / 5, 3 / 4, 0.0, 1),
             "工地扬尘": _want(5, 5, 0, 3, 2, 1, 1, 6.67, 3 / 5, 2 / 3, 1 / 3, 2)},
}
#: February to April by month: calendar order, ranked all the same.
MONTHS = {"2025-02": _want(1, 1, 0, 1, 1, 0, 0, 1.5, 1.0, 1.0, 0.0, 1),
          "2025-03": {**TOTAL, "rank": 2},
          "2025-04": _want(1, 0, 0, 0, 0, 0, 0, None, None, None, None, 3)}


def build_month(store: Store) -> dict[str, str]:
    """Store the two grids and every case of :data:`CASES`; return case ids by name."""
    for fid, name, community, cell in (("G-1", "网格一", "建设路社区", box(113.62, 34.74,
                                                                        113.63, 34.75)),
                                       ("G-2", "网格二", "桐柏路社区", box(113.63, 34.74,
                                                                        113.64, 34.75))):
        writes.create(store, "grids", Feature(fid, {"name": name, "community": community,
                                                    "subdistrict": "林山寨街道"}, cell),
                      actor="t")
    ids = {}
    for name, point, kind, reported, steps in CASES:
        start = _bj(reported)
        case = report_case(store, event_type=kind, point=point, actor="巡查员", at=start,
                           types=TYPES, channel="patrol", description=name)
        for action, hours, options in steps:
            act_on_case(store, case.id, action, actor="中心", role="admin", types=TYPES,
                        at=start + dt.timedelta(hours=hours), **options)
        ids[name] = case.id
    return ids


@pytest.fixture(scope="module", params=STORE_KINDS)
def month(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The March ledger, built once per store kind."""
    for store in make_store(request.param, tmp_path_factory.mktemp("figures")):
        build_month(store)
        yield store


def shown(row: Any) -> dict[str, Any]:
    """A row's figures and rank, as :data:`EXPECTED` holds them."""
    return {**row.figures(), "rank": row.rank}


def assert_figures(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Counts exactly, rates and hours to float precision, None where there is none."""
    assert set(want) <= set(got)
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, abs=1e-12), (key, got)
        else:
            assert got[key] == value, (key, got)


@pytest.mark.parametrize("by", list(EXPECTED))
def test_march_per_group_and_in_total(month: Store, by: str) -> None:
    got = case_figures(month.read("cases"), by=by, start=MARCH[0], end=MARCH[1], now=NOW,
                       types=TYPES)
    assert [row.name() for row in got.rows] == list(EXPECTED[by])
    for row, want in zip(got.rows, EXPECTED[by].values(), strict=True):
        assert_figures(shown(row), want)
    assert_figures(shown(got.total), TOTAL)
    assert got.total.name() == "合计" and got.total.group is None


def test_months_are_beijing_months_in_calendar_order(month: Store) -> None:
    got = case_figures(month.read("cases"), by="month", start=dt.date(2025, 2, 1),
                       end=dt.date(2025, 4, 30), now=NOW, types=TYPES)
    assert [row.group for row in got.rows] == list(MONTHS)
    for row, want in zip(got.rows, MONTHS.values(), strict=True):
        assert_figures(shown(row), want)
    assert got.total.reported == 14


@pytest.mark.parametrize(("start", "end", "reported"), [
    pytest.param("2025-03-31", "2025-03-31", 1, id="last-day-to-23:59"),
    pytest.param("2025-03-01", "2025-03-01", 1, id="first-day-from-00:00"),
    pytest.param("2025-02-28", "2025-02-28", 1, id="day-before-to-23:59"),
    pytest.param("2025-04-01", "2025-04-01", 1, id="day-after-from-00:00"),
    pytest.param("2025-03-02", "2025-03-30", 10, id="inside"),
])
def test_the_period_runs_in_beijing_days(month: Store, start: str, end: str,
                                         reported: int) -> None:
    first, last = case_period(start, end, today=dt.date(2026, 1, 1))
    got = case_figures(month.read("cases"), by="grid", start=first, end=last, now=NOW,
                       types=TYPES)
    assert got.total.reported == reported


def test_overdue_is_judged_at_now(month: Store) -> None:
    a5_deadline = _bj("2025-03-20T09:00") + dt.timedelta(hours=8.2)
    cases = month.read("cases")
    before = case_figures(cases, by="grid", start=MARCH[0], end=MARCH[1], types=TYPES,
                          now=a5_deadline - dt.timedelta(minutes=1))
    after = case_figures(cases, by="grid", start=MARCH[0], end=MARCH[1], types=TYPES,
                         now=a5_deadline + dt.timedelta(minutes=1))
    assert (before.total.overdue_open, after.total.overdue_open) == (1, 2)


def test_type_groups_take_the_names_given_or_show_the_code(month: Store) -> None:
    only_bbq = {"bbq": TYPES["bbq"]}
    got = case_figures(month.read("cases"), by="type", start=MARCH[0], end=MARCH[1], now=NOW,
                       types=only_bbq)
    assert [(r.name("zh"), r.name("en")) for r in got.rows] == [
        ("露天烧烤", "Open-air barbecue"), ("dust", "dust")]


# -- ranking and edges, on frames built in code -------------------------------------------------


def _case(grid: str, status: str, *, late: bool = False, overdue: bool = False) -> dict:
    """A case reported 10 March 02:00 UTC; the deadline 04:00 when closed or overdue."""
    reported, deadline, closed = "2025-03-10T02:00:00.000Z", None, None
    if status == "closed":
        deadline = "2025-03-10T04:00:00.000Z"
        closed = "2025-03-10T05:00:00.000Z" if late else "2025-03-10T03:00:00.000Z"
    elif status == "dispatched":
        deadline = "2025-03-10T04:00:00.000Z" if overdue else "2025-03-11T04:00:00.000Z"
    return {"grid": grid, "status": status, "reported_at": reported, "deadline": deadline,
            "closed_at": closed, "rework": 0, "event_type": "bbq"}


def test_ranking_closure_then_on_time_then_fewer_overdue_ties_share_a_rank() -> None:
    rows = [
        # 甲: 1/2 closed, on time; one overdue
        _case("甲", "closed"), _case("甲", "dispatched", overdue=True),
        # 乙: 1/2 closed, on time; none overdue -> ahead of 甲
        _case("乙", "closed"), _case("乙", "dispatched"),
        # 丙: 2/2 closed, one late -> first on closure despite a worse on-time rate
        _case("丙", "closed"), _case("丙", "closed", late=True),
        # 丁: the same as 乙 -> shares its rank
        _case("丁", "closed"), _case("丁", "dispatched"),
        # 戊: nothing filed -> no rate, last
        _case("戊", "reported"),
        # 己: filed, nothing closed -> closure 0, ahead of no rate
        _case("己", "filed"),
    ]
    got = case_figures(pd.DataFrame(rows), by="grid", start=MARCH[0], end=MARCH[1],
                       now=dt.datetime(2025, 3, 10, 6, tzinfo=dt.UTC))
    assert [(r.group, r.rank) for r in got.rows] == [
        ("丙", 1), ("丁", 2), ("乙", 2), ("甲", 4), ("己", 5), ("戊", 6)]
    assert got.rows[-1].closure_rate is None and got.rows[-2].closure_rate == 0.0


def test_no_cases_give_a_total_of_nothing() -> None:
    got = case_figures(pd.DataFrame(), by="unit", start=MARCH[0], end=MARCH[1], now=NOW)
    assert got.rows == ()
    assert {k: getattr(got.total, k) for k in FIGURES} == {
        **dict.fromkeys(("reported", "filed", "rejected", "closed", "closed_on_time", "rework",
                         "overdue_open"), 0),
        **dict.fromkeys(("avg_hours_to_close", "closure_rate", "on_time_rate", "rework_rate"))}
    assert "合计" in write_figures_csv(got)


def test_blank_places_are_one_group() -> None:
    rows = [_case("", "closed"), {**_case("x", "closed"), "grid": None}, _case(" ", "filed")]
    got = case_figures(pd.DataFrame(rows), by="grid", start=MARCH[0], end=MARCH[1], now=NOW)
    assert [(r.group, r.name("zh"), r.name("en"), r.reported) for r in got.rows] == [
        (None, "（未登记）", "(not recorded)", 3)]


@pytest.mark.parametrize(("start", "end", "today", "want"), [
    pytest.param(None, None, "2026-02-14", ("2026-02-01", "2026-02-28"), id="this-month"),
    pytest.param(None, None, "2024-02-29", ("2024-02-01", "2024-02-29"), id="leap-month"),
    pytest.param(None, None, "2026-12-31", ("2026-12-01", "2026-12-31"), id="december"),
    pytest.param("2026-03-05", None, "2026-02-14", ("2026-03-05", "2026-03-31"), id="start"),
    pytest.param(None, "2026-03-05", "2026-02-14", ("2026-03-01", "2026-03-05"), id="end"),
    pytest.param("2026-01-01", "2026-01-01", "2026-02-14", ("2026-01-01", "2026-01-01"),
                 id="one-day"),
])
def test_the_default_period_is_the_month(start: str | None, end: str | None, today: str,
                                         want: tuple[str, str]) -> None:
    got = case_period(start, end, today=dt.date.fromisoformat(today))
    assert tuple(d.isoformat() for d in got) == want


@pytest.mark.parametrize(("start", "end", "match"), [
    pytest.param("2026-02-30", None, "^start must be a date", id="no-such-day"),
    pytest.param("20260301", None, "^start must be a date", id="compact"),
    pytest.param("2026-03-01T00:00", None, "^start must be a date", id="with-time"),
    pytest.param(None, "soon", "^end must be a date", id="words"),
    pytest.param("0001-01-01", None, "^start must lie between", id="too-early"),
    pytest.param(None, "9999-12-31", "^end must lie between", id="too-late"),
    pytest.param("2026-03-02", "2026-03-01", r"^end \(2026-03-01\) is before start", id="order"),
])
def test_bad_periods_name_the_parameter(start: str | None, end: str | None, match: str) -> None:
    with pytest.raises(InputError, match=match):
        case_period(start, end, today=dt.date(2026, 2, 14))


def test_bad_by_or_now_is_refused() -> None:
    with pytest.raises(InputError, match="^by must be one of grid, community, unit, type, mon"):
        case_figures(pd.DataFrame(), by="week", start=MARCH[0], end=MARCH[1], now=NOW)
    with pytest.raises(InputError, match="^now must be a timezone-aware"):
        case_figures(pd.DataFrame(), by="grid", start=MARCH[0], end=MARCH[1],
                     now=dt.datetime(2025, 4, 1))


def test_the_default_month_is_this_one_once_it_has_a_case() -> None:
    from geo.cases.figures import default_month_day

    today = dt.date(2026, 12, 7)
    older = pd.DataFrame({"reported_at": ["2026-10-02T01:00:00Z", "2026-11-30T16:30:00Z"]})
    assert default_month_day(older, today) == today  # 00:30 Beijing on 1 Dec: this month
    assert default_month_day(older.iloc[:1], today) == dt.date(2026, 10, 2)
    later = pd.DataFrame({"reported_at": ["2027-01-05T01:00:00Z"]})  # after today: not counted
    assert default_month_day(later, today) == today
    assert default_month_day(pd.DataFrame({"reported_at": []}), today) == today
