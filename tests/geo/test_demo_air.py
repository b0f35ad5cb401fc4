"""The demo's synthetic month of readings (geo.demo.air): reproducible, plausible, true.

The month is built once per module; the attribution checks run on both
stores through the store's own read-back, as the API would.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from geo import demo, writes
from geo.air.aqi import daily_values
from geo.air.attribution import attribute
from geo.air.observations import UPPER_BOUNDS, read_observations, record_observations
from geo.air.rose import pollution_rose
from geo.demo.air import (
    EPISODES,
    HOURS,
    OUTAGE_DAY,
    OUTAGE_HOURS,
    OUTAGE_STATION,
    PLANTED,
    build_observations,
    load_observations,
    observation_rows,
)
from geo.store import Store
from geo.store.observation_rows import OBSERVATION_COLUMNS, READING_COLUMNS

GEOD = Geod(ellps="WGS84")
NOVEMBER = [dt.date(2026, 11, d) for d in range(1, 31)]


@pytest.fixture(scope="module")
def ledger() -> dict[str, pd.DataFrame]:
    return demo.build_demo()


@pytest.fixture(scope="module")
def month(ledger: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return build_observations(ledger["stations"], ledger["sources"], seed=demo.DEMO_SEED)


@pytest.fixture(scope="module")
def daily(month: pd.DataFrame) -> pd.DataFrame:
    return daily_values(month)


def _station(ledger: dict[str, pd.DataFrame], sid: str) -> tuple[float, float]:
    point = ledger["stations"].set_index("id").geometry[sid]
    return float(point.x), float(point.y)


def _bearing_deg(ledger: dict[str, pd.DataFrame], sid: str, source_id: str) -> float:
    lon, lat = _station(ledger, sid)
    point = ledger["sources"].set_index("id").geometry[source_id]
    return float(GEOD.inv(lon, lat, point.x, point.y)[0]) % 360.0


# -- reproducible, complete, labelled ------------------------------------------------------------


def test_the_same_seed_gives_the_same_month_and_another_seed_another(ledger, month):
    again = build_observations(ledger["stations"], ledger["sources"], seed=demo.DEMO_SEED)
    pd.testing.assert_frame_equal(month, again)
    other = build_observations(ledger["stations"], ledger["sources"], seed=demo.DEMO_SEED + 1)
    assert not month[["pm25", "wd_deg"]].equals(other[["pm25", "wd_deg"]])


def test_every_station_has_every_hour_of_november_but_the_outage(ledger, month):
    assert list(month.columns) == list(OBSERVATION_COLUMNS)
    stations = sorted(ledger["stations"].id)
    assert len(month) == len(stations) * HOURS - OUTAGE_HOURS
    per_station = month.groupby("station_id").size()
    assert per_station.drop(OUTAGE_STATION).eq(HOURS).all()
    assert per_station[OUTAGE_STATION] == HOURS - OUTAGE_HOURS
    times = month[month.station_id == "M003"].time
    # hour-end labels: Beijing 1 November 01:00 ... 1 December 00:00
    assert times.iloc[0] == "2026-10-31T17:00:00Z" and times.iloc[-1] == "2026-11-30T16:00:00Z"
    assert pd.to_datetime(times, utc=True).diff().dropna().eq(pd.Timedelta(hours=1)).all()
    assert not month.duplicated(["station_id", "time"]).any()


def test_the_outage_day_has_no_daily_value_and_every_other_day_has(daily):
    valid = daily.set_index(["station_id", "date"])["pm25"].notna()
    outage = (OUTAGE_STATION, dt.date(2026, 11, OUTAGE_DAY))
    assert not valid[outage]
    assert valid.drop(outage).all()
    assert len(valid) == 5 * len(NOVEMBER)


def test_readings_are_present_non_negative_and_within_the_import_bounds(month):
    for column in READING_COLUMNS:
        values = month[column]
        assert values.notna().all(), column
        assert (values >= 0).all() and (values <= UPPER_BOUNDS[column]).all(), column
    assert (month.wd_deg < 360).all()
    assert month.co.max() < 10  # mg/m³, not µg/m³


def test_the_series_look_like_air(month):
    hour = (pd.to_datetime(month.time, utc=True).dt.tz_convert("Asia/Shanghai")
            - pd.Timedelta(hours=1)).dt.hour
    o3_by_hour = month.groupby(hour).o3.mean()
    assert 12 <= o3_by_hour.idxmax() <= 16  # O3 peaks in the afternoon
    assert o3_by_hour.max() > 2 * o3_by_hour.min()
    no2_by_hour = month.groupby(hour).no2.mean()
    assert no2_by_hour[8] > no2_by_hour[3] and no2_by_hour[19] > no2_by_hour[14]  # rush hours
    assert (month.pm10 >= month.pm25).mean() > 0.95
    assert 30 < month.pm25.median() < 60  # a November in Zhengzhou, not a clean-air city


# -- the planted truth -------------------------------------------------------------------------


def test_planted_sources_are_operating_demo_sources_within_m003s_radius(ledger):
    sources = ledger["sources"].set_index("id")
    lon, lat = _station(ledger, "M003")
    bearings = []
    for source_id in PLANTED["M003"]:
        point = sources.geometry[source_id]
        az, _, dist = GEOD.inv(lon, lat, point.x, point.y)
        assert dist < 3000 and sources.status[source_id] == "operating"
        bearings.append(az % 360.0)
    gaps = np.diff(sorted(bearings + [min(bearings) + 360.0]))
    assert gaps.min() > 40  # clearly different directions
    assert set(EPISODES.values()) <= set(PLANTED["M003"])


def test_m003_exceeds_on_the_planted_days_only(daily):
    m003 = daily[daily.station_id == "M003"].set_index("date").pm25
    exceed = set(m003[m003 > 75].index)
    assert exceed and exceed == {dt.date(2026, 11, d) for d in EPISODES}
    others = daily[daily.station_id != "M003"]
    assert (others.pm25.dropna() <= 75).all()  # the background alone does not break the limit


def test_m003s_worst_day_points_at_its_planted_source_on_both_stores(store: Store, ledger, month):
    writes.write_frame(store, "stations", ledger["stations"], mode="replace", actor="test")
    assert load_observations(store, ledger, seed=demo.DEMO_SEED) == len(month)
    assert store.observations.count() == len(month)
    daily = daily_values(read_observations(store, "M003"))
    worst = daily.loc[daily.pm25.idxmax(), "date"]
    assert worst.day in EPISODES
    for day in EPISODES:  # every planted day, the worst one included
        planted = EPISODES[day]
        start = dt.date(2026, 11, day)
        hours = read_observations(store, "M003", start=f"{start} 01:00",
                                  end=f"{start + dt.timedelta(days=1)} 01:00")
        assert len(hours) == 24
        rose = pollution_rose(hours, pollutant="pm25")
        worst_sector = rose.worst()
        assert worst_sector is not None
        assert worst_sector.index == rose.sector_of(_bearing_deg(ledger, "M003", planted)), day
        ranked = attribute(ledger["sources"], *_station(ledger, "M003"), 3000, rose)
        assert ranked[0].id == planted, day


def test_over_the_month_the_planted_sectors_are_the_worst_three(ledger, month):
    rose = pollution_rose(month[month.station_id == "M003"], pollutant="pm25")
    rated = sorted((s for s in rose.sectors if s.cpf is not None), key=lambda s: -(s.cpf or 0))
    planted = {rose.sector_of(_bearing_deg(ledger, "M003", s)) for s in PLANTED["M003"]}
    assert {s.index for s in rated[:3]} == planted


def test_the_month_passes_the_live_feed_checks(store: Store, ledger, month):
    writes.write_frame(store, "stations", ledger["stations"], mode="replace", actor="test")
    for sid, rows in month.groupby("station_id"):
        readings = rows.drop(columns="station_id").to_dict("records")
        done = record_observations(store, str(sid), readings, dry_run=True)
        assert done.rows == len(rows)


def test_rows_for_the_store_keep_the_columns_in_order(month):
    rows = observation_rows(month.head(3))
    assert rows[0][:2] == ("M001", "2026-10-31T17:00:00Z")
    assert len(rows[0]) == len(OBSERVATION_COLUMNS)
    assert all(isinstance(v, float) for v in rows[0][2:])
    blank = month.head(1).assign(pm25=np.nan)
    assert observation_rows(blank)[0][2] is None
