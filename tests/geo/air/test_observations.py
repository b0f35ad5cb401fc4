"""Hourly readings on both stores: files and feeds checked row by row, all or nothing, read back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from shapely.geometry import Point

from geo import writes
from geo.air.observation_files import match_header
from geo.air.observations import (
    MAX_LISTED_ROWS,
    ObservationsRejectedError,
    hourly_observations,
    import_observations,
    parse_bound,
    parse_hour,
    read_observations,
    record_observations,
)
from geo.errors import InputError, NotFoundError, ValidationError
from geo.ledger import Feature
from geo.store import Store

HEADER = "station_id,time,pm25,pm10,so2,no2,o3,co,wd_deg,ws_ms\n"


@pytest.fixture
def stations(store: Store) -> Store:
    """The test store with stations M-1 (监测点一) and M-2 (监测点二)."""
    for fid, name, lon in (("M-1", "监测点一", 113.60), ("M-2", "监测点二", 113.65)):
        writes.create(store, "stations", Feature(fid, {"name": name, "radius_m": 3000.0},
                                                 Point(lon, 34.75)), actor="test")
    return store


def _csv(tmp_path: Path, text: str, *, name: str = "obs.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _rejected(store: Store, path: Path) -> ObservationsRejectedError:
    with pytest.raises(ObservationsRejectedError) as caught:
        import_observations(store, path)
    assert store.observations.count() == 0  # all or nothing
    return caught.value


# -- round trip and upsert ----------------------------------------------------------------


def test_round_trip_converts_naive_beijing_times_to_utc(stations: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + "M-1,2026-11-03 08:00,35,60,5,20,40,0.6,45,1.5\n"
                                   "M-1,2026-11-03 09:00,,,,,,,,\n")
    report = import_observations(stations, path)
    assert (report.rows, report.inserted, report.updated) == (2, 2, 0)
    frame = read_observations(stations, "M-1")
    assert frame["time"].tolist() == ["2026-11-03T00:00:00Z", "2026-11-03T01:00:00Z"]
    first = frame.iloc[0]
    assert (first.pm25, first.pm10, first.so2, first.no2, first.o3, first.co,
            first.wd_deg, first.ws_ms) == (35, 60, 5, 20, 40, 0.6, 45, 1.5)
    assert frame.iloc[1][["pm25", "co", "ws_ms"]].isna().all()  # missing stays missing


def test_same_station_and_hour_again_is_an_update(stations: Store, tmp_path: Path) -> None:
    import_observations(stations, _csv(tmp_path, HEADER + "M-1,2026-11-03 08:00,35,,,,,,,\n"))
    again = _csv(tmp_path, HEADER + "M-1,2026-11-03T00:00:00Z,50,,,,,,,\n"
                                    "M-2,2026-11-03 08:00,10,,,,,,,\n", name="b.csv")
    report = import_observations(stations, again)
    assert (report.inserted, report.updated) == (1, 1)
    assert stations.observations.count() == 2 and stations.observations.count("M-1") == 1
    assert read_observations(stations, "M-1")["pm25"].tolist() == [50.0]


def test_dry_run_counts_and_writes_nothing(stations: Store, tmp_path: Path) -> None:
    import_observations(stations, _csv(tmp_path, HEADER + "M-1,2026-11-03 08:00,35,,,,,,,\n"))
    token = stations.change_token()
    path = _csv(tmp_path, HEADER + "M-1,2026-11-03 08:00,99,,,,,,,\n"
                                   "M-1,2026-11-03 09:00,99,,,,,,,\n", name="b.csv")
    report = import_observations(stations, path, dry_run=True)
    assert (report.inserted, report.updated, report.dry_run) == (1, 1, True)
    assert stations.observations.count() == 1
    assert read_observations(stations, "M-1")["pm25"].tolist() == [35.0]
    assert stations.change_token() == token


def test_an_import_changes_the_change_token(stations: Store, tmp_path: Path) -> None:
    token = stations.change_token()
    import_observations(stations, _csv(tmp_path, HEADER + "M-1,2026-11-03 08:00,35,,,,,,,\n"))
    assert stations.change_token() != token


def test_read_window_is_start_inclusive_end_exclusive(stations: Store) -> None:
    readings = [{"time": f"2026-11-03 {h:02d}:00", "pm25": float(h)} for h in range(8, 14)]
    record_observations(stations, "M-1", readings)
    frame = read_observations(stations, "M-1", start="2026-11-03 09:00", end="2026-11-03 12:00")
    assert frame["pm25"].tolist() == [9.0, 10.0, 11.0]
    assert read_observations(stations, "M-2").empty
    with pytest.raises(NotFoundError):
        read_observations(stations, "M-404")
    with pytest.raises(InputError, match="before start"):
        read_observations(stations, "M-1", start="2026-11-04", end="2026-11-03")


def test_hourly_observations_add_the_aqi(stations: Store) -> None:
    record_observations(stations, "M-1", [{"time": "2026-11-03 08:00", "pm25": 75, "pm10": 20}])
    hour = hourly_observations(stations, "M-1").iloc[0]
    assert (hour.iaqi_pm25, hour.aqi, hour.primary, hour.category) == (100, 100, ("pm25",), "良")


def test_an_old_store_gets_the_table_on_open(stations: Store) -> None:
    record_observations(stations, "M-1", [{"time": "2026-11-03 08:00", "pm25": 1}])
    with stations.transaction() as tx:
        conn = tx._conn  # type: ignore[attr-defined]
        target = "observations" if stations.url.endswith(".gpkg") else \
            f'"{stations.schema}".observations'  # type: ignore[attr-defined]
        conn.execute(f"DROP TABLE {target}")
    stations.init_schema()
    assert stations.observations.count() == 0


def test_the_store_refuses_one_hour_twice(stations: Store) -> None:
    row = ("M-1", "2026-11-03T00:00:00Z", 1.0, None, None, None, None, None, None, None)
    with pytest.raises(ValidationError, match="given twice"):
        stations.observations.upsert([row, row])
    assert stations.observations.count() == 0


# -- rows refused -------------------------------------------------------------------------


def test_one_bad_row_writes_nothing_and_is_named(stations: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + "M-1,2026-11-03 08:00,35,,,,,,,\n"
                                   "M-1,2026-11-03 09:00,-3,,,,,,,\n"
                                   "M-1,2026-11-03 10:00,36,,,,,,,\n")
    error = _rejected(stations, path)
    assert [r.row for r in error.rows] == [3]  # the header is row 1
    assert "PM2.5 -3 is negative" in error.rows[0].reason and "负值" in error.rows[0].reason


@pytest.mark.parametrize(("cells", "reason"), [
    ("M-9,2026-11-03 08:00,35,,,,,,,", "unknown station 'M-9'"),
    ("M-1,2026-11-03 08:30,35,,,,,,,", "not on the hour"),
    ("M-1,2026-13-03 08:00,35,,,,,,,", "not a real date"),
    ("M-1,yesterday,35,,,,,,,", "not a date and time"),
    ("M-1,2026-11-03 08:00,2000.1,,,,,,,", "PM2.5 2000.1 µg/m³ is above 2000"),
    ("M-1,2026-11-03 08:00,,2001,,,,,,", "PM10 2001"),
    ("M-1,2026-11-03 08:00,,,5001,,,,,", "SO2 5001"),
    ("M-1,2026-11-03 08:00,,,,3001,,,,", "NO2 3001"),
    ("M-1,2026-11-03 08:00,,,,,2001,,,", "O3 2001"),
    ("M-1,2026-11-03 08:00,,,,,,850,,", "CO 850 looks like µg/m³"),
    ("M-1,2026-11-03 08:00,,,,,,,360.5,", "outside 0–360"),
    ("M-1,2026-11-03 08:00,,,,,,,-1,", "wind direction -1 is negative"),
    ("M-1,2026-11-03 08:00,,,,,,,,75.1", "wind speed 75.1 m/s is above 75"),
    ("M-1,2026-11-03 08:00,abc,,,,,,,", "PM2.5 'abc' is not a number"),
    ("M-1,2026-11-03 08:00,inf,,,,,,,", "not a finite number"),
], ids=["station", "off-hour", "date", "time", "pm25", "pm10", "so2", "no2", "o3", "co-unit",
        "wd-high", "wd-negative", "ws-high", "text", "inf"])
def test_bad_values_are_refused_with_the_reason(stations: Store, tmp_path: Path, cells: str,
                                                reason: str) -> None:
    error = _rejected(stations, _csv(tmp_path, HEADER + cells + "\n"))
    assert error.rows[0].row == 2 and reason in error.rows[0].reason, error.rows[0].reason


def test_values_at_the_bounds_are_accepted(stations: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + "M-1,2026-11-03 08:00,2000,2000,5000,3000,2000,150,360,75\n"
                                   "M-1,2026-11-03 09:00,0,0,0,0,0,0,0,0\n")
    assert import_observations(stations, path).inserted == 2


def test_the_unit_confusion_says_what_it_means(stations: Store, tmp_path: Path) -> None:
    error = _rejected(stations, _csv(tmp_path, HEADER + "M-1,2026-11-03 08:00,,,,,,850,,\n"))
    assert error.rows[0].reason == (
        "CO 850 looks like µg/m³: CO is given in mg/m³ (850 µg/m³ = 0.85 mg/m³) / "
        "CO 850 像是以 µg/m³ 为单位：CO 应以 mg/m³ 填写（850 µg/m³ = 0.85 mg/m³）")


def test_duplicate_station_hours_in_a_file_are_refused(stations: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + "M-1,2026-11-03 08:00,35,,,,,,,\n"
                                   "监测点一,2026-11-03T00:00:00Z,36,,,,,,,\n")
    error = _rejected(stations, path)
    assert [r.row for r in error.rows] == [3] and "also on row 2" in error.rows[0].reason


def test_the_list_of_bad_rows_is_capped_and_counted(stations: Store, tmp_path: Path) -> None:
    body = "".join(f"M-1,2026-11-03 08:00,{-i - 1},,,,,,,\n" for i in range(150))
    error = _rejected(stations, _csv(tmp_path, HEADER + body))
    assert len(error.rows) == MAX_LISTED_ROWS and error.total == 150
    assert str(error).startswith("150 row(s) rejected (the first 100 listed)")


def test_a_file_without_a_time_column_is_refused(stations: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="needs a station column"):
        import_observations(stations, _csv(tmp_path, "station_id,pm25,pm10\nM-1,3,4\n"))


# -- the shapes files come in -------------------------------------------------------------


def test_chinese_headers_with_units_names_and_gb18030(stations: Store, tmp_path: Path) -> None:
    text = ("郑州市空气质量小时数据\n"
            "监测点,监测时间,PM2.5(μg/m³),PM10（μg/m³）,SO₂,NO2,O3,CO(μg/m³),风向,风速(m/s),AQI\n"
            "监测点一,2026年11月03日 08时,35,60,5,20,40,600,东北,1.5,50\n"
            "M-2,2026/11/03 09:00,—,60,5,20,40,700,90,1.5,50\n")
    path = _csv(tmp_path, text, encoding="gb18030")
    report = import_observations(stations, path)
    assert report.inserted == 2 and report.ignored_columns == ("AQI",)
    one = read_observations(stations, "M-1").iloc[0]
    assert (one.time, one.pm25, one.co, one.wd_deg) == ("2026-11-03T00:00:00Z", 35, 0.6, 45)
    two = read_observations(stations, "M-2").iloc[0]
    assert two.time == "2026-11-03T01:00:00Z" and two.pm25 != two.pm25 and two.co == 0.7


def test_a_date_and_an_hour_column(stations: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, "\ufeff站点,日期,小时,PM2.5\nM-1,2026-11-03,24,35\nM-1,2026-11-03,1,30\n")
    import_observations(stations, path)
    assert read_observations(stations, "M-1")["time"].tolist() == [
        "2026-11-02T17:00:00Z", "2026-11-03T16:00:00Z"]


def test_xlsx_with_datetime_cells(stations: Store, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["站点名称", "时间", "PM2.5", "CO"])
    sheet.append(["监测点二", dt.datetime(2026, 11, 3, 8), 35, 0.6])
    sheet.append(["M-1", "2026-11-03T08:00:00+08:00", 36, -1])
    path = tmp_path / "obs.xlsx"
    book.save(path)
    error = _rejected(stations, path)
    assert [r.row for r in error.rows] == [3] and "CO -1 is negative" in error.rows[0].reason
    sheet.delete_rows(3)
    book.save(path)
    import_observations(stations, path)
    assert read_observations(stations, "M-2")["time"].tolist() == ["2026-11-03T00:00:00Z"]


def test_other_formats_are_refused(stations: Store, tmp_path: Path) -> None:
    path = tmp_path / "obs.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError, match="CSV or XLSX"):
        import_observations(stations, path)


# -- the live feed --------------------------------------------------------------------------


def test_the_feed_checks_every_reading(stations: Store) -> None:
    readings = [{"time": "2026-11-03 08:00", "pm25": 35}, {"time": "2026-11-03 09:00",
                                                           "pm2.5": 3}, "x",
                {"time": "2026-11-03 10:00", "station_id": "M-2"}, {"pm25": 1},
                {"time": "2026-11-03 11:00", "pm25": True}]
    with pytest.raises(ObservationsRejectedError) as caught:
        record_observations(stations, "M-1", readings)
    assert [r.row for r in caught.value.rows] == [2, 3, 4, 5, 6]
    assert "unknown fields pm2.5" in caught.value.rows[0].reason
    assert stations.observations.count() == 0
    with pytest.raises(NotFoundError):
        record_observations(stations, "M-404", readings[:1])


def test_the_feed_upserts(stations: Store) -> None:
    first = record_observations(stations, "M-1", [{"time": "2026-11-03T00:00:00Z", "pm25": 3}])
    again = record_observations(stations, "M-1", [{"time": "2026-11-03 08:00", "pm25": 4},
                                                  {"time": "2026-11-03 09:00", "pm25": None}])
    assert (first.inserted, again.inserted, again.updated) == (1, 1, 1)
    assert read_observations(stations, "M-1")["pm25"].tolist()[0] == 4.0


# -- pure helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "utc"), [
    ("2026-11-03 08:00", "2026-11-03T00:00:00Z"),
    ("2026-11-03 08:00:00", "2026-11-03T00:00:00Z"),
    ("2026-11-03T08:00:00+08:00", "2026-11-03T00:00:00Z"),
    ("2026-11-03T08:00:00Z", "2026-11-03T08:00:00Z"),
    ("2026-11-03 08:00-05:00", "2026-11-03T13:00:00Z"),
    ("2026-11-03 00:00", "2026-11-02T16:00:00Z"),
    ("2026-11-03 24:00", "2026-11-03T16:00:00Z"),
    ("2026年11月3日 8时", "2026-11-03T00:00:00Z"),
    (dt.datetime(2026, 11, 3, 8), "2026-11-03T00:00:00Z"),
    (dt.datetime(2026, 11, 3, 8, tzinfo=dt.UTC), "2026-11-03T08:00:00Z"),
], ids=["naive", "seconds", "offset", "utc", "west", "midnight", "24h", "chinese", "cell",
        "aware-cell"])
def test_parse_hour(given: object, utc: str) -> None:
    assert parse_hour(given) == utc


@pytest.mark.parametrize("bad", ["2026-11-03 08:01", "2026-11-03 24:30", "2026-11-03 25:00",
                                 "03/11/2026 08:00", ""])
def test_parse_hour_refuses(bad: str) -> None:
    with pytest.raises(ValueError, match=" / "):
        parse_hour(bad)


def test_parse_bound_takes_dates_as_beijing_midnight() -> None:
    assert parse_bound("2026-11-03") == "2026-11-02T16:00:00Z"
    with pytest.raises(InputError):
        parse_bound("soon")


@pytest.mark.parametrize(("header", "expected"), [
    ("PM2.5(μg/m³)", ("pm25", "μg/m3")), ("pm_2.5", ("pm25", None)), ("SO₂", ("so2", None)),
    ("CO（mg/m³）", ("co", "mg/m3")), ("点位名称", ("station_id", None)),
    ("Wind Speed", ("ws_ms", None)), ("AQI", None),
])
def test_match_header(header: str, expected: object) -> None:
    assert match_header(header) == expected
