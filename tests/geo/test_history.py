"""Time travel: the ledger at the end of a day, rebuilt from the history."""

from __future__ import annotations

import datetime as dt

import pytest
from shapely import Point

from geo import writes
from geo.errors import InputError
from geo.history import end_of_day, filter_frame, flagged_as_of, read_as_of
from geo.ledger import Feature
from geo.store import Query, Store

STATION = (113.6650, 34.7570)
TODAY = dt.datetime.now(dt.UTC).date()
FUTURE = "9999-12-31"


@pytest.mark.parametrize(
    ("day", "stamp"),
    [("2026-05-01", "2026-05-01T23:59:59.999Z"), ("2024-02-29", "2024-02-29T23:59:59.999Z")],
    ids=["plain", "leap-day"],
)
def test_end_of_day(day: str, stamp: str) -> None:
    assert end_of_day(day) == stamp


@pytest.mark.parametrize("day", ["2026-02-30", "20260501", "2026-5-1", "", "2026-05-01T00:00"],
                         ids=["no-such-day", "compact", "short", "blank", "with-time"])
def test_end_of_day_refuses_non_dates(day: str) -> None:
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        end_of_day(day)


def _seed(store: Store) -> None:
    writes.create(store, "stations", Feature("M-1", {"name": "站"}, Point(*STATION)), actor="t")
    for i, lon in enumerate((113.666, 113.70, 113.90)):
        writes.create(store, "sources",
                      Feature(f"S-{i}", {"name": f"店{i}", "category": "catering"},
                              Point(lon, 34.757)), actor="t")


def test_as_of_follows_updates_and_deletes(store: Store) -> None:
    _seed(store)
    writes.update(store, "sources", "S-0", {"name": "改名"}, expected_version=1, actor="t")
    writes.delete(store, "sources", "S-1", expected_version=1, actor="t")
    frame = read_as_of(store, "sources", day=str(TODAY))
    assert frame["id"].tolist() == ["S-0", "S-2"]
    assert frame.loc[0, "name"] == "改名" and frame.loc[0, "version"] == 2
    assert frame.crs.to_epsg() == 4326 and frame.geometry.iloc[1].equals(Point(113.90, 34.757))
    yesterday = str(TODAY - dt.timedelta(days=1))
    assert len(read_as_of(store, "sources", day=yesterday)) == 0


def test_flagged_as_of_matches_the_live_flags_today(store: Store) -> None:
    _seed(store)
    then = flagged_as_of(store, day=FUTURE).set_index("id")
    now = store.flag_priority().set_index("id")
    assert then["priority"].tolist() == now["priority"].tolist()
    assert then["distance_m"].tolist() == pytest.approx(now["distance_m"].tolist(), abs=1e-6)
    only = flagged_as_of(store, day=FUTURE, only_priority=True)
    assert only["id"].tolist() == now.index[now["priority"]].tolist()


def test_filter_frame_filters_and_pages(store: Store) -> None:
    _seed(store)
    frame = read_as_of(store, "sources", day=FUTURE)
    page, matched = filter_frame(frame, Query(filters={"category": "catering"}, limit=2,
                                              offset=1))
    assert (page["id"].tolist(), matched) == (["S-1", "S-2"], 3)
    boxed, matched = filter_frame(frame, Query(bbox=(113.65, 34.7, 113.75, 34.8)))
    assert (boxed["id"].tolist(), matched) == (["S-0", "S-1"], 2)
    with pytest.raises(InputError, match="colour"):
        filter_frame(frame, Query(filters={"colour": "red"}))
