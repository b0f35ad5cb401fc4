"""Hourly air-quality readings at the stations: checked, imported all or nothing, read back.

Readings arrive as files (:func:`import_observations`, CSV or XLSX as
:mod:`geo.air.observation_files` reads them) or as a live feed of JSON
readings for one station (:func:`record_observations`); both are checked
row by row and written in one transaction (upsert by station and hour), or
not at all when any row is bad. :func:`read_observations` reads a
station's hours back.

Times
-----
Stored in UTC as ISO 8601 (``2026-11-03T00:00:00Z``). A time without an
offset is Beijing time (Asia/Shanghai, UTC+8, no daylight saving since
1991); one with an offset or ``Z`` is taken as it says. The national
platform labels an hour by its *end* (the 08:00 value is the mean of
07:00–08:00); that label is kept as given, converted to UTC, and
:mod:`geo.air.aqi` reads it the same way. ``24:00`` is the next day's
00:00. Readings are hourly: a time off the hour is refused.

Checks (each names the file's own row: header = row 1; reasons in English and Chinese)
---------------------------------------------------------------------------------
* the station: its id, else its name when exactly one station has it;
* the time: readable, on the hour; the same station and hour only once per file;
* readings: numbers (empty, ``-``, ``—``, ``NA`` mean missing), not negative,
  not above :data:`UPPER_BOUNDS` — far above any hourly value recorded
  in China (HJ 633-2012's top IAQI breakpoints are PM2.5 500, PM10 600,
  SO2 1-h 800 (2620 at 24 h), NO2 1-h 3840, O3 1-h 1200 µg/m³, CO 1-h
  150 mg/m³), so a value above them is a fault, not air;
* units: CO is mg/m³; a CO value above 150 is almost surely µg/m³ and is
  refused saying so. A unit in a header's brackets is honoured: ``CO(μg/m³)``
  is divided by 1000, ``PM2.5(mg/m³)`` multiplied by 1000;
* wind: direction 0–360° (the direction the wind comes *from*; compass
  points N, NNE ... and 北, 东北 ... are read too), speed 0–75 m/s.

At most :data:`MAX_LISTED_ROWS` bad rows are listed; the error counts them all.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.air.aqi import hourly_frame
from geo.air.observation_files import ObservationTable, read_table
from geo.errors import ImportRejectedError, InputError, RowError
from geo.io.safety import MAX_UNZIPPED_BYTES
from geo.store.observation_rows import READING_COLUMNS, ObservationRow

if TYPE_CHECKING:
    from geo.store.base import Store

__all__ = [
    "BEIJING",
    "MAX_LISTED_ROWS",
    "POLLUTANTS",
    "UPPER_BOUNDS",
    "ObservationImport",
    "ObservationsRejectedError",
    "hourly_observations",
    "import_observations",
    "parse_bound",
    "parse_hour",
    "read_observations",
    "record_observations",
]

POLLUTANTS = ("pm25", "pm10", "so2", "no2", "o3", "co")
#: Highest value accepted per column (µg/m³; CO mg/m³; wind degrees and m/s).
UPPER_BOUNDS: dict[str, float] = {"pm25": 2000.0, "pm10": 2000.0, "so2": 5000.0,
                                  "no2": 3000.0, "o3": 2000.0, "co": 150.0,
                                  "wd_deg": 360.0, "ws_ms": 75.0}
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
MAX_LISTED_ROWS = 100
_LABELS = {"pm25": "PM2.5", "pm10": "PM10", "so2": "SO2", "no2": "NO2", "o3": "O3", "co": "CO",
           "wd_deg": "wind direction", "ws_ms": "wind speed"}
_LABELS_ZH = {**_LABELS, "wd_deg": "风向", "ws_ms": "风速"}
_UNITS = {c: "µg/m³" for c in POLLUTANTS} | {"co": "mg/m³", "wd_deg": "°", "ws_ms": "m/s"}
_MISSING = {"", "-", "—", "--", "——", "na", "n/a", "null", "none", "nan"}
_FEED_KEYS = {"station_id", "time", *READING_COLUMNS}
# 16 compass points, English and Chinese (the direction the wind comes from)
_POINTS = ("N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW").split()
_COMPASS = {p.lower(): i * 22.5 for i, p in enumerate(_POINTS)} | {
    "北": 0.0, "东北": 45.0, "东": 90.0, "东南": 135.0, "南": 180.0, "西南": 225.0,
    "西": 270.0, "西北": 315.0}
_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2})(?::(\d{1,2}))?"
                   r"(?::(\d{1,2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE)
_CHINESE_TIME = str.maketrans({"年": "-", "月": "-", "日": " ", "时": ":", "点": ":",
                               "分": "", "/": "-", ".": "-"})


def _bi(en: str, zh: str) -> str:
    return f"{en} / {zh}"


class ObservationsRejectedError(ImportRejectedError):
    """Readings refused because of bad rows (nothing written); ``total`` counts them all.

    ``rows`` lists at most :data:`MAX_LISTED_ROWS` of them.
    """

    def __init__(self, rows: list[RowError], *, total: int, accepted: int = 0) -> None:
        super().__init__(rows[:MAX_LISTED_ROWS], accepted=accepted)
        self.total = total
        listed = f" (the first {MAX_LISTED_ROWS} listed)" if total > MAX_LISTED_ROWS else ""
        first = f"; first: row {rows[0].row}: {rows[0].reason}" if rows else ""
        self.args = (f"{total} row(s) rejected{listed}, nothing imported{first}",)


@dataclass(frozen=True)
class ObservationImport:
    """What an import or a feed did (or, for a dry run, would do)."""

    rows: int
    inserted: int
    updated: int
    dry_run: bool
    stations: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()


# -- times ------------------------------------------------------------------------------


def _moment(value: Any, *, what: str) -> dt.datetime:
    """Return an aware datetime from a cell: naive text or datetime is Beijing time."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=BEIJING)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=BEIJING)
    text = " ".join(str(value).translate(_CHINESE_TIME).split()).replace(": ", " ").rstrip(":")
    found = _TIME.fullmatch(text)
    if found is None:
        raise ValueError(_bi(f"{what} {value!r} is not a date and time (e.g. 2026-11-03 08:00)",
                             f"{what} {value!r} 不是日期时间（例如 2026-11-03 08:00）"))
    year, month, day, hour, minute, second = (int(g or 0) for g in found.groups()[:6])
    zone = found.group(7)
    try:
        base = dt.datetime(year, month, day, tzinfo=_zone(zone))
    except ValueError:
        raise ValueError(_bi(f"{what} {value!r} is not a real date",
                             f"{what} {value!r} 不是有效日期")) from None
    if hour > 24 or minute > 59 or second > 59 or (hour == 24 and minute + second > 0):
        raise ValueError(_bi(f"{what} {value!r} is not a time of day",
                             f"{what} {value!r} 不是有效的时刻"))
    return base + dt.timedelta(hours=hour, minutes=minute, seconds=second)


def _zone(text: str | None) -> dt.tzinfo:
    if text is None:
        return BEIJING
    if text.upper() == "Z":
        return dt.UTC
    digits = text[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return dt.timezone(-offset if text[0] == "-" else offset)


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_hour(value: Any) -> str:
    """Return the UTC ISO 8601 label of an hourly reading's time (naive = Beijing time).

    Raises
    ------
    ValueError
        For an unreadable time or one off the hour; the message is in English and Chinese.

    Examples
    --------
    >>> parse_hour("2026-11-03 08:00")
    '2026-11-03T00:00:00Z'
    >>> parse_hour("2026/11/03 24:00")
    '2026-11-03T16:00:00Z'
    >>> parse_hour("2026-11-03T08:00:00Z")
    '2026-11-03T08:00:00Z'
    """
    moment = _moment(value, what="time")
    if moment.minute or moment.second or moment.microsecond:
        raise ValueError(_bi(f"time {value!r} is not on the hour (readings are hourly)",
                             f"时间 {value!r} 不是整点（数据应为小时值）"))
    return _utc_text(moment)


def parse_bound(text: str, *, what: str = "start") -> str:
    """Return a query bound (a date or a date and time; naive = Beijing) as UTC ISO text.

    Raises
    ------
    InputError
        For a value that is not a date or date and time.

    Examples
    --------
    >>> parse_bound("2026-11-03")
    '2026-11-02T16:00:00Z'
    """
    try:
        return _utc_text(_moment(text, what=what))
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _date_and_hour(date: Any, hour: Any) -> str:
    day = _moment(date, what="date")
    text = str(hour).strip().translate(_CHINESE_TIME).rstrip(":").removesuffix(":00")
    if not text.isdigit() or int(text) > 24:
        raise ValueError(_bi(f"hour {hour!r} is not a whole hour 0–24",
                             f"小时 {hour!r} 不是 0–24 的整点"))
    return _utc_text(day.replace(hour=0, minute=0, second=0) + dt.timedelta(hours=int(text)))


# -- values -----------------------------------------------------------------------------


def _number(value: Any, column: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(_bi(f"{_LABELS[column]} {value!r} is not a number",
                             f"{_LABELS_ZH[column]} {value!r} 不是数字"))
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _MISSING:
            return None
        if column == "wd_deg" and text.removesuffix("风").lower() in _COMPASS:
            return _COMPASS[text.removesuffix("风").lower()]
        try:
            value = float(text)
        except ValueError:
            raise ValueError(_bi(f"{_LABELS[column]} {text!r} is not a number",
                                 f"{_LABELS_ZH[column]} {text!r} 不是数字")) from None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(_bi(f"{_LABELS[column]} {value!r} is not a finite number",
                             f"{_LABELS_ZH[column]} {value!r} 不是有限的数"))
    return number


def _plain_number(value: Any) -> float | None:
    """Return a cell that is plainly a finite number as a float, else None (the fast path)."""
    if type(value) is str:
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _value_problem(column: str, value: float) -> str | None:
    """Return why a reading is refused (negative, impossible, unit-confused), or None."""
    label, label_zh, unit = _LABELS[column], _LABELS_ZH[column], _UNITS[column]
    top = UPPER_BOUNDS[column]
    if value < 0:
        return _bi(f"{label} {value:g} is negative", f"{label_zh} {value:g} 为负值")
    if column == "co" and value > top:
        return _bi(f"CO {value:g} looks like µg/m³: CO is given in mg/m³ "
                   f"({value:g} µg/m³ = {value / 1000:g} mg/m³)",
                   f"CO {value:g} 像是以 µg/m³ 为单位：CO 应以 mg/m³ 填写"
                   f"（{value:g} µg/m³ = {value / 1000:g} mg/m³）")
    if column == "wd_deg" and value > top:
        return _bi(f"wind direction {value:g}° is outside 0–360°",
                   f"风向 {value:g}° 超出 0–360° 的范围")
    if value > top:
        return _bi(f"{label} {value:g} {unit} is above {top:g} {unit}, not a possible reading",
                   f"{label_zh} {value:g} {unit} 超过 {top:g} {unit}，不可能是实测值")
    return None


def _unit_factor(column: str, unit: str | None, *, name: str) -> float:
    """Return what a column's values are multiplied by to reach the stored unit.

    A negative factor means "divide by its opposite" (µg to mg: -1000), so
    700 µg/m³ reads 0.7 mg/m³ exactly, not 0.7000000000000001.
    """
    if unit is None or column not in POLLUTANTS:
        return 1.0
    folded = unit.lower().replace(" ", "").replace("μ", "u").replace("µ", "u").replace("^", "")
    kind = {"ug/m3": "ug", "ugm-3": "ug", "mg/m3": "mg", "mgm-3": "mg"}.get(folded)
    if kind is None:
        raise InputError(_bi(f"{name}: unknown unit {unit!r} for {_LABELS[column]} "
                             "(µg/m³ or mg/m³)",
                             f"{name}：{_LABELS[column]} 的单位 {unit!r} 无法识别"
                             "（应为 µg/m³ 或 mg/m³）"))
    stored = "mg" if column == "co" else "ug"
    if kind == stored:
        return 1.0
    return -1000.0 if kind == "ug" else 1000.0


# -- stations ---------------------------------------------------------------------------


class _Stations:
    """Station ids, and the ids behind each name (a name is looked up when no id matches)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.ids = {str(i) for i in frame["id"]}
        self.by_name: dict[str, list[str]] = {}
        for fid, name in zip(frame["id"], frame["name"], strict=True):
            if name is not None:
                self.by_name.setdefault(str(name).strip(), []).append(str(fid))

    def resolve(self, value: Any) -> str:
        text = "" if value is None else str(value).strip()
        if not text:
            raise ValueError(_bi("no station", "缺少监测点"))
        if text in self.ids:
            return text
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0]
        if named:
            raise ValueError(_bi(f"station name {text!r} is shared by {', '.join(named)}; "
                                 "give the id", f"监测点名称 {text!r} 对应多个监测点"
                                 f"（{'、'.join(named)}），请填写编号"))
        raise ValueError(_bi(f"unknown station {text!r}", f"未知监测点 {text!r}"))


# -- checking rows ----------------------------------------------------------------------


@dataclass
class _Checker:
    """Checks rows one by one, keeping the good ones and the reasons for the bad."""

    stations: _Stations
    factors: dict[str, float] = field(default_factory=dict)
    good: list[ObservationRow] = field(default_factory=list)
    bad: list[RowError] = field(default_factory=list)
    seen: dict[tuple[str, str], int] = field(default_factory=dict)
    times: dict[Any, str | ValueError] = field(default_factory=dict)
    rejected: int = 0  # every bad row, listed or not

    def check(self, number: int, station: Any, time: Any, cells: Mapping[str, Any]) -> None:
        """Check one row (``time`` is a cell, or a label already in UTC ISO text)."""
        problems: list[str] = []
        sid = self._attempt(problems, self.stations.resolve, station)
        label = self._attempt(problems, self._hour, time)
        readings = [self._reading(problems, c, cells.get(c)) for c in READING_COLUMNS]
        if sid is not None and label is not None:
            earlier = self.seen.setdefault((sid, label), number)
            if earlier != number:
                problems.append(_bi(f"station {sid} hour {label} is also on row {earlier}",
                                    f"监测点 {sid} 的 {label} 时段与第 {earlier} 行重复"))
        if problems:
            self.refuse(number, "; ".join(problems))
        else:
            self.good.append((sid, label, *readings))

    def refuse(self, number: int, reason: str) -> None:
        """Count a bad row; keep its reason while the list is short."""
        self.rejected += 1
        if len(self.bad) < MAX_LISTED_ROWS:
            self.bad.append(RowError(number, reason))

    def _hour(self, value: Any) -> str:
        if isinstance(value, _Unreadable):
            raise ValueError(str(value))
        key = value if isinstance(value, str | dt.datetime) else repr(value)
        known = self.times.get(key)
        if known is None:
            try:
                known = parse_hour(value)
            except ValueError as exc:
                known = exc
            self.times[key] = known
        if isinstance(known, ValueError):
            raise known
        return known

    def _reading(self, problems: list[str], column: str, value: Any) -> float | None:
        number = _plain_number(value)
        if number is None:  # not a plain number: missing, compass text, or bad
            number = self._attempt(problems, _number, value, column)
            if number is None:
                return None
        factor = self.factors.get(column, 1.0)
        if factor != 1.0:
            number = number * factor if factor > 0 else number / -factor
        if not 0.0 <= number <= UPPER_BOUNDS[column]:  # the common case skips the reasons
            problem = _value_problem(column, number)
            if problem is not None:
                problems.append(problem)
        return number

    @staticmethod
    def _attempt(problems: list[str], func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except ValueError as exc:
            problems.append(str(exc))
            return None

    def finish(self) -> list[ObservationRow]:
        """Return the good rows, or raise with every bad one (nothing is written)."""
        if self.bad:
            raise ObservationsRejectedError(self.bad, total=self.rejected,
                                            accepted=len(self.good))
        return self.good


def _table_rows(table: ObservationTable, stations: _Stations) -> list[ObservationRow]:
    columns = table.columns
    if "station_id" not in columns or not ({"time", "date"} & set(columns)):
        found = ", ".join(columns) or "none"
        raise InputError(_bi(f"{table.name}: needs a station column (station_id / 监测点) and a "
                             f"time column (time / 时间); recognised: {found}",
                             f"{table.name}：需要监测点列和时间列；已识别：{found}"))
    checker = _Checker(stations, factors={c: _unit_factor(c, u, name=table.name)
                                          for c, u in table.units.items()})
    for number, cells in table.rows:
        values = {name: cells[pos] if pos < len(cells) else "" for name, pos in columns.items()}
        checker.check(number, values["station_id"], _row_time(values), values)
    return checker.finish()


def _row_time(values: Mapping[str, Any]) -> Any:
    time, date, hour = values.get("time"), values.get("date"), values.get("hour")
    if time not in (None, ""):
        if date not in (None, "") and isinstance(time, str) and re.fullmatch(
                r"\s*\d{1,2}(:\d{2}){0,2}\s*", time):
            return f"{date} {time}"  # a date column and a clock time
        return time
    if date not in (None, "") and hour not in (None, ""):
        try:
            return _date_and_hour(date, hour)
        except ValueError as exc:
            return _Unreadable(str(exc))
    return date if date not in (None, "") else _Unreadable(_bi("no time", "缺少时间"))


class _Unreadable(str):
    """A time already known to be bad: :func:`parse_hour` refuses it with its own reason."""


# -- the public operations ----------------------------------------------------------------


def import_observations(
    store: Store, path: Path, *, dry_run: bool = False,
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES,
) -> ObservationImport:
    """Import a CSV or XLSX file of hourly readings, all rows or none (upsert by station+hour).

    Parameters
    ----------
    store : Store
        Where the stations are and the readings go.
    path : Path
        A ``.csv`` or ``.xlsx`` file (see :mod:`geo.air.observation_files`).
    dry_run : bool
        Check every row and count what would be inserted and updated; write nothing.

    Raises
    ------
    ObservationsRejectedError
        When any row is bad: every bad row with its number and reason; nothing written.
    InputError
        For an unreadable file or one without station and time columns.

    Examples
    --------
    >>> report = import_observations(store, Path("m003.csv"))  # doctest: +SKIP
    >>> report.inserted, report.updated  # doctest: +SKIP
    (720, 0)
    """
    table = read_table(path, max_unzipped_bytes=max_unzipped_bytes)
    rows = _table_rows(table, _Stations(store.read("stations")))
    if not rows:
        raise InputError(_bi(f"{path.name}: no readings under the header",
                             f"{path.name}：表头下没有数据"))
    inserted, updated = store.observations.upsert(rows, dry_run=dry_run)
    return ObservationImport(len(rows), inserted, updated, dry_run,
                             stations=tuple(sorted({r[0] for r in rows})),
                             ignored_columns=tuple(table.ignored))


def record_observations(
    store: Store, station_id: str, readings: Sequence[Any], *, dry_run: bool = False
) -> ObservationImport:
    """Store a live feed's readings for one station (JSON objects), all or none.

    Each reading is an object with ``time`` and any of ``pm25 pm10 so2 no2
    o3 co wd_deg ws_ms`` (numbers or null), optionally ``station_id`` (which
    must be the station's); rows are numbered 1, 2, ... in list order.

    Raises
    ------
    NotFoundError
        For an unknown station.
    ObservationsRejectedError
        When any reading is bad (nothing written).
    """
    sid = str(store.get("stations", station_id).id)
    checker = _Checker(_Stations(pd.DataFrame({"id": [sid], "name": [None]})))
    for number, item in enumerate(readings, start=1):
        problem = _feed_problem(item, sid)
        if problem is not None:
            checker.refuse(number, problem)
            continue
        checker.check(number, sid, item.get("time"), item)
    rows = checker.finish()
    inserted, updated = store.observations.upsert(rows, dry_run=dry_run)
    return ObservationImport(len(rows), inserted, updated, dry_run, stations=(sid,))


def _feed_problem(item: Any, station_id: str) -> str | None:
    if not isinstance(item, Mapping):
        return _bi("a reading must be a JSON object", "每条读数应为 JSON 对象")
    unknown = sorted(set(map(str, item)) - _FEED_KEYS)
    if unknown:
        return _bi(f"unknown fields {', '.join(unknown)} (expected time, "
                   f"{', '.join(READING_COLUMNS)})", f"未知字段 {'、'.join(unknown)}")
    given = item.get("station_id")
    if given is not None and str(given) != station_id:
        return _bi(f"station_id {given!r} is not this station ({station_id})",
                   f"station_id {given!r} 与本监测点（{station_id}）不符")
    if item.get("time") in (None, ""):
        return _bi("no time", "缺少时间")
    return None


def read_observations(
    store: Store, station_id: str, *, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """Return a station's hours with ``start <= time < end``, ordered by time.

    ``start`` and ``end`` are dates or dates and times (naive = Beijing
    time). The frame has ``station_id``, ``time`` (UTC ISO 8601 text) and
    the readings as floats (NaN when missing).

    Raises
    ------
    NotFoundError
        For an unknown station.
    InputError
        For an unreadable bound, or ``end`` before ``start``.
    """
    sid = str(store.get("stations", station_id).id)
    low = None if start in (None, "") else parse_bound(str(start), what="start")
    high = None if end in (None, "") else parse_bound(str(end), what="end")
    if low is not None and high is not None and high < low:
        raise InputError(_bi(f"end {end} is before start {start}",
                             f"结束时间 {end} 早于开始时间 {start}"))
    return store.observations.read(sid, start=low, end=high)


def hourly_observations(
    store: Store, station_id: str, *, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """Return :func:`read_observations` with each hour's AQI (:func:`geo.air.aqi.hourly_frame`).

    Adds ``iaqi_<pollutant>``, ``aqi``, ``primary``, ``category``, ``colour``
    and ``level`` per hour (HJ 633-2012, the national real-time practice).
    """
    return hourly_frame(read_observations(store, station_id, start=start, end=end))
