"""The round sheet: per community, the sources due in a round, checked, not checked, violations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from shapely import Point

from geo import writes
from geo.errors import NotFoundError, ValidationError
from geo.inspections import campaign_progress
from geo.inspections.round_sheet import (
    NO_COMMUNITY,
    RoundSheet,
    SheetEntry,
    Visit,
    round_sheet,
)
from geo.ledger import MAX_ROUND, Feature
from geo.overview import overview
from geo.store import Store
from tests._support.stores import STORE_KINDS, make_store

A, B = "甲社区", "乙社区"


def _source(store: Store, fid: str, community: str | None, category: str = "catering") -> None:
    props = {"name": f"{fid} 店", "category": category, "address": f"{fid} 路 1 号",
             "grid": "G-1", "community": community}
    writes.create(store, "sources", Feature(fid, props, Point(113.66, 34.75)), actor="seed")


def _visit(store: Store, fid: str, source_id: str, round_no: int, date: str, result: str,
           inspector: str | None = "张三") -> None:
    props = {"source_id": source_id, "round": round_no, "date": date, "result": result,
             "inspector": inspector}
    writes.record_inspection(store, Feature(fid, props), actor="seed")


def seed_rounds(store: Store) -> None:
    """Two communities and sources without one, checked in rounds 1 and 2.

    Round 2 (the current one) is due for A1, A2, B1, B2, N1 (A3 was closed
    down in round 1 and not visited since; X1 is a barbecue spot, not a
    round's business). Round 1 is due for those and A3, whose visit closed it.
    """
    writes.create(store, "stations", Feature("M-1", {"name": "监测点", "radius_m": 3000.0},
                                             Point(113.66, 34.75)), actor="seed")
    for fid, community in (("A1", A), ("A2", A), ("A3", A), ("B1", B), ("B2", B),
                           ("N1", None)):
        _source(store, fid, community)
    _source(store, "X1", A, category="bbq")
    _source(store, "C1", "丙社区", category="bbq")  # a community with nothing a round checks
    _visit(store, "I-11", "A1", 1, "2025-03-01", "compliant")
    _visit(store, "I-12", "A2", 1, "2025-03-02", "violation", inspector="李四")
    _visit(store, "I-13", "A3", 1, "2025-03-03", "closed_down")
    _visit(store, "I-14", "B1", 1, "2025-03-04", "compliant")
    _visit(store, "I-21", "A1", 2, "2025-04-01", "violation", inspector="王五")
    # B2 is found in violation, put right, and checked again in the same round
    _visit(store, "I-22", "B2", 2, "2025-04-02", "violation")
    _visit(store, "I-23", "B2", 2, "2025-04-10", "compliant", inspector=None)
    _visit(store, "I-24", "X1", 2, "2025-04-03", "violation")


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        seed_rounds(opened)
        yield opened


def _ids(entries: Iterable[SheetEntry]) -> list[str]:
    return [e.id for e in entries]


def _lists(sheet: RoundSheet) -> dict[str | None, tuple[list[str], list[str], list[str]]]:
    return {c.community: (_ids(c.checked), _ids(c.unchecked), _ids(c.violations))
            for c in sheet.communities}


def test_the_current_round_by_community(store: Store) -> None:
    sheet = round_sheet(store)
    assert (sheet.round_no, sheet.current_round, sheet.rounds) == (2, 2, (1, 2))
    # by name (乙 U+4E59 sorts before 甲 U+7532), the sources without a community last
    assert [c.community for c in sheet.communities] == [B, A, None]
    assert _lists(sheet) == {
        A: (["A1"], ["A2"], ["A1"]),
        B: (["B2"], ["B1"], []),
        None: ([], ["N1"], []),
    }
    assert (sheet.due, sheet.checked, sheet.unchecked, sheet.violations) == (5, 2, 3, 1)
    by_name = {c.community: c for c in sheet.communities}
    assert by_name[A].share_checked == 0.5 and by_name[None].share_checked == 0.0


def test_a_checked_source_carries_its_latest_visit_of_the_round(store: Store) -> None:
    entries = {e.id: e for c in round_sheet(store).communities for e in c.entries}
    assert entries["A1"].visit == Visit(id="I-21", date="2025-04-01", inspector="王五",
                                        result="violation")
    # the re-check after the violation is where B2 stands now
    assert entries["B2"].visit == Visit(id="I-23", date="2025-04-10", inspector=None,
                                        result="compliant")
    assert not entries["B2"].violation and entries["A2"].visit is None
    assert (entries["A1"].name, entries["A1"].address, entries["A1"].grid) == \
        ("A1 店", "A1 路 1 号", "G-1")


def test_an_earlier_round_counts_the_source_its_visit_closed(store: Store) -> None:
    sheet = round_sheet(store, round_no=1)
    assert (sheet.round_no, sheet.current_round) == (1, 2)
    assert _lists(sheet) == {
        A: (["A1", "A2", "A3"], [], ["A2"]),
        B: (["B1"], ["B2"], []),
        None: ([], ["N1"], []),
    }
    entries = {e.id: e for c in sheet.communities for e in c.entries}
    assert entries["A3"].status == "closed" and entries["A3"].visit is not None
    assert entries["A3"].visit.result == "closed_down"
    assert (sheet.due, sheet.checked, sheet.unchecked, sheet.violations) == (6, 4, 2, 1)


def test_the_totals_are_the_home_page_figures(store: Store) -> None:
    sheet, home = round_sheet(store), overview(store)
    assert home.round_no == sheet.round_no == 2
    # the home page's "due" is what is still to be checked this round
    assert (home.due, home.checked) == (sheet.unchecked, sheet.checked) == (3, 2)


@pytest.mark.parametrize("round_no", [1, 2, 3])
def test_the_lists_are_the_campaign_progress(store: Store, round_no: int) -> None:
    sheet, progress = round_sheet(store, round_no=round_no), campaign_progress(
        store, round_no=round_no)
    assert (sheet.checked, sheet.unchecked) == (progress["checked"], progress["unchecked"])
    assert [(c.community, _ids(c.checked), _ids(c.unchecked)) for c in sheet.communities] == [
        (c["community"], sorted(c["checked"]), sorted(c["unchecked"]))
        for c in progress["communities"]]


def test_a_later_round_has_everything_in_operation_still_to_check(store: Store) -> None:
    sheet = round_sheet(store, round_no=MAX_ROUND)
    assert (sheet.due, sheet.checked, sheet.violations) == (5, 0, 0)
    assert sheet.rounds[-1] == MAX_ROUND


def test_one_community_or_the_sources_without_one(store: Store) -> None:
    only_b = round_sheet(store, community=B)
    assert _lists(only_b) == {B: (["B2"], ["B1"], [])}
    assert (only_b.due, only_b.checked) == (2, 1)
    assert _lists(round_sheet(store, community=NO_COMMUNITY)) == {None: ([], ["N1"], [])}
    # a community whose sources no round checks: known, with nothing due
    assert round_sheet(store, community="丙社区").communities == ()


@pytest.mark.parametrize("community", ["丁社区", " 甲社区", "甲"], ids=["unknown", "blank", "part"])
def test_an_unknown_community_is_not_found(store: Store, community: str) -> None:
    with pytest.raises(NotFoundError, match="no source is in community"):
        round_sheet(store, community=community)


@pytest.mark.parametrize("round_no", [0, -1, MAX_ROUND + 1, True],
                         ids=["zero", "negative", "past-max", "bool"])
def test_an_unknown_round_is_refused(store: Store, round_no: int) -> None:
    with pytest.raises(ValidationError, match=f"from 1 to {MAX_ROUND}") as caught:
        round_sheet(store, round_no=round_no)
    assert caught.value.field == "round"


def test_an_empty_ledger_is_round_one_with_nothing_due(tmp_path: Path) -> None:
    for empty in make_store("gpkg", tmp_path):
        sheet = round_sheet(empty)
        assert (sheet.round_no, sheet.communities, sheet.due, sheet.rounds) == (1, (), 0, (1,))
