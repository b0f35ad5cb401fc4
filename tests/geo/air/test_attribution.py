"""Upwind attribution: bearings, distances, scores, ranking, and the planted-source test."""

from __future__ import annotations

import doctest

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely import LineString, Point, Polygon

import geo.air.attribution as attribution_module
from geo.air.attribution import STATUS_WEIGHTS, attribute, default_weights
from geo.air.plume import random_winds, synthesise
from geo.air.rose import Rose, Sector, pollution_rose
from geo.errors import CoordinateError, InputError, ValidationError
from geo.ledger import CATEGORIES
from geo.radius import within

GEOD = Geod(ellps="WGS84")
STATION = (113.65, 34.75)


def _at(bearing_deg: float, distance_m: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(STATION[0], STATION[1], bearing_deg, distance_m)
    return float(lon), float(lat)


def _rose(cpf: list[float | None], pollutant: str = "pm25") -> Rose:
    n = len(cpf)
    sectors = tuple(Sector(i, i * 360 / n, 10, 1.0, c) for i, c in enumerate(cpf))
    return Rose(pollutant, sectors, 0, 10 * n, 1.0, 75.0, 0.5, 3)


def _points(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    places = [_at(b, d) for _, _, _, b, d in rows]
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "category": [r[1] for r in rows],
            "status": [r[2] for r in rows],
            "lon": [p[0] for p in places],
            "lat": [p[1] for p in places],
        }
    )


def test_doctests() -> None:
    assert doctest.testmod(attribution_module).failed == 0


def test_bearings_and_distances_agree_with_geod() -> None:
    rng = np.random.default_rng(8)
    bearings, dists = rng.uniform(0, 360, 40), rng.uniform(50, 2990, 40)
    rows = [
        (f"s{i:02d}", "catering", "operating", b, d)
        for i, (b, d) in enumerate(zip(bearings, dists, strict=True))
    ]
    frame = _points(rows)
    out = {a.id: a for a in attribute(frame, *STATION, 3000, _rose([0.5] * 16))}
    assert len(out) == 40
    for row in frame.itertuples():
        az, _, dist = GEOD.inv(STATION[0], STATION[1], row.lon, row.lat)
        got = out[row.id]
        assert abs((got.bearing_deg - az % 360 + 180) % 360 - 180) < 0.01
        assert 0 <= got.bearing_deg < 360
        assert got.distance_m == pytest.approx(dist, abs=1.0)
        assert got.sector == int(np.floor(got.bearing_deg / 22.5 + 0.5)) % 16


def test_only_sources_within_the_radius_are_listed() -> None:
    frame = _points(
        [("in", "bbq", "operating", 10.0, 2999.0), ("out", "bbq", "operating", 10.0, 3001.0)]
    )
    assert [a.id for a in attribute(frame, *STATION, 3000, _rose([0.5] * 16))] == ["in"]


def test_sector_cpf_and_score() -> None:
    cpf: list[float | None] = [0.1] * 16
    cpf[4], cpf[12] = 0.8, None  # east, west
    frame = _points(
        [
            ("e", "construction_site", "operating", 90.0, 1000.0),
            ("w", "industrial", "operating", 270.0, 500.0),
            ("n", "catering", "rectifying", 0.0, 700.0),
        ]
    )
    out = {a.id: a for a in attribute(frame, *STATION, 3000, _rose(cpf))}
    assert (out["e"].sector, out["e"].cpf) == (4, 0.8)
    assert out["e"].score == pytest.approx(0.8 * default_weights("pm25")["construction_site"])
    assert (out["w"].cpf, out["w"].score) == (None, 0.0)  # no CPF counts as 0
    assert out["n"].score == pytest.approx(0.1 * 0.6 * STATUS_WEIGHTS["rectifying"])


def test_closed_sources_score_zero_and_rectifying_less_than_operating() -> None:
    frame = _points(
        [
            ("open", "bbq", "operating", 90.0, 1000.0),
            ("fixing", "bbq", "rectifying", 90.0, 1000.0),
            ("shut", "bbq", "closed", 90.0, 100.0),
        ]
    )
    out = attribute(frame, *STATION, 3000, _rose([0.9] * 16))
    assert [a.id for a in out] == ["open", "fixing", "shut"]
    assert out[2].score == 0.0 and out[1].score < out[0].score


def test_ranking_score_then_distance_then_id() -> None:
    cpf: list[float | None] = [0.2] * 16
    cpf[4] = 0.7
    frame = _points(
        [
            ("far", "bbq", "operating", 90.0, 2500.0),
            ("near", "bbq", "operating", 90.0, 800.0),
            ("west", "bbq", "operating", 270.0, 100.0),
            ("twin-b", "bbq", "operating", 0.0, 600.0),
            ("twin-a", "bbq", None, 0.0, 600.0),
        ]
    )  # type: ignore[list-item]
    out = attribute(frame, *STATION, 3000, _rose(cpf))
    assert [a.id for a in out] == ["near", "far", "west", "twin-a", "twin-b"]
    assert out[3].status == "operating"  # blank status reads as the ledger's default


def test_weights_can_be_configured() -> None:
    frame = _points(
        [
            ("site", "construction_site", "operating", 90.0, 1000.0),
            ("grill", "bbq", "operating", 90.0, 1000.0),
        ]
    )
    rose = _rose([0.5] * 16)
    assert [a.id for a in attribute(frame, *STATION, 3000, rose)] == ["site", "grill"]
    swapped = attribute(frame, *STATION, 3000, rose, weights={"bbq": 1.0, "construction_site": 0.1})
    assert [a.id for a in swapped] == ["grill", "site"]
    closed_counts = attribute(
        frame.assign(status="closed"), *STATION, 3000, rose, status_weights={"closed": 0.2}
    )
    assert closed_counts[0].score == pytest.approx(0.5 * 0.9 * 0.2)
    with pytest.raises(InputError, match="weights"):
        attribute(frame, *STATION, 3000, rose, weights={"bbq": -1})


@pytest.mark.parametrize("pollutant", ["pm25", "pm10", "so2", "no2", "co", "o3"])
def test_every_pollutant_has_a_weight_for_every_category(pollutant: str) -> None:
    weights = default_weights(pollutant)
    assert set(weights) == set(CATEGORIES) and all(0 < w <= 1 for w in weights.values())


def test_lines_and_polygons_use_their_nearest_point() -> None:
    # a muck route running north-south 1 km east of the station, from 2 km south to 2 km north
    south, north = _at(90.0, 1000.0), _at(90.0, 1000.0)
    south = (south[0], _at(180.0, 2000.0)[1])
    north = (north[0], _at(0.0, 2000.0)[1])
    ring = [_at(200.0, 1500.0), _at(220.0, 1500.0), _at(210.0, 2500.0)]
    site = Polygon(ring)
    frame = gpd.GeoDataFrame(
        {
            "id": ["route", "site", "home"],
            "category": ["muck_route", "construction_site", "industrial"],
            "status": ["operating"] * 3,
        },
        geometry=[
            LineString([south, north]),
            site,
            Polygon([_at(a, 300.0) for a in (0, 120, 240)]),
        ],
        crs=4326,
    )
    out = {a.id: a for a in attribute(frame, *STATION, 3000, _rose([0.5] * 16))}
    oracle = within(frame, *STATION, radius_m=3000).set_index("id")["distance_m"]
    for sid in ("route", "site"):
        assert out[sid].distance_m == pytest.approx(oracle[sid], abs=1.0)
    assert out["route"].bearing_deg == pytest.approx(90.0, abs=0.5)  # nearest point, due east
    # the polygon's nearest point lies on its near edge, between the two near corners
    assert 200.0 < out["site"].bearing_deg < 220.0
    near_edge = LineString(ring[:2])
    lon, lat, _ = GEOD.fwd(*STATION, out["site"].bearing_deg, out["site"].distance_m)
    assert near_edge.distance(Point(lon, lat)) < 2e-5  # about 2 m
    assert out["home"].distance_m == 0.0  # the station is inside it


def test_bad_frames_are_refused() -> None:
    rose = _rose([0.5] * 16)
    with pytest.raises(ValidationError, match="category"):
        attribute(pd.DataFrame({"id": ["a"], "lon": [113.6], "lat": [34.7]}), *STATION, 3000, rose)
    with pytest.raises(ValidationError, match="lon and lat"):
        attribute(pd.DataFrame({"id": ["a"], "category": ["bbq"]}), *STATION, 3000, rose)
    metres = gpd.GeoDataFrame(
        {"id": ["a"], "category": ["bbq"]}, geometry=[Point(5e5, 3.8e6)], crs=32650
    )
    with pytest.raises(CoordinateError, match="EPSG:4326"):
        attribute(metres, *STATION, 3000, rose)
    with pytest.raises(InputError, match="radius"):
        attribute(_points([("a", "bbq", "operating", 0.0, 10.0)]), *STATION, -5, rose)


# --------------------------------------------------------------------------- planted source
def _planted_month(bearing_deg: float, seed: int = 21) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A month of PM2.5 at the station from one strong source plus weak distractors."""
    sources = _points(
        [
            ("planted", "construction_site", "operating", bearing_deg, 1500.0),
            ("weak-n", "industrial", "operating", 10.0, 900.0),
            ("weak-sw", "bbq", "operating", 200.0, 1200.0),
            ("silent", "industrial", "operating", (bearing_deg + 120.0) % 360, 800.0),
            ("closed-next-door", "industrial", "closed", (bearing_deg + 3.0) % 360, 1400.0),
        ]
    )
    sources["emission_gs"] = [20.0, 0.6, 0.4, 0.0, 0.0]
    hours = random_winds("2024-05-01", 720, seed=seed)
    hours["pm25"] = synthesise(
        sources, STATION, hours, background_ugm3=35.0, noise_sd=6.0, seed=seed + 1
    )
    return sources, hours


@pytest.mark.parametrize(
    "bearing_deg", [70.0, 250.0, 160.0], ids=["70", "moved-to-250", "moved-to-160"]
)
def test_the_planted_source_is_found(bearing_deg: float) -> None:
    sources, hours = _planted_month(bearing_deg)
    rose = pollution_rose(hours, pollutant="pm25")
    worst = rose.worst()
    assert worst is not None
    assert worst.index == rose.sector_of(bearing_deg)
    half = 360 / 16 / 2
    assert abs((bearing_deg - worst.centre_deg + 180) % 360 - 180) <= half
    ranked = attribute(sources.drop(columns="emission_gs"), *STATION, 3000, rose)
    assert ranked[0].id == "planted"
    assert ranked[0].score > 1.5 * ranked[1].score
    closed = next(a for a in ranked if a.id == "closed-next-door")
    assert closed.sector == ranked[0].sector and closed.score == 0.0


def test_moving_the_planted_source_moves_the_answer() -> None:
    answers = {}
    for bearing in (70.0, 250.0):
        _, hours = _planted_month(bearing)
        worst = pollution_rose(hours, pollutant="pm25").worst()
        assert worst is not None
        answers[bearing] = worst.centre_deg
    assert answers == {70.0: 67.5, 250.0: 247.5}


def test_numpy_coordinates_of_the_station_are_taken() -> None:
    """A station's lon/lat read from a frame are numpy scalars; lines and areas still work."""
    import numpy as np
    import pandas as pd
    from shapely.geometry import LineString

    from geo.air.attribution import attribute
    from geo.air.rose import pollution_rose

    hours = pd.DataFrame({"pm25": [50.0, 80.0, 90.0, 40.0], "wd_deg": [90.0, 90.0, 90.0, 270.0],
                          "ws_ms": [2.0, 2.0, 2.0, 2.0]})
    import geopandas as gpd

    sources = gpd.GeoDataFrame({"id": ["R-1"], "category": ["muck_route"],
                                "status": ["operating"]}, crs="EPSG:4326",
                               geometry=[LineString([(113.66, 34.75), (113.66, 34.76)])])
    ranked = attribute(sources, np.float64(113.65), np.float64(34.755), 3000.0,
                       pollution_rose(hours, pollutant="pm25", min_hours=1))
    assert [a.id for a in ranked] == ["R-1"] and 85 < ranked[0].bearing_deg < 95
