"""Pollution roses and CPF/CBPF: sectors, edges, calm hours, thresholds."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

import geo.air.rose as rose_module
from geo.air.rose import cbpf, pollution_rose, sector_index
from geo.errors import InputError


def _rows(wd: list[float], ws: list[float] | float, pm25: list[float]) -> pd.DataFrame:
    speeds = ws if isinstance(ws, list) else [ws] * len(wd)
    return pd.DataFrame({"wd_deg": wd, "ws_ms": speeds, "pm25": pm25})


def test_doctests() -> None:
    assert doctest.testmod(rose_module).failed == 0


@pytest.mark.parametrize("sectors", [4, 8, 16, 36])
def test_sector_centres_are_multiples_of_the_width(sectors: int) -> None:
    rose = pollution_rose(_rows([0.0], 2.0, [1.0]), pollutant="pm25", sectors=sectors)
    assert [s.centre_deg for s in rose.sectors] == [i * 360 / sectors for i in range(sectors)]
    assert [s.index for s in rose.sectors] == list(range(sectors))


@pytest.mark.parametrize(
    ("wd", "expected"),
    [
        (0.0, 0),
        (360.0, 0),
        (11.2499, 0),
        (11.25, 1),
        (348.75, 0),
        (348.7499, 15),
        (33.75, 2),
        (180.0, 8),
        (191.25, 9),
        (359.99, 0),
    ],
    ids=[
        "north",
        "360-is-0",
        "below-edge",
        "on-edge-goes-clockwise",
        "north-west-edge",
        "just-before-north-west-edge",
        "edge-1-2",
        "south",
        "edge-8-9",
        "almost-360",
    ],
)
def test_sector_edges(wd: float, expected: int) -> None:
    assert sector_index(np.array([wd]), 16).tolist() == [expected]
    rose = pollution_rose(_rows([wd] * 3, 2.0, [5.0] * 3), pollutant="pm25")
    assert [s.index for s in rose.sectors if s.hours] == [expected]


def test_360_and_0_are_the_same_sector() -> None:
    rose = pollution_rose(_rows([0.0, 360.0, 0.0], 2.0, [1.0, 2.0, 3.0]), pollutant="pm25")
    assert rose.sectors[0].hours == 3
    assert rose.sectors[0].mean == pytest.approx(2.0)


def test_calm_hours_count_apart_and_in_no_sector() -> None:
    frame = _rows(
        [90.0, 90.0, 90.0, 90.0, 270.0], [0.49, 0.5, 2.0, 3.0, 0.0], [500, 10, 20, 30, 40]
    )
    rose = pollution_rose(frame, pollutant="pm25", sectors=4, min_hours=1)
    assert rose.calm_hours == 2
    assert rose.valid_hours == 5
    assert rose.sectors[1].hours == 3  # 0.5 m/s is not calm (calm is < 0.5)
    assert rose.sectors[1].mean == pytest.approx(20.0)
    assert rose.sectors[3].hours == 0 and rose.sectors[3].mean is None


def test_calm_hours_still_set_the_threshold() -> None:
    # the 75th percentile of 1..8 is 6.25 with the calm 7 and 8 included, 4.75 without
    frame = _rows([90.0] * 6 + [0.0, 0.0], [2.0] * 6 + [0.1, 0.1], [1, 2, 3, 4, 5, 6, 7, 8])
    rose = pollution_rose(frame, pollutant="pm25", sectors=4)
    assert rose.threshold == pytest.approx(6.25)
    assert rose.sectors[1].cpf == pytest.approx(0.0)  # only 6 in sector 1, below 6.25
    windy = frame[frame["ws_ms"] >= 0.5]
    assert pollution_rose(windy, pollutant="pm25", sectors=4).sectors[1].cpf == pytest.approx(2 / 6)


def test_an_hour_at_the_threshold_counts_as_high() -> None:
    rose = pollution_rose(
        _rows([90.0] * 5, 2.0, [1.0, 2.0, 3.0, 4.0, 5.0]),
        pollutant="pm25",
        sectors=4,
        percentile=50,
    )
    assert rose.threshold == 3.0
    assert rose.sectors[1].cpf == pytest.approx(3 / 5)


def test_missing_values_make_an_hour_invalid() -> None:
    frame = _rows(
        [90.0, 90.0, 90.0, math.nan, 90.0],
        [2.0, 2.0, math.nan, 2.0, 2.0],
        [10.0, 20.0, 999.0, 999.0, math.nan],
    )
    rose = pollution_rose(frame, pollutant="pm25", sectors=4, min_hours=1)
    assert rose.valid_hours == 2
    assert rose.sectors[1].hours == 2 and rose.sectors[1].mean == pytest.approx(15.0)


@pytest.mark.parametrize(("hours", "has_cpf"), [(2, False), (3, True)], ids=["2-none", "3-rated"])
def test_sectors_with_too_few_hours_get_no_cpf(hours: int, has_cpf: bool) -> None:
    frame = _rows([90.0] * hours + [270.0] * 5, 2.0, [50.0] * hours + [1.0] * 5)
    sector = pollution_rose(frame, pollutant="pm25", sectors=4).sectors[1]
    assert sector.hours == hours
    assert sector.mean == pytest.approx(50.0)  # the mean is given either way
    assert (sector.cpf is not None) is has_cpf
    if has_cpf:
        assert sector.cpf == pytest.approx(1.0)


def test_percentile_is_over_the_whole_window() -> None:
    rng = np.random.default_rng(3)
    wd = rng.uniform(0, 360, 400)
    pm = rng.gamma(3.0, 10.0, 400)
    frame = pd.DataFrame({"wd_deg": wd, "ws_ms": 2.0, "pm25": pm})
    rose = pollution_rose(frame, pollutant="pm25", percentile=90)
    assert rose.threshold == pytest.approx(np.percentile(pm, 90))
    index = sector_index(wd, 16)
    for s in rose.sectors:
        mine = pm[index == s.index]
        assert s.hours == len(mine)
        assert s.cpf == pytest.approx(np.mean(mine >= np.percentile(pm, 90)))
    assert sum(s.hours for s in rose.sectors) == 400


def test_an_empty_window_gives_an_empty_rose() -> None:
    rose = pollution_rose(_rows([], 2.0, []), pollutant="pm25")
    assert rose.threshold is None and rose.valid_hours == 0 and rose.worst() is None
    assert all(s.hours == 0 and s.cpf is None for s in rose.sectors)


def test_worst_sector_and_json_shape() -> None:
    frame = _rows([90.0] * 3 + [180.0] * 3, 2.0, [9.0, 9.0, 1.0, 9.0, 9.0, 9.0])
    rose = pollution_rose(frame, pollutant="pm25", sectors=4, percentile=50)
    worst = rose.worst()
    assert worst is not None and worst.index == 2
    body = rose.to_dict()
    assert body["calm_hours"] == 0 and len(body["sectors"]) == 4
    assert set(body["sectors"][0]) == {"index", "centre_deg", "hours", "mean", "cpf"}


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"sectors": 1}, "sectors"),
        ({"sectors": 16.0}, "sectors"),
        ({"percentile": 101}, "percentile"),
        ({"calm_ms": -1}, "calm_ms"),
        ({"min_hours": 0}, "min_hours"),
    ],
    ids=["one-sector", "float-sectors", "percentile-over-100", "negative-calm", "zero-min-hours"],
)
def test_bad_options_are_refused(options: dict[str, float], match: str) -> None:
    with pytest.raises(InputError, match=match):
        pollution_rose(_rows([0.0], 2.0, [1.0]), pollutant="pm25", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (_rows([361.0], 2.0, [1.0]), "outside 0..360"),
        (_rows([-1.0], 2.0, [1.0]), "outside 0..360"),
        (_rows([0.0], -2.0, [1.0]), "negative"),
        (pd.DataFrame({"wd_deg": [1], "ws_ms": [1]}), "pm25"),
    ],
    ids=["361", "minus-1", "negative-speed", "no-pollutant"],
)
def test_bad_readings_are_refused(frame: pd.DataFrame, match: str) -> None:
    with pytest.raises(InputError, match=match):
        pollution_rose(frame, pollutant="pm25")


def test_cbpf_shape_and_cells() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    frame = pd.DataFrame(
        {
            "wd_deg": rng.uniform(0, 360, n),
            "ws_ms": rng.gamma(2.0, 1.5, n),
            "pm25": rng.gamma(3.0, 10.0, n),
        }
    )
    rose = cbpf(frame, pollutant="pm25", sectors=8)
    assert rose.cpf_matrix().shape == (8, 4)
    assert len(rose.cells) == 32
    speeds = frame["ws_ms"].to_numpy()
    assert rose.calm_hours == int((speeds < 0.5).sum()) and rose.unbinned_hours == 0
    assert sum(c.hours for c in rose.cells) + rose.calm_hours == n
    cell = next(c for c in rose.cells if c.sector == 3 and c.speed_min_ms == 2.0)
    wd, pm = frame["wd_deg"].to_numpy(), frame["pm25"].to_numpy()
    pick = (sector_index(wd, 8) == 3) & (speeds >= 2.0) & (speeds < 4.0)
    assert cell.hours == int(pick.sum())
    assert cell.cpf == pytest.approx(np.mean(pm[pick] >= np.percentile(pm, 75)))
    assert rose.to_dict()["speed_bins_ms"][-1] is None  # inf in JSON


def test_cbpf_finds_a_fast_wind_source_and_the_range_option() -> None:
    # high readings only with fast easterly winds: CBPF picks that cell, not the slow one
    wd = [90.0] * 10 + [270.0] * 10
    ws = [1.0] * 5 + [5.0] * 5 + [1.0] * 5 + [5.0] * 5
    pm = [10.0] * 5 + [100.0] * 5 + [10.0] * 10
    frame = _rows(wd, ws, pm)
    rose = cbpf(frame, pollutant="pm25", sectors=4, speed_bins_ms=(0.5, 3.0, 10.0))
    assert rose.cpf_matrix()[1].tolist() == [0.0, 1.0]
    assert rose.cpf_matrix()[3].tolist() == [0.0, 0.0]
    ranged = cbpf(
        frame,
        pollutant="pm25",
        sectors=4,
        percentile=10,
        upper_percentile=50,
        speed_bins_ms=(0.5, 3.0, 10.0),
    )
    assert ranged.upper == pytest.approx(10.0)
    assert ranged.cpf_matrix()[1].tolist() == [0.0, 0.0]  # 10 < upper 10 is false


def test_cbpf_counts_speeds_beyond_the_last_edge() -> None:
    rose = cbpf(
        _rows([90.0] * 4, [0.2, 1.0, 12.0, 20.0], [1.0] * 4),
        pollutant="pm25",
        speed_bins_ms=(0.5, 10.0),
        min_hours=1,
    )
    assert (rose.calm_hours, rose.unbinned_hours, sum(c.hours for c in rose.cells)) == (1, 2, 1)


@pytest.mark.parametrize(
    "edges",
    [(2.0,), (2.0, 1.0), (-1.0, 2.0), ("a", "b")],
    ids=["one-edge", "decreasing", "negative", "text"],
)
def test_cbpf_refuses_bad_bins(edges: tuple[float, ...]) -> None:
    with pytest.raises(InputError, match="speed_bins_ms"):
        cbpf(_rows([0.0], 2.0, [1.0]), pollutant="pm25", speed_bins_ms=edges)
