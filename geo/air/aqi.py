"""Air quality index per HJ 633-2012: sub-indices, AQI, daily values, exceedances.

Pure computation: readings in, numbers out; no store, no web. The figures live
in :mod:`geo.air.limits`.

Conventions
-----------
* **Units.** µg/m³ for PM2.5, PM10, SO2, NO2, O3; mg/m³ for CO (as the
  ``observations`` table). Inputs are used as given: no input rounding. HJ 663
  rounds published concentrations (integers; CO one decimal) but that is for
  display, and rounding first would turn PM2.5 35.1 into IAQI 50, not 51.
* **IAQI** is the linear interpolation of HJ 633 formula (1) between the two
  breakpoints around the concentration, rounded *up* to an integer (the
  national release publishes integer sub-indices, and the issue reads the
  standard as "rounded up"). A difference of 1e-9 from an integer is taken as
  float noise, so a breakpoint gives its own IAQI exactly. A concentration
  above the last breakpoint of a 500-topped row gives 500 (the index does not
  go beyond); a missing value (``None`` or NaN) gives ``None``; a negative one
  is an :class:`~geo.errors.InputError`.
* **Rows that stop early.** The 1-h SO2 row ends at 800 µg/m³ and the 8-h O3
  row at 800 µg/m³ (notes 2 and 3 of table 1): :func:`iaqi` returns ``None``
  there. The combining functions then follow the notes: SO2 above 800 takes
  its sub-index from the 24-h row (applied to a supplied ``so2_24h`` mean, else
  to the hour's own value -- continuous, since both rows give 200 at 800), and
  O3 8-h above 800 leaves the daily O3 to the 1-h maximum.
* **AQI** is the largest available sub-index; ``None`` when none is available.
  The primary pollutant(s) (首要污染物) are named only when AQI > 50: every
  pollutant whose sub-index equals the AQI (ties: all of them).
* **Hourly** (the national real-time practice asked for in issue 15): 1-h rows
  for SO2, NO2, CO, O3 and the 24-h rows applied to the 1-h PM2.5 and PM10.
  (HJ 633 section 5.2 also lists 8-h O3 and 24-h moving PM means as real-time
  indicators; they are not part of the hourly AQI here.)
* **Daily** (HJ 633 section 5.1, seven indicators): 24-h means of PM2.5, PM10,
  SO2, NO2, CO, the day's maximum 1-h O3 and its maximum 8-h moving mean.
* **Time.** ``time`` is UTC. An hour is labelled by its *end*, as the national
  platform exports it and as HJ 663 counts hours 1…24: a reading at 01:00
  Beijing is the mean over 00:00–01:00. A Beijing day D is the 24 periods
  starting in [D 00:00, D+1 00:00), i.e. the readings labelled 01:00 … 24:00
  (the one labelled D+1 00:00 belongs to D). Beijing time is UTC+8 all year.
  ``hour_label="start"`` takes the other convention.
* **Validity.** A 24-h mean (and the 1-h O3 maximum) needs at least 20 valid
  hours (GB 3095-2012 table 4). An 8-h mean needs 6 valid hours; the day's
  8-h windows are the 17 that lie inside it (ending 08:00 … 24:00) and at least
  14 must be valid -- unless the maximum of the valid ones is over the Grade II
  limit (160 µg/m³), which HJ 663-2013 counts as valid anyway.
* **Exceedance** is a daily value strictly above its Grade II limit
  (GB 3095-2012): PM2.5 75.0 is not exceeding, 75.1 is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.air.limits import (
    BREAKPOINTS,
    CATEGORIES,
    DAILY_MIN_HOURS,
    GRADE_II_24H,
    IAQI_STEPS,
    O3_8H_MIN_HOURS,
    O3_8H_MIN_WINDOWS,
    POLLUTANTS,
    AqiCategory,
)
from geo.errors import InputError

__all__ = [
    "DAILY_KEYS",
    "AqiResult",
    "category_of",
    "daily_aqi",
    "daily_frame",
    "daily_values",
    "exceeds",
    "hourly_aqi",
    "hourly_frame",
    "iaqi",
    "iaqi_array",
]

FloatArray = npt.NDArray[np.float64]

_NOISE = 1e-9
_TOP_IAQI = IAQI_STEPS[-1]
_BEIJING_OFFSET = pd.Timedelta(hours=8)
_HOUR = pd.Timedelta(hours=1)

# Which row each hourly reading is read against (the real-time practice).
_HOURLY_AVERAGING = {"pm25": "24h", "pm10": "24h", "so2": "1h", "no2": "1h",
                     "co": "1h", "o3": "1h"}
# The seven daily indicators: key in the daily values -> (pollutant, row).
_DAILY_INDICATORS = {"pm25": ("pm25", "24h"), "pm10": ("pm10", "24h"),
                     "so2": ("so2", "24h"), "no2": ("no2", "24h"), "co": ("co", "24h"),
                     "o3_8h": ("o3", "8h"), "o3_1h": ("o3", "1h")}
DAILY_KEYS: tuple[str, ...] = tuple(_DAILY_INDICATORS)
"""The daily value columns: five 24-h means, ``o3_8h`` and ``o3_1h`` maxima."""


@dataclass(frozen=True)
class AqiResult:
    """An AQI with its parts.

    Attributes
    ----------
    aqi : int or None
        The largest sub-index; ``None`` when no reading was usable.
    iaqi : dict
        Sub-index per indicator (``None`` where missing).
    primary : tuple of str
        Primary pollutant(s) when ``aqi > 50``, in :data:`POLLUTANTS` order.
    category : str or None
        The Chinese category name (优 … 严重污染).
    colour : str or None
        Its standard colour, ``#RRGGBB``.
    """

    aqi: int | None
    iaqi: dict[str, int | None] = field(default_factory=dict)
    primary: tuple[str, ...] = ()
    category: str | None = None
    colour: str | None = None

    @property
    def level(self) -> AqiCategory | None:
        """The full category record (level, English name, RGB)."""
        return category_of(self.aqi)


# ---------------------------------------------------------------- sub-indices

def _row(pollutant: str, averaging: str) -> tuple[float, ...]:
    # PM has no 1-h row; the real-time practice reads 1-h PM against the 24-h row.
    key = (pollutant, "24h" if pollutant in ("pm25", "pm10") and averaging == "1h"
           else averaging)
    if key not in BREAKPOINTS:
        known = ", ".join(sorted(f"{p}/{a}" for p, a in BREAKPOINTS))
        raise InputError(f"no HJ 633 row for {pollutant!r} averaged over {averaging!r}; "
                         f"known: {known}")
    return BREAKPOINTS[key]


def _concentration(value: object, pollutant: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise InputError(f"{pollutant} concentration must be a number, got {value!r}")
    number = float(value)
    if math.isnan(number):
        return None
    if number < 0 or math.isinf(number):
        raise InputError(f"{pollutant} concentration must be finite and >= 0, got {number}")
    return number


def iaqi(pollutant: str, concentration: float | None, *, averaging: str) -> int | None:
    """Individual air quality index (IAQI) of one concentration.

    Parameters
    ----------
    pollutant : {"pm25", "pm10", "so2", "no2", "co", "o3"}
    concentration : float or None
        µg/m³ (CO: mg/m³); ``None`` or NaN for a missing value.
    averaging : {"1h", "8h", "24h"}
        The row of HJ 633 table 1. PM2.5/PM10 with ``"1h"`` use the 24-h row.

    Returns
    -------
    int or None
        Rounded up; 500 above the top of a full row; ``None`` when missing or
        above the end of the 1-h SO2 / 8-h O3 rows (800 µg/m³).

    Examples
    --------
    >>> iaqi("pm25", 35, averaging="24h"), iaqi("pm25", 35.1, averaging="24h")
    (50, 51)
    """
    steps = _row(pollutant, averaging)
    c = _concentration(concentration, pollutant)
    if c is None:
        return None
    if c > steps[-1]:
        return _TOP_IAQI if len(steps) == len(IAQI_STEPS) else None
    for i in range(1, len(steps)):
        if c <= steps[i]:
            lo, hi = steps[i - 1], steps[i]
            value = (c - lo) * (IAQI_STEPS[i] - IAQI_STEPS[i - 1]) / (hi - lo) + IAQI_STEPS[i - 1]
            return math.ceil(value - _NOISE)
    raise AssertionError("unreachable: c <= steps[-1]")


def iaqi_array(pollutant: str, concentrations: npt.ArrayLike, *, averaging: str) -> FloatArray:
    """Vectorised :func:`iaqi`: float array of integer values, NaN where ``None``.

    Examples
    --------
    >>> iaqi_array("co", [0, 5, 5.5, float("nan")], averaging="1h").tolist()
    [0.0, 50.0, 55.0, nan]
    """
    steps = np.asarray(_row(pollutant, averaging), dtype=float)
    c = _as_float_array(concentrations, pollutant)
    index = np.asarray(IAQI_STEPS[: len(steps)], dtype=float)
    seg = np.clip(np.searchsorted(steps, c, side="left"), 1, len(steps) - 1)
    lo, hi = steps[seg - 1], steps[seg]
    value = (c - lo) * (index[seg] - index[seg - 1]) / (hi - lo) + index[seg - 1]
    out = np.ceil(value - _NOISE) + 0.0  # + 0.0 turns ceil's -0.0 into 0.0
    out[c > steps[-1]] = _TOP_IAQI if len(steps) == len(IAQI_STEPS) else np.nan
    out[np.isnan(c)] = np.nan
    return out


def _as_float_array(values: npt.ArrayLike, pollutant: str) -> FloatArray:
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        c = values.astype(float, copy=False).ravel()
    else:
        try:
            series = pd.Series(np.asarray(values, dtype=object).ravel())
            c = np.asarray(pd.to_numeric(series, errors="raise"), dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{pollutant} concentrations must be numbers: {exc}") from None
    bad = ~np.isnan(c) & ((c < 0) | np.isinf(c))
    if bad.any():
        raise InputError(f"{pollutant} concentration must be finite and >= 0, "
                         f"got {c[bad][0]} (position {int(np.flatnonzero(bad)[0])})")
    return c


# ---------------------------------------------------------------- categories

def category_of(aqi: float | None) -> AqiCategory | None:
    """Look up the HJ 633 category of an AQI (``None`` for ``None``).

    Examples
    --------
    >>> category_of(50).name_zh, category_of(51).name_zh, category_of(301).colour
    ('优', '良', '#7E0023')
    """
    if aqi is None or (isinstance(aqi, float) and math.isnan(aqi)):
        return None
    if aqi < 0:
        raise InputError(f"an AQI is >= 0, got {aqi}")
    for cat in CATEGORIES:
        if aqi <= cat.high:
            return cat
    return CATEGORIES[-1]


def _combine(subs: Mapping[str, int | None], pollutant_of: Mapping[str, str]) -> AqiResult:
    known = [v for v in subs.values() if v is not None]
    if not known:
        return AqiResult(None, dict(subs))
    aqi = max(known)
    named = {pollutant_of[k] for k, v in subs.items() if v == aqi} if aqi > 50 else set()
    cat = category_of(aqi)
    assert cat is not None
    return AqiResult(aqi, dict(subs), tuple(p for p in POLLUTANTS if p in named),
                     cat.name_zh, cat.colour)


# ---------------------------------------------------------------- scalar AQI

def hourly_aqi(readings: Mapping[str, Any]) -> AqiResult:
    """AQI of one hour's readings (national real-time practice).

    Parameters
    ----------
    readings : mapping
        ``pm25 pm10 so2 no2 o3`` (µg/m³) and ``co`` (mg/m³), each optional or
        ``None``; optional ``so2_24h``, the 24-h SO2 mean HJ 633 note 2 asks for
        when 1-h SO2 is above 800. Other keys are ignored.

    Returns
    -------
    AqiResult
        ``iaqi`` keyed by pollutant.

    Examples
    --------
    >>> r = hourly_aqi({"pm25": 80, "pm10": 60, "no2": 40})
    >>> r.aqi, r.primary, r.category
    (107, ('pm25',), '轻度污染')
    """
    subs = {p: iaqi(p, readings.get(p), averaging=_HOURLY_AVERAGING[p]) for p in POLLUTANTS}
    so2 = _concentration(readings.get("so2"), "so2")
    if so2 is not None and subs["so2"] is None:
        fallback = readings.get("so2_24h")
        subs["so2"] = iaqi("so2", so2 if _concentration(fallback, "so2_24h") is None
                           else fallback, averaging="24h")
    return _combine(subs, {p: p for p in POLLUTANTS})


def daily_aqi(daily: Mapping[str, Any]) -> AqiResult:
    """AQI of one day from its daily values (HJ 633 daily report).

    Parameters
    ----------
    daily : mapping
        :data:`DAILY_KEYS`: 24-h means ``pm25 pm10 so2 no2 co``, the maximum
        8-h O3 ``o3_8h`` and maximum 1-h O3 ``o3_1h``; missing keys or ``None``
        count as not valid (as :func:`daily_values` leaves short days).

    Returns
    -------
    AqiResult
        ``iaqi`` keyed by indicator; both O3 indicators name ``o3`` as primary.

    Examples
    --------
    >>> daily_aqi({"pm25": 75, "pm10": 150, "o3_8h": 100}).primary
    ('pm25', 'pm10')
    """
    subs = {k: iaqi(p, daily.get(k), averaging=a) for k, (p, a) in _DAILY_INDICATORS.items()}
    return _combine(subs, {k: p for k, (p, _a) in _DAILY_INDICATORS.items()})


def exceeds(daily: Mapping[str, Any]) -> list[str]:
    """Pollutants whose daily value is over its GB 3095-2012 Grade II limit.

    Ozone is judged on ``o3_8h`` (the daily maximum 8-h mean) against 160 µg/m³.

    Examples
    --------
    >>> exceeds({"pm25": 75, "pm10": 150.5, "co": 4.1, "o3_8h": 160})
    ['pm10', 'co']
    """
    out = []
    for p in POLLUTANTS:
        value = _concentration(daily.get("o3_8h" if p == "o3" else p), p)
        if value is not None and value > GRADE_II_24H[p]:
            out.append(p)
    return out


# ---------------------------------------------------------------- frames

def _column(frame: pd.DataFrame, name: str) -> FloatArray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    column = frame[name]
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        column = column.to_numpy(dtype=float, na_value=np.nan)  # fast path, no objects
    return _as_float_array(column, name)


def _primary_lookup(pollutants: Sequence[str]) -> npt.NDArray[np.object_]:
    table = np.empty(1 << len(pollutants), dtype=object)
    for bits in range(len(table)):
        table[bits] = tuple(p for i, p in enumerate(pollutants) if bits >> i & 1)
    return table


_PRIMARY = _primary_lookup(POLLUTANTS)
_NAMES_ZH = np.array([c.name_zh for c in CATEGORIES], dtype=object)
_COLOURS = np.array([c.colour for c in CATEGORIES], dtype=object)
_HIGHS = np.array([c.high for c in CATEGORIES[:-1]], dtype=float)


def _combine_columns(subs: Mapping[str, FloatArray],
                     pollutant_of: Mapping[str, str]) -> dict[str, Any]:
    matrix = np.column_stack(list(subs.values()))
    aqi = np.fmax.reduce(matrix, axis=1)  # NaN only where every sub-index is NaN
    top = (matrix == aqi[:, None]) & (aqi > 50)[:, None]
    bits = np.zeros(len(aqi), dtype=np.int64)
    for j, key in enumerate(subs):
        bits |= top[:, j].astype(np.int64) << POLLUTANTS.index(pollutant_of[key])
    missing = np.isnan(aqi)
    level = np.searchsorted(_HIGHS, np.where(missing, 0, aqi), side="left")
    return {
        "aqi": _int_column(aqi),
        "primary": _PRIMARY[bits],
        "category": _names(_NAMES_ZH, level, missing),
        "colour": _names(_COLOURS, level, missing),
        "level": _int_column(np.where(missing, np.nan, level + 1.0)),
    }


def _names(table: npt.NDArray[np.object_], level: npt.NDArray[np.intp],
           missing: npt.NDArray[np.bool_]) -> npt.NDArray[np.object_]:
    names = table[level]
    names[missing] = None
    return names


def _int_column(values: FloatArray) -> pd.arrays.IntegerArray:
    nan = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(nan, 0, values).astype(np.int64), nan)


def hourly_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Hourly AQI for every row of a frame of readings, vectorised.

    Parameters
    ----------
    frame : DataFrame
        Columns as the ``observations`` table (absent pollutant columns count
        as missing); an optional ``so2_24h`` column as in :func:`hourly_aqi`.

    Returns
    -------
    DataFrame
        A copy with ``iaqi_<pollutant>`` (Int64), ``aqi`` (Int64), ``primary``
        (tuples), ``category`` (Chinese name), ``colour`` (hex) and ``level``
        (1-6) added; each row agrees with :func:`hourly_aqi`.
    """
    subs = {p: iaqi_array(p, _column(frame, p), averaging=_HOURLY_AVERAGING[p])
            for p in POLLUTANTS}
    so2 = _column(frame, "so2")
    above = np.isnan(subs["so2"]) & ~np.isnan(so2)
    if above.any():
        mean_24h = _column(frame, "so2_24h")
        basis = np.where(np.isnan(mean_24h), so2, mean_24h)
        subs["so2"] = np.where(above, iaqi_array("so2", basis, averaging="24h"), subs["so2"])
    out = frame.copy()
    for p, values in subs.items():
        out[f"iaqi_{p}"] = _int_column(values)
    for name, column in _combine_columns(subs, {p: p for p in POLLUTANTS}).items():
        out[name] = column
    return out


def daily_frame(daily: pd.DataFrame) -> pd.DataFrame:
    """Daily AQI and exceedances for every row of :func:`daily_values`' answer.

    Returns
    -------
    DataFrame
        A copy with ``iaqi_<key>`` for each of :data:`DAILY_KEYS`, ``aqi``,
        ``primary``, ``category``, ``colour``, ``level`` (as :func:`hourly_frame`)
        and ``exceeds`` (list of pollutants, as :func:`exceeds`).
    """
    values = {k: _column(daily, k) for k in DAILY_KEYS}
    subs = {k: iaqi_array(p, values[k], averaging=a) for k, (p, a) in _DAILY_INDICATORS.items()}
    out = daily.copy()
    for k, sub in subs.items():
        out[f"iaqi_{k}"] = _int_column(sub)
    pollutant_of = {k: p for k, (p, _a) in _DAILY_INDICATORS.items()}
    for name, column in _combine_columns(subs, pollutant_of).items():
        out[name] = column
    bits = np.zeros(len(daily), dtype=np.int64)
    for i, p in enumerate(POLLUTANTS):
        over = values["o3_8h" if p == "o3" else p] > GRADE_II_24H[p]  # NaN compares False
        bits |= over.astype(np.int64) << i
    out["exceeds"] = [list(t) for t in _PRIMARY[bits]]
    return out


# ---------------------------------------------------------------- daily values

def _hours_table(hours: pd.DataFrame | Iterable[Mapping[str, Any]]) -> tuple[pd.DataFrame, bool]:
    frame = hours if isinstance(hours, pd.DataFrame) else pd.DataFrame(list(hours))
    if "time" not in frame.columns:
        raise InputError("hourly readings need a 'time' column (UTC)")
    try:
        times = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
    except (TypeError, ValueError) as exc:
        raise InputError(f"unreadable time in hourly readings: {exc}") from None
    if times.isna().any():
        raise InputError(f"missing time at position {int(np.flatnonzero(times.isna())[0])}")
    off_hour = times != times.dt.floor("h")
    if off_hour.any():
        raise InputError(f"hourly readings must be on the hour, got {times[off_hour].iloc[0]}")
    station = (frame["station_id"].astype(str) if "station_id" in frame.columns
               else pd.Series("", index=frame.index))
    # Naive UTC from here on: tz-aware columns are many times slower to move.
    table = pd.DataFrame({"station_id": station.to_numpy(),
                          "time": times.dt.tz_convert(None).to_numpy()})
    dup = table.duplicated(["station_id", "time"])
    if dup.any():
        row = table[dup].iloc[0]
        raise InputError(f"two readings for station {row.station_id!r} at {row.time}")
    for p in POLLUTANTS:
        table[p] = _column(frame, p)
    return table, "station_id" in frame.columns


def _o3_max_8h(table: pd.DataFrame) -> pd.Series:
    # One column per station on a gap-free hourly grid, so a rolling window of
    # 8 rows is 8 clock hours; rows are period starts in Beijing time.
    wide = table.pivot(index="start", columns="station_id", values="o3")
    first, last = wide.index.min().floor("D"), wide.index.max().floor("D")
    grid = pd.date_range(first, last + pd.Timedelta(hours=23), freq="h")
    means = wide.reindex(grid).rolling(8, min_periods=O3_8H_MIN_HOURS).mean()
    # The window ending with the period starting at s covers s-7h .. s; it lies
    # inside s's day when s starts at 07:00 or later (17 windows, 08:00-24:00).
    means = means[means.index.hour >= 7]
    day = means.index.normalize()
    best = means.groupby(day).max()
    enough = means.notna().groupby(day).sum() >= O3_8H_MIN_WINDOWS
    valid = best.where(enough | (best > GRADE_II_24H["o3"]))
    valid.index.name = "date"
    return valid.stack().rename("o3_8h")


def daily_values(hours: pd.DataFrame | Iterable[Mapping[str, Any]], *,
                 hour_label: str = "end") -> pd.DataFrame:
    """Daily values of hourly readings, per station and Beijing day.

    Parameters
    ----------
    hours : DataFrame or iterable of mappings
        ``time`` (UTC; ISO 8601 text, or datetimes, naive ones taken as UTC),
        pollutant columns as the ``observations`` table, optional
        ``station_id``. At most one reading per station and hour.
    hour_label : {"end", "start"}
        Whether ``time`` names the end of the hour averaged (the national
        platform's habit, the default) or its start.

    Returns
    -------
    DataFrame
        One row per station (if given) and Beijing ``date`` (datetime.date)
        with any reading: :data:`DAILY_KEYS` (NaN where the day is not valid)
        and ``hours_<pollutant>``, the valid hours counted.

    Examples
    --------
    Beijing 1 May is the hours labelled 01:00 … 24:00 Beijing, that is
    30 April 17:00 … 1 May 16:00 UTC; 20 of them make a valid day:

    >>> times = pd.date_range("2024-04-30T17:00Z", periods=20, freq="h")
    >>> hours = [{"time": t, "pm25": 80.0} for t in times]
    >>> daily_values(hours)[["date", "pm25", "hours_pm25"]].to_dict("records")
    [{'date': datetime.date(2024, 5, 1), 'pm25': 80.0, 'hours_pm25': 20}]
    """
    if hour_label not in ("end", "start"):
        raise InputError(f"hour_label is 'end' or 'start', got {hour_label!r}")
    table, has_station = _hours_table(hours)
    shift = _HOUR if hour_label == "end" else pd.Timedelta(0)
    table["start"] = table["time"] - shift + _BEIJING_OFFSET
    table["date"] = table["start"].dt.normalize()
    groups = table.groupby(["station_id", "date"])
    counts = groups[list(POLLUTANTS)].count()
    out = groups[[p for p in POLLUTANTS if p != "o3"]].mean()
    out["o3_1h"] = groups["o3"].max()
    for p in POLLUTANTS:
        key = "o3_1h" if p == "o3" else p
        out[key] = out[key].where(counts[p] >= DAILY_MIN_HOURS)
    out = out.join(_o3_max_8h(table).swaplevel(), how="left")
    for p in POLLUTANTS:
        out[f"hours_{p}"] = counts[p].astype(np.int64)
    out = out.reset_index()
    out["date"] = out["date"].dt.date
    lead = ["station_id", "date"] if has_station else ["date"]
    return out[lead + list(DAILY_KEYS) + [f"hours_{p}" for p in POLLUTANTS]]
