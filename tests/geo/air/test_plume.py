"""The Gaussian plume and the synthesiser of hourly readings."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely import Point, box

import geo.air.plume as plume_module
from geo.air.plume import plume_concentration, random_winds, synthesise
from geo.errors import InputError

GEOD = Geod(ellps="WGS84")
SRC = (113.65, 34.75)


def _receptor(bearing_deg: float, distance_m: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(SRC[0], SRC[1], bearing_deg, distance_m)
    return float(lon), float(lat)


def _c(receptor: tuple[float, float], wd: float, ws: float = 3.0, **kw: object) -> float:
    return float(plume_concentration(SRC[0], SRC[1], 10.0, *receptor, wd, ws, **kw))  # type: ignore[arg-type]


def test_doctests() -> None:
    assert doctest.testmod(plume_module).failed == 0


@pytest.mark.parametrize(
    ("terrain", "sy", "sz"),
    # Briggs (1973), class D at x = 1000 m, worked by hand
    [
        ("urban", 0.16 * 1000 / math.sqrt(1.4), 0.14 * 1000 / math.sqrt(1.3)),
        ("rural", 0.08 * 1000 / math.sqrt(1.1), 0.06 * 1000 / math.sqrt(2.5)),
    ],
    ids=["urban", "rural"],
)
def test_on_the_axis_it_is_the_reflected_plume_formula(terrain: str, sy: float, sz: float) -> None:
    receptor = _receptor(45.0, 1000.0)  # the wind from 225 carries the plume to 45
    h = 10.0
    expected = 10.0 / (math.pi * 3.0 * sy * sz) * math.exp(-(h**2) / (2 * sz**2)) * 1e6
    assert _c(receptor, 225.0, terrain=terrain) == pytest.approx(expected, rel=1e-6)


def test_upwind_and_abeam_receptors_get_nothing() -> None:
    receptor = _receptor(45.0, 1000.0)
    assert _c(receptor, 45.0) == 0.0  # wind from the receptor: it is upwind
    assert _c(receptor, 135.0) == 0.0  # plume goes to 315, receptor at 90 degrees off axis
    assert _c(receptor, 225.0) > 0.0


def test_crosswind_symmetry_and_decay() -> None:
    receptor = _receptor(90.0, 1500.0)
    left, right, axis = _c(receptor, 265.0), _c(receptor, 275.0), _c(receptor, 270.0)
    assert left == pytest.approx(right, rel=1e-3)
    assert axis > left > _c(receptor, 255.0) > 0


def test_speed_dilutes_and_is_floored_in_calm_air() -> None:
    receptor = _receptor(0.0, 800.0)
    assert _c(receptor, 180.0, ws=2.0) == pytest.approx(2 * _c(receptor, 180.0, ws=4.0))
    assert _c(receptor, 180.0, ws=0.2) == pytest.approx(_c(receptor, 180.0, ws=1.0))


def test_stable_air_keeps_a_low_plume_more_concentrated() -> None:
    receptor = _receptor(0.0, 1500.0)
    by_class = [_c(receptor, 180.0, stability=s) for s in "ABCDEF"]
    assert by_class[0] < by_class[2] < by_class[3] < by_class[4]


def test_a_tall_release_reaches_the_ground_less_near_the_source() -> None:
    receptor = _receptor(0.0, 300.0)
    assert _c(receptor, 180.0, height_m=80.0) < 0.5 * _c(receptor, 180.0, height_m=5.0)


def test_winds_broadcast() -> None:
    receptor = _receptor(90.0, 1000.0)
    out = plume_concentration(*SRC, 10.0, *receptor, np.array([270.0, 90.0, 270.0]), 3.0)
    assert out.shape == (3,)
    assert out[0] == pytest.approx(out[2]) and out[1] == 0.0


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"stability": "G"}, "stability"),
        ({"height_m": -1.0}, "height"),
        ({"terrain": "sea"}, "terrain"),
    ],
    ids=["class-G", "negative-height", "terrain"],
)
def test_bad_plume_options_are_refused(kw: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        _c(_receptor(0.0, 100.0), 180.0, **kw)


def test_negative_emission_is_refused() -> None:
    with pytest.raises(InputError, match="emission_gs"):
        plume_concentration(*SRC, -1.0, 113.66, 34.75, 270.0, 3.0)


def _sources() -> pd.DataFrame:
    east = _receptor(90.0, 1200.0)
    return pd.DataFrame(
        {
            "id": ["a", "b"],
            "lon": [SRC[0], east[0]],
            "lat": [SRC[1], east[1]],
            "emission_gs": [5.0, 2.0],
            "height_m": [10.0, 20.0],
        }
    )


def test_synthesise_adds_plumes_background_and_seeded_noise() -> None:
    station = _receptor(45.0, 1000.0)
    hours = random_winds("2024-05-01", 200, seed=2)
    clean = synthesise(_sources(), station, hours, background_ugm3=30.0, noise_sd=0.0, seed=1)
    a = plume_concentration(*SRC, 5.0, *station, hours["wd_deg"], hours["ws_ms"])
    b_src = _sources().iloc[1]
    b = plume_concentration(
        b_src["lon"], b_src["lat"], 2.0, *station, hours["wd_deg"], hours["ws_ms"], height_m=20.0
    )
    assert np.allclose(clean.to_numpy(), 30.0 + a + b)
    assert clean.index.equals(hours.index) and clean.name == "synthetic"
    noisy = synthesise(_sources(), station, hours, background_ugm3=30.0, noise_sd=4.0, seed=1)
    again = synthesise(_sources(), station, hours, background_ugm3=30.0, noise_sd=4.0, seed=1)
    other = synthesise(_sources(), station, hours, background_ugm3=30.0, noise_sd=4.0, seed=2)
    assert noisy.equals(again) and not noisy.equals(other)
    assert 3.0 < float((noisy - clean).std()) < 5.0


def test_synthesise_clips_at_zero_and_keeps_missing_winds_missing() -> None:
    hours = pd.DataFrame({"wd_deg": [90.0, math.nan, 90.0], "ws_ms": [2.0, 2.0, math.nan]})
    out = synthesise(_sources().iloc[:0], SRC, hours, background_ugm3=0.0, noise_sd=50.0, seed=3)
    assert out.iloc[0] >= 0.0 and out.iloc[1:].isna().all()


def test_synthesise_reads_geometries_and_hourly_stability() -> None:
    station = _receptor(0.0, 1000.0)
    src = pd.DataFrame({"emission_gs": [5.0], "geometry": [Point(*SRC)]})
    hours = pd.DataFrame({"wd_deg": [180.0, 180.0], "ws_ms": [3.0, 3.0], "stability": ["A", "F"]})
    out = synthesise(src, station, hours, background_ugm3=0.0, noise_sd=0.0, seed=0)
    assert out.iloc[0] == pytest.approx(_c(station, 180.0, stability="A") / 2)
    assert out.iloc[1] == pytest.approx(_c(station, 180.0, stability="F") / 2)
    area = pd.DataFrame(
        {
            "emission_gs": [5.0],
            "geometry": [box(SRC[0] - 1e-4, SRC[1] - 1e-4, SRC[0] + 1e-4, SRC[1] + 1e-4)],
        }
    )
    assert synthesise(area, station, hours, background_ugm3=0.0, noise_sd=0.0, seed=0).iloc[0] > 0


def test_synthesise_refuses_sources_without_a_place_or_a_rate() -> None:
    hours = pd.DataFrame({"wd_deg": [90.0], "ws_ms": [2.0]})
    with pytest.raises(InputError, match="lon/lat"):
        synthesise(
            pd.DataFrame({"id": ["x"], "emission_gs": [1.0]}),
            SRC,
            hours,
            background_ugm3=0.0,
            noise_sd=0.0,
            seed=0,
        )
    with pytest.raises(InputError, match="emission_gs"):
        synthesise(
            pd.DataFrame({"lon": [113.6], "lat": [34.7]}),
            SRC,
            hours,
            background_ugm3=0.0,
            noise_sd=0.0,
            seed=0,
        )
    with pytest.raises(InputError, match="noise_sd"):
        synthesise(_sources(), SRC, hours, background_ugm3=0.0, noise_sd=-1.0, seed=0)


def test_random_winds_are_seeded_hourly_and_plausible() -> None:
    winds = random_winds("2024-05-01", 720, seed=11)
    assert winds.index[0] == pd.Timestamp("2024-05-01", tz="UTC")
    assert (winds.index[1:] - winds.index[:-1] == pd.Timedelta(hours=1)).all()
    assert winds["wd_deg"].between(0, 360).all() and (winds["ws_ms"] >= 0).all()
    assert 2.0 < winds["ws_ms"].mean() < 3.0
    assert not winds.equals(random_winds("2024-05-01", 720, seed=12))
