"""AQI per HJ 633-2012 (geo.air.aqi): every breakpoint, primary pollutant, daily validity.

The breakpoint tables are typed here a second time from the standard, so a
slip in geo/air/limits.py fails a test; the vectorised frames are checked
against the one-value functions on random data.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.air.aqi import (
    daily_aqi,
    daily_frame,
    daily_values,
    exceeds,
    hourly_aqi,
    hourly_frame,
    iaqi,
    iaqi_array,
)
from geo.air.limits import BREAKPOINTS, POLLUTANTS
from geo.errors import InputError

# HJ 633-2012 table 1, typed in again from the standard so that a slip in
# geo/air/limits.py cannot pass unseen.
STEPS = (0, 50, 100, 150, 200, 300, 400, 500)
HJ633 = {
    ("so2", "24h"): (0, 50, 150, 475, 800, 1600, 2100, 2620),
    ("so2", "1h"): (0, 150, 500, 650, 800),
    ("no2", "24h"): (0, 40, 80, 180, 280, 565, 750, 940),
    ("no2", "1h"): (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    ("pm10", "24h"): (0, 50, 150, 250, 350, 420, 500, 600),
    ("co", "24h"): (0, 2, 4, 14, 24, 36, 48, 60),
    ("co", "1h"): (0, 5, 10, 35, 60, 90, 120, 150),
    ("o3", "1h"): (0, 160, 200, 300, 400, 800, 1000, 1200),
    ("o3", "8h"): (0, 100, 160, 215, 265, 800),
    ("pm25", "24h"): (0, 35, 75, 115, 150, 250, 350, 500),
}
POINTS = [(p, a, i, bp) for (p, a), row in HJ633.items() for i, bp in enumerate(row)]
IDS = [f"{p}-{a}-{bp}" for p, a, _i, bp in POINTS]
EPS = 0.01  # small enough for the steepest segment (CO 24-h, 25 IAQI per mg/m3)


def test_tables_are_the_standard():
    assert BREAKPOINTS == HJ633


@pytest.mark.parametrize(("pollutant", "averaging", "i", "bp"), POINTS, ids=IDS)
def test_at_every_breakpoint(pollutant, averaging, i, bp):
    assert iaqi(pollutant, bp, averaging=averaging) == STEPS[i]
    if i > 0:
        assert iaqi(pollutant, bp - EPS, averaging=averaging) == STEPS[i]


@pytest.mark.parametrize(("pollutant", "averaging", "i", "bp"), POINTS, ids=IDS)
def test_just_above_every_breakpoint(pollutant, averaging, i, bp):
    row = HJ633[(pollutant, averaging)]
    got = iaqi(pollutant, bp + EPS, averaging=averaging)
    if i < len(row) - 1:
        assert got == STEPS[i] + 1
    elif len(row) == len(STEPS):
        assert got == 500  # beyond the top of a full row: the index stops at 500
    else:
        assert got is None  # 1-h SO2 / 8-h O3 end at 800: the standard's notes apply


@pytest.mark.parametrize(("pollutant", "averaging", "conc", "want"), [
    ("pm25", "24h", 0, 0),
    ("pm25", "24h", 35, 50),
    ("pm25", "24h", 35.1, 51),
    ("pm25", "1h", 35.1, 51),  # real-time practice: 1-h PM on the 24-h row
    ("pm25", "24h", 55, 75),
    ("pm25", "24h", 75, 100),
    ("pm25", "24h", 75.01, 101),
    ("pm25", "24h", 500, 500),
    ("pm25", "24h", 501, 500),
    ("pm25", "24h", 5000, 500),
    ("pm10", "1h", 100, 75),
    ("pm25", "24h", 0.01, 1),  # 0.0143 rounded up, not to nearest
    ("co", "1h", 7.5, 75),
    ("o3", "8h", 130, 75),
    ("so2", "24h", 900, 213),  # 200 + 100 * 100 / 800 = 212.5 -> 213
], ids=lambda v: str(v))
def test_interpolation_and_rounding_up(pollutant, averaging, conc, want):
    assert iaqi(pollutant, conc, averaging=averaging) == want


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan])
def test_missing_value_has_no_iaqi(missing):
    assert iaqi("pm25", missing, averaging="24h") is None


@pytest.mark.parametrize(("pollutant", "value", "averaging", "match"), [
    ("pm25", -1, "24h", ">= 0"),
    ("pm25", float("inf"), "24h", ">= 0"),
    ("pm25", "12", "24h", "must be a number"),
    ("pm25", True, "24h", "must be a number"),
    ("pm1", 10, "24h", "no HJ 633 row"),
    ("pm25", 10, "8h", "no HJ 633 row"),
    ("co", 1, "8h", "no HJ 633 row"),
], ids=["negative", "inf", "text", "bool", "pollutant", "pm-8h", "co-8h"])
def test_bad_input(pollutant, value, averaging, match):
    with pytest.raises(InputError, match=match):
        iaqi(pollutant, value, averaging=averaging)


def test_bad_input_in_arrays():
    with pytest.raises(InputError, match="position 1"):
        iaqi_array("pm25", [1.0, -2.0], averaging="24h")
    with pytest.raises(InputError, match="must be numbers"):
        iaqi_array("pm25", ["a"], averaging="24h")


# ---------------------------------------------------------------- hourly

def test_hourly_uses_1h_rows_for_gases_and_24h_rows_for_pm():
    r = hourly_aqi({"pm25": 75, "pm10": 150, "so2": 150, "no2": 100, "co": 5, "o3": 160})
    assert r.iaqi == {"pm25": 100, "pm10": 100, "so2": 50, "no2": 50, "co": 50, "o3": 50}
    assert r.aqi == 100
    assert r.primary == ("pm25", "pm10")  # ties: all of them, in pollutant order


def test_no_primary_pollutant_at_or_below_50():
    r = hourly_aqi({"pm25": 35, "pm10": 50, "o3": 10})
    assert (r.aqi, r.primary, r.category, r.colour) == (50, (), "优", "#00E400")
    r = hourly_aqi({"pm25": 35.1, "pm10": 50})
    assert (r.aqi, r.primary, r.category) == (51, ("pm25",), "良")


def test_primary_is_the_largest_sub_index():
    r = hourly_aqi({"pm25": 30, "no2": 250, "o3": 190})  # 43, 105, 88
    assert r.iaqi["pm25"] == 43 and r.iaqi["o3"] == 88
    assert r.aqi == 105 and r.primary == ("no2",) and r.category == "轻度污染"
    r = hourly_aqi({"no2": 250, "o3": 210})  # 105 and 105: a tie
    assert r.primary == ("no2", "o3")


def test_hourly_all_missing():
    r = hourly_aqi({"pm25": None, "station_id": "M1", "wd_deg": 90})
    assert r.aqi is None and r.primary == () and r.category is None and r.colour is None
    assert r.level is None
    assert set(r.iaqi) == set(POLLUTANTS)


def test_hourly_missing_pollutants_do_not_count():
    r = hourly_aqi({"pm25": 80})
    assert r.aqi == 107 and r.iaqi["o3"] is None


def test_so2_above_800_uses_the_24h_row():
    assert iaqi("so2", 800, averaging="1h") == 200
    assert iaqi("so2", 801, averaging="1h") is None
    assert hourly_aqi({"so2": 800}).iaqi["so2"] == 200
    # no 24-h mean supplied: the 24-h row on the hour's own value (continuous at 800)
    assert hourly_aqi({"so2": 800.01}).iaqi["so2"] == 201
    assert hourly_aqi({"so2": 900}).iaqi["so2"] == 213
    # the 24-h mean supplied: 150 + 25 * 50 / 325 = 153.8 -> 154
    assert hourly_aqi({"so2": 900, "so2_24h": 500}).iaqi["so2"] == 154
    # at or below 800 the 24-h mean plays no part
    assert hourly_aqi({"so2": 700, "so2_24h": 2000}).iaqi["so2"] == 167  # 1-h row
    assert hourly_aqi({"so2": 650, "so2_24h": 2000}).iaqi["so2"] == 150


@pytest.mark.parametrize(("aqi_pm25", "category", "colour", "level"), [
    (0, "优", "#00E400", 1), (35, "优", "#00E400", 1),
    (35.1, "良", "#FFFF00", 2), (75, "良", "#FFFF00", 2),
    (75.1, "轻度污染", "#FF7E00", 3), (115, "轻度污染", "#FF7E00", 3),
    (115.1, "中度污染", "#FF0000", 4), (150, "中度污染", "#FF0000", 4),
    (150.1, "重度污染", "#99004C", 5), (250, "重度污染", "#99004C", 5),
    (250.1, "严重污染", "#7E0023", 6), (900, "严重污染", "#7E0023", 6),
], ids=lambda v: str(v))
def test_category_boundaries_and_colours(aqi_pm25, category, colour, level):
    r = hourly_aqi({"pm25": aqi_pm25})
    assert (r.category, r.colour) == (category, colour)
    assert r.level is not None and r.level.level == level
    assert r.level.roman == ("I", "II", "III", "IV", "V", "VI")[level - 1]


def test_category_names_and_rgb():
    from geo.air.limits import CATEGORIES
    assert [(c.low, c.high) for c in CATEGORIES] == [
        (0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500)]
    assert [c.name_en for c in CATEGORIES] == [
        "Excellent", "Good", "Lightly polluted", "Moderately polluted",
        "Heavily polluted", "Severely polluted"]
    assert [c.rgb for c in CATEGORIES] == [
        (0, 228, 0), (255, 255, 0), (255, 126, 0), (255, 0, 0), (153, 0, 76), (126, 0, 35)]


# ---------------------------------------------------------------- daily AQI, exceedance

def test_daily_aqi_uses_24h_rows():
    r = daily_aqi({"pm25": 75, "so2": 150, "no2": 80, "co": 4, "pm10": 50, "o3_8h": 100})
    assert r.iaqi["so2"] == 100 and r.iaqi["no2"] == 100 and r.iaqi["co"] == 100
    assert r.primary == ("pm25", "so2", "no2", "co")


def test_daily_o3_both_indicators_name_o3_once():
    r = daily_aqi({"pm25": 20, "o3_8h": 160, "o3_1h": 200})
    assert r.iaqi["o3_8h"] == 100 and r.iaqi["o3_1h"] == 100
    assert r.aqi == 100 and r.primary == ("o3",)


def test_o3_8h_above_800_leaves_o3_to_the_1h_maximum():
    assert iaqi("o3", 800, averaging="8h") == 300
    assert iaqi("o3", 800.5, averaging="8h") is None
    r = daily_aqi({"o3_8h": 850, "o3_1h": 1000})
    assert r.iaqi["o3_8h"] is None and r.iaqi["o3_1h"] == 400 and r.aqi == 400
    assert r.primary == ("o3",)


def test_daily_short_day_has_no_aqi():
    r = daily_aqi({"pm25": None, "o3_8h": float("nan")})
    assert r.aqi is None and r.primary == ()


@pytest.mark.parametrize(("key", "limit"), [
    ("pm25", 75), ("pm10", 150), ("so2", 150), ("no2", 80), ("co", 4), ("o3_8h", 160)])
def test_exceedance_at_and_above_the_limit(key, limit):
    pollutant = "o3" if key == "o3_8h" else key
    assert exceeds({key: limit}) == []
    assert exceeds({key: limit - 0.1}) == []
    assert exceeds({key: limit + 0.01}) == [pollutant]


def test_exceedance_lists_all_and_ignores_missing():
    assert exceeds({"pm25": 120, "pm10": None, "co": 5, "o3_8h": 200, "o3_1h": 999}) == [
        "pm25", "co", "o3"]
    assert exceeds({}) == []


# ---------------------------------------------------------------- daily values

def beijing(day: str, hour_label: int) -> pd.Timestamp:
    """UTC time of a reading labelled `hour_label` (1..24) Beijing on `day`."""
    return pd.Timestamp(day) + pd.Timedelta(hours=hour_label - 8)


def day_of(values, *, day="2024-05-01", pollutant="pm25", station=None):
    rows = [{"time": beijing(day, h + 1).isoformat() + "Z", pollutant: v}
            for h, v in enumerate(values)]
    if station:
        for r in rows:
            r["station_id"] = station
    return rows


def test_19_valid_hours_make_no_daily_value_20_do():
    values = [50.0] * 19 + [None] * 5
    got = daily_values(day_of(values))
    assert got["hours_pm25"].tolist() == [19] and math.isnan(got["pm25"].iloc[0])
    values = [40.0] * 10 + [60.0] * 10 + [None] * 4
    got = daily_values(day_of(values))
    assert got["hours_pm25"].tolist() == [20] and got["pm25"].iloc[0] == 50.0
    assert got["date"].tolist() == [dt.date(2024, 5, 1)]


def test_the_hour_labelled_24_00_belongs_to_the_day():
    rows = day_of([10.0] * 24)
    assert rows[-1]["time"] == "2024-05-01T16:00:00Z"  # 24:00 Beijing = 00:00 on 2 May
    assert rows[0]["time"] == "2024-04-30T17:00:00Z"  # 01:00 Beijing
    got = daily_values(rows)
    assert got["date"].tolist() == [dt.date(2024, 5, 1)] and got["hours_pm25"].tolist() == [24]
    # Read as hour-beginning labels, the first reading (00:00-01:00 would be
    # labelled 00:00) is now 01:00-02:00 and the last one falls on 2 May.
    got = daily_values(rows, hour_label="start")
    assert got["date"].tolist() == [dt.date(2024, 5, 1), dt.date(2024, 5, 2)]
    assert got["hours_pm25"].tolist() == [23, 1]


def test_daily_means_of_each_pollutant_and_o3_1h_max():
    rows = []
    for h in range(24):
        rows.append({"time": beijing("2024-05-01", h + 1), "pm25": float(h), "pm10": 100.0,
                     "so2": 10.0, "no2": 20.0, "co": 0.5 + (h % 2) * 0.5, "o3": 50.0 + h})
    got = daily_values(pd.DataFrame(rows)).iloc[0]
    assert got["pm25"] == pytest.approx(11.5) and got["pm10"] == 100 and got["co"] == 0.75
    assert got["o3_1h"] == 73
    # 8-h means inside the day: the last one (periods 16..23) is the largest
    assert got["o3_8h"] == pytest.approx(np.mean([50.0 + h for h in range(16, 24)]))


def test_o3_8h_needs_14_valid_windows():
    # Valid hours from `first` (0-based period) to 23. The window ending with
    # period s covers s-7 .. s and is valid with >= 6 valid hours, i.e. when
    # s >= first + 5; the day's 17 windows end at s = 7 .. 23.
    def o3_day(first):
        return [None if h < first else 100.0 for h in range(24)]

    got = daily_values(day_of(o3_day(5), pollutant="o3"))  # s = 10..23: 14 windows
    assert got["o3_8h"].iloc[0] == 100.0
    got = daily_values(day_of(o3_day(6), pollutant="o3"))  # s = 11..23: 13 windows
    assert math.isnan(got["o3_8h"].iloc[0])


def test_o3_8h_fewer_windows_still_valid_over_the_limit():
    values = [None] * 6 + [200.0] * 18  # 13 valid windows, their maximum 200 > 160
    got = daily_values(day_of(values, pollutant="o3"))
    assert got["o3_8h"].iloc[0] == 200.0


def test_o3_8h_window_needs_6_valid_hours():
    values = [200.0] * 23 + [800.0]
    values[20] = values[21] = values[22] = None  # last window 16..23: 5 valid hours
    got = daily_values(day_of(values, pollutant="o3"))
    assert got["o3_8h"].iloc[0] == 200.0  # not (4 * 200 + 800) / 5 = 320
    values[22] = 200.0  # now 6 valid hours
    got = daily_values(day_of(values, pollutant="o3"))
    assert got["o3_8h"].iloc[0] == pytest.approx((5 * 200.0 + 800.0) / 6)


def test_o3_8h_windows_do_not_reach_into_the_previous_day():
    first = [50.0] * 20 + [400.0] * 4  # 21:00..24:00 on 1 May high
    rows = day_of(first, pollutant="o3") + day_of([50.0] * 24, day="2024-05-02",
                                                  pollutant="o3")
    got = daily_values(rows)
    assert got["date"].tolist() == [dt.date(2024, 5, 1), dt.date(2024, 5, 2)]
    assert got["o3_8h"].tolist() == [pytest.approx((4 * 50.0 + 4 * 400.0) / 8), 50.0]
    assert got["o3_1h"].tolist() == [400.0, 50.0]


def test_daily_values_per_station():
    rows = day_of([10.0] * 24, station="M1") + day_of([30.0] * 20, station="M2")
    got = daily_values(pd.DataFrame(rows))
    assert got[["station_id", "pm25", "hours_pm25"]].to_dict("records") == [
        {"station_id": "M1", "pm25": 10.0, "hours_pm25": 24},
        {"station_id": "M2", "pm25": 30.0, "hours_pm25": 20}]
    assert "station_id" not in daily_values(day_of([1.0] * 24)).columns


@pytest.mark.parametrize(("rows", "match"), [
    ([{"pm25": 1.0}], "'time' column"),
    ([{"time": "2024-05-01T00:30:00Z", "pm25": 1.0}], "on the hour"),
    ([{"time": "yesterday", "pm25": 1.0}], "unreadable time"),
    ([{"time": "2024-05-01T00:00:00Z", "pm25": 1.0},
      {"time": "2024-05-01T08:00:00+08:00", "pm25": 2.0}], "two readings"),
    ([{"time": "2024-05-01T00:00:00Z", "pm25": -1.0}], ">= 0"),
], ids=["no-time", "half-hour", "bad-time", "duplicate", "negative"])
def test_daily_values_rejects(rows, match):
    with pytest.raises(InputError, match=match):
        daily_values(rows)


def test_daily_values_rejects_unknown_label():
    with pytest.raises(InputError, match="hour_label"):
        daily_values(day_of([1.0]), hour_label="middle")


def test_daily_frame_adds_aqi_and_exceedances():
    rows = day_of([100.0] * 24) + day_of([20.0] * 24, day="2024-05-02")
    got = daily_frame(daily_values(rows))
    assert got["aqi"].tolist() == [132, 29]  # 100 + 25 * 50 / 40 = 131.25
    assert got["primary"].tolist() == [("pm25",), ()]
    assert got["exceeds"].tolist() == [["pm25"], []]
    assert got["category"].tolist() == ["轻度污染", "优"]


# ---------------------------------------------------------------- vectorised = scalar

ROWS = sorted(HJ633)
maybe_conc = st.one_of(st.none(), st.floats(0, 4000, allow_nan=False),
                       st.sampled_from([0.0, 35.0, 75.0, 150.0, 800.0, 800.01, 2620.0]))


@settings(max_examples=200, deadline=None)
@given(row=st.sampled_from(ROWS), values=st.lists(maybe_conc, max_size=30))
def test_iaqi_array_equals_iaqi(row, values):
    pollutant, averaging = row
    got = iaqi_array(pollutant, [np.nan if v is None else v for v in values],
                     averaging=averaging)
    want = [iaqi(pollutant, v, averaging=averaging) for v in values]
    assert [None if np.isnan(g) else int(g) for g in got] == want


reading = st.fixed_dictionaries({p: maybe_conc for p in (*POLLUTANTS, "so2_24h")})


def as_records(frame, columns):
    return [{c: (None if pd.isna(r[c]) else r[c]) for c in columns}
            for r in frame.to_dict("records")]


@settings(max_examples=100, deadline=None)
@given(readings=st.lists(reading, min_size=1, max_size=25))
def test_hourly_frame_equals_hourly_aqi(readings):
    frame = pd.DataFrame(readings, dtype=float)
    got = hourly_frame(frame)
    for r, row in zip(readings, got.to_dict("records"), strict=True):
        want = hourly_aqi(r)
        assert (None if pd.isna(row["aqi"]) else row["aqi"]) == want.aqi
        assert row["primary"] == want.primary
        assert (None if pd.isna(row["category"]) else row["category"]) == want.category
        assert (None if pd.isna(row["colour"]) else row["colour"]) == want.colour
        for p in POLLUTANTS:
            assert (None if pd.isna(row[f"iaqi_{p}"]) else row[f"iaqi_{p}"]) == want.iaqi[p]


daily = st.fixed_dictionaries({k: maybe_conc for k in
                               ("pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h")})


@settings(max_examples=100, deadline=None)
@given(days=st.lists(daily, min_size=1, max_size=25))
def test_daily_frame_equals_daily_aqi(days):
    got = daily_frame(pd.DataFrame(days, dtype=float))
    for d, row in zip(days, got.to_dict("records"), strict=True):
        want = daily_aqi(d)
        assert (None if pd.isna(row["aqi"]) else row["aqi"]) == want.aqi
        assert row["primary"] == want.primary
        assert row["exceeds"] == exceeds(d)


def reference_daily(hours, station):
    """Per-day loops over a dict {period start (Beijing) -> reading}: the slow oracle."""
    out = {}
    days = sorted({t.normalize() for t in hours})
    for day in days:
        row = {}
        for p in POLLUTANTS:
            vals = [hours[t][p] for t in hours if t.normalize() == day
                    and hours[t][p] is not None]
            if p != "o3":
                row[p] = np.mean(vals) if len(vals) >= 20 else None
            else:
                row["o3_1h"] = max(vals) if len(vals) >= 20 else None
        windows = []
        for s in range(7, 24):
            vals = [hours.get(day + pd.Timedelta(hours=h), {}).get("o3")
                    for h in range(s - 7, s + 1)]
            vals = [v for v in vals if v is not None]
            if len(vals) >= 6:
                windows.append(np.mean(vals))
        best = max(windows) if windows else None
        row["o3_8h"] = best if best is not None and (len(windows) >= 14 or best > 160) else None
        out[(station, day.date())] = row
    return out


hour_reading = st.fixed_dictionaries({p: st.one_of(st.none(), st.floats(0, 400))
                                      for p in POLLUTANTS})


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_daily_values_equals_slow_reference(data):
    rows, want = [], {}
    for station in ("M1", "M2"):
        # three Beijing days of hours, up to half of them absent, so that days
        # fall on both sides of the 20-hour and 14-window rules
        absent_in_10 = data.draw(st.integers(0, 5))
        hours = {}
        for h in range(72):
            if data.draw(st.integers(0, 9)) < absent_in_10:
                continue
            r = data.draw(hour_reading)
            start = pd.Timestamp("2024-05-01") + pd.Timedelta(hours=h)
            hours[start] = r
            # labelled by its end, in UTC
            time_utc = start + pd.Timedelta(hours=1) - pd.Timedelta(hours=8)
            rows.append({"station_id": station, "time": time_utc.isoformat() + "Z", **r})
        want.update(reference_daily(hours, station))
    if not rows:
        return
    got = daily_values(pd.DataFrame(rows))
    assert len(got) == len(want)
    for row in got.to_dict("records"):
        ref = want[(row["station_id"], row["date"])]
        for key in ("pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h"):
            if ref[key] is None:
                assert math.isnan(row[key]), key
            else:
                assert row[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-9), key


def test_docstring_examples():
    import doctest

    import geo.air.aqi

    failures, tried = doctest.testmod(geo.air.aqi)
    assert tried >= 8 and failures == 0
