"""Roll-ups: tiny frames built in code, then the demo ledger on both stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import shapely

from geo import writes
from geo.demo import load_demo
from geo.demo.inspections import ROUND_WINDOWS
from geo.errors import InputError, NotFoundError
from geo.inspections import campaign_progress, due_sources
from geo.ledger import CATEGORIES, Feature
from geo.priority import flagged_sources, summarize_priority
from geo.reports import (
    BREAKDOWNS,
    LABELS,
    area_counts,
    build_report,
    category_status,
    headline,
    monthly_trend,
    purifier_coverage,
    round_coverage,
)
from geo.store import Store
from tests._support.stores import STORE_KINDS, make_store

ACTOR = "test reports"


def _sources(rows: list[tuple[str, str, str, str | None, str | None]]) -> pd.DataFrame:
    """Rows of (id, category, status, fume_purifier, community)."""
    frame = pd.DataFrame(rows, columns=["id", "category", "status", "fume_purifier", "community"])
    return frame.assign(subdistrict="某街道", grid="G1")


# -- tiny frames ---------------------------------------------------------------------------


def test_category_status_lists_every_category_and_totals() -> None:
    frame = _sources([("a", "bbq", "closed", None, "x"), ("b", "bbq", "operating", None, "x"),
                      ("c", "catering", "rectifying", "in_use", "x")])
    table = category_status(frame).set_index("category")
    cols = ["operating", "rectifying", "closed", "total"]
    assert table.loc["bbq", cols].tolist() == [1, 0, 1, 2]
    assert table.loc["industrial", "total"] == 0
    assert table.loc["total", cols].tolist() == [1, 1, 1, 3]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param([("a", "catering", "operating", "in_use", "x")],
                     (1, 1, 0, 1.0, 1.0), id="one-in-use"),
        pytest.param([("a", "catering", "operating", "in_use", "x"),
                      ("b", "catering", "operating", "installed", "x"),
                      ("c", "catering", "operating", "none", "x")],
                     (3, 1, 1, 0.6667, 0.3333), id="thirds-rounded-to-4-decimals"),
        pytest.param([("a", "catering", "closed", "none", "x"),
                      ("b", "catering", "operating", "in_use", "x")],
                     (1, 1, 0, 1.0, 1.0), id="closed-premise-left-out"),
        pytest.param([("a", "catering", "rectifying", None, "x")],
                     (1, 0, 0, 0.0, 0.0), id="unrecorded-state"),
    ],
)
def test_purifier_coverage(rows, expected) -> None:
    table = purifier_coverage(_sources(rows)).set_index("category")
    row = table.loc["catering"]
    got = (row["active"], row["in_use"], row["installed"], row["fitted_share"], row["in_use_share"])
    assert got == pytest.approx(expected)
    assert row["active"] == row[["in_use", "installed", "none", "unknown"]].sum()


def test_round_coverage_counts_premises_once_per_round() -> None:
    sources = _sources([("a", "catering", "operating", "in_use", "东"),
                        ("b", "catering", "operating", "in_use", "东"),
                        ("c", "catering", "operating", "in_use", "西"),
                        ("d", "bbq", "closed", None, "西")])
    inspections = pd.DataFrame(
        [("a", 1, "compliant"), ("a", 1, "violation"), ("a", 1, "violation"),
         ("c", 1, "compliant"), ("d", 1, "closed_down"), ("b", 2, "violation"),
         ("b", None, "violation")],
        columns=["source_id", "round", "result"],
    )
    table = round_coverage(sources, inspections).set_index(["community", "round"])
    cols = ["premises", "checked", "not_checked", "violations", "checked_share"]
    assert table.loc[("东", 1), cols].tolist() == [2, 1, 1, 1, 0.5]
    assert table.loc[("东", 2), cols].tolist() == [2, 1, 1, 1, 0.5]
    # the bbq spot is not a catering premise, so 西 has one premise, checked in round 1
    assert table.loc[("西", 1), cols].tolist() == [1, 1, 0, 0, 1.0]
    assert table.loc[("西", 2), cols].tolist() == [1, 0, 1, 0, 0.0]


@pytest.mark.parametrize(
    ("category", "status", "visited_round", "due"),
    [
        pytest.param("catering", "operating", None, True, id="operating-premise"),
        pytest.param("catering", "rectifying", None, True, id="rectifying-premise"),
        pytest.param("catering", None, None, True, id="status-unrecorded"),
        pytest.param("catering", "closed", None, False, id="closed-not-visited"),
        pytest.param("catering", "closed", 2, True, id="closed-by-this-rounds-visit"),
        pytest.param("catering", "closed", 1, False, id="closed-visited-another-round"),
        pytest.param("bbq", "operating", 2, False, id="bbq-not-a-round-source"),
        pytest.param("construction_site", "operating", None, False, id="site"),
    ],
)
def test_due_in_round_two(category, status, visited_round, due) -> None:
    sources = pd.DataFrame({"id": ["a"], "category": [category], "status": [status]})
    visits = pd.DataFrame({"source_id": ["a"], "round": [visited_round]})
    assert due_sources(sources, visits, round_no=2)["id"].tolist() == (["a"] if due else [])


def test_round_coverage_counts_only_premises_due() -> None:
    sources = _sources([("a", "catering", "operating", "in_use", "东"),
                        ("b", "catering", "closed", None, "东"),
                        ("c", "catering", "closed", None, "东")])
    inspections = pd.DataFrame([("a", 1, "compliant"), ("c", 1, "closed_down")],
                               columns=["source_id", "round", "result"])
    row = round_coverage(sources, inspections).set_index(["community", "round"]).loc[("东", 1)]
    # b closed without a round-1 visit: not due; c's closure was round 1's check
    assert row[["premises", "checked", "not_checked"]].tolist() == [2, 2, 0]


def _headline_of(sources: pd.DataFrame, inspections: pd.DataFrame) -> dict[str, object]:
    flagged = sources.assign(priority=False, recheck=False)
    frame = headline(sources, flagged, purifier_coverage(sources),
                     round_coverage(sources, inspections))
    return dict(frame.values.tolist())


@pytest.mark.parametrize(
    ("visits", "completed", "in_progress"),
    [
        pytest.param([("a", 1), ("b", 1)], 1, None, id="one-round-done"),
        pytest.param([("a", 1), ("b", 1), ("a", 2)], 1, "第2轮 1/2", id="second-under-way"),
        pytest.param([("a", 1)], 0, "第1轮 1/2", id="first-under-way"),
        pytest.param([("a", 1), ("a", 2), ("b", 2)], 1, "第1轮 1/2", id="first-missed-one"),
        pytest.param([], 0, None, id="no-rounds"),
    ],
)
def test_rounds_completed_means_every_due_premise_checked(visits, completed, in_progress):
    sources = _sources([("a", "catering", "operating", "in_use", "东"),
                        ("b", "catering", "operating", "in_use", "西"),
                        ("z", "bbq", "operating", None, "西")])
    inspections = pd.DataFrame([(s, r, "compliant") for s, r in visits],
                               columns=["source_id", "round", "result"])
    figures = _headline_of(sources, inspections)
    assert figures["完成检查轮次"] == completed
    assert figures["进行中检查轮次（已查/应查）"] == in_progress


def test_round_coverage_without_rounds_is_empty() -> None:
    sources = _sources([("a", "catering", "operating", "in_use", "东")])
    inspections = pd.DataFrame({"source_id": ["a"], "round": [None], "result": ["compliant"]})
    assert round_coverage(sources, inspections).empty


def test_area_counts_names_missing_community() -> None:
    frame = _sources([("a", "bbq", "closed", None, None), ("b", "catering", "operating",
                                                          "in_use", "东")])
    frame["priority"], frame["recheck"] = [False, False], [True, False]
    table = area_counts(frame, key="community").set_index("community")
    missing = table.loc["（未登记）", ["sources", "priority", "bbq", "recheck"]]
    assert missing.tolist() == [1, 0, 1, 1]
    assert table.loc["（未登记）", "bbq_priority"] == 0
    assert table.loc["东", ["sources", "priority", "priority_share"]].tolist() == [1, 0, 0.0]
    with pytest.raises(InputError, match="community or grid"):
        area_counts(frame, key="street")


def test_area_category_columns_count_all_sources_and_label_the_inside_ones() -> None:
    frame = _sources([("a", "catering", "operating", "in_use", "东"),
                      ("b", "catering", "operating", "in_use", "东"),
                      ("c", "bbq", "closed", None, "东")])
    frame["priority"], frame["recheck"] = [True, False, False], [False, False, True]
    for key in ("community", "grid"):
        row = area_counts(frame, key=key).iloc[0]
        counts = row[["sources", "catering", "bbq", "priority", "recheck"]]
        assert counts.tolist() == [3, 2, 1, 1, 1]
        assert row[["catering_priority", "bbq_priority"]].tolist() == [1, 0]
    assert LABELS["catering"] == "餐饮"
    assert LABELS["catering_priority"] == "餐饮（重点管控）"
    assert LABELS["recheck"] == "待复查（半径内已关停）"


def test_shares_of_nothing_are_not_applicable() -> None:
    frame = _sources([("a", "catering", "closed", "none", "x")])
    table = purifier_coverage(frame).set_index("category")
    assert table.loc["catering", "active"] == 0
    assert table.loc[["catering", "night_market"], ["fitted_share", "in_use_share"]].isna().all(
        axis=None)
    figures = _headline_of(frame, pd.DataFrame(columns=["source_id", "round", "result"]))
    assert figures["夜市油烟净化装置安装率"] is None
    assert figures["餐饮油烟净化装置使用率"] is None


# -- the demo ledger -------------------------------------------------------------------


@pytest.fixture(scope="module", params=STORE_KINDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Store]:
    """The demo ledger, read only, once per store kind."""
    for store in make_store(request.param, tmp_path_factory.mktemp("reports")):
        load_demo(store)
        yield store


def test_demo_category_status_matches_construction(demo: Store) -> None:
    table = build_report(demo, by="category").view("category").frame.set_index("category")
    assert table.loc["catering", ["operating", "closed", "total"]].tolist() == [2026, 0, 2026]
    assert table.loc["bbq", ["operating", "closed", "total"]].tolist() == [0, 347, 347]
    assert table.loc["night_market", "total"] == 10
    assert table.loc["total", "total"] == demo.count("sources")


def test_demo_purifiers_and_summary(demo: Store) -> None:
    report = build_report(demo, by="category")
    cover = report.view("purifier").frame.set_index("category")
    assert cover.loc["catering", ["active", "in_use", "in_use_share"]].tolist() == [2026, 2026, 1]
    assert cover.loc["night_market", ["active", "fitted_share"]].tolist() == [10, 1.0]
    summary = dict(report.view("summary").frame.values.tolist())
    assert summary["已取缔露天烧烤"] == 347
    assert summary["完成检查轮次"] == 3
    assert summary["检查发现违规（户次）"] == 0


def test_demo_three_rounds_cover_every_community(demo: Store) -> None:
    rounds = build_report(demo, by="community").view("rounds").frame
    assert sorted(rounds["round"].unique()) == [1, 2, 3]
    per_round = rounds.groupby("round")[["premises", "checked", "not_checked"]].sum()
    assert per_round["premises"].tolist() == [2026] * 3
    assert per_round["checked"].tolist() == [2026] * 3
    assert (rounds["checked_share"] == 1.0).all()


@pytest.mark.parametrize("key", ["community", "grid"])
def test_demo_area_columns_add_up(demo: Store, key: str) -> None:
    table = build_report(demo, by=key).view(key).frame
    cats = list(CATEGORIES)
    assert (table[cats].sum(axis=1) == table["sources"]).all()
    assert (table[[f"{c}_priority" for c in cats]].sum(axis=1) == table["priority"]).all()
    flagged = flagged_sources(demo)
    assert table["priority"].sum() == flagged["priority"].sum()
    assert table["recheck"].sum() == flagged["recheck"].sum() > 0
    if key == "community":  # the tester's example: 19 sources, none inside any radius
        row = table.set_index("community").loc["柿园社区"]
        assert (row["sources"], row["priority"], row[cats].sum()) == (19, 0, 19)


def test_demo_station_view_agrees_with_priority_summary(demo: Store) -> None:
    frame = build_report(demo, by="station").view("station").frame.set_index("station")
    expected = summarize_priority(flagged_sources(demo))
    flagged = flagged_sources(demo)
    for sid in frame.index:
        assert frame.loc[sid, "total"] == expected.loc[sid, "all"], sid
        closed = flagged["recheck"] & flagged["stations"].map(lambda ids, s=sid: s in ids)
        assert frame.loc[sid, "recheck"] == closed.sum(), sid


def test_station_filter_restricts_every_view(demo: Store) -> None:
    report = build_report(demo, by="station", station="M001")
    flagged = flagged_sources(demo)
    inside = flagged[flagged["stations"].map(lambda ids: "M001" in list(ids))]
    assert report.station is not None and report.station["id"] == "M001"
    assert report.view("station").frame["station"].tolist() == ["M001"]
    by_cat = report.view("category").frame.set_index("category")
    assert by_cat.loc["total", "total"] == len(inside)
    assert report.view("community").frame["sources"].sum() == len(inside)
    with pytest.raises(NotFoundError):
        build_report(demo, by="station", station="M999")


def test_demo_trend_counts_inspections_by_month(demo: Store) -> None:
    trend = monthly_trend(demo, demo.read("inspections"), months=12, today=dt.date(2026, 12, 15))
    assert trend["month"].tolist()[:2] == ["2026-01", "2026-02"]
    assert trend["inspections"].sum() == demo.count("inspections")
    assert trend["closed_down"].sum() == 347
    last_round_end = ROUND_WINDOWS[3][1].strftime("%Y-%m")
    assert trend.set_index("month").loc["2026-10":, "inspections"].sum() == 0, last_round_end


def test_trend_months_cross_the_new_year(demo: Store) -> None:
    trend = monthly_trend(demo, demo.read("inspections").iloc[:0], months=3,
                          today=dt.date(2026, 1, 31))
    assert trend["month"].tolist() == ["2025-11", "2025-12", "2026-01"]
    with pytest.raises(InputError, match="at least 1"):
        monthly_trend(demo, demo.read("inspections"), months=0)


@pytest.mark.parametrize("by", ["nope", "", "Category"], ids=["unknown", "empty", "case"])
def test_unknown_breakdown_is_refused(demo: Store, by: str) -> None:
    with pytest.raises(InputError, match="unknown breakdown"):
        build_report(demo, by=by)


# -- edits move the figures by exactly one --------------------------------------------


@pytest.fixture(params=STORE_KINDS)
def editable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for store in make_store(request.param, tmp_path):
        load_demo(store)
        yield store


def _figures(store: Store, by: str) -> dict[str, pd.DataFrame]:
    return {v.name: v.frame for v in build_report(store, by=by).views}


def test_closing_a_source_moves_figures_by_one(editable: Store) -> None:
    catering = editable.read("sources", query=None)
    fid = catering[catering["category"] == "catering"]["id"].iloc[0]
    before = _figures(editable, "category")
    writes.update(editable, "sources", fid, {"status": "closed"}, expected_version=None,
                  actor=ACTOR)
    after = _figures(editable, "category")
    delta = (after["category"].set_index("category") - before["category"].set_index("category"))
    assert delta.loc["catering", ["operating", "closed", "total"]].tolist() == [-1, 1, 0]
    assert delta.abs().to_numpy().sum() == 4  # catering row and the total row, nothing else
    cover = (after["purifier"].set_index("category")[["active", "in_use"]]
             - before["purifier"].set_index("category")[["active", "in_use"]])
    assert cover.loc["catering"].tolist() == [-1, -1]
    assert cover.loc["night_market"].tolist() == [0, 0]
    trend = after["trend"].iloc[-1]["closed"] - before["trend"].iloc[-1]["closed"]
    assert trend == 1


def test_failed_inspection_moves_figures_by_one(editable: Store) -> None:
    sources = editable.read("sources")
    premise = sources[sources["category"] == "catering"].iloc[0]
    before = _figures(editable, "community")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    writes.create(editable, "inspections", Feature(None, {
        "source_id": premise["id"], "date": today, "round": 3, "result": "violation",
        "inspector": "测试", "notes": "油烟净化装置未开启"}), actor=ACTOR)
    after = _figures(editable, "community")
    key = ["subdistrict", "community", "round"]
    delta = after["rounds"].set_index(key)[["checked", "violations"]] - before["rounds"].set_index(
        key)[["checked", "violations"]]
    assert delta.loc[(premise["subdistrict"], premise["community"], 3)].tolist() == [0, 1]
    assert delta.to_numpy().sum() == 1
    summary = dict(after["summary"].values.tolist())
    assert summary["检查发现违规（户次）"] == 1


def test_a_new_source_counts_as_new_this_month(editable: Store) -> None:
    before = _figures(editable, "category")["trend"].iloc[-1]
    writes.create(editable, "sources", Feature(None, {
        "name": "新开烧烤", "category": "bbq", "status": "operating", "community": "测试社区"},
        shapely.Point(113.6, 34.75)), actor=ACTOR)
    after = _figures(editable, "category")["trend"].iloc[-1]
    assert (after["new"] - before["new"], after["closed"] - before["closed"]) == (1, 0)


def _inspect(store: Store, fid: str, round_no: int, result: str = "compliant") -> None:
    writes.create(store, "inspections", Feature(None, {
        "source_id": fid, "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "round": round_no, "result": result, "inspector": "测试"}), actor=ACTOR)


def test_one_round_four_check_leaves_three_rounds_completed(editable: Store) -> None:
    sources = editable.read("sources")
    _inspect(editable, sources[sources["category"] == "catering"]["id"].iloc[0], 4)
    _inspect(editable, sources[sources["category"] == "bbq"]["id"].iloc[0], 4)  # not due
    report = build_report(editable, by="community")
    summary = dict(report.view("summary").frame.values.tolist())
    assert summary["完成检查轮次"] == 3
    assert summary["进行中检查轮次（已查/应查）"] == "第4轮 1/2026"
    rounds = report.view("rounds").frame
    assert rounds.loc[rounds["round"] == 4, ["premises", "checked"]].sum().tolist() == [2026, 1]


def test_campaign_and_rounds_view_count_the_same_sources(editable: Store) -> None:
    sources = editable.read("sources")
    closed = sources[sources["category"] == "catering"]["id"].iloc[:2].tolist()
    for fid in closed:  # one closed by its round-4 visit, one closed without one
        writes.update(editable, "sources", fid, {"status": "closed"}, expected_version=None,
                        actor=ACTOR)
    _inspect(editable, closed[0], 4, "closed_down")
    _inspect(editable, sources[sources["category"] == "catering"]["id"].iloc[5], 4)
    _inspect(editable, sources[sources["category"] == "bbq"]["id"].iloc[0], 4)
    rounds = build_report(editable, by="community").view("rounds").frame
    rounds = rounds[rounds["round"] == 4].set_index("community")
    campaign = campaign_progress(editable, round_no=4)
    assert (campaign["checked"], campaign["unchecked"]) == (2, 2023)
    for place in campaign["communities"]:
        row = rounds.loc[place["community"]]
        assert (len(place["checked"]), len(place["unchecked"])) == (
            row["checked"], row["not_checked"]), place["community"]


@pytest.mark.parametrize("by", BREAKDOWNS)
def test_every_breakdown_starts_with_the_summary(demo: Store, by: str) -> None:
    report = build_report(demo, by=by)
    assert [v.name for v in report.views][:2] == ["summary", by]


@pytest.mark.parametrize("by", BREAKDOWNS)
def test_empty_ledger_reports_zeros(store: Store, by: str) -> None:
    report = build_report(store, by=by)
    summary = dict(report.view("summary").frame.values.tolist())
    assert summary["污染源总数"] == 0
    assert summary["餐饮油烟净化装置使用率"] is None  # no premises: not applicable, not 0%
    assert summary["夜市油烟净化装置安装率"] is None
    assert len(report.view(by).frame) == (8 if by == "category" else 4 if by == "status" else 0)


@pytest.fixture(params=STORE_KINDS)
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from make_store(request.param, tmp_path)


def test_trend_months_are_beijing_months(empty_store: Store,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # 30 November 17:00 UTC is 1 December 01:00 in Zhengzhou: a December opening
    monkeypatch.setattr(writes, "now_utc", lambda: "2026-11-30T17:00:00.000Z")
    writes.create(empty_store, "sources", Feature("S-1", {"name": "夜宵", "category": "bbq"},
                                                 shapely.Point(113.66, 34.75)), actor="test")
    # and 30 November 15:30 UTC is 23:30 that evening: still November
    monkeypatch.setattr(writes, "now_utc", lambda: "2026-11-30T15:30:00.000Z")
    writes.create(empty_store, "sources", Feature("S-2", {"name": "面馆", "category": "catering"},
                                                 shapely.Point(113.67, 34.75)), actor="test")
    trend = monthly_trend(empty_store, empty_store.read("inspections"), months=2,
                          today=dt.date(2026, 12, 2)).set_index("month")
    assert (trend.loc["2026-11", "new"], trend.loc["2026-12", "new"]) == (1, 1)
