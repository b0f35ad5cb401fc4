"""A synthetic month of hourly air-quality readings for the demo stations: November 2026.

**Everything here is synthetic demonstration data** (演示数据), made so that the
pollution rose and the upwind attribution of :mod:`geo.air` have a known
truth to find; no reading is a measurement.

How a month is made (one district-wide weather, shared by every station):

- **Wind**: :func:`geo.air.plume.random_winds` (uniform directions, gamma
  speeds) for the 720 hours, except on the :data:`EPISODES` days: from 08:00
  to 24:00 Beijing time a light, steady wind (0.8–2 m/s) blows from one
  :data:`PLANTED` source towards M003 (its bearing ± 3°), a stagnant day.
- **Plumes**: each planted source emits PM2.5 and PM10 through
  :func:`geo.air.plume.synthesise` (urban Briggs curves; Pasquill class D by
  day, E at night), scaled by a meal-time emission profile. Emission rates are
  set so a plume adds :data:`PLUME_TARGET_UGM3` µg/m³ of PM2.5 at M003 when
  the wind blows straight from the source at 1.5 m/s in class D: far more
  than a real kitchen, so the signal stands out over a kilometre or two.
- **Regional background**: a day-to-day (AR(1)) synoptic factor, a diurnal
  cycle (higher at night, lower in the afternoon), haze on the episode days;
  winter heating from 15 November raises SO2 and CO. NO2 has rush-hour peaks,
  O3 an afternoon peak, suppressed on haze days.
- **Noise** per station, readings rounded like the national release (whole
  µg/m³, CO to 0.1 mg/m³), never negative.
- **Gaps**: M005's analyser is out for :data:`OUTAGE_HOURS` hours on
  20 November (no rows), so that day has no valid daily value.

Times are hour labels at the hour's *end*, UTC (``2026-10-31T17:00:00Z`` is
Beijing 1 November 01:00, the mean of 00:00–01:00). One generator seeded
``(seed, 15)`` (issue 15 brought readings) draws everything except the base
winds, whose seed is derived from the same pair; the ledger's and the cases'
streams are untouched and the same seed gives the same month.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from geo.air.plume import plume_concentration, random_winds, synthesise
from geo.store.base import Store
from geo.store.observation_rows import OBSERVATION_COLUMNS, READING_COLUMNS, ObservationRow

__all__ = [
    "AIR_STREAM",
    "EPISODES",
    "HOURS",
    "MONTH_START_UTC",
    "OUTAGE_HOURS",
    "PLANTED",
    "PLUME_TARGET_UGM3",
    "build_observations",
    "load_observations",
    "observation_rows",
]

#: The stream of the demo seed that draws the readings.
AIR_STREAM = 15
#: The first hour's label: Beijing 2026-11-01 01:00 (the hour 00:00-01:00), in UTC.
MONTH_START_UTC = pd.Timestamp("2026-10-31T17:00:00Z")
HOURS = 720
#: Demo sources whose plumes are planted in the readings, per station they were placed for.
PLANTED: dict[str, tuple[str, ...]] = {"M003": ("S01826", "S00530", "S00258")}
#: Stagnant days (Beijing date, 1..30 November) and the planted source blowing at M003.
EPISODES: dict[int, str] = {7: "S00530", 16: "S01826", 24: "S00258"}
PLUME_TARGET_UGM3 = 60.0
PM10_PER_PM25 = 1.3  # kitchen smoke is mostly fine particles
OUTAGE_STATION, OUTAGE_DAY, OUTAGE_HOURS = "M005", 20, 6

_GEOD = Geod(ellps="WGS84")
_EPISODE_FIRST_HOUR = 8  # Beijing hour (start) from which the steady wind blows
_REFERENCE_SPEED_MS = 1.5
# Regional levels in November (µg/m³, CO mg/m³), before cycles and factors.
_BASE = {"pm25": 40.0, "pm10": 72.0, "so2": 9.0, "no2": 34.0, "co": 0.7}
_NOISE_SD = {"pm25": 5.0, "pm10": 9.0, "so2": 1.5, "no2": 5.0, "o3": 5.0, "co": 0.06}
_URBAN_CORE = {"M001": 1.2, "M002": 1.15}  # the old eastern urban area: more traffic


def build_observations(
    stations: pd.DataFrame, sources: pd.DataFrame, *, seed: int
) -> pd.DataFrame:
    """Return the synthetic month of hourly readings for every station.

    Parameters
    ----------
    stations : GeoDataFrame
        The demo stations (``id`` and point ``geometry``, EPSG:4326).
    sources : GeoDataFrame
        The demo sources; the :data:`PLANTED` ids must be among them.
    seed : int
        The demo seed; the same seed gives the same frame.

    Returns
    -------
    DataFrame
        :data:`geo.store.observation_rows.OBSERVATION_COLUMNS`: ``station_id``,
        ``time`` (UTC ISO text, hour-end label), the readings as floats;
        ``len(stations) * HOURS - OUTAGE_HOURS`` rows, by station then time.
    """
    rng = np.random.default_rng((seed, AIR_STREAM))
    winds = _winds(rng, stations, sources, seed)
    regional = _regional(rng, winds.index)
    planted = _planted_sources(stations, sources)
    frames = [_station_frame(rng, row, winds, regional, planted)
              for row in stations.to_dict("records")]
    return pd.concat(frames, ignore_index=True)[list(OBSERVATION_COLUMNS)]


def observation_rows(frame: pd.DataFrame) -> list[ObservationRow]:
    """Return a frame of :func:`build_observations` as store rows (NaN becomes None)."""
    values = frame[list(OBSERVATION_COLUMNS)].astype(object)
    values = values.where(frame[list(OBSERVATION_COLUMNS)].notna(), None)
    return [tuple(row) for row in values.itertuples(index=False, name=None)]


def load_observations(store: Store, ledger: Mapping[str, pd.DataFrame], *, seed: int) -> int:
    """Upsert the synthetic month into ``store.observations``; return the rows written."""
    frame = build_observations(ledger["stations"], ledger["sources"], seed=seed)
    inserted, updated = store.observations.upsert(observation_rows(frame))
    return inserted + updated


# -- the weather ------------------------------------------------------------------------


def _beijing_hour(index: pd.DatetimeIndex) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(day of November, hour of day) of each hour's *start*, Beijing time."""
    start = index.tz_convert("Asia/Shanghai") - pd.Timedelta(hours=1)
    return np.asarray(start.day, dtype=np.int64), np.asarray(start.hour, dtype=np.int64)


def _winds(
    rng: np.random.Generator, stations: pd.DataFrame, sources: pd.DataFrame, seed: int
) -> pd.DataFrame:
    """Return the base random winds with the episodes' steady winds from the planted sources."""
    wind_seed = int(np.random.SeedSequence((seed, AIR_STREAM)).generate_state(1)[0])
    winds = random_winds(MONTH_START_UTC, HOURS, seed=wind_seed)
    day, hour = _beijing_hour(winds.index)
    station = _point(stations, next(iter(PLANTED)))
    for episode_day, source_id in EPISODES.items():
        lon, lat = _point(sources, source_id)
        bearing_deg, _, _ = _GEOD.inv(station[0], station[1], lon, lat)
        pick = (day == episode_day) & (hour >= _EPISODE_FIRST_HOUR)
        wd = np.mod(bearing_deg + rng.normal(0.0, 3.0, int(pick.sum())), 360.0)
        winds.loc[pick, "wd_deg"] = np.round(wd, 1)
        winds.loc[pick, "ws_ms"] = np.round(rng.uniform(0.8, 2.0, int(pick.sum())), 1)
    # Night-time (18:00-08:00) boundary layers are stable; daytime neutral.
    winds["stability"] = np.where((hour >= 18) | (hour < 8), "E", "D")
    return winds


def _regional(rng: np.random.Generator, index: pd.DatetimeIndex) -> dict[str, NDArray[np.float64]]:
    """District-wide hourly levels of every pollutant, before plumes and station noise."""
    day, hour = _beijing_hour(index)
    synoptic = np.ones(31)
    for d in range(2, 31):  # AR(1) in log space: weather changes over days, not hours
        synoptic[d] = math.exp(0.7 * math.log(synoptic[d - 1]) + rng.normal(0.0, 0.18))
    factor = np.clip(synoptic, 0.55, 1.45)
    factor[list(EPISODES)] = 1.65  # haze on the stagnant days
    f = factor[day]
    night = 1.0 + 0.2 * np.cos(2 * math.pi * (hour - 23) / 24)  # high at night, low at 11-15 h
    rush = 1.0 + 0.35 * (np.exp(-(((hour - 8) / 1.5) ** 2)) + np.exp(-(((hour - 19) / 2.0) ** 2)))
    heating = np.where(day >= 15, 1.3, 1.0)  # Zhengzhou's heating season starts 15 November
    sun = np.clip(np.sin(math.pi * (hour - 7) / 11), 0.0, None)  # daylight 07-18 h, top ~13 h
    afternoon = np.clip(np.sin(math.pi * (hour - 9) / 10), 0.0, None)  # O3 lags: top ~14 h
    return {
        "pm25": _BASE["pm25"] * f * night,
        "pm10": _BASE["pm10"] * f * night,
        "so2": _BASE["so2"] * np.sqrt(f) * heating * (1.0 + 0.2 * sun),
        "no2": _BASE["no2"] * np.sqrt(f) * rush,
        "co": _BASE["co"] * f * night * heating,
        "o3": (22.0 + 70.0 * afternoon) / np.sqrt(f),
    }


# -- the plumes and each station --------------------------------------------------------


def _planted_sources(stations: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """lon, lat and emission rate (g/s PM2.5) of every planted source."""
    station = _point(stations, next(iter(PLANTED)))
    rows = []
    for source_id in sorted({s for ids in PLANTED.values() for s in ids}):
        lon, lat = _point(sources, source_id)
        bearing_deg, _, _ = _GEOD.inv(station[0], station[1], lon, lat)
        per_gs = float(plume_concentration(lon, lat, 1.0, station[0], station[1],
                                           bearing_deg % 360.0, _REFERENCE_SPEED_MS))
        rows.append({"id": source_id, "lon": lon, "lat": lat,
                     "emission_gs": PLUME_TARGET_UGM3 / per_gs})
    return pd.DataFrame(rows)


def _emission_profile(hour: NDArray[np.int64]) -> NDArray[np.float64]:
    """Share of the full emission rate by Beijing hour: lunch and supper, a simmer between."""
    meals = ((hour >= 10) & (hour < 14)) | ((hour >= 17) & (hour < 23))
    return np.where(meals, 1.0, 0.3)


def _station_frame(
    rng: np.random.Generator, station: Mapping[str, Any], winds: pd.DataFrame,
    regional: Mapping[str, NDArray[np.float64]], planted: pd.DataFrame,
) -> pd.DataFrame:
    point = (float(station["geometry"].x), float(station["geometry"].y))
    plume = synthesise(planted, point, winds, background_ugm3=0.0, noise_sd=0.0, seed=0)
    plume_ugm3 = plume.to_numpy() * _emission_profile(_beijing_hour(winds.index)[1])
    core = _URBAN_CORE.get(str(station["id"]), 1.0)
    added = {"pm25": plume_ugm3, "pm10": PM10_PER_PM25 * plume_ugm3}
    data: dict[str, Any] = {"station_id": str(station["id"]),
                            "time": winds.index.strftime("%Y-%m-%dT%H:%M:%SZ")}
    for name in ("pm25", "pm10", "so2", "no2", "o3", "co"):
        level = regional[name] * (core if name in ("no2", "co") else 1.0) + added.get(name, 0.0)
        noisy = np.clip(level + rng.normal(0.0, _NOISE_SD[name], HOURS), 0.0, None)
        data[name] = np.round(noisy, 1 if name == "co" else 0)
    data["wd_deg"] = winds["wd_deg"].to_numpy()
    data["ws_ms"] = winds["ws_ms"].to_numpy()
    frame = pd.DataFrame(data)
    if station["id"] == OUTAGE_STATION:
        day, hour = _beijing_hour(winds.index)
        gone = (day == OUTAGE_DAY) & (hour >= 9) & (hour < 9 + OUTAGE_HOURS)
        frame = frame[~gone]
    return frame[["station_id", "time", *READING_COLUMNS]]


def _point(frame: pd.DataFrame, feature_id: str) -> tuple[float, float]:
    """lon, lat of a feature by id (a point on the surface of a line or polygon)."""
    geom = frame.loc[frame["id"] == feature_id, "geometry"].iloc[0]
    point = shapely.point_on_surface(geom)
    return float(point.x), float(point.y)
