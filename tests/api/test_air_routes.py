"""The air-quality read routes on both stores, over readings with a planted source.

A month of hourly PM2.5 at station M-1 is synthesised from the Gaussian plume
of one industrial source at a known bearing (:mod:`geo.air.plume`, seeded
winds and noise); three other sources sit at other bearings and emit nothing.
The daily route must agree with :mod:`geo.air.aqi`, the rose must point at
the planted bearing, the attribution and the alerts must name the planted
source first, and moving it must move the answer.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pyproj import Geod
from shapely import Point

from geo import writes
from geo.air.aqi import daily_frame, daily_values
from geo.air.observations import record_observations
from geo.air.plume import random_winds, synthesise
from geo.air.rose import sector_index
from geo.ledger import Feature
from tests._support import ledger as ledger_support
from tests._support.ledger import STATION, Ledger
from tests._support.stores import STORE_KINDS, make_store

PROBLEM = "application/problem+json"
WINDOW = "start=2026-11-01&end=2026-12-01"
FIRST_LABEL = "2026-10-31T17:00:00Z"  # Beijing 1 Nov 01:00: the first hour of 1 November
HOURS = 30 * 24
PLANTED = "P-1"
_GEOD = Geod(ellps="WGS84")
# (id, category, bearing from the station in degrees, distance m): these emit nothing
OTHERS = (("Q-bbq", "bbq", 20.0, 800.0), ("Q-site", "construction_site", 200.0, 1500.0),
          ("Q-food", "catering", 250.0, 2000.0))


def _at(bearing_deg: float, distance_m: float) -> tuple[float, float]:
    lon, lat, _ = _GEOD.fwd(STATION[0], STATION[1], bearing_deg, distance_m)
    return float(lon), float(lat)


def _add_source(store, fid: str, category: str, bearing_deg: float, distance_m: float) -> None:
    writes.create(store, "sources", Feature(fid, {"name": fid, "category": category},
                                            Point(*_at(bearing_deg, distance_m))), actor="test")


def _plant(store, bearing_deg: float) -> pd.DataFrame:
    """Add the sources and a month of M-1 readings; return the winds used."""
    _add_source(store, PLANTED, "industrial", bearing_deg, 1200.0)
    for fid, category, bearing, distance in OTHERS:
        _add_source(store, fid, category, bearing, distance)
    winds = random_winds(FIRST_LABEL, HOURS, seed=15)
    lon, lat = _at(bearing_deg, 1200.0)
    emitter = pd.DataFrame({"lon": [lon], "lat": [lat], "emission_gs": [70.0]})
    pm25 = synthesise(emitter, STATION, winds, background_ugm3=40, noise_sd=5, seed=3)
    times = winds.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    readings = [{"time": t, "pm25": round(float(c), 1), "no2": 30.0, "wd_deg": float(wd),
                 "ws_ms": float(ws)}
                for t, c, wd, ws in zip(times, pm25, winds["wd_deg"], winds["ws_ms"],
                                        strict=True)]
    record_observations(store, "M-1", readings)
    return winds


@pytest.fixture(params=STORE_KINDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    for store in make_store(request.param, tmp_path):
        built = ledger_support.build(store)
        with built.client:
            yield built


@pytest.fixture(params=[135.0, 300.0], ids=["SE", "WNW"])
def bearing(request: pytest.FixtureRequest) -> float:
    """Where the planted source lies from the station: moving it must move the answer."""
    return float(request.param)


@pytest.fixture
def planted(ledger: Ledger, bearing: float) -> Ledger:
    _plant(ledger.store, bearing)
    return ledger


def _expected_days(ledger: Ledger) -> pd.DataFrame:
    hours = ledger.store.observations.read("M-1")
    return daily_frame(daily_values(hours))


def test_daily_values_are_those_of_the_aqi_module(planted: Ledger) -> None:
    answer = planted.client.get(f"/stations/M-1/daily?{WINDOW}")
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    expected = _expected_days(planted).to_dict("records")
    assert doc["count"] == 30 == len(expected) and doc["note"] is None
    for day, want in zip(doc["days"], expected, strict=True):
        assert day["date"] == want["date"].isoformat()
        assert day["pm25"] == pytest.approx(want["pm25"]) and day["no2"] == 30.0
        assert (day["aqi"], day["primary"], day["exceeds"]) == (
            int(want["aqi"]), list(want["primary"]), list(want["exceeds"]))
        assert day["hours"]["pm25"] == 24 and day["pm10"] is None and "pm10" in day["short"]
    over = [d["date"] for d in doc["days"] if "pm25" in d["exceeds"]]
    assert over == [w["date"].isoformat() for w in expected if w["pm25"] > 75] and over


def test_a_day_under_20_valid_hours_has_no_value_and_says_so(planted: Ledger) -> None:
    # from 06:00 Beijing: 1 November keeps 18 hours of its 24
    doc = planted.client.get("/stations/M-1/daily?start=2026-11-01 06:00&end=2026-11-03").json()
    first, second = doc["days"]
    assert (first["date"], first["hours"]["pm25"], first["pm25"]) == ("2026-11-01", 18, None)
    assert "pm25" in first["short"] and "20 valid hours" in first["note"]
    assert second["pm25"] is not None and second["hours"]["pm25"] == 24


def test_daily_as_csv_and_xlsx(planted: Ledger) -> None:
    csv = planted.client.get(f"/stations/M-1/daily?{WINDOW}&f=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("station_id,date,pm25,pm10") and len(lines) == 31
    assert lines[1].startswith("M-1,2026-11-01,")
    book = planted.client.get(f"/stations/M-1/daily?{WINDOW}&f=xlsx")
    rows = list(load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))
    assert len(rows) == 31 and rows[1][:2] == ("M-1", "2026-11-01")


def test_the_rose_points_at_the_planted_source(planted: Ledger, bearing: float) -> None:
    answer = planted.client.get(f"/stations/M-1/rose?{WINDOW}&pollutant=pm25")
    assert answer.status_code == 200, answer.text
    rose = answer.json()
    assert len(rose["sectors"]) == 16 and rose["sector_width_deg"] == 22.5
    assert rose["worst"]["index"] == int(sector_index(pd.Series([bearing]).to_numpy(), 16)[0])
    winds = random_winds(FIRST_LABEL, HOURS, seed=15)
    assert rose["calm_hours"] == int((winds["ws_ms"] < 0.5).sum())
    assert sum(s["hours"] for s in rose["sectors"]) + rose["calm_hours"] == HOURS
    coarse = planted.client.get(f"/stations/M-1/rose?{WINDOW}&sectors=8&percentile=90&cbpf=true")
    body = coarse.json()
    assert len(body["sectors"]) == 8 and body["percentile"] == 90.0
    assert abs((body["worst"]["centre_deg"] - bearing + 180) % 360 - 180) <= 22.5
    assert len(body["cbpf"]["cells"]) == 8 * 4


def test_the_attribution_ranks_the_planted_source_first(planted: Ledger, bearing: float) -> None:
    doc = planted.client.get(f"/stations/M-1/attribution?{WINDOW}&pollutant=pm25").json()
    ids = [s["id"] for s in doc["sources"]]
    assert ids[0] == PLANTED and set(ids) == {PLANTED, "S-near", *(o[0] for o in OTHERS)}
    top = doc["sources"][0]
    assert top["rank"] == 1 and top["bearing_deg"] == pytest.approx(bearing, abs=0.5)
    assert top["distance_m"] == pytest.approx(1200.0, abs=5.0)
    assert top["sector"] == doc["rose"]["worst"]["index"] and top["cpf"] > 0.5
    scores = [s["score"] for s in doc["sources"]]
    assert scores == sorted(scores, reverse=True) and doc["radius_m"] == 3000.0


def test_alerts_name_the_exceedance_days_and_the_planted_source(planted: Ledger) -> None:
    answer = planted.client.get(f"/alerts?{WINDOW}")
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    expected = [w["date"].isoformat() for w in _expected_days(planted).to_dict("records")
                if w["pm25"] > 75]
    assert [a["date"] for a in doc["alerts"]] == expected and doc["count"] == len(expected)
    for alert in doc["alerts"]:
        assert (alert["station_id"], alert["pollutant"], alert["limit"]) == ("M-1", "pm25", 75)
        assert alert["value"] > 75 and alert["sources"][0]["id"] == PLANTED
        assert alert["case"]["page"] == f"/cases/new?source={PLANTED}"
        assert alert["case"]["body"]["source_id"] == PLANTED
    # the link gives the very ranking the alert quotes
    first = doc["alerts"][0]
    linked = planted.client.get(first["attribution"]).json()
    assert linked["sources"][:3] == first["sources"]


def test_a_case_opens_from_an_alert(planted: Ledger) -> None:
    alert = planted.client.get(f"/alerts?{WINDOW}").json()["alerts"][0]
    made = planted.client.post("/cases", json=alert["case"]["body"], headers=planted.auth())
    assert made.status_code == 201, made.text
    assert made.json()["properties"]["source_id"] == PLANTED


def test_a_window_without_readings(planted: Ledger) -> None:
    empty = "start=2027-01-01&end=2027-01-02"
    daily = planted.client.get(f"/stations/M-1/daily?{empty}").json()
    assert (daily["count"], daily["days"]) == (0, []) and "no readings" in daily["note"]
    rose = planted.client.get(f"/stations/M-1/rose?{empty}").json()
    assert rose["sectors"] == [] and rose["worst"] is None and "empty" in rose["note"]
    found = planted.client.get(f"/stations/M-1/attribution?{empty}").json()
    assert found["count"] == 5 and all(s["score"] == 0 and s["cpf"] is None
                                       for s in found["sources"])
    assert found["note"] and found["rose"]["valid_hours"] == 0
    alerts = planted.client.get(f"/alerts?{empty}").json()
    assert alerts["alerts"] == [] and alerts["note"]


@pytest.mark.parametrize(("query", "status", "named"), [
    ("/stations/M-404/daily", 404, None), ("/stations/M-404/rose", 404, None),
    ("/stations/M-404/attribution", 404, None),
    ("/stations/M-1/rose?pollutant=pm1", 400, "pollutant"),
    ("/stations/M-1/attribution?pollutant=PM25", 400, "pollutant"),
    ("/stations/M-1/rose?sectors=3", 400, "sectors"),
    ("/stations/M-1/rose?sectors=37", 400, "sectors"),
    ("/stations/M-1/rose?sectors=eight", 400, "sectors"),
    ("/stations/M-1/attribution?percentile=49", 400, "percentile"),
    ("/stations/M-1/rose?percentile=100", 400, "percentile"),
    ("/stations/M-1/daily?start=soon", 400, "start"),
    ("/stations/M-1/rose?end=2026-13-01", 400, "end"),
    ("/stations/M-1/daily?start=2026-11-02&end=2026-11-01", 400, "end"),
    ("/stations/M-1/daily?f=pdf", 400, "f="),
    ("/stations/M-1/rose?when=now", 400, "when"),
    ("/alerts?start=yesterday", 400, "start"), ("/alerts?top=0", 400, "top"),
], ids=lambda v: str(v))
def test_bad_requests(ledger: Ledger, query: str, status: int, named: str | None) -> None:
    answer = ledger.client.get(query)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    if named is not None:
        assert named in answer.json()["detail"]
